// Package render turns stored feeds and items into RSS 2.0, Atom 1.0 and
// JSON Feed 1.1 documents, plus the index page and OPML list. It builds on
// gorilla/feeds' structs, extending them where they fall short of the
// specs (self links, several categories, no empty elements, ids always
// ours). It is pure: values in, bytes out, the same bytes for the same
// values.
package render

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/feeds"

	"github.com/feedpub/feedpub/internal/model"
)

// File names of the three formats inside a feed's directory. They are
// public URLs: never rename them.
const (
	RSSFile  = "rss.xml"
	AtomFile = "atom.xml"
	JSONFile = "feed.json"

	HTMLFile  = "index.html" // a feed's or archive page's HTML rendition
	IndexFile = "index.html" // the list of every feed, at the root
	OPMLFile  = "feeds.opml"
)

// Media types of the formats.
const (
	RSSType  = "application/rss+xml"
	AtomType = "application/atom+xml"
	JSONType = "application/feed+json"
)

// Generator names feedpub in the documents it writes.
const Generator = "feedpub"

// Site is what every document shares.
type Site struct {
	BaseURL     *url.URL // absolute, path ends in "/"
	Title       string
	Description string
	AuthorName  string
	AuthorEmail string
	Language    string
	Location    *time.Location
	// Hidden are the formats (RSSFile, AtomFile, JSONFile) not advertised:
	// pages, the index and the OPML list do not link to them. Nil hides
	// none.
	Hidden map[string]bool
	// Hubs are the WebSub hubs that subscription documents advertise
	// (rel="hub", JSON Feed hubs), in order. Archive pages have none:
	// they are not topics (full ones never change) and are cached for
	// ever, so a change of hubs must not rewrite them.
	Hubs []string

	fragments sync.Map // feed links escaped once per scan; see fragment
}

// URL returns the absolute URL of rel, a slash path under the base URL.
func (s *Site) URL(rel string) string {
	return s.BaseURL.ResolveReference(&url.URL{Path: rel}).String()
}

// advertised is the URL of one format of the feed at dir, or "" when
// that format is hidden.
func (s *Site) advertised(dir, file string) string {
	if s.Hidden[file] {
		return ""
	}
	return s.FileURL(dir, file)
}

// firstFormat is the file of the first format not hidden, in the order
// RSS, Atom, JSON Feed.
func (s *Site) firstFormat() string {
	for _, f := range []string{RSSFile, AtomFile, JSONFile} {
		if !s.Hidden[f] {
			return f
		}
	}
	return RSSFile
}

// Ref names a category or listing an item belongs to.
type Ref struct {
	Kind model.FeedKind
	Path string // "category/news"
	Name string
}

// Slug is the last element of the ref's path.
func (r Ref) Slug() string { return r.Path[strings.LastIndexByte(r.Path, '/')+1:] }

// Entry is an item with its categories and listings resolved to names.
type Entry struct {
	*model.Item
	Categories []Ref
	Listings   []Ref
}

// Doc is one feed document: the subscription document of a feed (Page 0)
// or one of its archive pages (RFC 5005), with its entries newest first.
type Doc struct {
	Feed    *model.Feed
	Name    string // shown name (for category and listing feeds)
	Entries []Entry
	// Page is 0 for the subscription document, k ≥ 1 for archive page k.
	Page uint64
	// Archived is the number of full archive pages; the subscription
	// document links to the newest.
	Archived uint64
	// About, if not empty, replaces the description of what the feed
	// collects (a configured description).
	About string
}

// SortEntries orders entries newest first. Published instants are unique
// and keep each day's listing order, so this is a total order.
func SortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return int(int64(b.Seq) - int64(a.Seq))
	})
}

// Dir is the document's directory under the output dir.
func (d *Doc) Dir() string {
	if d.Page == 0 {
		return d.Feed.Path
	}
	return model.ArchiveDir(d.Feed.Path, d.Page)
}

// links are a document's RFC 5005 relations to its neighbours, as paths of
// their directories; "" where there is none.
type links struct {
	current, prev, next string
}

func (d *Doc) links() links {
	if d.Page == 0 {
		if d.Archived == 0 {
			return links{}
		}
		return links{prev: model.ArchiveDir(d.Feed.Path, d.Archived)}
	}
	l := links{current: d.Feed.Path, next: model.ArchiveDir(d.Feed.Path, d.Page+1)}
	if d.Page > 1 {
		l.prev = model.ArchiveDir(d.Feed.Path, d.Page-1)
	}
	return l
}

// PageURL is the absolute URL of the HTML page at dir.
func (s *Site) PageURL(dir string) string { return s.URL(dir + "/" + HTMLFile) }

// ItemURL is the absolute URL of an item's page.
func (s *Site) ItemURL(it *model.Item) string { return s.URL(it.Page) }

// Title is the document's title as readers show it.
func (d *Doc) Title(s *Site) string {
	t := d.Name + " — " + s.Title
	if d.Feed.Kind == model.KindAll {
		t = s.Title
	}
	if d.Page > 0 {
		t += " (archive " + strconv.FormatUint(d.Page, 10) + ")"
	}
	return t
}

// Description says what the feed collects; RSS requires one.
func (d *Doc) Description(s *Site) string {
	if d.About != "" {
		return d.About
	}
	switch d.Feed.Kind {
	case model.KindCategory:
		return "Items in the category “" + d.Name + "” from " + s.Title + "."
	case model.KindListing:
		return "Items from the listing “" + d.Name + "” on " + s.Title + "."
	case model.KindTopic:
		return "Items about “" + d.Name + "” from " + s.Title + "."
	}
	return s.Description
}

// Updated is the newest change among the document's entries: its
// lastBuildDate and Atom updated, never the wall clock, so an unchanged
// feed renders to the same bytes.
func (d *Doc) Updated() time.Time {
	var t time.Time
	for _, e := range d.Entries {
		if e.Updated.After(t) {
			t = e.Updated
		}
	}
	return t
}

// FileURL returns the absolute URL of one format of the document at dir.
func (s *Site) FileURL(dir, file string) string { return s.URL(dir + "/" + file) }

// HomeURL is the site's front page, the list of every feed.
func (s *Site) HomeURL() string { return s.BaseURL.String() }

// gorilla returns the generic gorilla/feeds model of d without items;
// each format adds its own items.
func (d *Doc) gorilla(s *Site) *feeds.Feed {
	f := &feeds.Feed{
		Title:       d.Title(s),
		Link:        &feeds.Link{Href: s.PageURL(d.Dir())},
		Description: d.Description(s),
		Id:          d.Feed.ID,
		Updated:     d.Updated().In(s.Location),
	}
	if s.AuthorName != "" || s.AuthorEmail != "" {
		f.Author = &feeds.Author{Name: s.AuthorName, Email: s.AuthorEmail}
	}
	return f
}

// authorName is the feed-level author Atom requires: the configured one,
// else the site title.
func (s *Site) authorName() string {
	if s.AuthorName != "" {
		return s.AuthorName
	}
	return s.Title
}

// defuseMarkup returns plain text in which nothing starts an HTML tag,
// comment or entity: a word joiner (U+2060, shown as nothing) follows each
// "<" that comes before a letter, "/", "!" or "?", and each "&" that
// starts a character reference ("&#") or a named one ("&amp;"); "AT&T"
// stays as it is. Readers that take the text as HTML and readers that take
// it as text then show the same words, and validators find no HTML in it.
// For text that cannot say which it is: RSS channel descriptions and Atom
// category labels.
func defuseMarkup(s string) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	return markupStart.ReplaceAllStringFunc(s, func(m string) string { return m[:1] + "\u2060" + m[1:] })
}

var markupStart = regexp.MustCompile(`<[A-Za-z/!?]|&(#|[A-Za-z][A-Za-z0-9]*;)`)
