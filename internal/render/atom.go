package render

import (
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/feeds"

	"github.com/feedpub/feedpub/internal/model"
)

// atomFeed extends gorilla's feed with several links (self, alternate
// and RFC 5005's; gorilla has one), a generator, the fh:archive marker of
// archive pages, and our entries.
type atomFeed struct {
	Title atomText `xml:"title"` // before the embedded struct: written first
	*feeds.AtomFeed
	HistoryNS string           `xml:"xmlns:fh,attr,omitempty"`
	Subtitle  atomText         `xml:"subtitle"`
	Links     []feeds.AtomLink `xml:"link"`
	Generator string           `xml:"generator,omitempty"`
	Archive   *struct{}        `xml:"fh:archive"`
	Entries   []*atomEntry     `xml:"entry"`
}

func (f *atomFeed) FeedXml() any { return f }

// atomEntry extends gorilla's entry with several categories carrying
// term, scheme and label (gorilla has one bare string), and a link that is
// left out when empty (gorilla always writes one).
type atomEntry struct {
	Title atomText `xml:"title"` // before the embedded struct: written first
	*feeds.AtomEntry
	Content    atomText         `xml:"content"`
	Links      []feeds.AtomLink `xml:"link"`
	Categories []atomCategory   `xml:"category"`
}

// atomText is an Atom text construct (RFC 4287 3.1). Text stays
// type="text" unless it holds something a reader could take for markup: an
// end tag ("</b>") or an entity ("&amp;", "&#38;"), which the validator
// flags in plain text. That text goes as type="html", escaped once for
// HTML, inside a CDATA section. Readers that honour type unescape the HTML
// and show the text; readers that ignore type and take character data as
// plain text HTML-unescape CDATA sections only, so they show the same text
// and not "&lt;b&gt;". encoding/xml splits a "]]>" across two sections.
// Ordinary text ("AT&T", "a <b") stays plain text, which every reader
// shows right.
type atomText struct {
	Type  string `xml:"type,attr,omitempty"`
	Body  string `xml:",chardata"`
	CDATA string `xml:",cdata"`
}

var looksLikeMarkup = regexp.MustCompile(`</[A-Za-z]|&(#[0-9xX]|[A-Za-z][A-Za-z0-9]*;)`)

func newAtomText(s string) atomText {
	// Most text has neither "</" nor "&": skip the regular expression.
	if !(strings.Contains(s, "</") || strings.IndexByte(s, '&') >= 0) || !looksLikeMarkup.MatchString(s) {
		return atomText{Body: s}
	}
	return atomText{Type: "html", CDATA: htmlParagraphs(s)}
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr,omitempty"`
	Label  string `xml:"label,attr,omitempty"`
}

// Atom renders d as Atom 1.0 (RFC 4287).
func Atom(s *Site, d *Doc) ([]byte, error) {
	f := d.gorilla(s)
	af := (&feeds.Atom{Feed: f}).AtomFeed()
	af.Id = d.Feed.ID // gorilla would use the link
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: s.authorName(), Email: s.AuthorEmail}}
	doc := &atomFeed{
		AtomFeed: af,
		Title:    newAtomText(af.Title),
		Subtitle: newAtomText(af.Subtitle),
		Links: append(docLinks(s, d, AtomFile, AtomType, func(href, rel, typ string) feeds.AtomLink {
			return feeds.AtomLink{Href: href, Rel: rel, Type: typ}
		}), feeds.AtomLink{Href: s.PageURL(d.Dir()), Rel: "alternate", Type: "text/html"}),
		Generator: Generator,
	}
	if d.Page > 0 {
		doc.HistoryNS, doc.Archive = historyNS, &struct{}{}
	}
	for _, e := range d.Entries {
		doc.Entries = append(doc.Entries, atomEntryOf(s, e))
	}
	return writeXML(doc)
}

func atomEntryOf(s *Site, e Entry) *atomEntry {
	ae := &atomEntry{
		AtomEntry: &feeds.AtomEntry{
			Id:        e.ID,
			Published: e.Published.In(s.Location).Format(time.RFC3339),
			Updated:   e.Updated.In(s.Location).Format(time.RFC3339),
		},
		Title: newAtomText(e.Title),
		// Readers show content; items without a description carry their
		// title, so no entry is blank.
		Content: newAtomText(contentText(e)),
		Links:   []feeds.AtomLink{{Href: s.ItemURL(e.Item), Rel: "alternate", Type: "text/html"}},
	}
	for _, r := range e.Categories {
		ae.Categories = append(ae.Categories, atomCategory{Term: r.Slug(), Scheme: s.URL(string(model.KindCategory) + "/"), Label: defuseMarkup(r.Name)})
	}
	for _, r := range e.Listings {
		ae.Categories = append(ae.Categories, atomCategory{Term: r.Slug(), Scheme: s.URL(string(model.KindListing) + "/"), Label: defuseMarkup(r.Name)})
	}
	return ae
}

// contentText is an item's text body: its description, else its title.
func contentText(e Entry) string {
	if e.Description != "" {
		return e.Description
	}
	return e.Title
}
