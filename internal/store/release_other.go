//go:build !linux

package store

// ReleaseMemory does nothing where the mapping cannot be found.
func (db *DB) ReleaseMemory() error { return nil }
