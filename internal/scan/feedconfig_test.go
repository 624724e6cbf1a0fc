package scan_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/config"
)

// ageOutputs sets every output file's mtime far in the past, so that a
// file rewritten by the next scan shows, without waiting for the clock.
func (e *env) ageOutputs() {
	e.t.Helper()
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := filepath.WalkDir(e.cfg.OutDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// ids maps each item's key to its public id.
func (e *env) ids() map[string]string {
	out := map[string]string{}
	for _, it := range e.items() {
		out[string(it.Key)] = it.ID
	}
	return out
}

func (e *env) read(rel string) string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

func (e *env) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
	return err == nil
}

func sameIDs(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, id := range before {
		if after[k] != id {
			t.Errorf("item %x: id %q became %q", k, id, after[k])
		}
	}
}

func TestRenameRegeneratesWhatShowsTheNameAndKeepsIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	ids := e.ids()
	before := e.outputs()
	e.ageOutputs()
	aged := e.outputs()

	e.cfg.Categories = []config.Category{{Label: "news", Name: "Latest news", Description: "What happened lately."}}
	sum := e.scan()
	if sum.ItemsNew+sum.ItemsUpdated != 0 || sum.FilesWritten == 0 {
		t.Fatalf("summary = %+v", sum)
	}
	sameIDs(t, ids, e.ids())
	if e.feeds()["category/news"] == nil {
		t.Fatalf("the renamed category moved: %v", keys(e.feeds()))
	}
	rss := e.parse("category/news/rss.xml")
	if rss.Title != "Latest news — Cooperative news" || rss.Description != "What happened lately." {
		t.Errorf("title %q description %q", rss.Title, rss.Description)
	}
	if !strings.Contains(e.read("index.html"), "Latest news") || strings.Contains(e.read("index.html"), ">News<") {
		t.Errorf("index.html does not show the new name")
	}
	// Write-if-changed: a file whose bytes did not change keeps its mtime;
	// every file that changed shows the new name or description.
	after := e.outputs()
	changed, kept := 0, 0
	for k, b := range before {
		a := after[k]
		switch {
		case a.data == b.data && a.modTime.Equal(aged[k].modTime):
			kept++
		case a.data != b.data && (strings.Contains(a.data, "Latest news") || strings.Contains(a.data, "What happened lately")):
			changed++
		default:
			t.Errorf("%s: rewritten with the same bytes, or changed without the new name", k)
		}
	}
	if changed == 0 || kept == 0 {
		t.Errorf("changed %d files, kept %d", changed, kept)
	}
	if sum := e.scan(); sum.FilesWritten != 0 {
		t.Errorf("a scan after the rename wrote %d files", sum.FilesWritten)
	}
}

func TestMergeJoinsStoredItemsAndKeepsTheOldURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	ids := e.ids()
	want := 0
	var articleKey string
	for _, it := range e.items() {
		if slices.ContainsFunc(it.Categories, func(c string) bool {
			return c == "category/news" || c == "category/article" || c == "category/presentation"
		}) {
			want++
		}
		if slices.Contains(it.Categories, "category/article") {
			articleKey = string(it.Key)
		}
	}
	articleRSS := e.read("category/article/rss.xml")

	e.cfg.Categories = []config.Category{{Label: "News", Merge: []string{"Article", "presentation"}}}
	e.scan()
	sameIDs(t, ids, e.ids())
	feeds := e.feeds()
	if n := feeds["category/news"].Items; n != want || want <= 24 {
		t.Errorf("category/news holds %d items, want %d", n, want)
	}
	if n := len(e.parse("category/news/atom.xml").Items); n != want {
		t.Errorf("category/news/atom.xml has %d entries, want %d", n, want)
	}
	// The merged-away feed keeps its URL and its item, unlisted.
	if feeds["category/article"] == nil || len(e.parse("category/article/rss.xml").Items) != 1 {
		t.Fatalf("category/article is gone")
	}
	if got := e.read("category/article/rss.xml"); got == articleRSS {
		t.Errorf("category/article/rss.xml not regenerated: its item now shows the category News")
	}
	for _, f := range []string{"index.html", "feeds.opml"} {
		if strings.Contains(e.read(f), "category/article/") || !strings.Contains(e.read(f), "category/news/") {
			t.Errorf("%s still lists the merged-away category, or lost the target", f)
		}
	}
	for _, it := range e.items() {
		if string(it.Key) == articleKey && !slices.Contains(it.Categories, "category/news") {
			t.Errorf("the Article item did not join News: %v", it.Categories)
		}
	}
	for _, it := range e.parse("category/news/rss.xml").Items {
		if slices.Contains(it.Categories, "Article") {
			t.Errorf("%q shows the merged-away category", it.Title)
		}
	}

	// A later item with a merged label joins the category and, since it
	// was published, the old feed; no feed appears for a new merged label.
	e.cfg.Categories[0].Merge = append(e.cfg.Categories[0].Merge, "Bulletin")
	e.write("later.txt", "Later\n\n  1. Article\n\n    A later article\n\n    1 May 2021\n\n  2. Bulletin\n\n    A bulletin\n\n    2 May 2021\n")
	e.scan()
	feeds = e.feeds()
	if feeds["category/news"].Items != want+2 || feeds["category/article"].Items != 2 || feeds["category/bulletin"] != nil {
		t.Errorf("news %d (want %d), article %d (want 2), bulletin %v", feeds["category/news"].Items, want+2, feeds["category/article"].Items, feeds["category/bulletin"])
	}
}

func TestMergeConfiguredFromTheStartMakesNoFeedForMergedLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Categories = []config.Category{{Label: "Spotlight interviews", Name: "Interviews", Slug: "interviews", Merge: []string{"COOP Champions"}}}
	e.scan()
	feeds := e.feeds()
	if feeds["category/coop-champions"] != nil {
		t.Errorf("a merged label got its own feed")
	}
	// "Spotlight interviews" is not a label of the seeds: the category is
	// made by the merge, at its configured slug, with its configured name.
	f := feeds["category/interviews"]
	if f == nil || f.Items != 2 {
		t.Fatalf("category/interviews = %+v", f)
	}
	if got := e.parse("category/interviews/rss.xml").Title; got != "Interviews — Cooperative news" {
		t.Errorf("title %q", got)
	}
}

func TestDefaultCategoryForAListingWithoutLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	ids := e.ids()
	e.cfg.Listings = []config.Listing{{Title: "Resources on cooperatives", DefaultCategory: "Resources", Name: "Resources", Description: "Documents worth reading."}}
	e.scan()
	sameIDs(t, ids, e.ids())
	f := e.feeds()["category/resources"]
	if f == nil || f.Items != 10 {
		t.Fatalf("category/resources = %+v", f)
	}
	if got := e.parse("listing/resources-on-cooperatives/atom.xml").Description; got != "Documents worth reading." {
		t.Errorf("listing description %q", got)
	}
	// A new unlabelled item of that listing joins it too.
	src, _ := os.ReadFile(filepath.Join(e.cfg.ListingsDir, "004_88751cd022933480.txt"))
	e.write("004_88751cd022933480.txt", string(src)+"\n  11. A new resource\n\n    3 March 2021\n")
	e.scan()
	if n := e.feeds()["category/resources"].Items; n != 11 {
		t.Errorf("category/resources has %d items after a new one, want 11", n)
	}
}

func TestConfiguredSlugsNeverMoveAPublishedFeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Categories = []config.Category{{Label: "News", Slug: "latest"}}
	e.cfg.Listings = []config.Listing{{Title: "Resources on cooperatives", Slug: "resources"}}
	e.scan()
	feeds := e.feeds()
	if feeds["category/latest"] == nil || feeds["category/news"] != nil || feeds["listing/resources"] == nil {
		t.Fatalf("feeds = %v", keys(feeds))
	}
	ids := e.ids()

	// Another slug for a published category is refused before anything
	// is stored; so is a slug that is another feed's URL.
	e.write("new.txt", "New\n\n  1. News\n\n    Fresh\n\n    1 May 2021\n")
	for _, c := range []config.Category{{Label: "News", Slug: "newer"}, {Label: "Article", Slug: "latest"}} {
		e.cfg.Categories = []config.Category{c}
		_, err := e.scanErr()
		if err == nil || !strings.Contains(err.Error(), `categories.`) {
			t.Fatalf("slug %+v: err = %v", c, err)
		}
		if c.Label == "News" && !strings.Contains(err.Error(), "already published at category/latest/ and published URLs never move") {
			t.Errorf("err = %v", err)
		}
		if len(e.items()) != len(ids) {
			t.Errorf("a refused scan stored items")
		}
	}
	// The published slug itself, or none, is fine: the URL stays.
	e.cfg.Categories = []config.Category{{Label: "News", Slug: "latest"}}
	e.scan()
	e.cfg.Categories = nil
	e.scan()
	if feeds := e.feeds(); feeds["category/latest"].Items != 25 || feeds["category/news"] != nil {
		t.Errorf("feeds = %v", keys(feeds))
	}
	// A new category whose own slug is reserved by the config goes aside.
	e.cfg.Categories = []config.Category{{Label: "Bulletin", Slug: "reports"}}
	e.write("reports.txt", "R\n\n  1. Reports\n\n    A report\n\n    2 May 2021\n")
	e.scan()
	if feeds := e.feeds(); feeds["category/reports-2"] == nil || feeds["category/reports"] != nil {
		t.Errorf("feeds = %v", keys(feeds))
	}
}

func TestFormatTurnedOffStaysUpdatedWherePublishedButIsNoLongerLinked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	e.cfg.Formats = config.Formats{RSS: true, Atom: true}
	e.write("new.txt", "New\n\n  1. Brand new\n\n    Fresh item\n\n    1 May 2021\n")
	e.scan()
	// Readers subscribed to all/feed.json keep getting items.
	if got := e.parse("all/feed.json"); len(got.Items) != 46 {
		t.Errorf("all/feed.json has %d items, want 46", len(got.Items))
	}
	// A feed first published now has no JSON Feed, and no page links one.
	if !e.exists("category/brand-new/rss.xml") || e.exists("category/brand-new/feed.json") {
		t.Errorf("new category: rss %v json %v", e.exists("category/brand-new/rss.xml"), e.exists("category/brand-new/feed.json"))
	}
	for _, f := range []string{"index.html", "all/index.html", "category/news/index.html", e.items()[0].Page} {
		if strings.Contains(e.read(f), "feed.json") || !strings.Contains(e.read(f), "atom.xml") {
			t.Errorf("%s links the JSON Feed, or not Atom", f)
		}
	}
	if sum := e.scan(); sum.FilesWritten != 0 || sum.FeedsRegenerated != 0 {
		t.Errorf("a scan with a format off keeps regenerating: %+v", sum)
	}

	// Turned off from the start: never written. OPML points at Atom
	// when RSS is off.
	e2 := newEnv(t, true)
	e2.cfg.Formats = config.Formats{Atom: true}
	e2.scan()
	for path := range e2.feeds() {
		if e2.exists(path+"/rss.xml") || e2.exists(path+"/feed.json") || !e2.exists(path+"/atom.xml") {
			t.Errorf("%s: wrong formats written", path)
		}
	}
	if opml := e2.read("feeds.opml"); strings.Contains(opml, "rss.xml") || !strings.Contains(opml, `xmlUrl="https://feeds.example.org/all/atom.xml"`) {
		t.Errorf("OPML:\n%s", opml)
	}
}

// A label's shown name is its most common spelling. When a later file
// makes another spelling the most common, the subscription documents and
// item pages show it; full archive pages keep the bytes they were
// published with.
func TestSpellingFlipRenamesDocumentsAndPagesNotArchives(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.cfg.Limit = 5
	day := time.Date(2020, 6, 30, 0, 0, 0, 0, time.UTC)
	e.write("a.txt", listingText("Listing A", "Alpha", 12, day)) // 6 items labelled "Article"
	e.scan()
	if got := e.parse("category/article/rss.xml").Title; !strings.HasPrefix(got, "Article — ") {
		t.Fatalf("title %q before the flip", got)
	}
	frozen := map[string]string{}
	for rel, st := range e.outputs() {
		if strings.HasPrefix(rel, "category/article/archive/1/") {
			frozen[rel] = st.data
		}
	}
	if len(frozen) == 0 {
		t.Fatal("no full archive page of category/article")
	}

	// 7 items spelled "ARTICLE" outnumber the 6 spelled "Article".
	e.write("b.txt", strings.ReplaceAll(listingText("Listing B", "Bravo", 14, day.AddDate(-1, 0, 0)), ". Article\n", ". ARTICLE\n"))
	e.scan()
	if got := e.parse("category/article/rss.xml").Title; !strings.HasPrefix(got, "ARTICLE — ") {
		t.Errorf("category title %q after the flip", got)
	}
	after := e.outputs()
	pages := 0
	for rel, st := range after {
		if !strings.HasPrefix(rel, "item/") || !strings.Contains(st.data, "Alpha 02") {
			continue
		}
		pages++
		if !strings.Contains(st.data, "ARTICLE") || strings.Contains(st.data, ">Article<") {
			t.Errorf("%s, published before the flip, does not show the new name", rel)
		}
	}
	if pages == 0 {
		t.Error("no item page of Alpha 02")
	}
	for rel, data := range frozen {
		if after[rel].data != data {
			t.Errorf("%s: a full archive page changed with the name", rel)
		}
	}
	if sum := e.scan(); sum.FilesWritten != 0 {
		t.Errorf("a scan after the flip wrote %d files", sum.FilesWritten)
	}
}
