//go:build unix

package scan_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/topic"
)

// benchTopics are n topics of five phrases each. With matching, the
// first ten use words of the generated listings (places, subjects,
// objects), so that an item joins a topic or so, as on a real site, and
// the rest never match; without, none matches, so that all the
// difference with no topics is the cost of matching.
func benchTopics(n int, matching bool) []config.Topic {
	real := [][]string{
		{"Japan", "Sri Lanka"}, {"decent work", "gender equality"}, {"Côte d’Ivoire", "Tanzania"},
		{"credit unions"}, {"fair trade networks", "coffee growers"}, {"Moldova"}, {"the SDGs"},
		{"platform workers", "digital skills"}, {"Québec", "Zürich"}, {"José Martí"},
	}
	topics := make([]config.Topic, n)
	for i := range topics {
		t := config.Topic{Name: fmt.Sprintf("Topic %d", i)}
		if matching && i < len(real) {
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
	cfg, db := benchOpen(b, listings, filepath.Dir(dbPath), topics)
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	var topicsAt time.Time
	_, err := scan.Run(ctx, db, scan.Options{Config: cfg, Now: func() time.Time { return t0 }, Progress: func(p scan.ProgressEvent) {
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
// generated listings (-bench-files of 10 items), without publishing: with
// no topics; with 1,000 topics of 5 phrases that match nothing, the cost
// of matching alone, one pass over each item's text; and with 1,000 of
// which ten match, where items also join topic feeds, which costs what
// joining as many more categories would.
func BenchmarkIngestTopics(b *testing.B) {
	listings := benchData(b)
	for _, c := range []struct {
		name   string
		topics []config.Topic
	}{
		{"topics=0", nil},
		{"topics=1000/matching=0", benchTopics(1000, false)},
		{"topics=1000/matching=10", benchTopics(1000, true)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total, cpu time.Duration
			var members, items int
			for b.Loop() {
				b.StopTimer()
				dbPath := filepath.Join(b.TempDir(), "feedpub.db")
				b.StartTimer()
				before := cpuTime()
				read, backfill := ingest(b, listings, dbPath, c.topics)
				total += read + backfill
				cpu += cpuTime() - before
				b.StopTimer()
				members, items = topicMembers(b, dbPath)
				b.StartTimer()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/ingest")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/ingest")
			b.ReportMetric(float64(members)/float64(items), "topics/item")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used: on a
// machine busy with other work, a fairer measure than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// topicMembers counts the topic memberships and the items stored.
func topicMembers(b *testing.B, dbPath string) (members, items int) {
	db, err := store.Open(dbPath, store.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *store.Tx) error {
		items, _ = tx.Counts()
		feeds, err := tx.Feeds()
		for _, f := range feeds {
			if f.Kind == model.KindTopic {
				members += f.Items
			}
		}
		return err
	})
	return members, items
}

// BenchmarkTopicBackfill measures applying one new topic to every item
// stored (-bench-files of 10 items): each round adds a topic matching
// about one item in nine, whose backfill visits every item.
func BenchmarkTopicBackfill(b *testing.B) {
	listings := benchData(b)
	dbPath := filepath.Join(b.TempDir(), "feedpub.db")
	ingest(b, listings, dbPath, nil)
	var topics []config.Topic
	var total, cpu time.Duration
	for i := 0; b.Loop(); i++ {
		topics = append(topics, config.Topic{Name: fmt.Sprintf("Backfilled %d", i), Match: []string{"Japan", "Sri Lanka"}})
		before := cpuTime()
		_, backfill := ingest(b, listings, dbPath, topics)
		cpu += cpuTime() - before
		if backfill == 0 {
			b.Fatal("no backfill ran")
		}
		total += backfill
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/backfill")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/scan")
}

// BenchmarkMatchGeneratedItems measures matching alone, over the text of
// the generated items, with the 1,000 topics of BenchmarkIngestTopics: its
// ns/item beside that benchmark's ingest time per item is the share of
// ingest that matching takes, whatever else the machine is doing.
func BenchmarkMatchGeneratedItems(b *testing.B) {
	listings := benchData(b)
	names, err := filepath.Glob(filepath.Join(listings, "*.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var texts [][2]string
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		l, _ := listing.ParseBytes(n, data)
		for _, it := range l.Items {
			texts = append(texts, [2]string{it.Title, it.Description})
		}
	}
	var rules []topic.Rules
	for _, t := range benchTopics(1000, true) {
		rules = append(rules, topic.Rules{Match: t.Match, Title: true, Description: true})
	}
	m := topic.Compile(rules)
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		for _, t := range texts {
			matched += len(m.Match(t[0], t[1]))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts)), "ns/item")
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}
