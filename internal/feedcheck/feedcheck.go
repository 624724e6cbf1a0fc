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

// wellFormed reads every token in strict mode: unlike xml.Unmarshal it
// also catches damage after the root element.
func wellFormed(data []byte, add adder) bool {
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			add("not well-formed XML: %v", err)
			return false
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		add("not well-formed XML: %d root elements", roots)
		return false
	}
	return true
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

type link struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

func checkRSS(data []byte, add adder) {
	if !wellFormed(data, add) {
		return
	}
	var doc struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Channel struct {
			// Before Link: a field without a namespace takes elements of
			// any namespace, so atom:link must be claimed first.
			Links       []link `xml:"http://www.w3.org/2005/Atom link"`
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			Description string `xml:"description"`
			Items       []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				Description string `xml:"description"`
				GUID        string `xml:"guid"`
				PubDate     string `xml:"pubDate"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		add("not an RSS document: %v", err)
		return
	}
	ch := doc.Channel
	if doc.Version != "2.0" {
		add("rss version %q, want 2.0", doc.Version)
	}
	if ch.Title == "" || ch.Description == "" {
		add("channel lacks a title or description")
	}
	absolute(add, "channel link", ch.Link)
	self := false
	for _, l := range ch.Links {
		absolute(add, "atom:link "+l.Rel, l.Href)
		self = self || l.Rel == "self"
	}
	if !self {
		add("channel lacks atom:link rel=self")
	}
	ids := unique{}
	for i, it := range ch.Items {
		what := fmt.Sprintf("item %d", i+1)
		if it.Title == "" && it.Description == "" {
			add("%s has neither title nor description", what)
		}
		ids.check(add, what, it.GUID)
		if it.Link != "" {
			absolute(add, what+" link", it.Link)
		}
		date(add, what+" pubDate", it.PubDate, time.RFC1123Z, time.RFC1123)
	}
}

func checkAtom(data []byte, add adder) {
	if !wellFormed(data, add) {
		return
	}
	type text struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
	var doc struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Authors []struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Links   []link `xml:"link"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Updated   string `xml:"updated"`
			Published string `xml:"published"`
			Content   *text  `xml:"content"`
			Links     []link `xml:"link"`
			Authors   []struct {
				Name string `xml:"name"`
			} `xml:"author"`
			Categories []struct {
				Term string `xml:"term,attr"`
			} `xml:"category"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		add("not an Atom document: %v", err)
		return
	}
	iri(add, "feed id", doc.ID)
	if doc.Title == "" {
		add("feed lacks a title")
	}
	date(add, "feed updated", doc.Updated, time.RFC3339)
	feedAuthor := len(doc.Authors) > 0 && doc.Authors[0].Name != ""
	self := false
	for _, l := range doc.Links {
		absolute(add, "link "+l.Rel, l.Href)
		self = self || l.Rel == "self"
	}
	if !self {
		add("feed lacks a link rel=self")
	}
	ids := unique{}
	updated := map[string]bool{}
	for i, e := range doc.Entries {
		what := fmt.Sprintf("entry %d", i+1)
		ids.check(add, what, e.ID)
		iri(add, what+" id", e.ID)
		if e.Title == "" {
			add("%s lacks a title", what)
		}
		date(add, what+" updated", e.Updated, time.RFC3339)
		if updated[e.Updated] {
			add("%s repeats updated %s", what, e.Updated)
		}
		updated[e.Updated] = true
		if e.Published != "" {
			date(add, what+" published", e.Published, time.RFC3339)
		}
		alternate := false
		for _, l := range e.Links {
			absolute(add, what+" link", l.Href)
			alternate = alternate || l.Rel == "alternate" || l.Rel == ""
		}
		if e.Content == nil && !alternate {
			add("%s has neither content nor an alternate link", what)
		}
		if !feedAuthor && (len(e.Authors) == 0 || e.Authors[0].Name == "") {
			add("%s has no author and the feed has none", what)
		}
		for _, c := range e.Categories {
			if c.Term == "" {
				add("%s has a category without a term", what)
			}
		}
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
	if bytes.Contains(bytes.ToLower(data), []byte("<script")) {
		add("HTML page contains a script element")
	}
	// html/template writes this where it refused an unsafe value: a bug
	// in a template, never something to publish.
	if bytes.Contains(data, []byte("ZgotmplZ")) {
		add("HTML page contains html/template's ZgotmplZ marker")
	}
}
