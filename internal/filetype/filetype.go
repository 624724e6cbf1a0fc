// Package filetype knows what each published file is: its media type,
// whether it compresses, whether it can ever change, and which of its
// precompressed variants sit beside it. The server, the publisher and the
// uploader to object storage all ask here, so that a file is described
// the same way wherever it is served from.
package filetype

import (
	"mime"
	"path"
	"strings"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
)

// Of returns the Content-Type for a file and whether compressing it
// pays. The feed documents are told apart by name (rss.xml, atom.xml,
// feed.json: render's public file names), everything else by extension.
// Text is UTF-8: that is what the publisher writes.
func Of(rel string) (contentType string, compressible bool) {
	const utf8 = "; charset=utf-8"
	switch path.Base(rel) {
	case render.RSSFile:
		return render.RSSType + utf8, true
	case render.AtomFile:
		return render.AtomType + utf8, true
	case render.JSONFile:
		return render.JSONType + utf8, true
	}
	switch ext := strings.ToLower(path.Ext(rel)); ext {
	case ".html", ".htm":
		return "text/html" + utf8, true
	case ".opml":
		return "text/x-opml" + utf8, true
	case ".xml", ".xsl":
		return "application/xml" + utf8, true
	case ".json":
		return "application/json" + utf8, true
	case ".css":
		return "text/css" + utf8, true
	case ".js", ".mjs":
		return "text/javascript" + utf8, true
	case ".txt":
		return "text/plain" + utf8, true
	case ".svg":
		return "image/svg+xml", true
	case ".ico":
		return "image/x-icon", true // BMP inside compresses well
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t, false // images, fonts, archives: compressed already
		}
	}
	return "application/octet-stream", false
}

// ImmutableCacheControl is the Cache-Control of full archive pages (RFC
// 5005): their URLs and entries never change once written, so caches may
// keep them a year without asking again.
const ImmutableCacheControl = "public, max-age=31536000, immutable"

// Immutable reports whether the file at rel never changes once written:
// the files of an archive page, and the pages' stylesheet, named after its
// hash. Everything else may change with the next scan.
func Immutable(rel string) bool {
	if Stylesheet(rel) {
		return true
	}
	_, _, ok := model.SplitArchiveDir(path.Dir(rel))
	return ok
}

// Stylesheet reports whether rel is the pages' stylesheet,
// style.<hash>.css at the root.
func Stylesheet(rel string) bool {
	return !strings.Contains(rel, "/") && strings.HasPrefix(rel, "style.") && strings.HasSuffix(rel, ".css")
}

// Polled reports whether the file at rel is fetched over and over by
// machines: the subscription documents (rss.xml, atom.xml, feed.json),
// the feeds' HTML pages, the index page and the OPML list. Only those get
// precompressed variants. Archive pages never change and are cached for a
// year by anything in front; item pages are read once by a person who
// followed a link; the sitemap by a crawler now and then: a server
// compresses them on the fly (feedpub serve keeps the result), and
// variants for them would multiply the files a first scan writes.
func Polled(rel string) bool {
	switch path.Base(rel) {
	case render.RSSFile, render.AtomFile, render.JSONFile, render.HTMLFile:
		return !Immutable(rel) // item pages are never named index.html
	case render.OPMLFile:
		return rel == render.OPMLFile
	}
	return false
}

// Coding is a content coding of a precompressed variant: the file X is
// stored beside it as X + Ext, compressed, for servers that pick the
// variant by name (nginx gzip_static and brotli_static, a CDN's rules).
type Coding struct {
	Ext  string // ".gz"
	Name string // its Content-Encoding: "gzip"
}

// Codings are the precompressed variants written, in the order they are
// published (before the file itself).
var Codings = []Coding{{".gz", "gzip"}, {".br", "br"}}

// SplitVariant reports whether rel is a precompressed variant, and of
// which file in which coding. Nothing else the publisher writes ends in
// .gz or .br.
func SplitVariant(rel string) (main string, c Coding, ok bool) {
	for _, c := range Codings {
		if m, found := strings.CutSuffix(rel, c.Ext); found && m != "" && !strings.HasSuffix(m, "/") {
			return m, c, true
		}
	}
	return rel, Coding{}, false
}
