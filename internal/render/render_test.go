package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone test runs on machines without zoneinfo

	"github.com/mmcdole/gofeed"
	nethtml "golang.org/x/net/html"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/render/readertest"
)

func site(t *testing.T) *render.Site {
	t.Helper()
	u, _ := url.Parse("https://example.org/feeds/")
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return &render.Site{BaseURL: u, Title: "Site & <Co>", Description: "All items.", Language: "en", Location: loc}
}

var hostile = []string{
	`<script>alert("x")</script>`,
	`AT&T & Johnson & Johnson`,
	`ends with ]]> and <![CDATA[ starts`,
	`quotes "double" and 'single' and typographic ‘’“”`,
	"right\u200Fto\u200Eleft",
}

func doc() *render.Doc {
	f := &model.Feed{Path: "category/news", Kind: model.KindCategory, ID: "tag:example.org,2026:feed/category/news"}
	d := &render.Doc{Feed: f, Name: "News & <views>"}
	base := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, title := range hostile {
		it := &model.Item{
			Seq: uint64(i + 1), ID: "tag:example.org,2026:item/2020-05-01/" + strings.Repeat("a", i+1),
			Title: title, Published: base.Add(-time.Duration(i) * time.Minute), Updated: base.Add(-time.Duration(i) * time.Minute),
		}
		if i%2 == 0 {
			it.Description = "Description of " + title + "\n\nSecond paragraph."
		}
		listing := render.Ref{Kind: model.KindListing, Path: "listing/l", Name: "Listing ]]>"}
		if i%2 == 1 {
			listing = render.Ref{Kind: model.KindListing, Path: "listing/plain", Name: "Plain listing"}
		}
		d.Entries = append(d.Entries, render.Entry{
			Item:       it,
			Categories: []render.Ref{{Kind: model.KindCategory, Path: "category/news", Name: "News & <views>"}},
			Listings:   []render.Ref{listing},
		})
	}
	return d
}

// wellFormed decodes data with encoding/xml in strict mode.
func wellFormed(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, data)
		}
	}
}

func TestHostileTextSurvivesEveryFormatExactlyOnce(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	for name, fn := range map[string]func(*render.Site, *render.Doc) ([]byte, error){"rss": render.RSS, "atom": render.Atom, "json": render.JSON} {
		t.Run(name, func(t *testing.T) {
			data, err := fn(s, d)
			if err != nil {
				t.Fatal(err)
			}
			if name != "json" {
				wellFormed(t, data)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != len(hostile) {
				t.Fatalf("%d items, want %d", len(feed.Items), len(hostile))
			}
			for i, it := range feed.Items {
				// What a reader shows: RSS titles may carry invisible word
				// joiners that defuse "</"; Atom titles declared type="html"
				// are HTML, escaped once.
				shown := strings.ReplaceAll(it.Title, "\u2060", "")
				if name == "atom" && htmlTyped(t, data, i) {
					shown = html.UnescapeString(shown)
				}
				if shown != hostile[i] {
					t.Errorf("title %d = %q, want %q", i, it.Title, hostile[i])
				}
				if it.GUID != d.Entries[i].ID {
					t.Errorf("id %d = %q, want %q", i, it.GUID, d.Entries[i].ID)
				}
			}
			// Descriptions are HTML escaped once, then XML: "&amp;amp;"
			// is right there and wrong anywhere else.
			rest := regexp.MustCompile(`(?s)<description>.*?</description>`).ReplaceAllString(string(data), "")
			if strings.Contains(rest, "&amp;amp;") {
				t.Errorf("double escaping in %s", name)
			}
		})
	}
}

// htmlTyped reports whether Atom entry i's title is declared type="html".
func htmlTyped(t *testing.T, data []byte, i int) bool {
	t.Helper()
	types, err := readertest.AtomTitleTypes(data)
	if err != nil {
		t.Fatal(err)
	}
	return types[i] == "html"
}

func TestRSSFollowsTheBestPracticeProfile(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	data, err := render.RSS(s, d)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	self := strings.Index(text, `<atom:link href="https://example.org/feeds/category/news/rss.xml" rel="self" type="application/rss+xml">`)
	if self < 0 || self > strings.Index(text, "<item>") {
		t.Errorf("self link missing or after the items")
	}
	if n := strings.Count(text, `<guid isPermaLink="false">`); n != len(hostile) {
		t.Errorf("%d guids with isPermaLink=false, want %d", n, len(hostile))
	}
	if regexp.MustCompile(`<(\w+)></(\w+)>|<(\w+)/>`).MatchString(strings.ReplaceAll(text, "></atom:link>", "/>")) {
		t.Errorf("empty element in:\n%s", text)
	}
	if strings.Contains(text, "urn:uuid") || strings.Contains(text, "managingEditor") {
		t.Errorf("minted id or author without email:\n%s", text)
	}
	// Two categories per item: its category and its listing.
	if n := strings.Count(text, "<category>"); n != 2*len(hostile) {
		t.Errorf("%d categories, want %d", n, 2*len(hostile))
	}
	// RFC 822 dates in the configured zone.
	if !strings.Contains(text, "<pubDate>Fri, 01 May 2020 14:00:00 +0200</pubDate>") {
		t.Errorf("dates not RFC 822 in Europe/Zurich:\n%s", text)
	}
	// The description is HTML: escaped for HTML, then for XML.
	if !strings.Contains(text, "<description>&lt;p&gt;Description of &amp;lt;script&amp;gt;") {
		t.Errorf("description not HTML-escaped once:\n%s", text)
	}
	// Plain text as the profile asks: hexadecimal references for & and <.
	if !strings.Contains(text, "<title>AT&#x26;T &#x26; Johnson &#x26; Johnson</title>") ||
		!strings.Contains(text, "<category>News &#x26; &#x3C;\u2060views&#x3E;</category>") {
		t.Errorf("plain text not written with hexadecimal references:\n%s", text)
	}
	// lastBuildDate is the newest item, never the clock.
	if !strings.Contains(text, "<lastBuildDate>Fri, 01 May 2020 14:00:00 +0200</lastBuildDate>") {
		t.Errorf("lastBuildDate is not the newest item's")
	}
	s.AuthorName, s.AuthorEmail = "Ann Editor", "ann@example.org"
	data, _ = render.RSS(s, d)
	if !strings.Contains(string(data), "<managingEditor>ann@example.org (Ann Editor)</managingEditor>") {
		t.Errorf("author not in RSS's email (Name) form")
	}
}

func TestAtomEntriesHaveEverythingRFC4287Requires(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	data, err := render.Atom(s, d)
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Author  struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Links []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Published string `xml:"published"`
			Updated   string `xml:"updated"`
			Content   struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"content"`
			Categories []struct {
				Term   string `xml:"term,attr"`
				Scheme string `xml:"scheme,attr"`
				Label  string `xml:"label,attr"`
			} `xml:"category"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(data, &feed); err != nil {
		t.Fatal(err)
	}
	if feed.ID != d.Feed.ID || feed.Updated != "2020-05-01T14:00:00+02:00" || feed.Author.Name == "" {
		t.Errorf("feed id %q updated %q author %q", feed.ID, feed.Updated, feed.Author.Name)
	}
	rels := map[string]string{}
	for _, l := range feed.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != "https://example.org/feeds/category/news/atom.xml" || rels["alternate"] == "" {
		t.Errorf("links = %v", rels)
	}
	updated := map[string]bool{}
	for i, e := range feed.Entries {
		if e.ID == "" || e.Title == "" || e.Published == "" || e.Updated == "" || e.Content.Text == "" || (e.Content.Type != "" && e.Content.Type != "html") {
			t.Errorf("entry %d incomplete: %+v", i, e)
		}
		if updated[e.Updated] {
			t.Errorf("entry %d repeats updated %s", i, e.Updated)
		}
		updated[e.Updated] = true
		if len(e.Categories) != 2 || e.Categories[0].Term != "news" || strings.ReplaceAll(e.Categories[0].Label, "\u2060", "") != "News & <views>" ||
			e.Categories[0].Scheme != "https://example.org/feeds/category/" {
			t.Errorf("entry %d categories = %+v", i, e.Categories)
		}
	}
}

func TestJSONFeedHasTheRequiredFields(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	for _, entries := range [][]render.Entry{d.Entries, nil} {
		d.Entries = entries
		data, err := render.JSON(s, d)
		if err != nil {
			t.Fatal(err)
		}
		var feed map[string]any
		if err := json.Unmarshal(data, &feed); err != nil {
			t.Fatal(err)
		}
		if feed["version"] != "https://jsonfeed.org/version/1.1" || feed["title"] == "" ||
			feed["feed_url"] != "https://example.org/feeds/category/news/feed.json" || feed["home_page_url"] != "https://example.org/feeds/category/news/index.html" {
			t.Errorf("feed fields = %v", feed)
		}
		items, ok := feed["items"].([]any)
		if !ok || len(items) != len(entries) {
			t.Fatalf("items = %v", feed["items"])
		}
		if _, ok := feed["author"]; ok {
			t.Errorf("deprecated author present")
		}
		for i, raw := range items {
			it := raw.(map[string]any)
			for _, k := range []string{"id", "title", "content_text", "date_published", "date_modified"} {
				if s, _ := it[k].(string); s == "" {
					t.Errorf("item %d lacks %s", i, k)
				}
			}
			// Tags are the item's category and listing names, less those
			// holding "&", "<" or ">" (see render.appendTag).
			var want []any
			for _, r := range slices.Concat(entries[i].Categories, entries[i].Listings) {
				if !strings.ContainsAny(r.Name, "&<>") {
					want = append(want, r.Name)
				}
			}
			if tags, _ := it["tags"].([]any); fmt.Sprint(tags) != fmt.Sprint(want) {
				t.Errorf("item %d tags = %v, want %v", i, it["tags"], want)
			}
		}
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	t.Parallel()
	s := site(t)
	for _, fn := range []func(*render.Site, *render.Doc) ([]byte, error){render.RSS, render.Atom, render.JSON} {
		a, _ := fn(s, doc())
		b, _ := fn(s, doc())
		if !bytes.Equal(a, b) {
			t.Errorf("two renderings differ")
		}
	}
}

func TestIndexAndOPMLListEveryFeed(t *testing.T) {
	t.Parallel()
	s := site(t)
	var ls []render.Listed
	for _, f := range []*model.Feed{
		{Path: "listing/b", Kind: model.KindListing, Items: 2, Spellings: []model.Spelling{{Text: "B <listing>", Count: 1}}},
		{Path: "category/a", Kind: model.KindCategory, Items: 1, Spellings: []model.Spelling{{Text: "A & co", Count: 1}}},
		{Path: "topic/japan", Kind: model.KindTopic, Items: 1, Spellings: []model.Spelling{{Text: "Cooperatives in Japan"}}},
		{Path: "all", Kind: model.KindAll, Items: 3},
	} {
		ls = append(ls, render.Listed{Feed: f, Name: f.Name(), Updated: time.Date(2017, 10, 31, 8, 0, 0, 0, time.UTC)})
	}
	render.SortListed(ls)
	var order []string
	for _, l := range ls {
		order = append(order, l.Feed.Path)
	}
	if !slices.Equal(order, []string{"all", "topic/japan", "category/a", "listing/b"}) {
		t.Fatalf("order = %v", order)
	}
	opml, err := render.OPML(s, ls)
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, opml)
	golden(t, "testdata/golden/index/feeds.opml", opml)
	for _, p := range []string{"all", "topic/japan", "category/a", "listing/b"} {
		if !strings.Contains(string(opml), `xmlUrl="https://example.org/feeds/`+p+`/rss.xml"`) {
			t.Errorf("OPML lacks %s:\n%s", p, opml)
		}
	}
	page, err := render.Index(s, ls)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/golden/index/index.html", page)
	html := string(page)
	if strings.Contains(html, "<listing>") || !strings.Contains(html, "B &lt;listing&gt;") {
		t.Errorf("names not escaped in the index page")
	}
	for _, typ := range []string{"application/rss+xml", "application/atom+xml", "application/feed+json"} {
		if n := strings.Count(html, `<link rel="alternate" type="`+typ+`"`); n != 4 {
			t.Errorf("%d autodiscovery links of type %s, want 4", n, typ)
		}
	}
}

// With many listings the index page autodiscovers only the combined feed
// and the categories, and still lists and links every listing.
func TestIndexDiscoversListingsOnlyWhileFew(t *testing.T) {
	t.Parallel()
	s := site(t)
	for _, n := range []int{render.MaxDiscoveredListings, render.MaxDiscoveredListings + 1} {
		ls := []render.Listed{
			{Feed: &model.Feed{Path: "all", Kind: model.KindAll, Items: n}},
			{Feed: &model.Feed{Path: "category/a", Kind: model.KindCategory, Items: n}, Name: "A"},
		}
		for i := range n {
			ls = append(ls, render.Listed{Feed: &model.Feed{Path: fmt.Sprintf("listing/l%03d", i), Kind: model.KindListing, Items: 1}, Name: fmt.Sprintf("L%03d", i)})
		}
		render.SortListed(ls)
		page, err := render.Index(s, ls)
		if err != nil {
			t.Fatal(err)
		}
		html := string(page)
		want := 2
		if n <= render.MaxDiscoveredListings {
			want += n
		}
		if got := strings.Count(html, `<link rel="alternate" type="application/atom+xml"`); got != want {
			t.Errorf("%d listings: %d autodiscovered Atom feeds, want %d", n, got, want)
		}
		if got := strings.Count(html, `href="https://example.org/feeds/listing/`); got < 3*n {
			t.Errorf("%d listings: %d links to listing feeds in the page, want at least %d", n, got, 3*n)
		}
	}
}

// jsonTitles returns a JSON Feed document's title, description and item
// titles: JSON strings leave no doubt about the text, so they are the
// reference the XML formats are read against.
func jsonTitles(t *testing.T, s *render.Site, d *render.Doc) (title, description string, items []string) {
	t.Helper()
	data, err := render.JSON(s, d)
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		Title, Description string
		Items              []struct{ Title string }
	}
	if err := json.Unmarshal(data, &feed); err != nil {
		t.Fatal(err)
	}
	for _, it := range feed.Items {
		items = append(items, it.Title)
	}
	return feed.Title, feed.Description, items
}

func TestReadersIgnoringTypeShowTitlesAsWritten(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	feedTitle, _, itemTitles := jsonTitles(t, s, d)
	if !slices.Equal(itemTitles, hostile) {
		t.Fatalf("JSON titles %q, want %q", itemTitles, hostile)
	}
	for name, fn := range map[string]func(*render.Site, *render.Doc) ([]byte, error){"rss": render.RSS, "atom": render.Atom} {
		t.Run(name, func(t *testing.T) {
			data, err := fn(s, d)
			if err != nil {
				t.Fatal(err)
			}
			titles, err := readertest.PlainTitles(data)
			if err != nil {
				t.Fatal(err)
			}
			for i := range titles {
				titles[i] = strings.ReplaceAll(titles[i], "\u2060", "") // invisible
			}
			want := append([]string{feedTitle}, hostile...)
			if !slices.Equal(titles, want) {
				t.Errorf("titles read as plain text:\n got %q\nwant %q", titles, want)
			}
		})
	}
}

func TestJSONFeedSurvivesAReaderThatConvertsItToRSS(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	data, err := render.JSON(s, d)
	if err != nil {
		t.Fatal(err)
	}
	items, err := readertest.JSONAsRSS(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(d.Entries) {
		t.Fatalf("%d items kept, want %d", len(items), len(d.Entries))
	}
	for i, it := range items {
		if it.ID != d.Entries[i].ID || it.Title != hostile[i] {
			t.Errorf("item %d = %q %q, want %q %q", i, it.ID, it.Title, d.Entries[i].ID, hostile[i])
		}
		// The reader shows content_html: never empty, the text escaped once.
		want := d.Entries[i].Description
		if want == "" {
			want = d.Entries[i].Title
		}
		shown := html.UnescapeString(strings.NewReplacer("<p>", "", "</p>", "\n\n").Replace(it.Content))
		if strings.TrimSuffix(shown, "\n\n") != want {
			t.Errorf("item %d content shows %q, want %q", i, shown, want)
		}
	}
}

func TestRSSChannelDescriptionReadsAsHTMLAndAsText(t *testing.T) {
	t.Parallel()
	s, d := site(t), doc()
	_, want, _ := jsonTitles(t, s, d)
	if !strings.Contains(want, "<views>") {
		t.Fatalf("description %q lacks the hostile name", want)
	}
	data, err := render.RSS(s, d)
	if err != nil {
		t.Fatal(err)
	}
	var rss struct {
		Description string `xml:"channel>description"`
	}
	if err := xml.Unmarshal(data, &rss); err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(rss.Description, "\u2060", ""); got != want {
		t.Errorf("channel description reads as %q as text, want %q", got, want)
	}
	// A reader that takes it as HTML: an HTML tokenizer finds text only.
	z := nethtml.NewTokenizer(strings.NewReader(rss.Description))
	var text strings.Builder
	for z.Next() != nethtml.ErrorToken {
		tok := z.Token()
		if tok.Type != nethtml.TextToken {
			t.Fatalf("channel description %q holds HTML: %v", rss.Description, tok)
		}
		text.WriteString(tok.Data)
	}
	if got := strings.ReplaceAll(text.String(), "\u2060", ""); got != want {
		t.Errorf("channel description reads as %q as HTML, want %q", got, want)
	}
}
