package scan_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The items that two of the shipped listings share, read off the files.
var sharedSeedItems = []string{
	"African cooperative leaders share their observations on the 2017 ILO/JCCU study tour in Japan",
	"Improving livelihoods through cooperatives - ILO LEED project in Northern Sri Lanka",
	"Emerging cooperative responses to gig economy in Asia",
	"ILO SSE Academy in Seoul concluded successfully",
	"Cooperatives help to build inclusive economies and societies",
}

func TestSeedsYieldDistinctItemsCategoriesAndListings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	sum := e.scan()
	if sum.FilesNew != 5 || sum.ItemsNew != 45 || sum.FilesFailed != 0 || len(sum.Problems) != 0 {
		t.Fatalf("summary = %+v", sum)
	}
	if n := len(e.items()); n != 45 {
		t.Errorf("stored items = %d, want 45", n)
	}
	feeds := e.feeds()
	cats := feedsOfKind(feeds, model.KindCategory)
	lists := feedsOfKind(feeds, model.KindListing)
	if len(cats) != 8 || len(lists) != 3 || feeds[model.AllPath] == nil {
		t.Fatalf("feeds = %v", keys(feeds))
	}
	wantCats := map[string]struct {
		name  string
		items int
	}{
		"category/news": {"News", 24},
		"category/spotlight-interviews-with-cooperators":            {"Spotlight Interviews with Cooperators", 3},
		"category/our-impact-their-voices":                          {"Our impact, Their voices", 2},
		"category/coop-champions":                                   {"COOP Champions", 2},
		"category/international-day-of-cooperatives":                {"International Day of Cooperatives", 1},
		"category/article":                                          {"Article", 1},
		"category/presentation":                                     {"Presentation", 1},
		"category/countries-in-focus-on-statistics-of-cooperatives": {"Countries in Focus on Statistics of Cooperatives", 1},
	}
	for _, c := range cats {
		w, ok := wantCats[c.Path]
		if !ok {
			t.Errorf("unexpected category %s (%q)", c.Path, c.Name())
			continue
		}
		if c.Name() != w.name || c.Items != w.items {
			t.Errorf("%s: name %q items %d, want %q %d", c.Path, c.Name(), c.Items, w.name, w.items)
		}
	}

	all := e.parse("all/rss.xml")
	if len(all.Items) != 45 {
		t.Errorf("combined feed has %d items, want 45", len(all.Items))
	}
	for _, title := range sharedSeedItems {
		if n := count(all.Items, title); n != 1 {
			t.Errorf("combined feed has %q %d times, want once", title, n)
		}
		it := findItem(t, e.items(), title)
		if len(it.Listings) != 2 {
			t.Errorf("%q belongs to listings %v, want two", title, it.Listings)
		}
		for _, l := range it.Listings {
			for _, file := range []string{render.RSSFile, render.AtomFile, render.JSONFile} {
				if n := count(e.parse(l+"/"+file).Items, title); n != 1 {
					t.Errorf("%s/%s has %q %d times, want once", l, file, title, n)
				}
			}
		}
	}
}

func findItem(t *testing.T, items []*model.Item, title string) *model.Item {
	t.Helper()
	for _, it := range items {
		if it.Title == title {
			return it
		}
	}
	t.Fatalf("no item %q", title)
	return nil
}

func TestEveryFeedParsesWithItsItemsAndIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	idsByFeed := map[string]map[string]bool{}
	for _, it := range e.items() {
		for _, p := range append([]string{model.AllPath}, append(it.Categories, it.Listings...)...) {
			if idsByFeed[p] == nil {
				idsByFeed[p] = map[string]bool{}
			}
			idsByFeed[p][it.ID] = true
		}
	}
	for path, f := range e.feeds() {
		for _, file := range []string{render.RSSFile, render.AtomFile, render.JSONFile} {
			parsed := e.parse(path + "/" + file)
			if len(parsed.Items) != f.Items {
				t.Errorf("%s/%s: %d items, want %d", path, file, len(parsed.Items), f.Items)
			}
			seen := map[string]bool{}
			for _, it := range parsed.Items {
				if !idsByFeed[path][it.GUID] {
					t.Errorf("%s/%s: id %q is not a stored member", path, file, it.GUID)
				}
				if seen[it.GUID] {
					t.Errorf("%s/%s: id %q twice", path, file, it.GUID)
				}
				seen[it.GUID] = true
				if it.PublishedParsed == nil || it.Title == "" {
					t.Errorf("%s/%s: item %q lacks a date or title", path, file, it.GUID)
				}
			}
			if parsed.Title == "" || !strings.HasPrefix(parsed.FeedLink, "https://feeds.example.org/") && file != render.RSSFile {
				t.Errorf("%s/%s: title %q feed link %q", path, file, parsed.Title, parsed.FeedLink)
			}
		}
	}
}

func TestSecondScanRewritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	before := e.outputs()
	time.Sleep(10 * time.Millisecond) // a rewrite would show in the mtimes
	sum := e.scan()
	if sum.FilesUnchanged != 5 || sum.FilesNew+sum.FilesChanged != 0 || sum.ItemsNew+sum.ItemsUpdated != 0 ||
		sum.FeedsRegenerated != 0 || sum.FilesWritten != 0 {
		t.Fatalf("second scan summary = %+v", sum)
	}
	after := e.outputs()
	if !slices.Equal(keys(before), keys(after)) {
		t.Fatalf("files changed: %v -> %v", keys(before), keys(after))
	}
	for k, b := range before {
		if a := after[k]; a != b {
			t.Errorf("%s was rewritten (mtime %v -> %v)", k, b.modTime, a.modTime)
		}
	}
}

func TestTouchedFileWithSameContentIsNotReparsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	p := filepath.Join(e.cfg.ListingsDir, "000_051fc3c8d4eab12e.txt")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	sum := e.scan()
	if sum.FilesUnchanged != 5 || sum.ItemsNew+sum.ItemsUpdated != 0 || sum.FilesWritten != 0 {
		t.Fatalf("summary = %+v", sum)
	}
	// The record now holds the new mtime: a third scan does not even hash it.
	db := e.open()
	defer db.Close()
	db.View(func(tx *store.Tx) error {
		r, _ := tx.File("000_051fc3c8d4eab12e.txt")
		if r == nil || !r.ModTime.Equal(later) {
			t.Errorf("record = %+v, want mtime %v", r, later)
		}
		return nil
	})
}

func TestCopyUnderAnotherNameAddsNoItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	data, err := os.ReadFile(filepath.Join(e.cfg.ListingsDir, "003_4f1afd2a8dafdbc9.txt"))
	if err != nil {
		t.Fatal(err)
	}
	e.write("copy-of-003.txt", string(data))
	sum := e.scan()
	if sum.FilesNew != 1 || sum.ItemsNew != 0 || sum.ItemsUpdated != 0 || sum.FilesWritten != 0 {
		t.Fatalf("summary = %+v", sum)
	}
	if n := len(e.items()); n != 45 {
		t.Errorf("items = %d, want 45", n)
	}
}

func TestDescriptionChangeUpdatesInsteadOfDuplicating(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	const title = "Rokin Labour Banks: Financial cooperatives for workers in Japan"
	before := findItem(t, e.items(), title)

	name := filepath.Join(e.cfg.ListingsDir, "000_051fc3c8d4eab12e.txt")
	data, _ := os.ReadFile(name)
	edited := strings.Replace(string(data), "Deputy General Manager", "General Manager", 1)
	if edited == string(data) {
		t.Fatal("fixture text not found")
	}
	e.now = e.now.Add(24 * time.Hour)
	e.write("000_051fc3c8d4eab12e.txt", edited)
	sum := e.scan()
	if sum.FilesChanged != 1 || sum.ItemsNew != 0 || sum.ItemsUpdated != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	after := findItem(t, e.items(), title)
	if after.ID != before.ID || !after.Published.Equal(before.Published) {
		t.Errorf("id or published moved: %s %v -> %s %v", before.ID, before.Published, after.ID, after.Published)
	}
	if !after.Updated.After(before.Updated) || after.Updated.After(e.now) {
		t.Errorf("updated %v -> %v, want later and not in the future", before.Updated, after.Updated)
	}
	atom := e.parse("all/atom.xml")
	if n := count(atom.Items, title); n != 1 {
		t.Fatalf("combined atom has the item %d times", n)
	}
	for _, it := range atom.Items {
		if it.Title == title && (it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(after.Updated)) {
			t.Errorf("atom updated = %v, want %v", it.UpdatedParsed, after.Updated)
		}
	}
	// Every entry of a feed keeps its own updated instant.
	seen := map[string]bool{}
	for _, it := range atom.Items {
		if seen[it.Updated] {
			t.Errorf("two entries updated at %s", it.Updated)
		}
		seen[it.Updated] = true
	}
}

func TestPublishedInstantsAreUniqueAndKeepListingOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	items := e.items()
	seen := map[int64]string{}
	for _, it := range items {
		if prev, ok := seen[it.Published.Unix()]; ok {
			t.Errorf("%q and %q share %v", prev, it.Title, it.Published)
		}
		seen[it.Published.Unix()] = it.Title
		if model.DateOf(it.Published) != it.Date {
			t.Errorf("%q published %v, not on %v", it.Title, it.Published, it.Date)
		}
	}
	// In 002, items 5 to 8 share 27 September 2017: newest first in the listing.
	order := []string{
		"Improving livelihoods through cooperatives - ILO LEED project in Northern Sri Lanka",
		"Emerging cooperative responses to gig economy in Asia",
		"ILO COOP presents on the role of cooperatives in overcoming refugee and migrant precarity in a side event at the 36th Session of the Human Rights Council",
		"A dialogue between Greek and international cooperative and SSE leaders",
	}
	for i := 1; i < len(order); i++ {
		a, b := findItem(t, items, order[i-1]), findItem(t, items, order[i])
		if !a.Published.After(b.Published) {
			t.Errorf("%q (%v) should be after %q (%v)", a.Title, a.Published, b.Title, b.Published)
		}
	}
}

func TestNewItemsOfAKnownDayFitAroundTheKnownOnes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.write("a.txt", "Day page\n\n  1. News\n\n    Second\n\n    5 May 2020\n\n  2. News\n\n    Third\n\n    5 May 2020\n")
	e.scan()
	e.write("b.txt", "Day page\n\n  1. News\n\n    First\n\n    5 May 2020\n\n  2. News\n\n    Second\n\n    5 May 2020\n\n"+
		"  3. News\n\n    Between\n\n    5 May 2020\n\n  4. News\n\n    Third\n\n    5 May 2020\n\n  5. News\n\n    Last\n\n    5 May 2020\n")
	e.scan()
	items := e.items()
	order := []string{"First", "Second", "Between", "Third", "Last"}
	for i := 1; i < len(order); i++ {
		a, b := findItem(t, items, order[i-1]), findItem(t, items, order[i])
		if !a.Published.After(b.Published) {
			t.Errorf("%s (%v) should be after %s (%v)", a.Title, a.Published, b.Title, b.Published)
		}
	}
}

func TestFutureAndTodayDatesAreNeverInTheFuture(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // before noon
	e.write("a.txt", "Page\n\n  1. News\n\n    Today\n\n    23 November 2026\n\n  2. News\n\n    Next year\n\n    2027-01-01\n")
	now := e.now
	e.scan()
	for _, it := range e.items() {
		if it.Published.After(now) || it.Updated.After(now) {
			t.Errorf("%q published %v updated %v, after now %v", it.Title, it.Published, it.Updated, now)
		}
	}
}

func TestBadInputIsReportedAndTheRestPublished(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.write("empty.txt", "")
	e.write("undated.txt", "Broken listing\n\n  1. News\n\n    Has a date\n\n    1 May 2020\n\n  2. News\n\n    Has no date\n\n  3. News\n\n    Also dated\n\n    2 May 2020\n")
	e.write("binary.txt", "\x00\x01\x02garbage")
	sum := e.scan()
	if !sum.Rejected() || sum.FilesFailed != 3 || sum.ItemsNew != 47 {
		t.Fatalf("summary = %+v", sum)
	}
	var msgs []string
	for _, p := range sum.Problems {
		msgs = append(msgs, p.Error())
	}
	for _, want := range []string{"empty.txt:1: file is empty", "undated.txt:9: item 2", "binary.txt:1: binary content"} {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, want) }) {
			t.Errorf("problems %q lack %q", msgs, want)
		}
	}
	if n := count(e.parse("all/atom.xml").Items, "Also dated"); n != 1 {
		t.Errorf("the good items of a partly bad file are not published")
	}
	// Rejected files are recorded, so the next scan does not report them again.
	sum = e.scan()
	if sum.Rejected() || sum.FilesUnchanged != 8 {
		t.Errorf("rescan summary = %+v", sum)
	}
}

func TestKilledBeforeWritingIsFinishedByTheNextScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	// The output path is a file: the items commit, then writing fails.
	if err := os.WriteFile(e.cfg.OutDir, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.scanErr(); err == nil {
		t.Fatal("scan with an unwritable output succeeded")
	}
	db := e.open()
	var dirty []string
	db.View(func(tx *store.Tx) error { dirty = tx.Dirty(); return nil })
	db.Close()
	if len(dirty) != 12 {
		t.Fatalf("dirty after failed publish = %v, want all 12 feeds", dirty)
	}
	os.Remove(e.cfg.OutDir)
	sum := e.scan()
	if sum.ItemsNew != 0 || sum.FeedsRegenerated != 12 {
		t.Fatalf("summary = %+v", sum)
	}
	if n := len(e.parse("all/rss.xml").Items); n != 45 {
		t.Errorf("combined feed has %d items", n)
	}
}

func TestMissingOutputIsRestoredAndRebuildWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	os.Remove(filepath.Join(e.cfg.OutDir, "all", "rss.xml"))
	sum := e.scan()
	if sum.FeedsRegenerated != 1 || sum.FilesWritten != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	sum = e.scan(func(o *scan.Options) { o.Rebuild = true })
	if sum.FeedsRegenerated != 12 || sum.FilesWritten != 0 {
		t.Fatalf("rebuild summary = %+v", sum)
	}
}

func TestBaseURLChangeRegeneratesButKeepsIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	ids := map[string]string{}
	for _, it := range e.items() {
		ids[it.Title] = it.ID
	}
	e.cfg.BaseURL = "https://news.example.net/feeds/"
	e.cfg.TagAuthority, e.cfg.TagDate = "", ""
	sum := e.scan()
	if sum.FeedsRegenerated != 12 {
		t.Fatalf("summary = %+v", sum)
	}
	feed := e.parse("all/atom.xml")
	if !strings.HasPrefix(feed.FeedLink, "https://news.example.net/feeds/") {
		t.Errorf("feed link = %q", feed.FeedLink)
	}
	for _, it := range feed.Items {
		if ids[it.Title] != it.GUID {
			t.Errorf("%q: id %q became %q", it.Title, ids[it.Title], it.GUID)
		}
	}
}

func TestLimitKeepsTheMostRecentlyAddedItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Limit = 5
	e.scan()
	rss := e.parse("all/rss.xml")
	if len(rss.Items) != 5 {
		t.Fatalf("combined feed has %d items, want 5", len(rss.Items))
	}
	// The last file scanned (004) was added last: its five newest-in-log items.
	for _, it := range rss.Items {
		if !slices.Contains(it.Categories, "Resources on cooperatives") {
			t.Errorf("%q is not from the last listing added", it.Title)
		}
	}
	for i := 1; i < len(rss.Items); i++ {
		if rss.Items[i].PublishedParsed.After(*rss.Items[i-1].PublishedParsed) {
			t.Errorf("items not newest first at %d", i)
		}
	}
}

func TestGoldenCombinedFeeds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	rokin := findItem(t, e.items(), "Rokin Labour Banks: Financial cooperatives for workers in Japan")
	for _, rel := range []string{"all/rss.xml", "all/atom.xml", "all/feed.json", "category/spotlight-interviews-with-cooperators/atom.xml",
		"category/spotlight-interviews-with-cooperators/index.html", rokin.Page, "index.html", "feeds.opml"} {
		got, err := os.ReadFile(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", strings.ReplaceAll(strings.TrimPrefix(rel, "item/2017/10/31/"), "/", "_"))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s (run go test ./internal/scan -update and review the diff)", rel, golden)
		}
	}
}

func TestTargetedScanReadsOnlyTheNamedPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	e.write("new.txt", "Late news\n\n  1. News\n\n    Named in the scan\n\n    1 May 2021\n")
	// A change the targeted scan is not told about: it must not see it.
	e.write("unnamed.txt", "Other news\n\n  1. News\n\n    Not named\n\n    2 May 2021\n")
	if err := os.MkdirAll(filepath.Join(e.cfg.ListingsDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.write("sub/in-dir.txt", "Sub news\n\n  1. News\n\n    In a named directory\n\n    3 May 2021\n")
	sum := e.scan(func(o *scan.Options) {
		o.Paths = []string{"new.txt", "new.txt", "sub", "gone.txt", "../escape.txt", ".hidden/x.txt"}
	})
	if sum.FilesNew != 2 || sum.ItemsNew != 2 || sum.FilesUnchanged != 0 || len(sum.Problems) != 0 {
		t.Fatalf("targeted summary = %+v", sum)
	}
	all := e.parse("all/rss.xml")
	if count(all.Items, "Named in the scan") != 1 || count(all.Items, "In a named directory") != 1 || count(all.Items, "Not named") != 0 {
		t.Errorf("targeted scan published the wrong items")
	}
	// A full scan catches what no one named.
	sum = e.scan()
	if sum.FilesNew != 1 || sum.ItemsNew != 1 || sum.FilesUnchanged != 7 {
		t.Fatalf("full summary = %+v", sum)
	}
}
