// Command feedpub-gen writes realistic listing files for benchmarks and
// load tests, deterministic from a seed.
//
//	feedpub-gen -files 10000 -items 10 -out /tmp/listings
//
// With -hugo DIR it also writes the same distinct items as a Hugo site
// (one content file per item; RSS, Atom and JSON Feed of the home page
// and of every category, 50 items each), so that benchmarks can compare
// with Hugo on the same data. With -hugo-pages DIR it writes that site a
// second time, with a minimal HTML page rendered for each item too: the
// anchor for a first scan, which writes every item's page.
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/feedpub/feedpub/internal/gen"
)

func main() {
	var p gen.Params
	out := flag.String("out", "", "directory to write the listing files into (required)")
	flag.IntVar(&p.Files, "files", 1000, "listing files to write")
	flag.IntVar(&p.ItemsPerFile, "items", 10, "items per file")
	flag.IntVar(&p.Listings, "listings", 0, "distinct listing titles (default files/50+1)")
	flag.Float64Var(&p.Shared, "shared", 0.1, "fraction of items repeated from earlier files")
	flag.Uint64Var(&p.Seed, "seed", 1, "random seed: the same seed writes the same files")
	flag.IntVar(&p.Start, "start", 0, "number of the first file, to add files to an existing set")
	hugo := flag.String("hugo", "", "also write the distinct items as a Hugo site in this directory")
	hugoPages := flag.String("hugo-pages", "", "also write them as a Hugo site that renders an HTML page per item")
	flag.Parse()
	if *out == "" || p.Files < 0 || p.ItemsPerFile < 1 || p.Shared < 0 || p.Shared > 1 {
		flag.Usage()
		os.Exit(2)
	}
	g := gen.New(p)
	var hugoErr error
	var sites []hugoSite
	for _, s := range []hugoSite{{*hugo, false}, {*hugoPages, true}} {
		if s.dir == "" {
			continue
		}
		if err := writeHugoSite(s); err != nil {
			fmt.Fprintln(os.Stderr, "feedpub-gen:", err)
			os.Exit(1)
		}
		sites = append(sites, s)
	}
	n := 0
	g.OnItem = func(it gen.Item) {
		n++
		for _, s := range sites {
			if hugoErr == nil {
				hugoErr = writeHugoItem(s, n, it)
			}
		}
	}
	if _, err := g.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "feedpub-gen:", err)
		os.Exit(1)
	}
	if hugoErr != nil {
		fmt.Fprintln(os.Stderr, "feedpub-gen:", hugoErr)
		os.Exit(1)
	}
}

// The Hugo site: items are listed but not rendered, so that Hugo, like
// feedpub's feeds, writes only feeds: RSS (Hugo's own template), Atom and
// JSON Feed for the home page and each category term, 50 items each.
var hugoFiles = map[string]string{
	"hugo.toml": `baseURL = "http://localhost/"
title = "bench"
disableKinds = ["sitemap", "robotsTXT", "404", "section", "taxonomy"]
ignoreErrors = ["error-disable-taxonomy"]
[services.rss]
limit = 50
[mediaTypes."application/atom+xml"]
suffixes = ["xml"]
[outputFormats.Atom]
mediaType = "application/atom+xml"
baseName = "atom"
[outputs]
home = ["RSS", "Atom", "JSON"]
term = ["RSS", "Atom", "JSON"]
[taxonomies]
category = "categories"
`,
	"content/_index.md": "---\ntitle: bench\n---\n",
	"layouts/_default/list.atom.xml": `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{{ .Title }}</title><id>{{ .Permalink }}</id><updated>{{ now.Format "2006-01-02T15:04:05Z07:00" }}</updated>
{{ $pages := .Pages }}{{ if .IsHome }}{{ $pages = .Site.RegularPages }}{{ end }}{{ range first 50 $pages.ByDate.Reverse }}<entry><title>{{ .Title }}</title><id>{{ .Permalink }}</id><updated>{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}</updated><content type="text">{{ .Params.description }}</content></entry>
{{ end }}</feed>
`,
	"layouts/_default/list.json": `{"version":"https://jsonfeed.org/version/1.1","title":{{ .Title | jsonify }},"items":[{{ $pages := .Pages }}{{ if .IsHome }}{{ $pages = .Site.RegularPages }}{{ end }}{{ range $i, $p := first 50 $pages.ByDate.Reverse }}{{ if $i }},{{ end }}{"id":{{ .Permalink | jsonify }},"title":{{ .Title | jsonify }},"content_text":{{ .Params.description | jsonify }},"date_published":{{ .Date.Format "2006-01-02T15:04:05Z07:00" | jsonify }}}{{ end }}]}
`,
}

// hugoPage is the layout of an item's page in a site that renders them:
// its title, date, categories and description, as feedpub's item page has.
const hugoPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title><link rel="stylesheet" href="/style.css"></head>
<body><h1>{{ .Title }}</h1><p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p>{{ .Params.description }}</p>{{ with .Params.categories }}<ul>{{ range . }}<li>{{ . }}</li>{{ end }}</ul>{{ end }}</body></html>
`

// hugoSite is a Hugo site to write: feeds only, or feeds and item pages.
type hugoSite struct {
	dir   string
	pages bool
}

func writeHugoSite(s hugoSite) error {
	files := hugoFiles
	if s.pages {
		files = maps.Clone(hugoFiles)
		files["layouts/_default/single.html"] = hugoPage
	}
	for name, text := range files {
		path := filepath.Join(s.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(s.dir, "content", "items"), 0o755)
}

func writeHugoItem(s hugoSite, n int, it gen.Item) error {
	var b strings.Builder
	b.WriteString("---\ntitle: " + strconv.Quote(it.Title) + "\n")
	b.WriteString("date: " + it.Date.Format("2006-01-02") + "T12:00:00Z\n")
	if it.Label != "" {
		b.WriteString("categories: [" + strconv.Quote(it.Label) + "]\n")
	}
	b.WriteString("description: " + strconv.Quote(it.Description) + "\n")
	if !s.pages {
		// Listed in the feeds, but no HTML page: feedpub's feeds are compared.
		b.WriteString("_build:\n  render: never\n  list: always\n")
	}
	b.WriteString("---\n")
	return os.WriteFile(filepath.Join(s.dir, "content", "items", fmt.Sprintf("%07d.md", n)), []byte(b.String()), 0o644)
}
