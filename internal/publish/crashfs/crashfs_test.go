package crashfs_test

import (
	"errors"
	"testing"

	"github.com/feedpub/feedpub/internal/publish/crashfs"
)

// What comes back after a cut: synced data, under entries made durable
// by a directory fsync or a syncfs, or (journaled) under every entry.
func TestDurableKeepsOnlyWhatWasSynced(t *testing.T) {
	t.Parallel()
	f := crashfs.New("/out")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.MkdirAll("/out/a"))
	must(f.WriteFile("/out/a/old", []byte("old")))
	must(f.SyncFS("/out"))
	// A new version written beside it and renamed over it, no sync.
	must(f.WriteFile("/out/a/.tmp-old", []byte("new")))
	must(f.Rename("/out/a/.tmp-old", "/out/a/old"))
	must(f.WriteFile("/out/a/unsynced", []byte("x")))

	if got := f.Durable(false).Files("/out"); len(got) != 1 || string(got["a/old"]) != "old" {
		t.Errorf("entries synced only: %q, want a/old = old", got)
	}
	// Journaled: the rename came back, the data it points at did not.
	if got := f.Durable(true).Files("/out"); len(got) != 2 || string(got["a/old"]) != "" || string(got["a/unsynced"]) != "" {
		t.Errorf("journaled: %q, want a/old and a/unsynced empty", got)
	}
	must(f.SyncFile("/out/a/old"))
	if got := f.Durable(true).Files("/out"); string(got["a/old"]) != "new" {
		t.Errorf("after fsync of the file, journaled: a/old = %q, want new", got["a/old"])
	}
	if got := f.Durable(false).Files("/out"); string(got["a/old"]) != "old" {
		t.Errorf("after fsync of the file, before one of its directory: a/old = %q, want old", got["a/old"])
	}
	must(f.SyncDir("/out/a"))
	if got := f.Durable(false).Files("/out"); string(got["a/old"]) != "new" || string(got["a/unsynced"]) != "" {
		t.Errorf("after fsync of the directory: %q, want a/old = new, a/unsynced empty", got)
	}
}

func TestPowerCutFailsEveryLaterWrite(t *testing.T) {
	t.Parallel()
	f := crashfs.New("/out")
	f.BeforeWrite = func(n int, op, name string) error {
		if n == 2 {
			f.PowerCutLocked()
			return crashfs.ErrPowerCut
		}
		return nil
	}
	if err := f.WriteFile("/out/one", []byte("1")); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{f.WriteFile("/out/two", []byte("2")), f.SyncFS("/out"), f.Remove("/out/one")} {
		if !errors.Is(err, crashfs.ErrPowerCut) {
			t.Errorf("write after the cut: %v, want ErrPowerCut", err)
		}
	}
	if got := f.Files("/out"); len(got) != 1 {
		t.Errorf("files after the cut: %q, want one", got)
	}
}
