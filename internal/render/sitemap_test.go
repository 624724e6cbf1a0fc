package render_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/render"
)

func TestSitemapGolden(t *testing.T) {
	t.Parallel()
	s := site(t)
	mod := time.Date(2021, 3, 3, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	pages, err := render.Sitemap([]render.SitemapURL{
		{Loc: s.HomeURL(), Modified: mod},
		{Loc: s.PageURL("category/news & <views>"), Modified: mod.Add(-time.Hour)},
		{Loc: s.PageURL("category/news/archive/1")}, // no lastmod
	})
	if err != nil {
		t.Fatal(err)
	}
	index, err := render.SitemapIndex([]render.SitemapURL{{Loc: s.URL("sitemap/feeds-1.xml")}, {Loc: s.URL("sitemap/items-1.xml")}})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"sitemap-pages.xml": pages, "sitemap-index.xml": index} {
		if err := feedcheck.Check(feedcheck.Sitemap, got); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		golden(t, filepath.Join("testdata", "golden", name), got)
	}
}

func TestSitemapRefusesMoreThanTheProtocolAllows(t *testing.T) {
	t.Parallel()
	urls := make([]render.SitemapURL, render.SitemapMaxURLs+1)
	for i := range urls {
		urls[i].Loc = "https://example.org/p.html"
	}
	if _, err := render.Sitemap(urls); err == nil || !strings.Contains(err.Error(), "50000") {
		t.Errorf("%d URLs: err = %v, want the protocol's limit", len(urls), err)
	}
	if _, err := render.Sitemap(urls[:render.SitemapMaxURLs]); err != nil {
		t.Errorf("%d URLs: %v", render.SitemapMaxURLs, err)
	}
}
