package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

// The HTML pages are plain HTML and CSS, readable on a phone, with no
// script: the Content-Security-Policy forbids any, so a title that smuggled
// markup past the escaping still could not run. Styles come only from the
// site's own stylesheet, never inline.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"

// stylesheet is the one stylesheet of every page, the index included.
// It is published once, under a name that carries its hash (Stylesheet),
// so it can be cached for good and a change reaches every reader.
const stylesheet = `*{box-sizing:border-box}
body{font:17px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1d1d1f;background:#fff;overflow-wrap:anywhere}
header{font-size:.95rem;border-bottom:1px solid #ddd;padding-bottom:.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:1rem 0 .5rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
a{color:#0645ad}
.meta{color:#555;font-size:.9rem}
ol.items,ul.feeds{list-style:none;padding:0;margin:0}
ol.items li,ul.feeds li{padding:.65rem 0;border-bottom:1px solid #eee}
ol.items a.title{font-weight:600;text-decoration:none}
nav.pages{margin:1.5rem 0;display:flex;flex-wrap:wrap;gap:1rem}
ul.tags{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
ul.tags li{background:#f2f2f5;border-radius:.4rem;padding:.1rem .5rem}
footer{margin-top:2rem;border-top:1px solid #ddd;padding-top:.5rem;font-size:.85rem;color:#666}
`

// Stylesheet returns the stylesheet's file name under the output
// directory (style.<hash>.css) and its bytes.
func Stylesheet() (name string, data []byte) {
	return stylesheetName, []byte(stylesheet)
}

var stylesheetName = func() string {
	sum := sha256.Sum256([]byte(stylesheet))
	return "style." + hex.EncodeToString(sum[:6]) + ".css"
}()

// styleHref is the stylesheet's URL relative to the page at rel: it
// works wherever the site is served from, which 'self' in the policy
// then allows.
func styleHref(rel string) string {
	return strings.Repeat("../", strings.Count(rel, "/")) + stylesheetName
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
{{- range .Discover}}{{.Head}}{{end}}
<link rel="stylesheet" href="{{.Style}}">
</head>
<body>
<header><a href="{{.Home}}">{{.Site}}</a></header>
<main>
{{- if .Item}}{{template "item" .}}{{else}}{{template "feed" .}}{{end}}
</main>
<footer>Published by feedpub.</footer>
</body>
</html>
{{define "feedlinks"}}{{range .}}{{.Body}}{{end}}{{end}}
{{define "feed"}}
<h1 dir="auto">{{.Heading}}</h1>
<p>{{.Description}}</p>
{{template "feedlinks" .Feeds}}
<ol class="items">
{{- range .Entries}}
<li><a class="title" dir="auto" href="{{.Href}}">{{.Title}}</a><br><span class="meta"><time datetime="{{.ISO}}">{{.Day}}</time>{{range .Tags}} · {{.}}{{end}}</span></li>
{{- end}}
</ol>
{{- if .Pages}}
<nav class="pages">{{range .Pages}}<a href="{{.Href}}">{{.Text}}</a>{{end}}</nav>
{{- end}}
{{- end}}
{{define "item"}}
<article>
<h1 dir="auto">{{.Heading}}</h1>
<p class="meta"><time datetime="{{.Item.ISO}}">{{.Item.Day}}</time>{{if .Item.Edited}} · updated <time datetime="{{.Item.EditedISO}}">{{.Item.Edited}}</time>{{end}}</p>
{{- range .Item.Paragraphs}}
<p dir="auto">{{.}}</p>
{{- end}}
{{- if .Item.Categories}}
<h2>Categories</h2>
<ul class="tags">{{range .Item.Categories}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>
{{- end}}
{{- if .Item.Listings}}
<h2>Listings</h2>
<ul class="tags">{{range .Item.Listings}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>
{{- end}}
</article>
<h2>Subscribe</h2>
{{template "feedlinks" .Feeds}}
{{- end}}
`))

type pageLink struct{ Href, Text string }

type feedLink struct{ Href, Type, Title, Format string }

// feedFragment is the HTML linking to the three formats of one feed: the
// autodiscovery links for the head and a line for the body. Every page of
// a category repeats them, so they are escaped once per scan, not once per
// page (URL escaping dominated the cost of 100,000 item pages).
type feedFragment struct {
	Head, Body template.HTML
}

var fragmentTmpl = template.Must(template.New("fragment").Parse(`
{{- define "head"}}{{range .Links}}
<link rel="alternate" type="{{.Type}}" title="{{.Title}}" href="{{.Href}}">{{end}}{{end}}
{{- define "body"}}<p class="feeds">{{if .Name}}<span dir="auto">{{.Name}}</span>: {{else}}Subscribe: {{end}}
{{- range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.Href}}" type="{{$l.Type}}">{{$l.Format}}</a>{{end}}</p>
{{end}}`))

// fragment returns the cached links of the feed at dir, titled title for
// readers and labelled name on the page ("" for "Subscribe").
func (s *Site) fragment(dir, title, name string) (feedFragment, error) {
	key := dir + "\x00" + title + "\x00" + name
	if f, ok := s.fragments.Load(key); ok {
		return f.(feedFragment), nil
	}
	data := struct {
		Name  string
		Links []feedLink
	}{name, s.feedLinks(dir, title)}
	var head, body bytes.Buffer
	if err := fragmentTmpl.ExecuteTemplate(&head, "head", data); err != nil {
		return feedFragment{}, fmt.Errorf("render: links of %s: %w", dir, err)
	}
	if err := fragmentTmpl.ExecuteTemplate(&body, "body", data); err != nil {
		return feedFragment{}, fmt.Errorf("render: links of %s: %w", dir, err)
	}
	f := feedFragment{Head: template.HTML(head.String()), Body: template.HTML(body.String())}
	s.fragments.Store(key, f)
	return f, nil
}

type pageEntry struct {
	Href, Title, Day, ISO string
	Tags                  []string
}

type pageItem struct {
	Day, ISO, Edited, EditedISO string
	Paragraphs                  []string
	Categories, Listings        []pageLink
}

type page struct {
	Style                        string
	Lang, CSP, Title, Site, Home string
	Discover                     []feedFragment // autodiscovered in the head
	Heading, Description         string
	Feeds                        []feedFragment
	Entries                      []pageEntry
	Pages                        []pageLink
	Item                         *pageItem
}

// page starts the page at rel (a path under the output directory).
func (s *Site) page(rel, title string) page {
	return page{Lang: s.Language, CSP: csp, Style: styleHref(rel), Title: title, Site: s.Title, Home: s.HomeURL()}
}

// feedLinks are the advertised formats of the document at dir.
func (s *Site) feedLinks(dir, title string) []feedLink {
	var links []feedLink
	for _, f := range []struct{ file, typ, format string }{
		{RSSFile, RSSType, "RSS"}, {AtomFile, AtomType, "Atom"}, {JSONFile, JSONType, "JSON Feed"},
	} {
		if !s.Hidden[f.file] {
			links = append(links, feedLink{s.FileURL(dir, f.file), f.typ, title + " (" + f.format + ")", f.format})
		}
	}
	return links
}

func (s *Site) day(t time.Time) (day, iso string) {
	t = t.In(s.Location)
	return t.Format("2 January 2006"), t.Format(time.RFC3339)
}

// HTML renders d as a page listing its entries, with links to its feed
// formats and to its neighbouring archive pages.
func HTML(s *Site, d *Doc) ([]byte, error) {
	title := d.Title(s)
	p := s.page(d.Dir()+"/"+HTMLFile, title)
	p.Heading, p.Description = title, d.Description(s)
	// Subscribing to an archive page makes no sense: offer the feed itself.
	f, err := s.fragment(d.Feed.Path, (&Doc{Feed: d.Feed, Name: d.Name}).Title(s), "")
	if err != nil {
		return nil, err
	}
	p.Feeds, p.Discover = []feedFragment{f}, []feedFragment{f}
	for _, e := range d.Entries {
		pe := pageEntry{Href: s.ItemURL(e.Item), Title: e.Title}
		pe.Day, pe.ISO = s.day(e.Published)
		for _, r := range e.Categories {
			pe.Tags = append(pe.Tags, r.Name)
		}
		p.Entries = append(p.Entries, pe)
	}
	// Archive pages never change once written, so they link to the
	// latest items rather than to a next page that may not exist yet.
	if older := d.links().prev; older != "" {
		p.Pages = append(p.Pages, pageLink{s.PageURL(older), "Older items"})
	}
	if d.Page > 0 {
		p.Pages = append(p.Pages, pageLink{s.PageURL(d.Feed.Path), "Latest items"})
	}
	return execPage(p)
}

// ItemPage renders the permalink page of one item.
func ItemPage(s *Site, e Entry) ([]byte, error) {
	p := s.page(e.Item.Page, e.Title+" — "+s.Title)
	p.Heading = e.Title
	it := &pageItem{Paragraphs: strings.Split(e.Description, "\n\n")}
	if e.Description == "" {
		it.Paragraphs = nil
	}
	it.Day, it.ISO = s.day(e.Published)
	if !e.Updated.Equal(e.Published) {
		it.Edited, it.EditedISO = s.day(e.Updated)
	}
	for _, r := range e.Categories {
		it.Categories = append(it.Categories, pageLink{s.PageURL(r.Path), r.Name})
	}
	for _, r := range e.Listings {
		it.Listings = append(it.Listings, pageLink{s.PageURL(r.Path), r.Name})
	}
	p.Item = it
	all, err := s.fragment(model.AllPath, s.Title, "All items")
	if err != nil {
		return nil, err
	}
	// The head autodiscovers the combined feed only: readers and browsers
	// offer one feed of a page, and the item's own feeds are linked in
	// the body, where a person picks one.
	p.Feeds, p.Discover = []feedFragment{all}, []feedFragment{all}
	for _, r := range append(append([]Ref(nil), e.Categories...), e.Listings...) {
		f, err := s.fragment(r.Path, r.Name+" — "+s.Title, r.Name)
		if err != nil {
			return nil, err
		}
		p.Feeds = append(p.Feeds, f)
	}
	return execPage(p)
}

func execPage(p page) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render: page %q: %w", p.Title, err)
	}
	return buf.Bytes(), nil
}
