package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Check runs bbolt's consistency check over the whole file (every page
// reachable once, freelist and pages agreeing) and returns the first
// problem found, or nil. It reads every page: meant for tests and for an
// operator's "verify" command, not for every open.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: Check's goroutine sends every problem
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return fmt.Errorf("store: %s: consistency check: %w", db.path, first)
		}
		return nil
	})
}
