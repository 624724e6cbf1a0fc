package scan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/topic"
)

// The config file renames, describes, slugs and merges categories and
// listings. Their rules, which keep every published URL and id working:
//
//   - A name or description changes what documents show: it is part of
//     the render key, so the next scan regenerates every document (only
//     files whose bytes change are rewritten). Ids never depend on it.
//   - A slug is used when the category or listing is first published.
//     Once published, a feed's URL never moves: a configured slug that
//     differs from the published one is refused with an error at the
//     start of the scan, before anything is stored.
//   - A merge puts the items of other labels in a category: items already
//     stored join it (once, when the merge first appears), later ones as
//     they come. A feed already published for a merged label keeps its
//     URL and keeps being updated with its label's items, so that its
//     readers lose nothing; it is no longer listed in the index or OPML,
//     and items show the category they were merged into. A merged label
//     never gets a feed of its own otherwise.
//   - A default category is given to the items of a listing that have no
//     category, those stored (once, when the setting first appears) and
//     those to come.
//   - Removing a merge or default category takes nothing out of a feed:
//     members of a feed are never removed, archive pages never change.

// feedConfig is the config's categories and listings, by folded name.
type feedConfig struct {
	cats      map[string]*config.Category // fold of the label → its table
	lists     map[string]*config.Listing  // fold of the title → its table
	mergeInto map[string]string           // fold of a merged label → fold of its category
	// reserved maps a configured slug's feed path to the fold it is
	// for: no other feed may take it.
	reserved map[string]string
	key      string // hash of everything that shapes the output
	apply    string // hash of what changes membership: merges, default categories

	topics      []*topicRule          // in config order, as matcher numbers them
	topicByFold map[string]*topicRule // fold of the name → its rule
	matcher     *topic.Matcher
}

func newFeedConfig(cfg *config.Config) *feedConfig {
	c := &feedConfig{
		cats: map[string]*config.Category{}, lists: map[string]*config.Listing{},
		mergeInto: map[string]string{}, reserved: map[string]string{},
	}
	type mergeRule struct{ From, Into string }
	type defaultRule struct{ Listing, Category string }
	var merges []mergeRule
	var defaults []defaultRule
	for i := range cfg.Categories {
		cat := &cfg.Categories[i]
		fold := identity.FoldName(cat.Label)
		c.cats[fold] = cat
		for _, m := range cat.Merge {
			c.mergeInto[identity.FoldName(m)] = fold
			merges = append(merges, mergeRule{identity.FoldName(m), fold})
		}
		if cat.Slug != "" {
			c.reserved[string(model.KindCategory)+"/"+cat.Slug] = fold
		}
	}
	for i := range cfg.Listings {
		l := &cfg.Listings[i]
		fold := identity.FoldName(l.Title)
		c.lists[fold] = l
		if l.DefaultCategory != "" {
			defaults = append(defaults, defaultRule{fold, identity.FoldName(l.DefaultCategory)})
		}
		if l.Slug != "" {
			c.reserved[string(model.KindListing)+"/"+l.Slug] = fold
		}
	}
	c.topicRules(cfg)
	slices.SortFunc(merges, func(a, b mergeRule) int { return cmp.Compare(a.From+"\x00"+a.Into, b.From+"\x00"+b.Into) })
	slices.SortFunc(defaults, func(a, b defaultRule) int { return cmp.Compare(a.Listing, b.Listing) })
	c.apply = hashJSON(struct {
		Merges   []mergeRule
		Defaults []defaultRule
	}{merges, defaults})
	// A topic's rules change its members, not what documents show.
	type shownTopic struct{ Name, Description, Slug string }
	var topics []shownTopic
	for _, t := range cfg.Topics {
		topics = append(topics, shownTopic{t.Name, t.Description, t.Slug})
	}
	c.key = hashJSON(struct {
		Categories []config.Category
		Listings   []config.Listing
		Formats    config.Formats
		Topics     []shownTopic `json:",omitempty"`
	}{cfg.Categories, cfg.Listings, cfg.Formats, topics})
	return c
}

func hashJSON(v any) string {
	data, _ := json.Marshal(v) // plain structs of strings: cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// slug returns the configured slug for a new feed of kind collecting fold.
func (c *feedConfig) slug(kind model.FeedKind, fold string) string {
	switch kind {
	case model.KindCategory:
		if cat := c.cats[fold]; cat != nil {
			return cat.Slug
		}
	case model.KindListing:
		if l := c.lists[fold]; l != nil {
			return l.Slug
		}
	case model.KindTopic:
		if t := c.topicByFold[fold]; t != nil {
			return t.conf.Slug
		}
	}
	return ""
}

// takenBy reports whether the feed path p is reserved by a configured
// slug for another fold than fold.
func (c *feedConfig) takenBy(p, fold string) bool {
	f, ok := c.reserved[p]
	return ok && f != fold
}

// defaultCategory is the label for items of the listing whose title
// folds to fold that have no category, or "".
func (c *feedConfig) defaultCategory(fold string) string {
	if l := c.lists[fold]; l != nil {
		return l.DefaultCategory
	}
	return ""
}

// unlisted reports whether f keeps its files but is not listed: a
// category merged into another one, a topic removed from the config.
func (c *feedConfig) unlisted(f *model.Feed) bool {
	switch f.Kind {
	case model.KindCategory:
		_, merged := c.mergeInto[f.Fold]
		return merged
	case model.KindTopic:
		return c.topicByFold[f.Fold] == nil
	}
	return false
}

// checkSlugs refuses configured slugs that would move a published feed
// or take another feed's URL: published URLs never move.
func (c *feedConfig) checkSlugs(tx *store.Tx) error {
	check := func(kind model.FeedKind, key, name, slug string) error {
		if slug == "" {
			return nil
		}
		fold := identity.FoldName(name)
		want := string(kind) + "/" + slug
		if p, ok := tx.FeedPath(kind, fold); ok {
			if p != want {
				return fmt.Errorf("scan: %s = %q: %q is already published at %s/ and published URLs never move; remove the slug or set it to %q",
					key, slug, name, p, path.Base(p))
			}
			return nil
		}
		if other, err := tx.Feed(want); err != nil {
			return err
		} else if other != nil {
			return fmt.Errorf("scan: %s = %q: %s/ is already the URL of %s %q; choose another slug", key, slug, want, kind, other.Name())
		}
		return nil
	}
	for _, cat := range c.cats {
		if err := check(model.KindCategory, config.CategoryKey(cat.Label, "slug"), cat.Label, cat.Slug); err != nil {
			return err
		}
	}
	for _, l := range c.lists {
		if err := check(model.KindListing, config.ListingKey(l.Title, "slug"), l.Title, l.Slug); err != nil {
			return err
		}
	}
	for _, t := range c.topics {
		if err := check(model.KindTopic, config.TopicKey(t.conf.Name, "slug"), t.conf.Name, t.conf.Slug); err != nil {
			return err
		}
	}
	return nil
}

// applyFeedConfig checks the configured slugs and, when the merges or
// default categories changed since the last scan, makes the items already
// stored join the categories they now belong to, in one transaction with
// the record of what was applied: a scan killed here redoes it all.
func (s *scanner) applyFeedConfig() error {
	var applied string
	err := s.db.View(func(tx *store.Tx) error {
		applied = tx.Meta(metaFeedConfig)
		return s.conf.checkSlugs(tx)
	})
	if err != nil || applied == s.conf.apply {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error {
		in := newIngester(s.now, s.loc, s.tag, s.pageSize, s.conf, s.sum)
		in.begin(tx)
		// Items of a feed published for a merged label join its category.
		for from := range s.conf.mergeInto {
			p, ok := tx.FeedPath(model.KindCategory, from)
			if !ok {
				continue
			}
			err := in.eachMember(p, func(it *model.Item) error {
				cfs, _, err := in.labelFeeds(from)
				if err != nil {
					return err
				}
				return in.joinAll(it, cfs)
			})
			if err != nil {
				return err
			}
		}
		// Items of a listing with a default category, and no category,
		// join it.
		for fold, l := range s.conf.lists {
			p, ok := tx.FeedPath(model.KindListing, fold)
			if !ok || l.DefaultCategory == "" {
				continue
			}
			err := in.eachMember(p, func(it *model.Item) error {
				if len(it.Categories) > 0 {
					return nil
				}
				cfs, _, err := in.labelFeeds(l.DefaultCategory)
				if err != nil {
					return err
				}
				return in.joinAll(it, cfs)
			})
			if err != nil {
				return err
			}
		}
		if err := in.commit(); err != nil {
			return err
		}
		return tx.SetMeta(metaFeedConfig, s.conf.apply)
	})
}

// name is a feed's shown name: the configured one, else the most
// frequent spelling.
func (s *scanner) name(f *model.Feed) string {
	switch f.Kind {
	case model.KindCategory:
		if c := s.conf.cats[f.Fold]; c != nil && c.Name != "" {
			return c.Name
		}
	case model.KindListing:
		if l := s.conf.lists[f.Fold]; l != nil && l.Name != "" {
			return l.Name
		}
	case model.KindTopic:
		if t := s.conf.topicByFold[f.Fold]; t != nil {
			return t.conf.Name
		}
	}
	return f.Name()
}

// about is a feed's configured description, or "".
func (s *scanner) about(f *model.Feed) string {
	switch f.Kind {
	case model.KindCategory:
		if c := s.conf.cats[f.Fold]; c != nil {
			return c.Description
		}
	case model.KindListing:
		if l := s.conf.lists[f.Fold]; l != nil {
			return l.Description
		}
	case model.KindTopic:
		if t := s.conf.topicByFold[f.Fold]; t != nil {
			return t.conf.Description
		}
	}
	return ""
}

// shownAs is the feed an item's category is shown as: the category it
// was merged into, if that is published, else itself.
func (s *scanner) shownAs(f *model.Feed) *model.Feed {
	if f.Kind != model.KindCategory {
		return f
	}
	if g := s.merged[f.Path]; g != nil {
		return g
	}
	return f
}

// resolveMerged finds, among feeds, the category each merged-away
// category is shown as.
func (s *scanner) resolveMerged(feeds []*model.Feed) {
	byFold := map[string]*model.Feed{}
	for _, f := range feeds {
		if f.Kind == model.KindCategory {
			byFold[f.Fold] = f
		}
	}
	s.merged = map[string]*model.Feed{}
	for _, f := range feeds {
		if into, ok := s.conf.mergeInto[f.Fold]; ok && f.Kind == model.KindCategory && byFold[into] != nil {
			s.merged[f.Path] = byFold[into]
		}
	}
}

// writes reports whether the format in file is written for the feed at
// feedPath: formats turned on are, and so are formats turned off where
// the feed was already published in them, because readers subscribed to
// those files must keep getting updates. HTML pages are always written.
func (s *scanner) writes(feedPath, file string) bool {
	switch file {
	case render.RSSFile:
		if s.cfg.Formats.RSS {
			return true
		}
	case render.AtomFile:
		if s.cfg.Formats.Atom {
			return true
		}
	case render.JSONFile:
		if s.cfg.Formats.JSON {
			return true
		}
	default:
		return true
	}
	return s.out.Exists(path.Join(feedPath, file))
}

// hidden are the formats turned off: not linked from any page.
func hidden(f config.Formats) map[string]bool {
	h := map[string]bool{}
	if !f.RSS {
		h[render.RSSFile] = true
	}
	if !f.Atom {
		h[render.AtomFile] = true
	}
	if !f.JSON {
		h[render.JSONFile] = true
	}
	return h
}
