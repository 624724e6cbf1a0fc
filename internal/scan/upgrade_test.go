package scan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/store"
)

// An output written by an older feedpub (variants beside archive pages,
// pages with their style inline) is brought up to date by the first scan
// of a new one, whose render version differs: the variants go, every page
// is rewritten, and the scan after writes nothing.
func TestAnUpgradeRewritesPagesAndDropsArchiveVariants(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Limit = 5
	e.scan()

	// What the older feedpub left.
	var archives, pages []string
	for rel := range e.outputs() {
		switch {
		case strings.Contains(rel, "/archive/") && !strings.HasSuffix(rel, ".gz") && !strings.HasSuffix(rel, ".br"):
			archives = append(archives, rel)
		case strings.HasPrefix(rel, "item/"):
			pages = append(pages, rel)
		}
	}
	if len(archives) == 0 || len(pages) == 0 {
		t.Fatalf("%d archive files, %d item pages", len(archives), len(pages))
	}
	for _, rel := range archives {
		for _, ext := range []string{".gz", ".br"} {
			if err := os.WriteFile(filepath.Join(e.cfg.OutDir, rel+ext), []byte("old variant"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	old := filepath.Join(e.cfg.OutDir, pages[0])
	if err := os.WriteFile(old, []byte("<!DOCTYPE html><style>body{}</style></html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := e.open()
	err := db.Update(func(tx *store.Tx) error { return tx.SetMeta("render", "an older feedpub") })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	e.scan()
	for rel := range e.outputs() {
		if strings.Contains(rel, "/archive/") && (strings.HasSuffix(rel, ".gz") || strings.HasSuffix(rel, ".br")) {
			t.Errorf("%s left beside an archive page", rel)
		}
	}
	if data, _ := os.ReadFile(old); strings.Contains(string(data), "<style") || !strings.Contains(string(data), `rel="stylesheet"`) {
		t.Errorf("%s not rewritten:\n%s", pages[0], data)
	}
	if sum := e.scan(); sum.FilesWritten != 0 {
		t.Errorf("the scan after the upgrade wrote %d files", sum.FilesWritten)
	}
}
