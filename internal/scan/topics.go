package scan

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/topic"
)

// Topic feeds follow the rules of category feeds:
//
//   - An item joins a topic when it is first seen or changes (its text,
//     or a listing or category it joins) and matches the topic's rules.
//     Members never leave, archive pages never change.
//   - A topic added to the config, or whose rules change, is backfilled
//     once over the items stored before the scan, in one transaction per
//     chunk of items, with its progress stored in the same transaction: a
//     scan killed half way resumes where it stopped. Items of the scan
//     itself are matched as they are ingested.
//   - A narrowed rule adds no items from then on but takes none out; a
//     widened one adds the stored items it now matches.
//   - A topic removed from the config keeps its published files and URL,
//     as a merged category does: its documents are still regenerated when
//     one of its items changes, but it takes no new items and is no longer
//     listed in the index, the OPML list or the sitemap. Renaming its
//     table makes a new topic.

// topicRule is one configured topic, ready to match.
type topicRule struct {
	conf  *config.Topic
	fold  string   // of its name: identifies the topic
	cats  []string // folds of the categories it keeps items of; empty: any
	lists []string // folds of the listings it keeps items of; empty: any
	rules string   // hash of what decides membership
}

// topicRules compiles the configured topics; merges must be known, since
// a topic keeping a merged label's items keeps its category's.
func (c *feedConfig) topicRules(cfg *config.Config) {
	c.topicByFold = map[string]*topicRule{}
	rules := make([]topic.Rules, len(cfg.Topics))
	for i := range cfg.Topics {
		t := &cfg.Topics[i]
		r := &topicRule{conf: t, fold: identity.FoldName(t.Name)}
		for _, name := range t.Categories {
			fold := identity.FoldName(name)
			r.cats = append(r.cats, fold)
			if into, ok := c.mergeInto[fold]; ok {
				r.cats = append(r.cats, into)
			}
		}
		for _, name := range t.Listings {
			r.lists = append(r.lists, identity.FoldName(name))
		}
		rules[i] = topic.Rules{Match: t.Match, Exclude: t.Exclude, Title: t.Looks("title"), Description: t.Looks("description")}
		// Folded and sorted: a rule respelled alike is the same rule.
		// Categories and listings are folded already.
		same := func(s string) string { return s }
		fold := func(ss []string, f func(string) string) []string {
			out := make([]string, len(ss))
			for i, s := range ss {
				out[i] = f(s)
			}
			slices.Sort(out)
			return slices.Compact(out)
		}
		r.rules = hashJSON(struct {
			Match, Exclude, Categories, Listings []string
			Title, Description                   bool
		}{fold(t.Match, topic.Fold), fold(t.Exclude, topic.Fold), fold(r.cats, same), fold(r.lists, same), rules[i].Title, rules[i].Description})
		c.topics = append(c.topics, r)
		c.topicByFold[r.fold] = r
		if t.Slug != "" {
			c.reserved[string(model.KindTopic)+"/"+t.Slug] = r.fold
		}
	}
	c.matcher = topic.Compile(rules)
}

// topicState is the backfill of a topic's rules over the items stored
// before: items with seqs from next up to limit are still to be visited;
// none (next = limit = 0) once it is done.
type topicState struct {
	rules       string
	next, limit uint64
}

const metaTopicPrefix = "topic:" // + fold of its name: topicState

func (t topicState) String() string {
	return t.rules + " " + strconv.FormatUint(t.next, 10) + " " + strconv.FormatUint(t.limit, 10)
}

func parseTopicState(v string) topicState {
	f := strings.Fields(v)
	if len(f) != 3 {
		return topicState{}
	}
	next, err1 := strconv.ParseUint(f[1], 10, 64)
	limit, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return topicState{}
	}
	return topicState{rules: f[0], next: next, limit: limit}
}

// planTopics finds the topics whose rules were not yet applied to the
// items stored before this scan. On a database with items, it also
// checks the topics' categories and listings before anything is stored.
func (s *scanner) planTopics() error {
	s.backfill = map[*topicRule]topicState{}
	if len(s.conf.topics) == 0 {
		return nil
	}
	return s.db.View(func(tx *store.Tx) error {
		stored, _ := tx.Counts()
		for _, r := range s.conf.topics {
			// New rules are recorded even with no item to visit.
			switch st := parseTopicState(tx.Meta(metaTopicPrefix + r.fold)); {
			case st.rules != r.rules:
				s.backfill[r] = topicState{rules: r.rules, next: 1, limit: uint64(stored) + 1}
			case st.next < st.limit:
				s.backfill[r] = st
			}
		}
		if stored == 0 {
			return nil // checked once this scan's items are in
		}
		return s.checkTopics(tx)
	})
}

// checkTopics refuses a topic naming a category or listing that no item
// has and the config does not configure: a typo would keep it empty.
func (s *scanner) checkTopics(tx *store.Tx) error {
	for _, r := range s.conf.topics {
		for _, name := range r.conf.Categories {
			fold := identity.FoldName(name)
			_, known := tx.FeedPath(model.KindCategory, fold)
			_, merged := s.conf.mergeInto[fold]
			if !known && !merged && s.conf.cats[fold] == nil {
				return fmt.Errorf("scan: %s: no category %q: no item is labelled so and no [%s] table configures it",
					config.TopicKey(r.conf.Name, "categories"), name, config.KeyName(config.CategoriesTable, name))
			}
		}
		for _, name := range r.conf.Listings {
			fold := identity.FoldName(name)
			if _, known := tx.FeedPath(model.KindListing, fold); !known && s.conf.lists[fold] == nil {
				return fmt.Errorf("scan: %s: no listing %q: no listing file has that title and no [%s] table configures it",
					config.TopicKey(r.conf.Name, "listings"), name, config.KeyName(config.ListingsTable, name))
			}
		}
	}
	return nil
}

// backfillChunk is the items visited per transaction of a backfill,
// unless Options.BackfillChunk says otherwise.
const backfillChunk = 8192

// backfillTopics applies new or changed topic rules to the items stored
// before this scan, all such topics in one pass, then records them done.
func (s *scanner) backfillTopics(ctx context.Context) error {
	if len(s.conf.topics) == 0 {
		return nil
	}
	if err := s.db.View(s.checkTopics); err != nil {
		return err
	}
	if len(s.backfill) == 0 {
		return nil
	}
	from, to := ^uint64(0), uint64(0)
	for _, st := range s.backfill {
		from, to = min(from, st.next), max(to, st.limit)
	}
	chunk := uint64(backfillChunk)
	if s.opts.BackfillChunk > 0 {
		chunk = uint64(s.opts.BackfillChunk)
	}
	in := newIngester(s.now, s.loc, s.tag, s.pageSize, s.conf, s.sum)
	s.progress.start(PhaseTopics, int(to-from))
	// The last transaction records every topic done, even one with no
	// item to visit (a first scan matched them all as it ingested).
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(func(tx *store.Tx) error {
			in.begin(tx)
			items, err := tx.ItemsFrom(from, int(min(chunk, to-from)))
			if err != nil {
				return err
			}
			end := to
			if n := len(items); n > 0 && items[n-1].Seq+1 < to {
				end = items[n-1].Seq + 1
			}
			for _, it := range items {
				if it.Seq >= to {
					break
				}
				err := in.joinTopics(it, func(r *topicRule) bool {
					st, ok := s.backfill[r]
					return ok && st.next <= it.Seq && it.Seq < st.limit
				})
				if err != nil {
					return err
				}
			}
			if err := in.commit(); err != nil {
				return err
			}
			for r, st := range s.backfill {
				st.next = min(max(st.next, end), st.limit)
				if st.next == st.limit {
					// Done: one form, whatever the range was.
					st = topicState{rules: st.rules}
				}
				s.backfill[r] = st
				if err := tx.SetMeta(metaTopicPrefix+r.fold, st.String()); err != nil {
					return err
				}
			}
			s.progress.add(int(end-from), 0)
			from, done = end, end >= to
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// matchTopics makes it a member of the topics, among those want accepts
// (nil: all), whose rules it meets and that it is not in yet, and returns
// their feeds. The caller stores it.
func (in *ingester) matchTopics(it *model.Item, want func(*topicRule) bool) ([]*model.Feed, error) {
	var joined []*model.Feed
	for _, i := range in.conf.matcher.Match(it.Title, it.Description) {
		r := in.conf.topics[i]
		if want != nil && !want(r) {
			continue
		}
		ok, err := in.keeps(r, it)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		f, err := in.feedFolded(model.KindTopic, r.fold, r.conf.Name)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(it.Topics, f.Path) {
			it.Topics = append(it.Topics, f.Path)
			joined = append(joined, f)
		}
	}
	return joined, nil
}

// keeps reports whether it is of one of the categories and one of the
// listings r keeps, where r names some.
func (in *ingester) keeps(r *topicRule, it *model.Item) (bool, error) {
	for _, c := range []struct {
		folds []string
		paths []string
	}{{r.cats, it.Categories}, {r.lists, it.Listings}} {
		if len(c.folds) == 0 {
			continue
		}
		found := false
		for _, p := range c.paths {
			f, err := in.feedAt(p)
			if err != nil {
				return false, err
			}
			if f != nil && slices.Contains(c.folds, f.Fold) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// joinTopics makes a stored item a member of the topics want accepts
// that it matches, as a backfill does: its feeds are regenerated, its
// id, dates and page stay (pages do not show topics).
func (in *ingester) joinTopics(it *model.Item, want func(*topicRule) bool) error {
	joined, err := in.matchTopics(it, want)
	if err != nil || len(joined) == 0 {
		return err
	}
	if err := in.tx.PutItem(it); err != nil {
		return err
	}
	for _, f := range joined {
		if err := in.join(f, it); err != nil {
			return err
		}
	}
	return nil
}

// PreviewTopic reports which stored items the topic t would hold were
// it applied to them now: how many, and the newest n. It only reads, so
// that an operator can tune a topic's rules before publishing it; members
// already in a published topic stay whatever its rules say now.
func PreviewTopic(db *store.DB, cfg *config.Config, t config.Topic, n int) (count int, newest []*model.Item, err error) {
	c := *cfg
	c.Topics = []config.Topic{t}
	conf := newFeedConfig(&c)
	err = db.View(func(tx *store.Tx) error {
		in := newIngester(time.Time{}, time.UTC, identity.TagScheme{}, 1, conf, &Summary{})
		in.begin(tx)
		return tx.ForEachItem(func(it *model.Item) error {
			if len(conf.matcher.Match(it.Title, it.Description)) == 0 {
				return nil
			}
			if ok, err := in.keeps(conf.topics[0], it); err != nil || !ok {
				return err
			}
			count++
			i, _ := slices.BinarySearchFunc(newest, it, newerFirst)
			if i < n {
				newest = slices.Insert(newest, i, it)
				if len(newest) > n {
					newest = newest[:n]
				}
			}
			return nil
		})
	})
	return count, newest, err
}

// newerFirst orders items as feeds show them: newest published first.
func newerFirst(a, b *model.Item) int {
	if c := b.Published.Compare(a.Published); c != 0 {
		return c
	}
	return cmp.Compare(b.Seq, a.Seq)
}
