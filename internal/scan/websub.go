package scan

import (
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/websub"
)

// noteChanged notes a file whose bytes the current batch replaces: if it
// is a WebSub topic, its hubs are owed a ping.
func (s *scanner) noteChanged(rel string) {
	if !websub.IsTopic(rel) {
		return
	}
	s.mu.Lock()
	s.topics = append(s.topics, rel)
	s.sum.TopicsChanged++
	s.mu.Unlock()
}

// recordPings records the pings owed for the topics of the current batch,
// before the batch is published: recorded with the marks cleared after
// it, a kill between the renames and that transaction would lose them (the
// next scan finds the files already right and changes nothing). A kill
// before the renames leaves pings for changes published by the next scan,
// which sends them only after publishing: a hub always fetches the new
// version.
func (s *scanner) recordPings() error {
	s.mu.Lock()
	topics := s.topics
	s.topics = nil
	s.mu.Unlock()
	if len(topics) == 0 || len(s.cfg.Hubs) == 0 {
		return nil
	}
	urls := make([]string, len(topics))
	for i, rel := range topics {
		urls[i] = websub.TopicURL(s.site.BaseURL, rel)
	}
	return s.db.Update(func(tx *store.Tx) error { return tx.AddPings(s.cfg.Hubs, urls) })
}
