package scan_test

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/render/readertest"
)

// TestHostileTitlesReadAsWrittenByEveryReader scans the hostile listings
// and reads every subscription document back as three kinds of reader
// would: gofeed; a reader that takes Atom and RSS character data as plain
// text whatever the type says, HTML-unescaping CDATA sections only; and a
// reader that turns JSON Feed into RSS text without escaping tags. Each
// must show every title exactly as the listing wrote it, and keep every
// item of every document.
func TestHostileTitlesReadAsWrittenByEveryReader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	want := map[string]bool{} // titles, as the listings write them
	for _, src := range []string{"../../testdata/listings/hostile.txt", "testdata/corpus/hostile-titles.txt"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		e.write(filepath.Base(src), string(data))
		l, errs := listing.ParseBytes(src, data)
		if l == nil || len(errs) > 0 && l.Items == nil {
			t.Fatalf("%s: %v", src, errs)
		}
		for _, it := range l.Items {
			want[it.Title] = true
		}
	}
	e.scan()

	docs := 0
	err := filepath.WalkDir(e.cfg.OutDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "/archive/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var titles []string
		switch d.Name() {
		case "rss.xml", "atom.xml":
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: gofeed: %v", p, err)
			}
			plain, err := readertest.PlainTitles(data)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			plain = plain[1:] // the feed's own title first
			if len(plain) != len(feed.Items) {
				t.Fatalf("%s: plain-text reader finds %d titles, gofeed %d items", p, len(plain), len(feed.Items))
			}
			var types []string
			if d.Name() == "atom.xml" {
				if types, err = readertest.AtomTitleTypes(data); err != nil {
					t.Fatalf("%s: %v", p, err)
				}
			}
			for i, it := range feed.Items {
				title := it.Title
				if types != nil && types[i] == "html" {
					title = html.UnescapeString(title) // declared HTML: gofeed hands it over as is
				}
				titles = append(titles, title, plain[i])
			}
		case "feed.json":
			items, err := readertest.JSONAsRSS(data)
			if err != nil {
				t.Fatalf("%s: the converting reader drops the document: %v", p, err)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: gofeed: %v", p, err)
			}
			if len(items) != len(feed.Items) || len(items) == 0 {
				t.Fatalf("%s: the converting reader keeps %d items of %d", p, len(items), len(feed.Items))
			}
			for i, it := range items {
				if it.Content == "" {
					t.Errorf("%s: item %d has no content_html", p, i)
				}
				titles = append(titles, it.Title, feed.Items[i].Title)
			}
		default:
			return nil
		}
		docs++
		if strings.Contains(p, "/listing/hostile-titles") {
			// What each reader shows, for the note of a change.
			readers := []string{"gofeed", "plain-text reader"}
			if d.Name() == "feed.json" {
				readers = []string{"converting reader", "gofeed"}
			}
			for i, title := range titles {
				t.Logf("%s, %s: %q", d.Name(), readers[i%2], title)
			}
		}
		for _, title := range titles {
			if shown := strings.ReplaceAll(title, "\u2060", ""); !want[shown] { // U+2060 shows as nothing
				t.Errorf("%s: title reads %q, which no listing wrote", p, shown)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every category, listing and the combined feed, in three formats.
	if feeds := len(e.feeds()); docs != 3*feeds || docs == 0 {
		t.Errorf("%d documents read, want 3 × %d feeds", docs, feeds)
	}
}

// TestEveryJSONFeedOfTheCorpusIsTakenWhole scans the whole bad-input
// corpus with the hostile listing and hands every JSON Feed document,
// archive pages included, to the converting reader: each keeps every item,
// titles as stored.
func TestEveryJSONFeedOfTheCorpusIsTakenWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.cfg.Limit = 10 // archive pages too
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txt"))
	if err != nil || len(files) < 20 {
		t.Fatalf("corpus files: %d, %v", len(files), err)
	}
	for _, p := range append(files, "../../testdata/listings/hostile.txt") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		e.write(filepath.Base(p), string(data))
	}
	e.scan()
	docs, items := 0, 0
	err = filepath.WalkDir(e.cfg.OutDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "feed.json" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := readertest.JSONAsRSS(data)
		if err != nil {
			t.Errorf("%s: the converting reader drops the document: %v", p, err)
			return nil
		}
		var doc struct {
			Items []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(got) != len(doc.Items) {
			t.Errorf("%s: the converting reader keeps %d items of %d", p, len(got), len(doc.Items))
			return nil
		}
		for i, it := range got {
			if it.Title != doc.Items[i].Title {
				t.Errorf("%s: item %d reads %q, want %q", p, i, it.Title, doc.Items[i].Title)
			}
		}
		docs, items = docs+1, items+len(got)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < 20 || items == 0 {
		t.Fatalf("%d JSON Feed documents, %d items: the scan published too little", docs, items)
	}
	t.Logf("%d JSON Feed documents, %d items, all taken whole by the converting reader", docs, items)
}
