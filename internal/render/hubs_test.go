package render_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/feedpub/feedpub/internal/render"
)

// Readers find hubs with real parsers: gofeed's RSS (atom:link in its
// extensions) and Atom parsers, and JSON Feed's hubs array.
func TestSubscriptionDocumentsAdvertiseHubsArchivePagesDoNot(t *testing.T) {
	t.Parallel()
	hubs := []string{"https://hub.example.net/", "https://websub.example.com/hub?x=1&y=2"}
	self := "https://example.org/feeds/category/news/"
	for _, page := range []uint64{0, 2} {
		s, d := site(t), doc()
		s.Hubs = hubs
		d.Page, d.Archived = page, 3
		var want []string
		if page == 0 {
			want = hubs
		}

		data, err := render.RSS(s, d)
		if err != nil {
			t.Fatal(err)
		}
		rf, err := (&rss.Parser{}).Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		selfOK := false
		for _, l := range rf.Extensions["atom"]["link"] {
			switch l.Attrs["rel"] {
			case "hub":
				got = append(got, l.Attrs["href"])
			case "self":
				selfOK = page > 0 || l.Attrs["href"] == self+render.RSSFile
			}
		}
		if !slices.Equal(got, want) || !selfOK {
			t.Errorf("page %d: RSS hubs %q (want %q), self ok %v", page, got, want, selfOK)
		}

		data, err = render.Atom(s, d)
		if err != nil {
			t.Fatal(err)
		}
		af, err := (&atom.Parser{}).Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, l := range af.Links {
			if l.Rel == "hub" {
				got = append(got, l.Href)
				if l.Type != "" {
					t.Errorf("hub link has type %q", l.Type)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("page %d: Atom hubs %q, want %q", page, got, want)
		}

		data, err = render.JSON(s, d)
		if err != nil {
			t.Fatal(err)
		}
		var jf struct {
			Hubs []struct{ Type, URL string } `json:"hubs"`
		}
		if err := json.Unmarshal(data, &jf); err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, h := range jf.Hubs {
			if h.Type != "WebSub" {
				t.Errorf("JSON hub type %q", h.Type)
			}
			got = append(got, h.URL)
		}
		if !slices.Equal(got, want) {
			t.Errorf("page %d: JSON hubs %q, want %q", page, got, want)
		}
	}
}
