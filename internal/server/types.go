package server

import (
	"mime"
	"path"
	"strings"

	"github.com/feedpub/feedpub/internal/render"
)

// mediaType returns the Content-Type for a file and whether compressing it
// pays. The feed documents are told apart by name (rss.xml, atom.xml,
// feed.json: render's public file names), everything else by extension.
// Text is UTF-8: that is what the publisher writes.
func mediaType(rel string) (string, bool) {
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
