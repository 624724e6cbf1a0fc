package scan_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

// benchTopics are n topics of five phrases each. The first ten use words
// of the generated listings (places, subjects, objects), so that an item
// joins a topic or two, as on a real site; the rest never match, so that
// what grows with n is the cost of matching, not of storing members.
func benchTopics(n int) []config.Topic {
	real := [][]string{
		{"Japan", "Sri Lanka"}, {"decent work", "gender equality"}, {"Côte d’Ivoire", "Tanzania"},
		{"credit unions"}, {"fair trade networks", "coffee growers"}, {"Moldova"}, {"the SDGs"},
		{"platform workers", "digital skills"}, {"Québec", "Zürich"}, {"José Martí"},
	}
	topics := make([]config.Topic, n)
	for i := range topics {
		t := config.Topic{Name: fmt.Sprintf("Topic %d", i)}
		if i < len(real) {
			t.Match = real[i]
		}
		for j := len(t.Match); j < 5; j++ {
			t.Match = append(t.Match, fmt.Sprintf("subject%d phrase%d", i, j))
		}
		topics[i] = t
	}
	return topics
}

// ingest runs a scan of listings into the database at dbPath up to the
// end of ingest and topic backfill, publishing nothing, and returns how
// long ingest and backfill took.
func ingest(b *testing.B, listings, dbPath string, topics []config.Topic) (read, backfill time.Duration) {
	b.Helper()
	cfg := config.Default()
	cfg.ListingsDir, cfg.DBPath, cfg.OutDir = listings, dbPath, filepath.Join(filepath.Dir(dbPath), "feeds")
	cfg.Topics = topics
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath, store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	var topicsAt time.Time
	_, err = scan.Run(ctx, db, scan.Options{Config: cfg, Now: func() time.Time { return t0 }, Progress: func(p scan.ProgressEvent) {
		switch {
		case p.Phase == scan.PhaseTopics && topicsAt.IsZero():
			topicsAt = time.Now()
		case p.Phase == scan.PhasePages || p.Phase == scan.PhaseFeeds:
			cancel()
		}
	}})
	end := time.Now()
	if !errors.Is(err, context.Canceled) {
		b.Fatalf("scan: %v", err)
	}
	if topicsAt.IsZero() {
		return end.Sub(start), 0
	}
	return topicsAt.Sub(start), end.Sub(topicsAt)
}

// BenchmarkIngestTopics measures a first scan's parse and store of the
// generated listings (-bench-files of 10 items), without publishing,
// with no topics and with 1,000 topics of 5 phrases: matching every
// topic is one pass over each item's text, so it must cost little.
func BenchmarkIngestTopics(b *testing.B) {
	listings := benchData(b)
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			topics := benchTopics(n)
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				dbPath := filepath.Join(b.TempDir(), "feedpub.db")
				b.StartTimer()
				read, backfill := ingest(b, listings, dbPath, topics)
				total += read + backfill
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/ingest")
		})
	}
}

// BenchmarkTopicBackfill measures applying one new topic to every item
// stored (-bench-files of 10 items): each round adds a topic matching
// about one item in seven, whose backfill visits every item.
func BenchmarkTopicBackfill(b *testing.B) {
	listings := benchData(b)
	dbPath := filepath.Join(b.TempDir(), "feedpub.db")
	ingest(b, listings, dbPath, nil)
	var topics []config.Topic
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		topics = append(topics, config.Topic{Name: fmt.Sprintf("Backfilled %d", i), Match: []string{"Japan", "Sri Lanka"}})
		_, backfill := ingest(b, listings, dbPath, topics)
		if backfill == 0 {
			b.Fatal("no backfill ran")
		}
		total += backfill
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/backfill")
}
