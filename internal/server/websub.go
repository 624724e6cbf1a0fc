package server

import (
	"net/url"

	"github.com/feedpub/feedpub/internal/websub"
)

// topicLinks returns the Link field of a WebSub topic's responses (WebSub
// §4, discovery): one value per hub, then the self URL, the topic as the
// document names it. ok is false for files that are no topics, and when
// no hubs are configured. It runs once per file version, when its entry
// is prepared.
func (s *Server) topicLinks(rel string) (f hfield, ok bool) {
	if len(s.hubLinks) == 0 || s.base == nil || !websub.IsTopic(rel) {
		return hfield{}, false
	}
	self := "<" + websub.TopicURL(s.base, rel) + `>; rel="self"`
	return makeMultiField("Link", append(append([]string(nil), s.hubLinks...), self)), true
}

// hubLinkValues are the Link values of the hubs, prepared once.
func hubLinkValues(hubs []string) []string {
	out := make([]string, len(hubs))
	for i, h := range hubs {
		// A URL in a Link field must not hold '>' or spaces; configured
		// hubs are parsed URLs, and String escapes them.
		if u, err := url.Parse(h); err == nil {
			h = u.String()
		}
		out[i] = "<" + h + `>; rel="hub"`
	}
	return out
}

// makeMultiField prepares a field sent once per value: separate lines
// keep each Link value whole for clients that do not split on commas.
func makeMultiField(name string, values []string) hfield {
	f := makeField(name, values[0])
	f.vals = values
	for _, v := range values[1:] {
		f.more = append(f.more, []byte(v))
	}
	return f
}
