package render_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
)

// FuzzRender puts arbitrary text where a listing file has an item's label,
// title and description, parses it as a scan would, and renders the
// items it yields in every format. Whatever the text, every document must
// pass feedcheck (the check before publishing), the XML must be strictly
// well-formed, gofeed must parse the feeds, and each title must come back
// exactly as parsed: escaped once, never lost.
//
//	go test ./internal/render -run '^$' -fuzz FuzzRender -fuzztime 1m
func FuzzRender(f *testing.F) {
	for _, h := range hostile {
		f.Add("News & <Views>", h, "Description: "+h)
	}
	f.Add("News", "</title><script>x</script>", "<![CDATA[ ]]> &amp; &#0; &#x1F600;")
	f.Add("Label ]]>", "Title \u202Eevil\u202C \u2060<b>", "\x7f\x85\u2028\u2029 para\n\n  second")
	f.Add("", "1 May 2020", "")
	f.Fuzz(func(t *testing.T, label, title, desc string) {
		text := fmt.Sprintf("Fuzz listing\n\n  1. %s\n\n    %s\n\n    1 May 2020\n\n    %s\n", label, title, desc)
		l, _ := listing.ParseBytes("fuzz.txt", []byte(text))
		if l == nil || len(l.Items) == 0 {
			return
		}
		s := fuzzSite(t)
		d := &render.Doc{Feed: &model.Feed{Path: "category/c", Kind: model.KindCategory, ID: "tag:example.org,2026:feed/category/c"}, Name: l.Items[0].Label + "x"}
		base := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, it := range l.Items {
			m := &model.Item{
				Seq: uint64(i + 1), ID: fmt.Sprintf("tag:example.org,2026:item/2020-05-01/%d", i),
				Page: fmt.Sprintf("item/2020/05/01/i-%d.html", i), Title: it.Title, Description: it.Description,
				Date: it.Date, Published: base.Add(-time.Duration(i) * time.Minute), Updated: base.Add(-time.Duration(i) * time.Minute),
			}
			e := render.Entry{Item: m, Categories: []render.Ref{{Kind: model.KindCategory, Path: "category/c", Name: it.Label + "x"}}}
			d.Entries = append(d.Entries, e)
			page, err := render.ItemPage(s, e)
			if err != nil {
				t.Fatal(err)
			}
			if err := feedcheck.Check(feedcheck.HTML, page); err != nil {
				t.Fatalf("item page of %q: %v", it.Title, err)
			}
		}
		for _, fm := range []struct {
			format feedcheck.Format
			fn     func(*render.Site, *render.Doc) ([]byte, error)
		}{{feedcheck.RSS, render.RSS}, {feedcheck.Atom, render.Atom}, {feedcheck.JSON, render.JSON}, {feedcheck.HTML, render.HTML}} {
			data, err := fm.fn(s, d)
			if err != nil {
				t.Fatalf("%s: %v", fm.format, err)
			}
			if err := feedcheck.Check(fm.format, data); err != nil {
				t.Fatalf("%s of %q: %v", fm.format, l.Items[0].Title, err)
			}
			if fm.format == feedcheck.HTML {
				continue
			}
			if fm.format != feedcheck.JSON {
				dec := xml.NewDecoder(bytes.NewReader(data))
				for {
					if _, err := dec.Token(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatalf("%s not well-formed: %v", fm.format, err)
					}
				}
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: gofeed: %v", fm.format, err)
			}
			if len(feed.Items) != len(d.Entries) {
				t.Fatalf("%s: %d items, want %d", fm.format, len(feed.Items), len(d.Entries))
			}
			for i, it := range feed.Items {
				shown := strings.ReplaceAll(it.Title, "\u2060", "")
				want := strings.ReplaceAll(d.Entries[i].Title, "\u2060", "")
				if fm.format == feedcheck.Atom && htmlTyped(t, data, i) {
					shown = html.UnescapeString(shown)
				}
				if shown != want {
					t.Errorf("%s: title %q came back as %q", fm.format, want, it.Title)
				}
			}
		}
	})
}

func fuzzSite(t *testing.T) *render.Site {
	s := site(t)
	s.Location = time.UTC
	return s
}
