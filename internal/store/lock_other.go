//go:build !linux

package store

import (
	"errors"
	"os"
)

// lockNow is implemented on Linux only, where feedpub runs; elsewhere
// Restore refuses rather than replace a database it cannot lock.
func lockNow(*os.File) error {
	return errors.New("cannot lock the database on this system: stop every feedpub process and copy the backup in place")
}
