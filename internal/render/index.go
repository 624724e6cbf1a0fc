package render

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

// Listed is one feed as the index page and the OPML list show it.
type Listed struct {
	Feed    *model.Feed
	Name    string
	Updated time.Time // newest change among its items
}

// kinds are the kinds of feed in the order the index page and the OPML
// list group them, with the heading of each group.
var kinds = []struct {
	kind    model.FeedKind
	heading string
}{
	{model.KindAll, "Everything"},
	{model.KindTopic, "Topics"},
	{model.KindCategory, "Categories"},
	{model.KindListing, "Listings"},
}

// SortListed orders feeds for display: the combined feed, then topics,
// categories and listings, each by name.
func SortListed(ls []Listed) {
	rank := map[model.FeedKind]int{}
	for i, k := range kinds {
		rank[k.kind] = i
	}
	slices.SortFunc(ls, func(a, b Listed) int {
		return cmp.Or(
			cmp.Compare(rank[a.Feed.Kind], rank[b.Feed.Kind]),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Feed.Path, b.Feed.Path),
		)
	})
}

type indexFeed struct {
	Title, Name, Page  string
	RSS, Atom, JSON    string
	Items              int
	Updated, UpdatedTS string
}

type indexPage struct {
	Site                 *Site
	CSP                  string
	All                  *indexFeed
	Groups               []indexGroup // topics, categories, listings
	OPML, Sitemap, Style string
	Discover             []indexFeed
}

type indexGroup struct {
	Heading string
	Feeds   []indexFeed
}

var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="{{.Site.Language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<title>{{.Site.Title}}: feeds</title>
<link rel="sitemap" type="application/xml" href="{{.Sitemap}}">
{{- range .Discover}}
{{- if .RSS}}
<link rel="alternate" type="application/rss+xml" title="{{.Title}} (RSS)" href="{{.RSS}}">
{{- end}}
{{- if .Atom}}
<link rel="alternate" type="application/atom+xml" title="{{.Title}} (Atom)" href="{{.Atom}}">
{{- end}}
{{- if .JSON}}
<link rel="alternate" type="application/feed+json" title="{{.Title}} (JSON Feed)" href="{{.JSON}}">
{{- end}}
{{- end}}
<link rel="stylesheet" href="{{.Style}}">
</head>
<body>
<h1>{{.Site.Title}}</h1>
<p>{{.Site.Description}}</p>
<p>Subscribe to every feed at once: <a href="{{.OPML}}" type="text/x-opml">OPML list</a>. Every page: <a href="{{.Sitemap}}" type="application/xml">sitemap</a>.</p>
{{- with .All}}
<h2>Everything</h2>
<ul class="feeds">{{template "feed" .}}</ul>
{{- end}}
{{- range .Groups}}
<h2>{{.Heading}}</h2>
<ul class="feeds">{{range .Feeds}}{{template "feed" .}}{{end}}</ul>
{{- end}}
</body>
</html>
{{define "feed"}}
<li><a href="{{.Page}}"><strong dir="auto">{{.Name}}</strong></a> <span class="meta">{{.Items}} item{{if ne .Items 1}}s{{end}}{{with .Updated}}, updated <time datetime="{{$.UpdatedTS}}">{{.}}</time>{{end}}</span><br>
{{if .RSS}}<a href="{{.RSS}}" type="application/rss+xml">RSS</a>{{end}}
{{- if and .RSS .Atom}} · {{end}}
{{- if .Atom}}<a href="{{.Atom}}" type="application/atom+xml">Atom</a>{{end}}
{{- if and (or .RSS .Atom) .JSON}} · {{end}}
{{- if .JSON}}<a href="{{.JSON}}" type="application/feed+json">JSON Feed</a>{{end}}</li>
{{- end}}
`))

// MaxDiscoveredListings is the most listings the index page
// autodiscovers; with more, it autodiscovers the combined feed and the
// categories only.
const MaxDiscoveredListings = 24

// Index renders the page that lists every feed and autodiscovers them.
func Index(s *Site, ls []Listed) ([]byte, error) {
	p := indexPage{Site: s, CSP: csp, OPML: s.URL(OPMLFile), Sitemap: s.URL(SitemapFile), Style: styleHref(IndexFile)}
	byKind := map[model.FeedKind][]indexFeed{}
	for _, l := range ls {
		f := indexFeed{
			Title: (&Doc{Feed: l.Feed, Name: l.Name}).Title(s),
			Name:  l.Name,
			Page:  s.PageURL(l.Feed.Path),
			RSS:   s.advertised(l.Feed.Path, RSSFile),
			Atom:  s.advertised(l.Feed.Path, AtomFile),
			JSON:  s.advertised(l.Feed.Path, JSONFile),
			Items: l.Feed.Items,
		}
		if !l.Updated.IsZero() {
			t := l.Updated.In(s.Location)
			f.Updated, f.UpdatedTS = t.Format("2 January 2006"), t.Format(time.RFC3339)
		}
		if l.Feed.Kind == model.KindAll {
			f.Name = "All items"
			p.All = &f
			continue
		}
		byKind[l.Feed.Kind] = append(byKind[l.Feed.Kind], f)
	}
	for _, k := range kinds[1:] {
		if fs := byKind[k.kind]; len(fs) > 0 {
			p.Groups = append(p.Groups, indexGroup{Heading: k.heading, Feeds: fs})
		}
	}
	// Feed readers offer every alternate link a page has: past a few
	// dozen listings they would bury the combined feed, the topics and
	// the categories (and made the index of 2,000 listings 2.6 MB). Each
	// listing's own page still autodiscovers it.
	if p.All != nil {
		p.Discover = append(p.Discover, *p.All)
	}
	p.Discover = append(p.Discover, byKind[model.KindTopic]...)
	p.Discover = append(p.Discover, byKind[model.KindCategory]...)
	if len(byKind[model.KindListing]) <= MaxDiscoveredListings {
		p.Discover = append(p.Discover, byKind[model.KindListing]...)
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render: index page: %w", err)
	}
	return buf.Bytes(), nil
}

type opml struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Owner   string      `xml:"head>ownerName,omitempty"`
	Body    []opmlGroup `xml:"body>outline"`
}

type opmlGroup struct {
	Text     string        `xml:"text,attr"`
	Outlines []opmlOutline `xml:"outline"`
}

type opmlOutline struct {
	Type    string `xml:"type,attr"`
	Text    string `xml:"text,attr"`
	Title   string `xml:"title,attr"`
	XMLURL  string `xml:"xmlUrl,attr"`
	HTMLURL string `xml:"htmlUrl,attr"`
}

// OPML renders an OPML 2.0 subscription list of every feed's RSS
// document (or, with RSS hidden, Atom, else JSON Feed), grouped like the
// index page.
func OPML(s *Site, ls []Listed) ([]byte, error) {
	doc := opml{Version: "2.0", Title: s.Title, Owner: s.AuthorName}
	for _, k := range kinds {
		g := opmlGroup{Text: k.heading}
		for _, l := range ls {
			if l.Feed.Kind != k.kind {
				continue
			}
			title := (&Doc{Feed: l.Feed, Name: l.Name}).Title(s)
			g.Outlines = append(g.Outlines, opmlOutline{
				// OPML says type "rss" for every kind of feed.
				Type: "rss", Text: title, Title: title,
				XMLURL: s.FileURL(l.Feed.Path, s.firstFormat()), HTMLURL: s.PageURL(l.Feed.Path),
			})
		}
		if len(g.Outlines) > 0 {
			doc.Body = append(doc.Body, g)
		}
	}
	return encodeXML("opml", doc)
}

// encodeXML writes v as an indented XML document ending in a newline:
// the OPML list and the sitemap files (the feeds go through gorilla's
// writer, see writeXML).
func encodeXML(what string, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("render: encode %s: %w", what, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
