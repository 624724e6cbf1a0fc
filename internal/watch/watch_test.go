package watch_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/watch"
)

// takeUntil waits for notifications until want is among the changed
// paths, or fails after a deadline.
func takeUntil(t *testing.T, w *watch.Watcher, want string) []string {
	t.Helper()
	var got []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case <-w.Changes():
		case <-deadline:
			t.Fatalf("no notification for %s; got %v", want, got)
		}
		paths, full := w.Take()
		if full {
			t.Fatalf("watcher asked for a full scan: %v", paths)
		}
		got = append(got, paths...)
		if slices.Contains(got, want) {
			return got
		}
	}
}

func TestChangesAreReportedRelativeToTheRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w, err := watch.New(root, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	os.WriteFile(filepath.Join(root, "new.txt"), []byte("x"), 0o644)
	takeUntil(t, w, "new.txt")

	// A new directory, and a file written into it at once: the directory
	// is reported so a scan walks it, then its files are watched too.
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "sub", "early.txt"), []byte("x"), 0o644)
	takeUntil(t, w, "sub") // reported once its watch is in place
	os.WriteFile(filepath.Join(root, "sub", "late.txt"), []byte("x"), 0o644)
	takeUntil(t, w, "sub/late.txt")

	// Dotfiles are not listings: an editor's swap file is no change.
	os.WriteFile(filepath.Join(root, ".swap"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "after.txt"), []byte("x"), 0o644)
	got := takeUntil(t, w, "after.txt")
	if slices.Contains(got, ".swap") {
		t.Errorf("dotfile reported: %v", got)
	}
	// Take resets.
	if paths, full := w.Take(); len(paths) != 0 || full {
		t.Errorf("second Take = %v %v", paths, full)
	}
}

func TestMissingRootIsAnError(t *testing.T) {
	t.Parallel()
	if _, err := watch.New(filepath.Join(t.TempDir(), "none"), slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("watching a missing directory succeeded")
	}
}
