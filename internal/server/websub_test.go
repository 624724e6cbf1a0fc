package server_test

import (
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/feedpub/feedpub/internal/server"
)

func TestTopicsCarryHubAndSelfLinks(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://example.org/feeds/")
	hubs := []string{"https://hub.example.net/", "https://websub.example.com/hub"}
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{Hubs: hubs, BaseURL: base})
		write(t, filepath.Join(s.dir, "all", "archive", "1", "rss.xml"), rssBody)
		for _, p := range []string{"/all/rss.xml", "/all/atom.xml", "/all/feed.json", "/category/news/atom.xml"} {
			want := []string{`<https://hub.example.net/>; rel="hub"`, `<https://websub.example.com/hub>; rel="hub"`, "<https://example.org/feeds" + p + `>; rel="self"`}
			for _, r := range []response{s.get(p), s.get(p, "Accept-Encoding: gzip"), s.do("HEAD", p)} {
				if got := r.header.Values("Link"); r.code != 200 || !slices.Equal(got, want) {
					t.Errorf("%s: %d Link %q, want %q", p, r.code, got, want)
				}
			}
			// A 304 carries the validators and caching fields only.
			r := s.get(p)
			if nm := s.get(p, "If-None-Match: "+r.get("ETag")); nm.code != 304 || nm.header.Values("Link") != nil {
				t.Errorf("%s 304: %d %q", p, nm.code, nm.header.Values("Link"))
			}
		}
		// Archive pages, pages and lists are no topics.
		for _, p := range []string{"/all/archive/1/rss.xml", "/all/index.html", "/feeds.opml", "/"} {
			if r := s.get(p); r.code != 200 || r.header.Values("Link") != nil {
				t.Errorf("%s: %d Link %q, want none", p, r.code, r.header.Values("Link"))
			}
		}
		// No hubs, no links.
		plain := newSiteOn(t, e, server.Options{BaseURL: base})
		if r := plain.get("/all/rss.xml"); r.header.Values("Link") != nil {
			t.Errorf("without hubs: Link %q", r.header.Values("Link"))
		}
	})
}
