package render

import (
	"encoding/xml"
	"fmt"
	"time"
)

// Sitemap file names (sitemaps.org protocol 0.9). SitemapFile is the one
// a site owner names in robots.txt; its parts live under SitemapDir.
const (
	SitemapFile = "sitemap.xml"
	SitemapDir  = "sitemap"
	// SitemapMaxURLs is the protocol's limit of URLs per file; a file
	// must also stay under SitemapMaxBytes uncompressed.
	SitemapMaxURLs  = 50000
	SitemapMaxBytes = 50 << 20
)

const sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

// SitemapURL is one page of a sitemap. A zero Modified leaves lastmod out.
type SitemapURL struct {
	Loc      string
	Modified time.Time
}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapLoc `xml:"url"`
}

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"sitemapindex"`
	NS       string       `xml:"xmlns,attr"`
	Sitemaps []sitemapLoc `xml:"sitemap"`
}

type sitemapLoc struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

func sitemapLocs(urls []SitemapURL) []sitemapLoc {
	locs := make([]sitemapLoc, len(urls))
	for i, u := range urls {
		locs[i].Loc = u.Loc
		if !u.Modified.IsZero() {
			// W3C Datetime, in UTC: the same bytes whatever the zone.
			locs[i].LastMod = u.Modified.UTC().Format(time.RFC3339)
		}
	}
	return locs
}

// Sitemap renders one sitemap file of pages (a <urlset>).
func Sitemap(urls []SitemapURL) ([]byte, error) {
	return sitemapXML(&sitemapURLSet{NS: sitemapNS, URLs: sitemapLocs(urls)}, len(urls))
}

// SitemapIndex renders a sitemap index: the files that list the pages.
func SitemapIndex(files []SitemapURL) ([]byte, error) {
	return sitemapXML(&sitemapIndex{NS: sitemapNS, Sitemaps: sitemapLocs(files)}, len(files))
}

func sitemapXML(v any, n int) ([]byte, error) {
	if n > SitemapMaxURLs {
		return nil, fmt.Errorf("render: sitemap of %d entries, over the protocol's %d", n, SitemapMaxURLs)
	}
	data, err := encodeXML("sitemap", v)
	if err != nil {
		return nil, err
	}
	if len(data) > SitemapMaxBytes {
		return nil, fmt.Errorf("render: sitemap of %d bytes, over the protocol's %d", len(data), SitemapMaxBytes)
	}
	return data, nil
}
