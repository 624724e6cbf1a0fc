package render_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
)

// BenchmarkRender renders and checks one 50-entry document in each
// format: what regenerating a feed costs, whatever the feed's size.
func BenchmarkRender(b *testing.B) {
	s := site(&testing.T{})
	f := &model.Feed{Path: "category/news", Kind: model.KindCategory, ID: "tag:example.org,2026:feed/category/news"}
	d := &render.Doc{Feed: f, Name: "News"}
	base := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 50 {
		it := &model.Item{
			Seq: uint64(i + 1), ID: fmt.Sprintf("tag:example.org,2026:item/2020-05-01/%020d", i),
			Page:        fmt.Sprintf("item/2020/05/01/item-%d.html", i),
			Title:       fmt.Sprintf("Cooperatives in Perú celebrate inclusive economies: “report %d”", i),
			Description: strings.Repeat("The programme brought together participants from many countries. ", 5),
			Published:   base.Add(-time.Duration(i) * time.Minute), Updated: base.Add(-time.Duration(i) * time.Minute),
		}
		d.Entries = append(d.Entries, render.Entry{Item: it,
			Categories: []render.Ref{{Kind: model.KindCategory, Path: "category/news", Name: "News"}},
			Listings:   []render.Ref{{Kind: model.KindListing, Path: "listing/l", Name: "Listing"}}})
	}
	for _, fm := range []struct {
		name  string
		check feedcheck.Format
		fn    func(*render.Site, *render.Doc) ([]byte, error)
	}{{"rss", feedcheck.RSS, render.RSS}, {"atom", feedcheck.Atom, render.Atom}, {"json", feedcheck.JSON, render.JSON}, {"html", feedcheck.HTML, render.HTML}} {
		b.Run(fm.name, func(b *testing.B) {
			for b.Loop() {
				data, err := fm.fn(s, d)
				if err != nil {
					b.Fatal(err)
				}
				if err := feedcheck.Check(fm.check, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndex renders the index page of a site with 2,000 listings:
// it is rewritten by every scan that changes a feed's item count, so a
// scan adding one listing file to a big site pays for it.
func BenchmarkIndex(b *testing.B) {
	s := site(&testing.T{})
	ls := []render.Listed{{Feed: &model.Feed{Path: "all", Kind: model.KindAll, Items: 900000}, Name: "All items"}}
	updated := time.Date(2025, 1, 7, 12, 0, 0, 0, time.UTC)
	for i := range 8 {
		ls = append(ls, render.Listed{Feed: &model.Feed{Path: fmt.Sprintf("category/c%d", i), Kind: model.KindCategory, Items: 46000}, Name: fmt.Sprintf("Category %d", i), Updated: updated})
	}
	for i := range 2000 {
		ls = append(ls, render.Listed{Feed: &model.Feed{Path: fmt.Sprintf("listing/ilos-work-on-cooperatives-series-%d", i), Kind: model.KindListing, Items: 450}, Name: fmt.Sprintf("ILO's work on cooperatives – series %d", i), Updated: updated})
	}
	for b.Loop() {
		if _, err := render.Index(s, ls); err != nil {
			b.Fatal(err)
		}
	}
}
