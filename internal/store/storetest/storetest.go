// Package storetest opens throwaway feedpub databases for tests.
package storetest

import (
	"path/filepath"
	"testing"

	"github.com/feedpub/feedpub/internal/store"
)

// MustOpen opens a new database in a fresh temporary directory. When the
// test ends it runs bbolt's consistency check, reporting any problem as a
// test error, then closes the database.
func MustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "feedpub.db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Errorf("storetest: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("storetest: %v", err)
		}
	})
	return db
}
