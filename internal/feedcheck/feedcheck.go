// Package feedcheck checks a generated document against the structural
// rules feedpub can test itself (well-formed, required elements, unique
// ids, absolute URLs, parseable dates) before it replaces a published file.
// A document that fails is not published: the last good file stays.
package feedcheck

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid wraps every problem Check finds.
var ErrInvalid = errors.New("invalid document")

// Format names a kind of document.
type Format string

const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
	HTML Format = "html"
	OPML Format = "opml"
	// Sitemap is a sitemaps.org file: a urlset or a sitemap index.
	Sitemap Format = "sitemap"
)

// Check checks data as a document of format f.
func Check(f Format, data []byte) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !utf8.Valid(data) {
		add("not valid UTF-8")
	} else {
		switch f {
		case RSS:
			checkRSS(data, add)
		case Atom:
			checkAtom(data, add)
		case JSON:
			checkJSON(data, add)
		case HTML:
			checkHTML(data, add)
		case OPML:
			wellFormed(data, add)
		case Sitemap:
			checkSitemap(data, add)
		default:
			add("unknown format %q", f)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("and %d more problems", len(errs)-5))
	}
	return fmt.Errorf("%w (%s): %w", ErrInvalid, f, errors.Join(errs...))
}

type adder func(format string, args ...any)

// element is an XML element as walk reports it: its name as written
// (prefix:local), its attributes and, if it has no child element, its
// text (the checks read the text of leaves only).
type element struct {
	name   string
	attrs  []xml.Attr
	text   string
	parent bool // has a child element: its text is not kept
}

func (e *element) attr(name string) string {
	for _, a := range e.attrs {
		n := a.Name.Local
		if a.Name.Space != "" {
			n = a.Name.Space + ":" + n
		}
		if n == name {
			return a.Value
		}
	}
	return ""
}

// walk reads data in one pass, checking that it is well-formed XML with
// one root element, and calls start and end for every element with the
// names of its ancestors. It uses RawToken, which skips namespace
// translation and allocation-heavy reflection: documents are checked
// before every write, archive pages by the thousand.
func walk(data []byte, add adder, start, end func(path []string, e *element)) bool {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var path []string
	var open []element
	roots := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			add("not well-formed XML: %v", err)
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			if len(open) == 0 {
				roots++
			} else if p := &open[len(open)-1]; !p.parent {
				p.parent, p.text = true, ""
			}
			// Elements live on a stack of values, one allocation for
			// the document: callbacks never keep the pointer.
			open = append(open, element{name: name, attrs: t.Attr})
			start(path, &open[len(open)-1])
			path = append(path, name)
		case xml.EndElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			if len(open) == 0 || open[len(open)-1].name != name {
				add("not well-formed XML: unexpected end element </%s>", name)
				return false
			}
			path = path[:len(path)-1]
			end(path, &open[len(open)-1])
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				if e := &open[len(open)-1]; !e.parent {
					e.text += string(t)
				}
			} else if len(bytes.TrimSpace(t)) > 0 {
				add("not well-formed XML: text outside the root element")
				return false
			}
		}
	}
	if len(open) > 0 || roots != 1 {
		add("not well-formed XML: %d root elements, %d left open", roots, len(open))
		return false
	}
	return true
}

// wellFormed checks only that data is one well-formed XML document.
func wellFormed(data []byte, add adder) bool {
	nop := func([]string, *element) {}
	return walk(data, add, nop, nop)
}

func absolute(add adder, what, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("%s %q is not an absolute http(s) URL", what, raw)
	}
}

func date(add adder, what, raw string, layouts ...string) {
	for _, l := range layouts {
		if _, err := time.Parse(l, raw); err == nil {
			return
		}
	}
	add("%s %q is not a valid date", what, raw)
}

// unique reports ids seen twice or empty.
type unique map[string]bool

func (u unique) check(add adder, what, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		add("%s without an id", what)
	case u[id]:
		add("%s id %q appears twice", what, id)
	}
	u[id] = true
}

const atomNS = "http://www.w3.org/2005/Atom"

func checkRSS(data []byte, add adder) {
	var (
		version, atomPrefix            string
		title, link, description       string
		self                           bool
		items                          int
		itemTitle, itemDesc, guid, pub string
		itemLink                       string
	)
	ids := unique{}
	start := func(path []string, e *element) {
		switch depth := len(path); {
		case depth == 0:
			if e.name != "rss" {
				add("root element <%s>, want <rss>", e.name)
			}
			version = e.attr("version")
			for _, a := range e.attrs {
				if a.Name.Space == "xmlns" && a.Value == atomNS {
					atomPrefix = a.Name.Local
				}
			}
		case depth == 2 && e.name == "item":
			items++
			itemTitle, itemDesc, guid, pub, itemLink = "", "", "", "", ""
		}
	}
	// Paths are compared by depth and name, not joined: the root was
	// checked at its start, and this runs for every element.
	end := func(path []string, e *element) {
		inChannel := len(path) == 2 && path[1] == "channel"
		switch {
		case inChannel && e.name == "title":
			title = e.text
		case inChannel && e.name == "link":
			link = e.text
		case inChannel && e.name == "description":
			description = e.text
		case inChannel && atomPrefix != "" && e.name == atomPrefix+":link":
			absolute(add, "atom:link "+e.attr("rel"), e.attr("href"))
			self = self || e.attr("rel") == "self"
		case len(path) == 3 && path[1] == "channel" && path[2] == "item":
			switch e.name {
			case "title":
				itemTitle = e.text
			case "description":
				itemDesc = e.text
			case "guid":
				guid = e.text
			case "pubDate":
				pub = e.text
			case "link":
				itemLink = e.text
			}
		case inChannel && e.name == "item":
			what := fmt.Sprintf("item %d", items)
			if itemTitle == "" && itemDesc == "" {
				add("%s has neither title nor description", what)
			}
			ids.check(add, what, guid)
			if itemLink != "" {
				absolute(add, what+" link", itemLink)
			}
			date(add, what+" pubDate", pub, time.RFC1123Z, time.RFC1123)
		}
	}
	if !walk(data, add, start, end) {
		return
	}
	if version != "2.0" {
		add("rss version %q, want 2.0", version)
	}
	if title == "" || description == "" {
		add("channel lacks a title or description")
	}
	absolute(add, "channel link", link)
	if !self {
		add("channel lacks atom:link rel=self")
	}
}

func checkAtom(data []byte, add adder) {
	var (
		id, title, updated      string
		feedAuthor, self        bool
		entries                 int
		eID, eTitle, eUpd, ePub string
		eContent, eAlt, eAuthor bool
	)
	ids := unique{}
	seenUpdated := map[string]bool{}
	start := func(path []string, e *element) {
		switch {
		case len(path) == 0:
			if e.name != "feed" || e.attr("xmlns") != atomNS {
				add("not an Atom document: root <%s> in namespace %q", e.name, e.attr("xmlns"))
			}
		case len(path) == 1 && e.name == "entry":
			entries++
			eID, eTitle, eUpd, ePub = "", "", "", ""
			eContent, eAlt, eAuthor = false, false, false
		}
	}
	// Paths are compared by depth and name, not joined, and an entry's
	// name is made only where a message may need it: this runs for every
	// element.
	end := func(path []string, e *element) {
		in := ""
		switch {
		case len(path) == 1:
			in = "feed"
		case len(path) == 2 && path[1] == "author":
			in = "feed/author"
		case len(path) == 2 && path[1] == "entry":
			in = "feed/entry"
		case len(path) == 3 && path[1] == "entry" && path[2] == "author":
			in = "feed/entry/author"
		}
		switch in {
		case "feed":
			switch e.name {
			case "id":
				id = e.text
			case "title":
				title = e.text
			case "updated":
				updated = e.text
			case "link":
				absolute(add, "link "+e.attr("rel"), e.attr("href"))
				self = self || e.attr("rel") == "self"
			case "entry":
				what := fmt.Sprintf("entry %d", entries)
				ids.check(add, what, eID)
				iri(add, what+" id", eID)
				if eTitle == "" {
					add("%s lacks a title", what)
				}
				date(add, what+" updated", eUpd, time.RFC3339)
				if seenUpdated[eUpd] {
					add("%s repeats updated %s", what, eUpd)
				}
				seenUpdated[eUpd] = true
				if ePub != "" {
					date(add, what+" published", ePub, time.RFC3339)
				}
				if !eContent && !eAlt {
					add("%s has neither content nor an alternate link", what)
				}
				if !feedAuthor && !eAuthor {
					add("%s has no author and the feed has none", what)
				}
			}
		case "feed/author":
			if e.name == "name" && strings.TrimSpace(e.text) != "" {
				feedAuthor = true
			}
		case "feed/entry":
			switch e.name {
			case "id":
				eID = e.text
			case "title":
				eTitle = e.text
			case "updated":
				eUpd = e.text
			case "published":
				ePub = e.text
			case "content":
				eContent = true
			case "link":
				absolute(add, fmt.Sprintf("entry %d link", entries), e.attr("href"))
				if rel := e.attr("rel"); rel == "alternate" || rel == "" {
					eAlt = true
				}
			case "category":
				if e.attr("term") == "" {
					add("entry %d has a category without a term", entries)
				}
			}
		case "feed/entry/author":
			if e.name == "name" && strings.TrimSpace(e.text) != "" {
				eAuthor = true
			}
		}
	}
	if !walk(data, add, start, end) {
		return
	}
	iri(add, "feed id", id)
	if title == "" {
		add("feed lacks a title")
	}
	date(add, "feed updated", updated, time.RFC3339)
	if !self {
		add("feed lacks a link rel=self")
	}
}

// iri checks that an id is an absolute IRI (tag:, urn:, http:...).
func iri(add adder, what, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Opaque == "" && u.Host == "" && u.Path == "") {
		add("%s %q is not an absolute IRI", what, raw)
	}
}

func checkJSON(data []byte, add adder) {
	var doc struct {
		Version     string `json:"version"`
		Title       string `json:"title"`
		HomePageURL string `json:"home_page_url"`
		FeedURL     string `json:"feed_url"`
		NextURL     string `json:"next_url"`
		Items       *[]struct {
			ID            string `json:"id"`
			URL           string `json:"url"`
			ContentText   string `json:"content_text"`
			ContentHTML   string `json:"content_html"`
			DatePublished string `json:"date_published"`
			DateModified  string `json:"date_modified"`
		} `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		add("not a JSON document: %v", err)
		return
	}
	if dec.More() {
		add("data after the JSON document")
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" {
		add("version %q, want https://jsonfeed.org/version/1.1", doc.Version)
	}
	if doc.Title == "" {
		add("feed lacks a title")
	}
	for what, u := range map[string]string{"home_page_url": doc.HomePageURL, "feed_url": doc.FeedURL, "next_url": doc.NextURL} {
		if u != "" {
			absolute(add, what, u)
		}
	}
	if doc.Items == nil {
		add("feed lacks items")
		return
	}
	ids := unique{}
	for i, it := range *doc.Items {
		what := fmt.Sprintf("item %d", i+1)
		ids.check(add, what, it.ID)
		if it.ContentText == "" && it.ContentHTML == "" {
			add("%s has neither content_text nor content_html", what)
		}
		if it.URL != "" {
			absolute(add, what+" url", it.URL)
		}
		for k, d := range map[string]string{"date_published": it.DatePublished, "date_modified": it.DateModified} {
			if d != "" {
				date(add, what+" "+k, d, time.RFC3339)
			}
		}
	}
}

func checkHTML(data []byte, add adder) {
	if !bytes.HasPrefix(data, []byte("<!DOCTYPE html>")) {
		add("HTML page lacks <!DOCTYPE html>")
	}
	if hasScriptTag(data) {
		add("HTML page contains a script element")
	}
	// html/template writes this where it refused an unsafe value: a bug
	// in a template, never something to publish.
	if bytes.Contains(data, []byte("ZgotmplZ")) {
		add("HTML page contains html/template's ZgotmplZ marker")
	}
}

// hasScriptTag reports whether data holds "<script" in any letter case.
// It looks at each '<' instead of lowering a copy of the page: pages are
// checked by the hundred thousand on a first scan.
func hasScriptTag(data []byte) bool {
	const tag = "script"
	for {
		i := bytes.IndexByte(data, '<')
		if i < 0 {
			return false
		}
		data = data[i+1:]
		if len(data) >= len(tag) && bytes.EqualFold(data[:len(tag)], []byte(tag)) {
			return true
		}
	}
}

// checkSitemap checks a sitemaps.org 0.9 file: a <urlset> of <url> or a
// <sitemapindex> of <sitemap>, each with an absolute <loc> and a valid
// <lastmod> if any, within the protocol's 50,000 entries.
func checkSitemap(data []byte, add adder) {
	const ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
	entries := 0
	walk(data, add, func(path []string, e *element) {
		if len(path) == 0 {
			if (e.name != "urlset" && e.name != "sitemapindex") || e.attr("xmlns") != ns {
				add("root <%s xmlns=%q> is not a sitemap", e.name, e.attr("xmlns"))
			}
		}
	}, func(path []string, e *element) {
		switch {
		case len(path) == 1 && (e.name == "url" || e.name == "sitemap"):
			entries++
		case len(path) == 2 && e.name == "loc":
			absolute(add, "loc", e.text)
		case len(path) == 2 && e.name == "lastmod":
			date(add, "lastmod", e.text, time.RFC3339, time.DateOnly)
		}
	})
	if entries > 50000 {
		add("%d entries, over the protocol's 50,000", entries)
	}
}
