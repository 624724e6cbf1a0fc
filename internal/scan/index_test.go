package scan_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/publish/crashfs"
	"github.com/feedpub/feedpub/internal/scan"
)

// A scan that dies after publishing the documents of a new listing but
// before the index page (here: while writing the sitemap's parts) must
// leave the index owed: the next scan finds no document to regenerate,
// and once skipped the index would never list the new feed. Found by the
// power-loss harness (internal/faults).
func TestIndexIsOwedUntilWrittenWhenAScanDiesBeforeIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	out := crashfs.New(e.cfg.OutDir)
	withFS := func(o *scan.Options) { o.FS = out }
	e.scan(withFS)

	e.write("009_new.txt", "Field notes from new cooperatives\n\n  1. News\n\n    A brand new listing\n\n    2 December 2026\n")
	died := errors.New("killed")
	out.BeforeWrite = func(_ int, op, name string) error {
		if strings.Contains(name, "sitemap/") && strings.Contains(name, "feeds-") && op == "rename" {
			return died
		}
		return nil
	}
	if _, err := e.scanErr(withFS); !errors.Is(err, died) {
		t.Fatalf("scan dying at the sitemap: %v", err)
	}
	out.BeforeWrite = nil
	if index := string(out.Files(e.cfg.OutDir)["index.html"]); strings.Contains(index, "Field notes") {
		t.Fatalf("the index lists the new listing before the scan that died could write it")
	}

	e.scan(withFS)
	if index := string(out.Files(e.cfg.OutDir)["index.html"]); !strings.Contains(index, "Field notes from new cooperatives") {
		t.Errorf("after the next scan the index still lacks the new listing")
	}
}
