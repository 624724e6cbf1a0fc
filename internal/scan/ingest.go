package scan

import (
	"fmt"
	"slices"
	"time"

	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
)

// ingester merges parsed listings into the store. It lives for one scan
// and works inside one transaction at a time; feed records are cached
// across transactions because the scan holds the database lock.
type ingester struct {
	tx       *store.Tx
	now      time.Time
	loc      *time.Location
	tag      identity.TagScheme
	pageSize uint64                 // members per archive page
	feeds    map[string]*model.Feed // loaded or created during this scan

	touched map[string]bool // feeds to write back at the end of the transaction
	dirty   map[string]bool // documents to regenerate: feed paths and archive page dirs
	pages   []uint64        // items whose pages to regenerate
	renamed bool            // a feed's shown name changed: every feed and page shows it

	conf  *feedConfig       // configured slugs, merges and default categories
	folds map[string]string // name as written → identity.FoldName of it
	sum   *Summary
}

func newIngester(now time.Time, loc *time.Location, tag identity.TagScheme, pageSize uint64, conf *feedConfig, sum *Summary) *ingester {
	return &ingester{now: now, loc: loc, tag: tag, pageSize: pageSize, feeds: map[string]*model.Feed{}, conf: conf, folds: map[string]string{}, sum: sum}
}

// fold is identity.FoldName(name), computed once per spelling: every item
// has a label, and a site has few of them. Folding took 6% of the CPU of
// a first scan's ingest.
func (in *ingester) fold(name string) string {
	f, ok := in.folds[name]
	if !ok {
		f = identity.FoldName(name)
		in.folds[name] = f
	}
	return f
}

// begin starts work in a new transaction.
func (in *ingester) begin(tx *store.Tx) {
	in.tx = tx
	in.touched = map[string]bool{}
	in.dirty = map[string]bool{}
	in.pages = in.pages[:0]
	in.renamed = false
}

// commit writes back changed feeds and the dirty set, in the same
// transaction as the items.
func (in *ingester) commit() error {
	for _, path := range sortedKeys(in.touched) {
		if err := in.tx.PutFeed(in.feeds[path]); err != nil {
			return err
		}
	}
	// A changed shown name is recorded, not acted on: the publish that
	// follows marks every feed and page once (see scanner.publishFeeds).
	// Marking them here, per transaction, walked every feed and page mark
	// each time a name with two near-equal spellings flipped, which a
	// first scan of generated data did in most transactions.
	if in.renamed {
		if err := in.tx.SetMeta(metaRenamed, "1"); err != nil {
			return err
		}
	}
	if err := in.tx.MarkPages(in.pages...); err != nil {
		return err
	}
	return in.tx.MarkDirty(sortedKeys(in.dirty)...)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// feed returns the feed of kind collecting name, creating it on first
// sight with a slug and id that never change afterwards.
func (in *ingester) feed(kind model.FeedKind, name string) (*model.Feed, error) {
	fold := ""
	if kind != model.KindAll {
		fold = in.fold(name)
	}
	return in.feedFolded(kind, fold, name)
}

// feedFolded is feed for a name already folded.
func (in *ingester) feedFolded(kind model.FeedKind, fold, name string) (*model.Feed, error) {
	path := model.AllPath
	if kind != model.KindAll {
		p, ok := in.tx.FeedPath(kind, fold)
		if !ok {
			return in.createFeed(kind, fold, name)
		}
		path = p
	}
	f, err := in.feedAt(path)
	if f == nil && err == nil {
		if kind != model.KindAll {
			return nil, fmt.Errorf("scan: feed %s is indexed but missing", path)
		}
		return in.createFeed(kind, "", name)
	}
	return f, err
}

// feedAt returns the feed at path, or nil if there is none.
func (in *ingester) feedAt(path string) (*model.Feed, error) {
	if f, ok := in.feeds[path]; ok {
		return f, nil
	}
	f, err := in.tx.Feed(path)
	if f != nil {
		in.feeds[path] = f
	}
	return f, err
}

func (in *ingester) createFeed(kind model.FeedKind, fold, name string) (*model.Feed, error) {
	path := model.AllPath
	if kind != model.KindAll {
		slug := in.conf.slug(kind, fold)
		configured := slug != ""
		if !configured {
			slug = identity.Slug(name)
		}
		path = string(kind) + "/" + slug
		for n := 2; ; n++ {
			existing, err := in.feedAt(path)
			if err != nil {
				return nil, err
			}
			if existing == nil && !in.conf.takenBy(path, fold) {
				break
			}
			if configured {
				// checkSlugs refused this before the scan began; only a
				// feed created in this very scan can be in the way.
				return nil, fmt.Errorf("scan: the configured slug of %s %q: %s is taken", kind, name, path)
			}
			path = fmt.Sprintf("%s/%s-%d", kind, slug, n)
		}
	}
	f := &model.Feed{Path: path, Kind: kind, Fold: fold, ID: in.tag.FeedID(path), Created: in.now}
	if kind != model.KindAll {
		// The name it was created for is its name until items are counted
		// under a spelling: a category created by a merge or a default
		// category has no item labelled with its own label yet.
		f.Spellings = []model.Spelling{{Text: name}}
	}
	in.feeds[path] = f
	in.touched[path] = true
	in.dirty[path] = true
	// Index the fold now so later items of this transaction find it.
	if err := in.tx.PutFeed(f); err != nil {
		return nil, err
	}
	return f, nil
}

// spell counts one more item seen under spelling text of f's name.
func (in *ingester) spell(f *model.Feed, text string) {
	before := f.Name()
	i := slices.IndexFunc(f.Spellings, func(s model.Spelling) bool { return s.Text == text })
	if i < 0 {
		f.Spellings = append(f.Spellings, model.Spelling{Text: text, Count: 1})
	} else {
		f.Spellings[i].Count++
	}
	in.touched[f.Path] = true
	if before != "" && f.Name() != before {
		in.renamed = true
	}
}

// row is one item of a listing with its identity resolved.
type row struct {
	src  *listing.Item
	key  identity.Key
	item *model.Item // nil when new
}

// listing merges one parsed listing. Items already stored keep their id
// and published instant; they join this listing and category if not yet
// members, and take a changed title spelling or description as an update.
func (in *ingester) listing(l *listing.Listing) error {
	all, err := in.feed(model.KindAll, "")
	if err != nil {
		return err
	}
	lf, err := in.feed(model.KindListing, l.Title)
	if err != nil {
		return err
	}

	rows := make([]row, 0, len(l.Items))
	seen := map[identity.Key]bool{}
	var dups []*listing.Item // items repeating an earlier item of this file
	for i := range l.Items {
		src := &l.Items[i]
		k := identity.ItemKey(src.Title, src.Date)
		if seen[k] {
			dups = append(dups, src)
			continue
		}
		seen[k] = true
		r := row{src: src, key: k}
		if r.item, err = in.stored(k); err != nil {
			return err
		}
		rows = append(rows, r)
	}
	published := in.place(rows)

	for i, r := range rows {
		if r.item == nil {
			err = in.create(r, published[i], l.Title, all, lf)
		} else {
			err = in.update(r, l.Title, lf)
		}
		if err != nil {
			return err
		}
	}
	// A repeated item may carry another label: it joins that category too.
	for _, src := range dups {
		k := identity.ItemKey(src.Title, src.Date)
		it, err := in.stored(k)
		if err != nil {
			return err
		}
		if err := in.update(row{src: src, key: k, item: it}, l.Title, lf); err != nil {
			return err
		}
	}
	return nil
}

// stored returns the stored item with key k, or nil.
func (in *ingester) stored(k identity.Key) (*model.Item, error) {
	seq, ok := in.tx.ItemSeq(k[:])
	if !ok {
		return nil, nil
	}
	return in.tx.Item(seq)
}

// place picks published instants for the new rows, day by day.
func (in *ingester) place(rows []row) []int64 {
	out := make([]int64, len(rows))
	byDay := map[model.Date][]int{}
	var days []model.Date
	for i, r := range rows {
		d := r.src.Date
		if _, ok := byDay[d]; !ok {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], i)
	}
	// Seconds chosen for earlier days of this file are not claimed yet:
	// later days must avoid them too (a future date and today's both end
	// up at "now").
	chosen := map[int64]bool{}
	free := skipping(in.tx.FreeInstantAtOrBefore, chosen)
	for _, d := range days {
		idx := byDay[d]
		known := make([]int64, 0, len(idx))
		var pos []int // rows of idx taking part: new items and anchors of this day
		for _, i := range idx {
			switch it := rows[i].item; {
			case it == nil:
				known, pos = append(known, 0), append(pos, i)
			case model.DateOf(it.Published.In(in.loc)) == d:
				known, pos = append(known, it.Published.Unix()), append(pos, i)
			}
		}
		placed := placeDay(d, in.loc, in.now, known, free)
		for k, i := range pos {
			out[i] = placed[k]
			chosen[placed[k]] = true
		}
	}
	return out
}

func (in *ingester) create(r row, published int64, listingTitle string, all, lf *model.Feed) error {
	pub := time.Unix(published, 0).UTC()
	it := &model.Item{
		Key:         r.key[:],
		ID:          in.tag.ItemID(r.key, r.src.Date),
		Page:        identity.ItemPage(r.key, r.src.Date, r.src.Title),
		Title:       r.src.Title,
		Date:        r.src.Date,
		Description: r.src.Description,
		Published:   pub,
		Updated:     pub,
		FirstSeen:   in.now,
		Changed:     in.now,
	}
	joined := []*model.Feed{all, lf}
	it.Listings = []string{lf.Path}
	it.Sources = []string{listingTitle}
	in.spell(lf, listingTitle)
	label := r.src.Label
	if label == "" {
		label = in.conf.defaultCategory(in.fold(listingTitle))
	}
	if label != "" {
		cfs, own, err := in.labelFeeds(label)
		if err != nil {
			return err
		}
		for _, cf := range cfs {
			it.Categories = append(it.Categories, cf.Path)
		}
		joined = append(joined, cfs...)
		if r.src.Label != "" {
			it.Labels = []string{r.src.Label}
			if own != nil {
				in.spell(own, r.src.Label)
			}
		}
	}
	tfs, err := in.matchTopics(it, nil)
	if err != nil {
		return err
	}
	joined = append(joined, tfs...)
	if err := in.tx.PutItem(it); err != nil {
		return err
	}
	if err := in.tx.ClaimInstant(published, it.Seq); err != nil {
		return err
	}
	in.pages = append(in.pages, it.Seq)
	for _, f := range joined {
		if err := in.join(f, it); err != nil {
			return err
		}
	}
	in.sum.ItemsNew++
	return nil
}

// update merges a listing's copy of a stored item. The id and published
// instant never change. A new title spelling (same normalized title) or a
// new non-empty description is an update: the item gets a new updated
// instant and re-enters its feeds' recent documents. An item first seen
// in this same scan just takes the text, since no reader has seen it yet.
func (in *ingester) update(r row, listingTitle string, lf *model.Feed) error {
	it := r.item
	changed, content := false, false
	if r.src.Title != it.Title {
		it.Title, content = r.src.Title, true
	}
	if r.src.Description != "" && r.src.Description != it.Description {
		it.Description, content = r.src.Description, true
	}
	var joined []*model.Feed
	if !slices.Contains(it.Listings, lf.Path) {
		it.Listings = append(it.Listings, lf.Path)
		joined = append(joined, lf)
	}
	if !slices.Contains(it.Sources, listingTitle) {
		it.Sources = append(it.Sources, listingTitle)
		in.spell(lf, listingTitle)
		changed = true
	}
	label := r.src.Label
	if label == "" && len(it.Categories) == 0 {
		label = in.conf.defaultCategory(in.fold(listingTitle))
	}
	if label != "" {
		cfs, own, err := in.labelFeeds(label)
		if err != nil {
			return err
		}
		for _, cf := range cfs {
			if !slices.Contains(it.Categories, cf.Path) {
				it.Categories = append(it.Categories, cf.Path)
				joined = append(joined, cf)
			}
		}
		if r.src.Label != "" && !slices.Contains(it.Labels, r.src.Label) {
			it.Labels = append(it.Labels, r.src.Label)
			if own != nil {
				in.spell(own, r.src.Label)
			}
			changed = true
		}
	}
	// Changed text, or a new listing or category, can make it match a
	// topic it did not; it never leaves one.
	if content || len(joined) > 0 {
		tfs, err := in.matchTopics(it, nil)
		if err != nil {
			return err
		}
		joined = append(joined, tfs...)
	}
	if content {
		it.Changed = in.now
		if it.FirstSeen.Before(in.now) {
			u := in.tx.FreeInstantAtOrBefore(in.now.Unix())
			if err := in.tx.ClaimInstant(u, it.Seq); err != nil {
				return err
			}
			it.Updated = time.Unix(u, 0).UTC()
			in.sum.ItemsUpdated++
		}
	}
	if !changed && !content && len(joined) == 0 {
		return nil
	}
	if err := in.tx.PutItem(it); err != nil {
		return err
	}
	for _, f := range joined {
		if err := in.join(f, it); err != nil {
			return err
		}
	}
	if content || len(joined) > 0 {
		in.pages = append(in.pages, it.Seq)
		// Every feed holding the item shows its text and its categories.
		// After a real update it re-enters their recent documents too.
		for _, path := range in.memberships(it) {
			f, err := in.feedAt(path)
			if err != nil {
				return err
			}
			if content && it.FirstSeen.Before(in.now) && !slices.Contains(joined, f) {
				if err := in.log(f, it); err != nil {
					return err
				}
			}
			in.dirty[path] = true
		}
	}
	return nil
}

// memberships lists the paths of every feed holding it.
func (in *ingester) memberships(it *model.Item) []string {
	paths := make([]string, 0, 1+len(it.Categories)+len(it.Listings)+len(it.Topics))
	paths = append(paths, model.AllPath)
	paths = append(paths, it.Categories...)
	paths = append(paths, it.Listings...)
	return append(paths, it.Topics...)
}

// join makes it a member of feed f. When it fills an archive page, that
// page is written once and never again.
func (in *ingester) join(f *model.Feed, it *model.Item) error {
	n, err := in.tx.AddMember(f.Path, it.Seq)
	if err != nil {
		return err
	}
	f.Items = int(n)
	if n%in.pageSize == 0 {
		in.dirty[model.ArchiveDir(f.Path, n/in.pageSize)] = true
	}
	return in.log(f, it)
}

// log appends it to f's log: it entered f or changed, and belongs in its
// recent document.
func (in *ingester) log(f *model.Feed, it *model.Item) error {
	if err := in.tx.AppendLog(f.Path, it.Seq); err != nil {
		return err
	}
	if it.Updated.After(f.Updated) {
		f.Updated = it.Updated
	}
	in.touched[f.Path] = true
	in.dirty[f.Path] = true
	return nil
}

// labelFeeds returns the category feeds an item labelled label joins, and
// among them own, the feed of that very label (nil if there is none),
// whose spellings count it. A label merged into a category joins that
// category, and also its own feed if one was published before the merge;
// it never gets a new feed of its own.
func (in *ingester) labelFeeds(label string) (feeds []*model.Feed, own *model.Feed, err error) {
	fold := in.fold(label)
	into, merged := in.conf.mergeInto[fold]
	if !merged {
		f, err := in.feedFolded(model.KindCategory, fold, label)
		if err != nil {
			return nil, nil, err
		}
		return []*model.Feed{f}, f, nil
	}
	target, err := in.feed(model.KindCategory, in.conf.cats[into].Label)
	if err != nil {
		return nil, nil, err
	}
	feeds = []*model.Feed{target}
	if p, ok := in.tx.FeedPath(model.KindCategory, fold); ok {
		if own, err = in.feedAt(p); err != nil {
			return nil, nil, err
		}
		if own != nil {
			feeds = append(feeds, own)
		}
	}
	return feeds, own, nil
}

// joinAll makes a stored item a member of every feed of feeds it is not
// in yet, as a config change asks: its page and feeds are regenerated,
// its id and dates stay.
func (in *ingester) joinAll(it *model.Item, feeds []*model.Feed) error {
	var joined []*model.Feed
	for _, f := range feeds {
		if !slices.Contains(it.Categories, f.Path) {
			it.Categories = append(it.Categories, f.Path)
			joined = append(joined, f)
		}
	}
	if len(joined) == 0 {
		return nil
	}
	if err := in.tx.PutItem(it); err != nil {
		return err
	}
	for _, f := range joined {
		if err := in.join(f, it); err != nil {
			return err
		}
	}
	in.pages = append(in.pages, it.Seq)
	for _, p := range in.memberships(it) {
		in.dirty[p] = true
	}
	return nil
}

// eachMember calls fn with every item of the feed at path, in joining
// order.
func (in *ingester) eachMember(path string, fn func(*model.Item) error) error {
	seqs, err := in.tx.Members(path, 1, int(in.tx.MemberCount(path)))
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		it, err := in.tx.Item(seq)
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
