// Package readertest imitates two kinds of real feed reader whose habits
// break feeds that are valid by the specs, so tests can show that every
// document reads right to them too. It is for tests only.
package readertest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"regexp"
	"strings"
)

var (
	titleElem = regexp.MustCompile(`(?s)<title(?:\s[^>]*)?>(.*?)</title>`)
	cdata     = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`)
)

// PlainTitles reads every <title> of an RSS or Atom document the way some
// self-hosted readers do: the element's character data as plain text,
// whatever its type attribute says, except CDATA sections, which they
// HTML-unescape. Titles come in document order, the feed's first.
func PlainTitles(doc []byte) ([]string, error) {
	var titles []string
	for _, m := range titleElem.FindAllSubmatch(doc, -1) {
		var b strings.Builder
		raw := m[1]
		for len(raw) > 0 {
			loc := cdata.FindSubmatchIndex(raw)
			end := len(raw)
			if loc != nil {
				end = loc[0]
			}
			text, err := xmlText(raw[:end])
			if err != nil {
				return nil, err
			}
			b.WriteString(text)
			if loc == nil {
				break
			}
			b.WriteString(html.UnescapeString(string(raw[loc[2]:loc[3]])))
			raw = raw[loc[1]:]
		}
		titles = append(titles, b.String())
	}
	return titles, nil
}

// xmlText decodes XML character data (entities and character
// references) with encoding/xml.
func xmlText(raw []byte) (string, error) {
	var v struct {
		Text string `xml:",chardata"`
	}
	doc := append(append([]byte("<t>"), raw...), "</t>"...)
	if err := xml.Unmarshal(doc, &v); err != nil {
		return "", fmt.Errorf("readertest: character data %q: %w", raw, err)
	}
	return v.Text, nil
}

// AtomTitleTypes returns the type attribute of each entry's title in an
// Atom document ("" where there is none), to tell which titles a reader
// must HTML-unescape.
func AtomTitleTypes(doc []byte) ([]string, error) {
	var feed struct {
		Entries []struct {
			Title struct {
				Type string `xml:"type,attr"`
			} `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(doc, &feed); err != nil {
		return nil, fmt.Errorf("readertest: atom: %w", err)
	}
	types := make([]string, len(feed.Entries))
	for i, e := range feed.Entries {
		types[i] = e.Title.Type
	}
	return types, nil
}

// Item is what the converting reader keeps of a JSON Feed item.
type Item struct {
	ID, Title, Content string
	Tags               []string
}

// JSONAsRSS reads a JSON Feed document the way a widely used PHP reader
// does: it writes the document out as RSS text, escaping every field but
// tags, then parses that RSS with an XML parser and reads only
// content_html. An error means the reader drops the whole document.
func JSONAsRSS(doc []byte) ([]Item, error) {
	var feed struct {
		Title string `json:"title"`
		Items []struct {
			ID          string   `json:"id"`
			Title       string   `json:"title"`
			ContentHTML string   `json:"content_html"`
			Tags        []string `json:"tags"`
		} `json:"items"`
	}
	if err := json.Unmarshal(doc, &feed); err != nil {
		return nil, fmt.Errorf("readertest: json: %w", err)
	}
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>` + esc(feed.Title) + `</title>`)
	for _, it := range feed.Items {
		b.WriteString(`<item><guid>` + esc(it.ID) + `</guid><title>` + esc(it.Title) + `</title>`)
		b.WriteString(`<description>` + esc(it.ContentHTML) + `</description>`)
		for _, tag := range it.Tags {
			b.WriteString(`<category>` + tag + `</category>`) // not escaped, as that reader does
		}
		b.WriteString(`</item>`)
	}
	b.WriteString(`</channel></rss>`)
	var rss struct {
		Items []struct {
			GUID        string   `xml:"guid"`
			Title       string   `xml:"title"`
			Description string   `xml:"description"`
			Categories  []string `xml:"category"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &rss); err != nil {
		return nil, fmt.Errorf("readertest: the RSS made of the JSON Feed does not parse: %w", err)
	}
	items := make([]Item, len(rss.Items))
	for i, it := range rss.Items {
		items[i] = Item{ID: it.GUID, Title: it.Title, Content: it.Description, Tags: it.Categories}
	}
	return items, nil
}
