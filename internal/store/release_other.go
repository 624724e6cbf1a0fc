//go:build !linux

package store

// ReleaseMemory does nothing where the mapping cannot be found.
func (db *DB) ReleaseMemory() error { return nil }

// mappedBytes cannot tell where there is no /proc/self/statm.
func mappedBytes() (int64, bool) { return 0, false }
