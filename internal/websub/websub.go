// Package websub makes feedpub a WebSub publisher (W3C Recommendation,
// 2018): every subscription document advertises the configured hubs, and
// each change to one is announced to every hub, so that subscribers are
// pushed the new version instead of polling for it.
//
// A topic is a subscription document in one format, named by its self
// URL; archive pages are not topics. The scan records the pings owed in
// the store (store.Ping) before it publishes the changed files; a
// Notifier sends them with retries and backoff, and what the hubs
// acknowledged is removed from the store afterwards. A ping is therefore
// sent at least once per change, after the change is published.
package websub

import (
	"net/url"
	"path"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
)

// IsTopic reports whether rel, a slash path under the output directory,
// is a topic: the RSS, Atom or JSON Feed subscription document of a feed.
func IsTopic(rel string) bool {
	dir, file := path.Split(rel)
	switch file {
	case render.RSSFile, render.AtomFile, render.JSONFile:
	default:
		return false
	}
	if dir == "" {
		return false
	}
	_, _, archive := model.SplitArchiveDir(dir[:len(dir)-1])
	return !archive
}

// TopicURL is the topic of rel: its public URL under base, exactly the
// self link the document carries.
func TopicURL(base *url.URL, rel string) string {
	return (&render.Site{BaseURL: base}).URL(rel)
}
