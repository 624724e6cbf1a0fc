package scan_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

// listingText writes a listing with n items titled "<prefix> n" from
// day first backwards, alternating two labels.
func listingText(title, prefix string, n int, first time.Time) string {
	var b strings.Builder
	b.WriteString(title + "\n\n")
	for i := range n {
		label := []string{"News", "Article"}[i%2]
		d := first.AddDate(0, 0, -i/2)
		fmt.Fprintf(&b, "  %d. %s\n\n    %s %02d\n\n    %s\n\n    Text of %s %02d.\n\n", i+1, label, prefix, i+1, d.Format("2 January 2006"), prefix, i+1)
	}
	return b.String()
}

// doc is one document reached by walking a feed's archive links.
type walked struct {
	file    string
	ids     []string
	updated map[string]string
	archive bool
}

// walk follows a feed from its subscription document through every
// archive page, as an RFC 5005 client does, reading files from disk.
func (e *env) walk(t *testing.T, feedPath, format string) []walked {
	t.Helper()
	var docs []walked
	next := e.cfg.BaseURL + feedPath + "/" + format
	for seen := map[string]bool{}; next != ""; {
		if seen[next] {
			t.Fatalf("archive links loop at %s", next)
		}
		seen[next] = true
		rel := strings.TrimPrefix(next, e.cfg.BaseURL)
		data, err := os.ReadFile(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("walking %s: %v", feedPath, err)
		}
		w := walked{file: rel, updated: map[string]string{}}
		next = ""
		switch format {
		case "atom.xml":
			f, err := (&atom.Parser{}).Parse(strings.NewReader(string(data)))
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			for _, l := range f.Links {
				if l.Rel == "prev-archive" {
					next = l.Href
				}
			}
			for _, en := range f.Entries {
				w.ids = append(w.ids, en.ID)
				w.updated[en.ID] = en.Updated
			}
			_, w.archive = f.Extensions["fh"]["archive"]
		case "rss.xml":
			f, err := (&rss.Parser{}).Parse(strings.NewReader(string(data)))
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			for _, l := range f.Extensions["atom"]["link"] {
				if l.Attrs["rel"] == "prev-archive" {
					next = l.Attrs["href"]
				}
			}
			for _, it := range f.Items {
				w.ids = append(w.ids, it.GUID.Value)
			}
			_, w.archive = f.Extensions["fh"]["archive"]
		case "feed.json":
			var f struct {
				NextURL string `json:"next_url"`
				Items   []struct {
					ID       string `json:"id"`
					Modified string `json:"date_modified"`
				} `json:"items"`
			}
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			next = f.NextURL
			for _, it := range f.Items {
				w.ids = append(w.ids, it.ID)
				w.updated[it.ID] = it.Modified
			}
			w.archive = len(docs) > 0
		}
		docs = append(docs, w)
	}
	return docs
}

// members returns the ids of a feed's members in joining order.
func (e *env) members(t *testing.T, feedPath string) []string {
	t.Helper()
	db := e.open()
	defer db.Close()
	var ids []string
	err := db.View(func(tx *store.Tx) error {
		seqs, err := tx.Members(feedPath, 1, 1<<20)
		if err != nil {
			return err
		}
		for _, s := range seqs {
			it, err := tx.Item(s)
			if err != nil {
				return err
			}
			ids = append(ids, it.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestArchiveWalkReachesEveryItemAndPagesNeverChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.cfg.Limit = 5 // archive pages of 5, fixed at the first scan
	day := time.Date(2020, 6, 30, 0, 0, 0, 0, time.UTC)
	e.write("a.txt", listingText("Listing A", "Alpha", 12, day))
	e.scan()
	frozen := e.outputs()                                                         // pages full after the first scan must never change
	e.write("b.txt", listingText("Listing B", "Bravo", 9, day.AddDate(-1, 0, 0))) // late, older items
	e.scan()

	// An archived item is edited: it comes back in the subscription document.
	e.now = e.now.Add(time.Hour)
	a, _ := os.ReadFile(filepath.Join(e.cfg.ListingsDir, "a.txt"))
	e.write("a.txt", strings.Replace(string(a), "Text of Alpha 01.", "Text of Alpha 01, corrected.", 1))
	if sum := e.scan(); sum.ItemsUpdated != 1 {
		t.Fatalf("edit: %+v", sum)
	}
	e.write("c.txt", listingText("Listing C", "Charlie", 3, day.AddDate(0, 1, 0)))
	e.scan()

	edited := findItem(t, e.items(), "Alpha 01")
	for path, f := range e.feeds() {
		members := e.members(t, path)
		if len(members) != f.Items {
			t.Fatalf("%s: %d members, feed says %d", path, len(members), f.Items)
		}
		for _, format := range []string{"atom.xml", "rss.xml", "feed.json"} {
			docs := e.walk(t, path, format)
			if want := 1 + f.Items/5; len(docs) != want {
				t.Errorf("%s/%s: walk reached %d documents, want %d", path, format, len(docs), want)
			}
			reached := map[string]int{}
			for i, d := range docs {
				inDoc := map[string]bool{}
				for _, id := range d.ids {
					if inDoc[id] {
						t.Errorf("%s: id %s twice", d.file, id)
					}
					inDoc[id] = true
					if i > 0 {
						reached[id]++
					}
				}
				if i == 0 {
					if d.archive {
						t.Errorf("%s: subscription document marked as archive", d.file)
					}
					continue
				}
				// Archive page k (walked newest first) holds exactly members
				// (k-1)*5+1 to k*5, in any order.
				k := len(docs) - i
				if !d.archive || !strings.HasSuffix(d.file, fmt.Sprintf("/archive/%d/%s", k, format)) {
					t.Errorf("walk step %d is %s (archive %v), want archive page %d", i, d.file, d.archive, k)
				}
				want := map[string]bool{}
				for _, id := range members[(k-1)*5 : k*5] {
					want[id] = true
				}
				if len(inDoc) != 5 || fmt.Sprint(sortedKeysOf(inDoc)) != fmt.Sprint(sortedKeysOf(want)) {
					t.Errorf("%s holds %v, want %v", d.file, sortedKeysOf(inDoc), sortedKeysOf(want))
				}
			}
			// Every member is reached; archived ones in exactly one page.
			for _, id := range members {
				inSub := false
				for _, x := range docs[0].ids {
					inSub = inSub || x == id
				}
				if reached[id] > 1 || (reached[id] == 0 && !inSub) {
					t.Errorf("%s/%s: %s reached in %d archive pages, in subscription %v", path, format, id, reached[id], inSub)
				}
			}
			if format != "rss.xml" && strings.Contains(strings.Join(members, " "), edited.ID) {
				if got := docs[0].updated[edited.ID]; got == "" || !strings.HasPrefix(got, edited.Updated.Format("2006-01-02T15:04")) {
					t.Errorf("%s/%s: edited item not in the subscription document with its new updated (%q, want %v)", path, format, got, edited.Updated)
				}
			}
		}
	}

	after := e.outputs()
	pages := 0
	for rel, st := range frozen {
		if !strings.Contains(rel, "/archive/") {
			continue
		}
		pages++
		if now := after[rel]; now != st {
			t.Errorf("archive file %s changed after newer items arrived", rel)
		}
	}
	if pages == 0 {
		t.Fatal("no archive page was written by the first scan")
	}
}

func sortedKeysOf(m map[string]bool) []string { return keys(m) }

func TestItemPagesExistAndFeedsLinkToThem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	for _, it := range e.items() {
		page, err := os.ReadFile(filepath.Join(e.cfg.OutDir, filepath.FromSlash(it.Page)))
		if err != nil {
			t.Fatalf("%q: %v", it.Title, err)
		}
		if !strings.Contains(string(page), "<h1 dir=\"auto\">") || strings.Contains(strings.ToLower(string(page)), "<script") {
			t.Errorf("%s: unexpected page:\n%s", it.Page, page)
		}
		if !strings.HasPrefix(it.Page, fmt.Sprintf("item/%04d/%02d/%02d/", it.Date.Year, it.Date.Month, it.Date.Day)) {
			t.Errorf("page path %s does not follow the item's date %v", it.Page, it.Date)
		}
	}
	// Every link of every feed resolves to a file we wrote.
	for path := range e.feeds() {
		feed := e.parse(path + "/rss.xml")
		for _, it := range feed.Items {
			rel := strings.TrimPrefix(it.Link, e.cfg.BaseURL)
			if _, err := os.Stat(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel))); err != nil || rel == it.Link {
				t.Errorf("%s: item link %q does not resolve: %v", path, it.Link, err)
			}
		}
		if _, err := os.Stat(filepath.Join(e.cfg.OutDir, filepath.FromSlash(path), "index.html")); err != nil {
			t.Errorf("%s has no HTML page: %v", path, err)
		}
	}
}

func TestFailedCheckKeepsTheLastGoodFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	good := e.outputs()["all/atom.xml"]

	e.write("new.txt", "Late news\n\n  1. News\n\n    Something new\n\n    1 May 2021\n")
	sum, err := e.scanErr(func(o *scan.Options) {
		o.Check = func(f feedcheck.Format, data []byte) error {
			if f == feedcheck.Atom {
				return errors.New("rejected by the test")
			}
			return feedcheck.Check(f, data)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.OutputErrors) == 0 || sum.ItemsNew != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	if now := e.outputs()["all/atom.xml"]; now != good {
		t.Errorf("a document that failed its check replaced the published one")
	}
	if n := count(e.parse("all/rss.xml").Items, "Something new"); n != 1 {
		t.Errorf("formats that passed were not published")
	}
	// The document stays marked: a scan with a passing check publishes it.
	sum = e.scan()
	if len(sum.OutputErrors) != 0 || count(e.parse("all/atom.xml").Items, "Something new") != 1 {
		t.Errorf("the next scan did not publish the document: %+v", sum)
	}
}

// A change every document shows (here the site's title) is recorded as
// marks in one transaction: work already done is not redone by the next
// scan, and what failed stays marked.
func TestRegenerationAfterASettingsChangeResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	e.cfg.Title = "Renamed site"
	sum, err := e.scanErr(func(o *scan.Options) {
		o.Check = func(f feedcheck.Format, data []byte) error {
			if f == feedcheck.Atom {
				return errors.New("rejected by the test")
			}
			return feedcheck.Check(f, data)
		}
	})
	if err != nil || len(sum.OutputErrors) != 12 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	db := e.open()
	var dirty []string
	var pages int
	db.View(func(tx *store.Tx) error { dirty, pages = tx.Dirty(), tx.PendingPages(); return nil })
	db.Close()
	if len(dirty) != 12 || pages != 0 {
		t.Fatalf("after a partial regeneration: %d documents and %d pages still marked, want 12 and 0", len(dirty), pages)
	}
	sum = e.scan()
	if len(sum.OutputErrors) != 0 || sum.FeedsRegenerated != 12 || count(e.parse("all/atom.xml").Items, "Rokin Labour Banks: Financial cooperatives for workers in Japan") != 1 ||
		!strings.Contains(e.parse("all/atom.xml").Title, "Renamed site") {
		t.Fatalf("resumed regeneration: %+v", sum)
	}
}
