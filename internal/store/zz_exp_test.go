package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/feedpub/feedpub/internal/store"
)

func TestZZTrunc(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.db")
	db, err := store.Open(p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	full, _ := os.ReadFile(p)
	t.Logf("size %d", len(full))
	for _, n := range []int{1024, 4096, 8192, 12288, 16384, 20480, 24576} {
		if n > len(full) { continue }
		q := filepath.Join(dir, "t.db")
		os.WriteFile(q, full[:n], 0o644)
		db, err := store.Open(q, store.Options{ReadOnly: os.Getenv("RO") != ""})
		t.Logf("%d: %v", n, err)
		if err == nil { db.Close() }
	}
}
