package feedcheck_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/feedcheck"
)

const goodRSS = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>T</title><link>https://example.org/</link><description>D</description>
<atom:link href="https://example.org/rss.xml" rel="self" type="application/rss+xml"/>
<item><title>A</title><guid isPermaLink="false">tag:example.org,2026:a</guid><pubDate>Fri, 01 May 2020 12:00:00 +0000</pubDate><link>https://example.org/a.html</link></item>
<item><title>B</title><guid isPermaLink="false">tag:example.org,2026:b</guid><pubDate>Fri, 01 May 2020 11:59:00 +0000</pubDate></item>
</channel></rss>
`

const goodAtom = `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>T</title><id>tag:example.org,2026:feed</id><updated>2020-05-01T12:00:00Z</updated><author><name>N</name></author>
<link href="https://example.org/atom.xml" rel="self"/>
<entry><title>A</title><id>tag:example.org,2026:a</id><updated>2020-05-01T12:00:00Z</updated><content type="text">x</content><category term="news"/></entry>
<entry><title>B</title><id>tag:example.org,2026:b</id><updated>2020-05-01T11:59:00Z</updated><link href="https://example.org/b.html" rel="alternate"/></entry>
</feed>
`

const goodJSON = `{"version":"https://jsonfeed.org/version/1.1","title":"T","feed_url":"https://example.org/feed.json",
"items":[{"id":"a","content_text":"x","url":"https://example.org/a.html","date_published":"2020-05-01T12:00:00Z"},{"id":"b","content_html":"<p>y</p>"}]}
`

const goodHTML = "<!DOCTYPE html>\n<html><body><p>&lt;script&gt;</p></body></html>\n"

func TestGoodDocumentsPass(t *testing.T) {
	t.Parallel()
	for f, doc := range map[feedcheck.Format]string{feedcheck.RSS: goodRSS, feedcheck.Atom: goodAtom, feedcheck.JSON: goodJSON, feedcheck.HTML: goodHTML, feedcheck.OPML: `<opml version="2.0"><head/><body/></opml>`} {
		if err := feedcheck.Check(f, []byte(doc)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestBrokenDocumentsFail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		format feedcheck.Format
		doc    string
		want   string
	}{
		{"rss truncated", feedcheck.RSS, goodRSS[:len(goodRSS)/2], "not well-formed"},
		{"rss trailing garbage", feedcheck.RSS, goodRSS + "<extra/>", "root elements"},
		{"rss no self link", feedcheck.RSS, strings.Replace(goodRSS, `rel="self"`, `rel="alternate"`, 1), "rel=self"},
		{"rss duplicate guid", feedcheck.RSS, strings.Replace(goodRSS, "2026:b", "2026:a", 1), "appears twice"},
		{"rss empty guid", feedcheck.RSS, strings.Replace(goodRSS, "tag:example.org,2026:b", "", 1), "without an id"},
		{"rss relative link", feedcheck.RSS, strings.Replace(goodRSS, "https://example.org/a.html", "/a.html", 1), "absolute"},
		{"rss bad date", feedcheck.RSS, strings.Replace(goodRSS, "Fri, 01 May 2020 12:00:00 +0000", "yesterday", 1), "valid date"},
		{"rss no description", feedcheck.RSS, strings.Replace(goodRSS, "<description>D</description>", "", 1), "title or description"},
		{"atom no id", feedcheck.Atom, strings.Replace(goodAtom, "<id>tag:example.org,2026:feed</id>", "", 1), "feed id"},
		{"atom relative id", feedcheck.Atom, strings.Replace(goodAtom, "tag:example.org,2026:a", "a", 1), "absolute IRI"},
		{"atom duplicate id", feedcheck.Atom, strings.Replace(goodAtom, "2026:b", "2026:a", 1), "appears twice"},
		{"atom same updated", feedcheck.Atom, strings.Replace(goodAtom, "11:59:00Z", "12:00:00Z", 1), "repeats updated"},
		{"atom no content or alternate", feedcheck.Atom, strings.Replace(goodAtom, `<content type="text">x</content>`, "", 1), "neither content"},
		{"atom no author", feedcheck.Atom, strings.Replace(goodAtom, "<author><name>N</name></author>", "", 1), "no author"},
		{"atom wrong namespace", feedcheck.Atom, strings.Replace(goodAtom, "http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#", 1), "not an Atom document"},
		{"json no items", feedcheck.JSON, `{"version":"https://jsonfeed.org/version/1.1","title":"T"}`, "lacks items"},
		{"json old version", feedcheck.JSON, strings.Replace(goodJSON, "1.1", "1", 1), "version"},
		{"json duplicate id", feedcheck.JSON, strings.Replace(goodJSON, `"id":"b"`, `"id":"a"`, 1), "appears twice"},
		{"json no content", feedcheck.JSON, strings.Replace(goodJSON, `"content_html":"<p>y</p>"`, `"title":"B"`, 1), "neither content"},
		{"json relative url", feedcheck.JSON, strings.Replace(goodJSON, "https://example.org/a.html", "a.html", 1), "absolute"},
		{"json truncated", feedcheck.JSON, goodJSON[:40], "not a JSON document"},
		{"html script", feedcheck.HTML, strings.Replace(goodHTML, "&lt;script&gt;", "<SCRIPT>", 1), "script"},
		{"html script mixed case at end", feedcheck.HTML, goodHTML + "<<sCrIpT", "script"},
		{"html no doctype", feedcheck.HTML, "<p>x</p>", "DOCTYPE"},
		{"html template refusal", feedcheck.HTML, strings.Replace(goodHTML, "<p>", "<style>ZgotmplZ</style><p>", 1), "ZgotmplZ"},
		{"not utf-8", feedcheck.RSS, strings.Replace(goodRSS, "<title>A</title>", "<title>\xff</title>", 1), "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := feedcheck.Check(c.format, []byte(c.doc))
			if err == nil || !errors.Is(err, feedcheck.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check = %v, want an ErrInvalid mentioning %q", err, c.want)
			}
		})
	}
}
