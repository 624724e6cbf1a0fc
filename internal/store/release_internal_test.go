//go:build linux

package store

import "testing"

// The release threshold is read from /proc/self/statm: the program's own
// code is mapped from its file, so some shared pages are always resident.
func TestMappedBytesSeesTheProgram(t *testing.T) {
	t.Parallel()
	n, ok := mappedBytes()
	if !ok || n <= 0 {
		t.Fatalf("mappedBytes() = %d, %v", n, ok)
	}
}
