package render

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

const (
	atomNS    = "http://www.w3.org/2005/Atom"
	historyNS = "http://purl.org/syndication/history/1.0" // RFC 5005
)

// rssDoc extends gorilla's <rss> wrapper with the Atom namespace, needed
// for the self and archive links, and the feed history namespace of
// archive pages.
type rssDoc struct {
	feeds.RssFeedXml
	AtomNS    string      `xml:"xmlns:atom,attr"`
	HistoryNS string      `xml:"xmlns:fh,attr,omitempty"`
	Channel   *rssChannel `xml:"channel"`
}

func (d *rssDoc) FeedXml() any { return d }

// rssChannel extends gorilla's channel with atom:link rel="self" (RSS
// Advisory Board best practice) and the RFC 5005 archive links, placed
// before the items, the fh:archive marker of archive pages, plain text
// written as the profile asks, and items that can carry several categories.
type rssChannel struct {
	// Declared before the embedded struct, so they are written first.
	Title       plainText `xml:"title"`
	Description plainText `xml:"description"`
	*feeds.RssFeed
	ManagingEditor *plainText   `xml:"managingEditor"`
	AtomLinks      []atomLinkNS `xml:"atom:link"`
	Archive        *struct{}    `xml:"fh:archive"`
	Items          []*rssItem   `xml:"item"`
}

// plainText is RSS character data written as the RSS Best Practices
// Profile asks: "&", "<" and ">" as hexadecimal character references,
// which readers agree on, unlike &amp; and &lt; in elements whose HTML-ness
// RSS leaves open. Readers decode it to the same text.
type plainText struct {
	Body string `xml:",innerxml"`
}

var profileText = strings.NewReplacer("&", "&#x26;", "<", "&#x3C;", ">", "&#x3E;")

// rssText is plain text for RSS, which leaves open whether an element
// holds HTML, so readers guess from what the text looks like: defused
// first (see defuseMarkup), "</b>" or "&amp;" in a title reads as those
// characters both to readers that guess HTML and to those that do not.
func rssText(s string) plainText { return plainText{Body: profileText.Replace(defuseMarkup(s))} }

type atomLinkNS struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"` // none on hub links: a hub is no feed
}

// rssItem extends gorilla's item: link and description are left out when
// empty (gorilla always writes them), and there is one category element
// per category and listing (gorilla allows one).
type rssItem struct {
	Title plainText `xml:"title"`
	*feeds.RssItem
	Link        string      `xml:"link,omitempty"`
	Description string      `xml:"description,omitempty"`
	Categories  []plainText `xml:"category"`
}

// RSS renders d as RSS 2.0.
func RSS(s *Site, d *Doc) ([]byte, error) {
	f := d.gorilla(s)
	for _, e := range d.Entries {
		f.Add(&feeds.Item{
			Title:       e.Title,
			Link:        &feeds.Link{Href: s.ItemURL(e.Item)},
			Id:          e.ID,
			IsPermaLink: "false", // a tag URI is not a URL
			Created:     e.Published.In(s.Location),
			Updated:     e.Updated.In(s.Location),
		})
	}
	ch := (&feeds.Rss{Feed: f}).RssFeed()
	ch.Language = s.Language
	ch.Generator = Generator
	ch.PubDate = ""
	if !f.Updated.IsZero() {
		ch.PubDate = f.Updated.Format(time.RFC1123Z)
	}
	channel := &rssChannel{
		RssFeed: ch,
		Title:   rssText(ch.Title),
		// Many readers take a channel's description as HTML, the
		// validator as plain text that must not look like HTML: with
		// nothing in it that starts a tag or an entity, both read it as
		// written, and "<titles>" does not vanish as an unknown element.
		Description: rssText(ch.Description),
		AtomLinks:   docLinks(s, d, RSSFile, RSSType, func(href, rel, typ string) atomLinkNS { return atomLinkNS{href, rel, typ} }),
	}
	// gorilla writes " (Name)" when there is no email: RSS wants
	// "email (Name)" or nothing.
	if s.AuthorEmail != "" {
		editor := s.AuthorEmail
		if s.AuthorName != "" {
			editor += " (" + s.AuthorName + ")"
		}
		t := rssText(editor)
		channel.ManagingEditor = &t
	}
	for i, gi := range ch.Items {
		e := d.Entries[i]
		it := &rssItem{RssItem: gi, Title: rssText(gi.Title), Link: gi.Link, Description: rssDescription(e)}
		for _, r := range append(append([]Ref(nil), e.Categories...), e.Listings...) {
			it.Categories = append(it.Categories, rssText(r.Name))
		}
		channel.Items = append(channel.Items, it)
	}
	ch.Items = nil
	doc := &rssDoc{
		RssFeedXml: feeds.RssFeedXml{Version: "2.0", ContentNamespace: "http://purl.org/rss/1.0/modules/content/"},
		AtomNS:     atomNS,
		Channel:    channel,
	}
	if d.Page > 0 {
		doc.HistoryNS, channel.Archive = historyNS, &struct{}{}
	}
	return writeXML(doc)
}

// docLinks builds a document's self link, its WebSub hub links (a
// subscription document's, next to the self link that is their topic),
// and its RFC 5005 links (current, prev-archive, next-archive) to the
// same format of its neighbours.
func docLinks[L any](s *Site, d *Doc, file, typ string, mk func(href, rel, typ string) L) []L {
	ls := []L{mk(s.FileURL(d.Dir(), file), "self", typ)}
	if d.Page == 0 {
		for _, h := range s.Hubs {
			ls = append(ls, mk(h, "hub", ""))
		}
	}
	nb := d.links()
	for _, l := range []struct{ dir, rel string }{{nb.current, "current"}, {nb.prev, "prev-archive"}, {nb.next, "next-archive"}} {
		if l.dir != "" {
			ls = append(ls, mk(s.FileURL(l.dir, file), l.rel, typ))
		}
	}
	return ls
}

// rssDescription is the item's description as the HTML RSS expects:
// the plain text escaped once for HTML (and once more for XML by the
// encoder), paragraphs kept.
func rssDescription(e Entry) string {
	if e.Description == "" {
		return ""
	}
	return htmlParagraphs(e.Description)
}

// htmlParagraphs turns plain text into HTML: escaped, and paragraphs
// (separated by a blank line) in <p> elements when there are several.
func htmlParagraphs(text string) string {
	paras := strings.Split(text, "\n\n")
	if len(paras) == 1 {
		return htmlText.Replace(paras[0])
	}
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>")
		b.WriteString(htmlText.Replace(p))
		b.WriteString("</p>")
	}
	return b.String()
}

// htmlText escapes text for an HTML text node: only &, < and > matter
// there, and leaving quotes alone keeps descriptions readable.
var htmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// writeXML encodes a document with gorilla's writer and ends it with a
// newline.
func writeXML(doc feeds.XmlFeed) ([]byte, error) {
	var buf bytes.Buffer
	if err := feeds.WriteXML(doc, &buf); err != nil {
		return nil, fmt.Errorf("render: encode xml: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
