package filetype_test

import (
	"testing"

	"github.com/feedpub/feedpub/internal/filetype"
)

func TestOf(t *testing.T) {
	for rel, want := range map[string]string{
		"all/rss.xml":                   "application/rss+xml; charset=utf-8",
		"all/archive/2/atom.xml":        "application/atom+xml; charset=utf-8",
		"category/news/feed.json":       "application/feed+json; charset=utf-8",
		"index.html":                    "text/html; charset=utf-8",
		"feeds.opml":                    "text/x-opml; charset=utf-8",
		"item/2017/10/31/x-abc123.html": "text/html; charset=utf-8",
		"unknown":                       "application/octet-stream",
	} {
		if got, _ := filetype.Of(rel); got != want {
			t.Errorf("Of(%q) = %q, want %q", rel, got, want)
		}
	}
}

func TestImmutable(t *testing.T) {
	for rel, want := range map[string]bool{
		"all/archive/1/rss.xml":              true,
		"category/news/archive/12/feed.json": true,
		"all/rss.xml":                        false,
		"all/archive/0/rss.xml":              false,
		"index.html":                         false,
		"item/2017/10/31/archive-x.html":     false,
	} {
		if got := filetype.Immutable(rel); got != want {
			t.Errorf("Immutable(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestSplitVariant(t *testing.T) {
	for rel, want := range map[string]string{
		"all/rss.xml.gz": "all/rss.xml gzip",
		"index.html.br":  "index.html br",
		"all/rss.xml":    "",
		"all/.gz":        "",
		"category/gz":    "",
	} {
		main, c, ok := filetype.SplitVariant(rel)
		got := ""
		if ok {
			got = main + " " + c.Name
		}
		if got != want {
			t.Errorf("SplitVariant(%q) = %q, want %q", rel, got, want)
		}
	}
}

func TestPolled(t *testing.T) {
	t.Parallel()
	for rel, want := range map[string]bool{
		"index.html": true, "feeds.opml": true, "all/rss.xml": true, "category/news/atom.xml": true,
		"listing/x/feed.json": true, "category/news/index.html": true,
		"all/archive/3/rss.xml": false, "all/archive/3/index.html": false, "item/2020/01/02/x-abcdef.html": false,
		"sitemap.xml": false, "sitemap/items-1.xml": false, "favicon.ico": false, "category/feeds.opml": false,
	} {
		if got := filetype.Polled(rel); got != want {
			t.Errorf("Polled(%q) = %v, want %v", rel, got, want)
		}
	}
}
