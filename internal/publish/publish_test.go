package publish_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/publish"
)

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteReplacesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir()}
	changed, err := d.Write("all/rss.xml", []byte("one"))
	if err != nil || !changed {
		t.Fatalf("first write: %v %v", changed, err)
	}
	path := filepath.Join(d.Root, "all", "rss.xml")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	if changed, err := d.Write("all/rss.xml", []byte("one")); err != nil || changed {
		t.Fatalf("same bytes: changed=%v err=%v", changed, err)
	}
	if info, _ := os.Stat(path); !info.ModTime().Equal(old) {
		t.Errorf("unchanged file was touched: mtime %v", info.ModTime())
	}
	if changed, err := d.Write("all/rss.xml", []byte("two")); err != nil || !changed || read(t, path) != "two" {
		t.Fatalf("new bytes: changed=%v err=%v", changed, err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "all"))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestPathsOutsideTheRootAreRefused(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir()}
	for _, rel := range []string{"../escape.xml", "/etc/passwd", "a/../../b", ".hidden", "all/.tmp-rss.xml", ""} {
		if _, err := d.Write(rel, []byte("x")); err == nil {
			t.Errorf("Write(%q) succeeded", rel)
		}
		if _, err := d.NewBatch().Write(rel, []byte("x")); err == nil {
			t.Errorf("Batch.Write(%q) succeeded", rel)
		}
	}
}

func TestBatchPublishesOnCommitInWriteOrder(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir()}
	if _, err := d.Write("all/rss.xml", []byte("old feed")); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	for _, w := range []struct{ rel, data string }{
		{"item/2017/10/31/a.html", "page"},
		{"all/rss.xml", "new feed"},
		{"all/atom.xml", "atom"},
	} {
		if changed, err := b.Write(w.rel, []byte(w.data)); err != nil || !changed {
			t.Fatalf("%s: %v %v", w.rel, changed, err)
		}
	}
	if changed, _ := b.Write("all/rss.xml", []byte("new feed")); !changed {
		t.Errorf("a second stage of the same target must still report a change")
	}
	// Before Commit, readers still see the old file and no new one.
	if got := read(t, filepath.Join(d.Root, "all", "rss.xml")); got != "old feed" {
		t.Errorf("staged file visible before commit: %q", got)
	}
	if _, err := os.Stat(filepath.Join(d.Root, "all", "atom.xml")); err == nil {
		t.Errorf("new file visible before commit")
	}
	if b.Len() != 3 {
		t.Errorf("Len = %d, want 3 distinct targets", b.Len())
	}
	n, err := b.Commit()
	if err != nil || n != 3 {
		t.Fatalf("Commit = %d, %v", n, err)
	}
	if read(t, filepath.Join(d.Root, "all", "rss.xml")) != "new feed" || read(t, filepath.Join(d.Root, "item/2017/10/31/a.html")) != "page" {
		t.Errorf("commit did not publish")
	}
	if n, err := b.Commit(); n != 0 || err != nil {
		t.Errorf("empty commit = %d, %v", n, err)
	}
	// Unchanged bytes stage nothing.
	if changed, _ := d.NewBatch().Write("all/atom.xml", []byte("atom")); changed {
		t.Errorf("unchanged bytes staged")
	}
}

func TestAStagedFileLeftByACrashIsReused(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir()}
	// A killed scan staged a file and never committed.
	if _, err := d.NewBatch().Write("all/rss.xml", []byte("half done")); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	if _, err := b.Write("all/rss.xml", []byte("whole")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "all"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "rss.xml" || read(t, filepath.Join(d.Root, "all", "rss.xml")) != "whole" {
		t.Errorf("after recovery: %v", names)
	}
}

// A document is checked only when it would replace the published file;
// a failed check stages nothing and leaves the file as it was.
func TestWriteCheckedChecksOnlyWhatWouldChange(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir(), Precompress: true}
	doc := []byte(strings.Repeat("<item>the same document</item>\n", 20))
	checks := 0
	ok := func() error { checks++; return nil }
	write := func(data []byte, check func() error) (bool, error) {
		b := d.NewBatch()
		changed, err := b.WriteChecked("all/rss.xml", data, check)
		if err == nil {
			if _, cerr := b.Commit(); cerr != nil {
				t.Fatal(cerr)
			}
		}
		return changed, err
	}
	if changed, err := write(doc, ok); err != nil || !changed || checks != 1 {
		t.Fatalf("new file: changed=%v err=%v checks=%d", changed, err, checks)
	}
	if changed, err := write(doc, ok); err != nil || changed || checks != 1 {
		t.Fatalf("same bytes: changed=%v err=%v checks=%d, want no check", changed, err, checks)
	}
	bad := errors.New("no channel")
	changed, err := write([]byte("<broken"), func() error { return bad })
	var ce *publish.CheckError
	if changed || !errors.As(err, &ce) || !errors.Is(err, bad) {
		t.Fatalf("failed check: changed=%v err=%v, want a *CheckError wrapping it", changed, err)
	}
	path := filepath.Join(d.Root, "all", "rss.xml")
	if read(t, path) != string(doc) {
		t.Error("a document that failed its check replaced the file")
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "all"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a failed check left %s staged", e.Name())
		}
	}
}
