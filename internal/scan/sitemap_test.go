package scan_test

import (
	"encoding/xml"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/scan"
)

// sitemapLocs reads a sitemap file (urlset or sitemapindex) and returns
// its locations and lastmods.
func sitemapLocs(t *testing.T, file string) (locs, mods []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entries []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, e := range doc.Entries {
		locs = append(locs, e.Loc)
		mods = append(mods, e.LastMod)
	}
	return locs, mods
}

func TestSitemapListsEveryPageAndChangesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	const size = 7
	small := func(o *scan.Options) { o.SitemapSize = size }
	e.scan(small)

	// Every HTML page under the output, as a URL.
	var pages []string
	err := filepath.WalkDir(e.cfg.OutDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		rel, _ := filepath.Rel(e.cfg.OutDir, p)
		rel = filepath.ToSlash(rel)
		if rel == "index.html" {
			rel = "" // the site's front page
		}
		pages = append(pages, e.cfg.BaseURL+rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The index lists the parts that exist; the parts list every page
	// once, nothing else, at most size per file.
	parts, mods := sitemapLocs(t, filepath.Join(e.cfg.OutDir, "sitemap.xml"))
	var listed []string
	for i, part := range parts {
		if mods[i] != "" {
			t.Errorf("sitemap index entry %s has lastmod %s, want none", part, mods[i])
		}
		rel, ok := strings.CutPrefix(part, e.cfg.BaseURL)
		if !ok {
			t.Fatalf("part %s outside %s", part, e.cfg.BaseURL)
		}
		locs, lastmods := sitemapLocs(t, filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
		if len(locs) == 0 || len(locs) > size {
			t.Errorf("%s lists %d pages, want 1 to %d", rel, len(locs), size)
		}
		for j, loc := range locs {
			// Item pages and feed pages carry the data's instant; archive
			// pages none.
			if (lastmods[j] == "") != strings.Contains(loc, "/archive/") {
				t.Errorf("%s: %s has lastmod %q", rel, loc, lastmods[j])
			}
		}
		listed = append(listed, locs...)
	}
	slices.Sort(pages)
	slices.Sort(listed)
	if !slices.Equal(pages, listed) || len(pages) < 45 {
		t.Errorf("sitemap lists %d URLs, the output has %d pages\nlisted: %q\npages:  %q", len(listed), len(pages), listed, pages)
	}

	// Nothing new: nothing rewritten.
	before := e.outputs()
	if sum := e.scan(small); sum.FilesWritten != 0 {
		t.Errorf("a scan with nothing new wrote %d files", sum.FilesWritten)
	}

	// One new item: of the item parts, only the last one changes.
	e.write("009_new.txt", "News, stories and statements on cooperatives\n\n  1. News\n\n    A brand new item\n\n    2 December 2026\n")
	e.scan(small)
	after := e.outputs()
	var changed []string
	for rel, st := range after {
		if strings.HasPrefix(rel, "sitemap/items-") && before[rel] != st {
			changed = append(changed, rel)
		}
	}
	// 45 items: parts items-1 to items-7, the 46th item in items-7.
	if !slices.Equal(changed, []string{"sitemap/items-7.xml"}) {
		t.Errorf("item parts changed by one new item: %v, want [sitemap/items-7.xml]", changed)
	}
}
