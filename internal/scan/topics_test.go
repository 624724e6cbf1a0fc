package scan_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

// exampleTopics are topics over the shipped listings.
func exampleTopics() []config.Topic {
	return []config.Topic{
		{Name: "Cooperatives in Japan", Match: []string{"Japan", "Japanese"}, Exclude: []string{"Japan Times"}, Slug: "japan",
			Description: "News about cooperatives in Japan."},
		{Name: "Child labour", Match: []string{"child labour", "child labor"}},
		{Name: "Social and solidarity economy", Match: []string{"social and solidarity economy", "SSE"},
			Fields: []string{"title"}, Categories: []string{"news"}},
	}
}

// oracle decides membership the slow, obvious way, with regular
// expressions over the item's text: what the topics must agree with.
var oracle = map[string]func(*model.Item) bool{
	"topic/japan": func(it *model.Item) bool {
		text := it.Title + "\n" + it.Description
		return regexp.MustCompile(`(?i)\bjapan(ese)?\b`).MatchString(text) && !regexp.MustCompile(`(?i)\bjapan\s+times\b`).MatchString(text)
	},
	"topic/child-labour": func(it *model.Item) bool {
		return regexp.MustCompile(`(?i)\bchild[\s-]+labou?r\b`).MatchString(it.Title + "\n" + it.Description)
	},
	"topic/social-and-solidarity-economy": func(it *model.Item) bool {
		return slices.Contains(it.Categories, "category/news") &&
			regexp.MustCompile(`(?i)\b(social\s+and\s+solidarity\s+economy|sse)\b`).MatchString(it.Title)
	},
}

// wantMembers lists the ids of the stored items the oracle puts in the
// topic at path.
func (e *env) wantMembers(t *testing.T, path string) []string {
	t.Helper()
	var ids []string
	for _, it := range e.items() {
		if oracle[path](it) {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("%s: the oracle matches no item: the test proves nothing", path)
	}
	return ids
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func TestTopicFeedsHoldEveryMatchingItemInEveryFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Topics = exampleTopics()
	e.scan()
	feeds := e.feeds()
	for path := range oracle {
		want := sorted(e.wantMembers(t, path))
		if f := feeds[path]; f == nil || f.Kind != model.KindTopic || f.Items != len(want) {
			t.Errorf("%s: feed %+v, want %d items", path, f, len(want))
			continue
		}
		if got := sorted(e.members(t, path)); !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", path, got, want)
		}
		for _, format := range []string{"rss.xml", "atom.xml", "feed.json"} {
			var ids []string
			for _, d := range e.walk(t, path, format) {
				ids = append(ids, d.ids...)
			}
			if got := sorted(ids); !slices.Equal(got, want) {
				t.Errorf("%s/%s shows %v, want %v", path, format, got, want)
			}
		}
		if !e.exists(path + "/index.html") {
			t.Errorf("%s has no HTML page", path)
		}
	}
	if got := e.parse("topic/japan/atom.xml"); got.Title != "Cooperatives in Japan — Cooperative news" || got.Description != "News about cooperatives in Japan." {
		t.Errorf("topic/japan/atom.xml: title %q, subtitle %q", got.Title, got.Description)
	}
	if got := e.parse("topic/child-labour/rss.xml").Description; got != "Items about “Child labour” from Cooperative news." {
		t.Errorf("topic/child-labour/rss.xml description %q", got)
	}
	index, opml := e.read("index.html"), e.read("feeds.opml")
	if !strings.Contains(index, "<h2>Topics</h2>") || !strings.Contains(index, `href="https://feeds.example.org/topic/japan/index.html"`) {
		t.Errorf("index.html lists no topics")
	}
	if i, j := strings.Index(index, "<h2>Topics</h2>"), strings.Index(index, "<h2>Categories</h2>"); i > j {
		t.Errorf("index.html lists topics after categories")
	}
	if !strings.Contains(opml, `<outline text="Topics">`) || !strings.Contains(opml, `xmlUrl="https://feeds.example.org/topic/child-labour/rss.xml"`) {
		t.Errorf("feeds.opml lists no topics")
	}
	if !strings.Contains(e.read("sitemap/feeds-1.xml"), "https://feeds.example.org/topic/japan/index.html") {
		t.Errorf("the sitemap lacks the topic pages")
	}
	// The first scan matched every item as it ingested them: the topics
	// are settled, and the next scan has nothing to backfill.
	var phases []scan.Phase
	e.scan(func(o *scan.Options) {
		o.Progress = func(p scan.ProgressEvent) { phases = append(phases, p.Phase) }
	})
	if slices.Contains(phases, scan.PhaseTopics) {
		t.Errorf("the second scan backfilled topics again: phases %v", phases)
	}
}

func TestTopicAddedLaterIsBackfilledOnceResumingWhenKilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	stored := len(e.items())
	e.cfg.Topics = exampleTopics()[:2]
	const chunk = 7

	// Killed after the first chunk of the backfill.
	db := e.open()
	ctx, cancel := context.WithCancel(context.Background())
	var visited []int
	_, err := scan.Run(ctx, db, scan.Options{Config: e.cfg, Now: func() time.Time { return e.now }, BackfillChunk: chunk,
		Progress: func(p scan.ProgressEvent) {
			if p.Phase == scan.PhaseTopics {
				visited = append(visited, p.Total)
				if p.Done > 0 {
					cancel()
				}
			}
		}})
	cancel()
	db.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("scan killed during the backfill: %v", err)
	}
	if len(visited) == 0 || visited[0] != stored {
		t.Fatalf("the backfill was to visit %v items, want %d", visited, stored)
	}
	partial := len(e.members(t, "topic/japan")) + len(e.members(t, "topic/child-labour"))

	// The next scan visits the rest only, and the topics end up whole,
	// their members in the order the items were first seen.
	var totals []int
	e.scan(func(o *scan.Options) {
		o.BackfillChunk = chunk
		o.Progress = func(p scan.ProgressEvent) {
			if p.Phase == scan.PhaseTopics && p.Done == 0 {
				totals = append(totals, p.Total)
			}
		}
	})
	if len(totals) != 1 || totals[0] != stored-chunk {
		t.Errorf("the resumed backfill visited %v items, want %d", totals, stored-chunk)
	}
	items := e.items()
	for _, path := range []string{"topic/japan", "topic/child-labour"} {
		want := e.wantMembers(t, path)
		if got := e.members(t, path); !slices.Equal(got, want) {
			t.Errorf("%s members %v, want %v (in seq order)", path, got, want)
		}
		for _, it := range items {
			if slices.Contains(it.Topics, path) != oracle[path](it) {
				t.Errorf("item %q: topics %v", it.Title, it.Topics)
			}
		}
	}
	if partial >= len(e.members(t, "topic/japan"))+len(e.members(t, "topic/child-labour")) {
		t.Errorf("the killed scan had already done the whole backfill: the test proves nothing")
	}

	// Done once: a third scan visits nothing.
	totals = nil
	e.scan(func(o *scan.Options) {
		o.Progress = func(p scan.ProgressEvent) {
			if p.Phase == scan.PhaseTopics {
				totals = append(totals, p.Total)
			}
		}
	})
	if len(totals) != 0 {
		t.Errorf("a scan with settled topics backfilled %v items again", totals)
	}
}

func TestTopicMembersJoinWhenSeenOrChangedAndNeverLeave(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.cfg.Topics = exampleTopics()[:1]
	e.write("a.txt", "Coops\n\n  1. News\n\n    Cooperatives in Japan meet\n\n    1 May 2021\n\n  2. News\n\n    Cooperatives in Kenya meet\n\n    2 May 2021\n\n  3. News\n\n    The Japan Times on cooperatives\n\n    3 May 2021\n")
	e.scan()
	titles := func() []string {
		var out []string
		for _, it := range e.parse("topic/japan/atom.xml").Items {
			out = append(out, it.Title)
		}
		sort.Strings(out)
		return out
	}
	if got := titles(); !slices.Equal(got, []string{"Cooperatives in Japan meet"}) {
		t.Fatalf("topic/japan: %q", got)
	}
	// A description that now names Japan makes the Kenyan item join; the
	// Japanese item's new text no longer matches, and it stays.
	e.write("a.txt", "Coops\n\n  1. News\n\n    Cooperatives in Japan meet\n\n    1 May 2021\n\n    They met in Kyoto.\n\n  2. News\n\n    Cooperatives in Kenya meet\n\n    2 May 2021\n\n    With guests from Japanese coops.\n\n  3. News\n\n    The Japan Times on cooperatives\n\n    3 May 2021\n")
	e.scan()
	if got := titles(); !slices.Equal(got, []string{"Cooperatives in Japan meet", "Cooperatives in Kenya meet"}) {
		t.Fatalf("topic/japan after the change: %q", got)
	}
	// A narrowed rule takes nothing out; a topic removed from the config
	// keeps its files, leaves the index and takes no new items.
	e.cfg.Topics[0].Match = []string{"Kyoto"}
	e.scan()
	if got := titles(); len(got) != 2 {
		t.Errorf("a narrowed rule took items out: %q", got)
	}
	e.cfg.Topics = nil
	e.write("b.txt", "More\n\n  1. News\n\n    Japan again\n\n    4 May 2021\n")
	e.scan()
	if got := titles(); len(got) != 2 || !e.exists("topic/japan/rss.xml") {
		t.Errorf("removed topic: %q", got)
	}
	for _, f := range []string{"index.html", "feeds.opml"} {
		if strings.Contains(e.read(f), "topic/japan/") {
			t.Errorf("%s still lists the removed topic", f)
		}
	}
}

func TestBadTopicRulesStopTheScanBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.scan()
	before := e.items()
	e.cfg.Topics = []config.Topic{{Name: "Japan", Match: []string{"Japan"}, Categories: []string{"Nwes"}}}
	e.write("new.txt", "New\n\n  1. News\n\n    Japan news\n\n    4 May 2021\n")
	_, err := e.scanErr()
	if err == nil || !strings.Contains(err.Error(), `topics.Japan.categories: no category "Nwes"`) {
		t.Fatalf("scan: %v", err)
	}
	if after := e.items(); len(after) != len(before) {
		t.Errorf("the refused scan stored %d items", len(after)-len(before))
	}
	e.cfg.Topics = []config.Topic{{Name: "Japan", Match: []string{"Japan"}, Listings: []string{"No such listing"}}}
	if _, err := e.scanErr(); err == nil || !strings.Contains(err.Error(), `topics.Japan.listings: no listing "No such listing"`) {
		t.Fatalf("scan: %v", err)
	}
	// A slug another feed holds.
	e.cfg.Topics = []config.Topic{{Name: "Japan", Match: []string{"Japan"}, Slug: "japan"}}
	e.scan()
	e.cfg.Topics = append(e.cfg.Topics, config.Topic{Name: "Nippon", Match: []string{"Nippon"}, Slug: "nippon"})
	e.cfg.Topics[0].Slug = "nihon"
	if _, err := e.scanErr(); err == nil || !strings.Contains(err.Error(), `topics.Japan.slug = "nihon": "Japan" is already published at topic/japan/`) {
		t.Fatalf("scan: %v", err)
	}
	// On a first scan, the categories named are checked once the scan's
	// items are in: a label seen in this very scan is known.
	f := newEnv(t, true)
	f.cfg.Topics = []config.Topic{{Name: "Japan", Match: []string{"Japan"}, Categories: []string{"News"}}}
	f.scan()
	f.cfg.Topics[0].Categories = []string{"Newz"}
	g := newEnv(t, true)
	g.cfg.Topics = f.cfg.Topics
	if _, err := g.scanErr(); err == nil || !strings.Contains(err.Error(), `no category "Newz"`) {
		t.Fatalf("first scan: %v", err)
	}
	db := g.open()
	defer db.Close()
	db.View(func(tx *store.Tx) error {
		if _, ok := tx.FeedPath(model.KindTopic, "japan"); ok {
			t.Errorf("the refused topic was stored")
		}
		return nil
	})
}
