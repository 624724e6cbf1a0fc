package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gorilla/feeds"
)

// jsonFeed extends gorilla's JSON feed so that "items" is present even
// when empty (JSON Feed 1.1 requires it; gorilla omits it).
type jsonFeed struct {
	*feeds.JSONFeed
	Items []*feeds.JSONItem `json:"items"`
}

// JSON renders d as JSON Feed 1.1.
func JSON(s *Site, d *Doc) ([]byte, error) {
	jf := (&feeds.JSON{Feed: d.gorilla(s)}).JSONFeed()
	jf.FeedUrl = s.FileURL(d.Feed.Path, JSONFile) // identifies the feed, on every page
	// JSON Feed pages backwards with next_url: the subscription document
	// to the newest archive page, each archive page to the one before.
	if older := d.links().prev; older != "" {
		jf.NextUrl = s.FileURL(older, JSONFile)
	}
	jf.Language = s.Language
	if d.Page == 0 {
		for _, h := range s.Hubs {
			jf.Hubs = append(jf.Hubs, &feeds.JSONHub{Type: "WebSub", Url: h})
		}
	}
	// author is deprecated in 1.1 and gorilla fills it with a name that
	// may be empty; authors always names someone.
	jf.Author = nil
	jf.Authors = []*feeds.JSONAuthor{{Name: s.authorName()}}
	out := &jsonFeed{JSONFeed: jf, Items: make([]*feeds.JSONItem, 0, len(d.Entries))}
	for _, e := range d.Entries {
		pub, mod := e.Published.In(s.Location), e.Updated.In(s.Location)
		it := &feeds.JSONItem{
			Id:          e.ID,
			Url:         s.ItemURL(e.Item),
			Title:       e.Title,
			ContentText: contentText(e),
			// Some readers read only content_html: give both, the HTML
			// escaped once, so no item arrives empty.
			ContentHTML:   htmlParagraphs(contentText(e)),
			PublishedDate: &pub,
			ModifiedDate:  &mod,
		}
		for _, r := range e.Categories {
			it.Tags = appendTag(it.Tags, r.Name)
		}
		for _, r := range e.Listings {
			it.Tags = appendTag(it.Tags, r.Name)
		}
		out.Items = append(out.Items, it)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("render: encode json feed: %w", err)
	}
	return buf.Bytes(), nil
}

// appendTag adds name to an item's tags unless it holds "&", "<" or ">".
// A widely used reader turns JSON Feed into RSS text before parsing it,
// escaping every field but tags: one such tag makes the whole document
// unreadable to it, so it would store nothing of the feed. Tags are a
// convenience (the item's category and listing feeds, its page and the
// other formats name them), so a name that cannot survive that reader is
// left out rather than altered: readers that parse JSON properly never see
// a tag that reads differently from the category's name.
func appendTag(tags []string, name string) []string {
	if strings.ContainsAny(name, "&<>") {
		return tags
	}
	return append(tags, name)
}
