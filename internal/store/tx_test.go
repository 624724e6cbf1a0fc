package store_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/store/storetest"
)

func update(t *testing.T, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

func key(i int) []byte { return []byte(fmt.Sprintf("key-%012d", i)) } // 16 bytes, like identity.Key

func newItem(i int) *model.Item {
	d := model.Date{Year: 2017, Month: time.October, Day: 1 + i%28}
	pub := d.In(time.UTC, 12, 0, i%60)
	return &model.Item{
		Key:        key(i),
		ID:         fmt.Sprintf("tag:example.org,2026-01-01:item/%s/%020d", d, i),
		Title:      fmt.Sprintf("Item %d", i),
		Date:       d,
		Published:  pub,
		Updated:    pub,
		Categories: []string{"category/news"},
		Labels:     []string{"News"},
	}
}

func TestPutItemAssignsIncreasingSeqs(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	var seqs []uint64
	update(t, db, func(tx *store.Tx) error {
		for i := range 3 {
			it := newItem(i)
			if err := tx.PutItem(it); err != nil {
				return err
			}
			seqs = append(seqs, it.Seq)
		}
		return nil
	})
	// A later transaction continues the sequence.
	update(t, db, func(tx *store.Tx) error {
		it := newItem(3)
		if err := tx.PutItem(it); err != nil {
			return err
		}
		seqs = append(seqs, it.Seq)
		if n := tx.ItemCount(); n != 4 {
			t.Errorf("ItemCount = %d, want 4", n)
		}
		return nil
	})
	if want := []uint64{1, 2, 3, 4}; !slices.Equal(seqs, want) {
		t.Errorf("seqs %v, want %v", seqs, want)
	}
	view(t, db, func(tx *store.Tx) error {
		for i, want := range seqs {
			if got, ok := tx.ItemSeq(key(i)); !ok || got != want {
				t.Errorf("ItemSeq(key %d) = %d, %v; want %d", i, got, ok, want)
			}
		}
		if seq, ok := tx.ItemSeq(key(99)); ok {
			t.Errorf("ItemSeq of an unknown key = %d, true", seq)
		}
		if seq, ok := tx.ItemSeq(nil); ok {
			t.Errorf("ItemSeq(nil) = %d, true", seq)
		}
		return nil
	})
}

func TestPutItemUpdatesInPlace(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	it := newItem(1)
	update(t, db, func(tx *store.Tx) error { return tx.PutItem(it) })
	it.Description = "now with a description"
	it.Labels = append(it.Labels, "news")
	update(t, db, func(tx *store.Tx) error { return tx.PutItem(it) })
	view(t, db, func(tx *store.Tx) error {
		if n := tx.ItemCount(); n != 1 {
			t.Errorf("ItemCount = %d after an update, want 1", n)
		}
		got, err := tx.Item(it.Seq)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, it) {
			t.Errorf("Item(%d) = %+v, want %+v", it.Seq, got, it)
		}
		return nil
	})
}

// One key is one item, forever: a second "new" item with a stored key
// would take the key's index away from the first.
func TestPutItemRefusesADuplicateKey(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error { return tx.PutItem(newItem(1)) })
	dup := newItem(1)
	dup.Title = "Same key, new item"
	err := db.Update(func(tx *store.Tx) error { return tx.PutItem(dup) })
	if err == nil {
		t.Fatal("PutItem of a new item with a stored key succeeded")
	}
	if dup.Seq != 0 {
		t.Errorf("refused item got seq %d", dup.Seq)
	}
	view(t, db, func(tx *store.Tx) error {
		if seq, _ := tx.ItemSeq(key(1)); seq != 1 {
			t.Errorf("key now points at item %d", seq)
		}
		return nil
	})
}

func TestPutItemRefusesBadSeqs(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	noKey := newItem(1)
	noKey.Key = nil
	if err := db.Update(func(tx *store.Tx) error { return tx.PutItem(noKey) }); err == nil {
		t.Error("PutItem of a new item without a key succeeded")
	}
	if noKey.Seq != 0 {
		t.Errorf("refused item got seq %d", noKey.Seq)
	}
	// A seq never handed out would be overwritten by a later new item.
	ghost := newItem(2)
	ghost.Seq = 5
	if err := db.Update(func(tx *store.Tx) error { return tx.PutItem(ghost) }); err == nil {
		t.Error("PutItem with a seq never assigned succeeded")
	}
}

func TestItemReturnsCopies(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	orig := newItem(7)
	update(t, db, func(tx *store.Tx) error { return tx.PutItem(orig) })
	want := *newItem(7)
	want.Seq = orig.Seq

	var kept *model.Item // used after its transaction ended
	view(t, db, func(tx *store.Tx) error {
		it, err := tx.Item(orig.Seq)
		if err != nil {
			return err
		}
		kept = it
		it.Title = "changed"
		it.Key[0] = 'X'
		it.Categories[0] = "category/changed"
		again, err := tx.Item(orig.Seq)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(again, &want) {
			t.Errorf("mutating a returned item changed the store: %+v", again)
		}
		return nil
	})
	// Caller-owned values stay valid and keep the caller's changes once
	// bbolt has unmapped or reused its pages.
	update(t, db, func(tx *store.Tx) error {
		for i := 100; i < 400; i++ {
			if err := tx.PutItem(newItem(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if kept.Title != "changed" || string(kept.Key[1:]) != string(key(7)[1:]) || kept.Labels[0] != "News" {
		t.Errorf("item kept after its transaction changed: %+v", kept)
	}
	// Mutating the value passed to PutItem after it returned changes nothing either.
	orig.Title = "changed after put"
	view(t, db, func(tx *store.Tx) error {
		it, err := tx.Item(orig.Seq)
		if err == nil && it.Title != want.Title {
			t.Errorf("stored title %q follows the caller's struct", it.Title)
		}
		return err
	})
}

func TestItemNotFound(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	view(t, db, func(tx *store.Tx) error {
		if it, err := tx.Item(1); err == nil {
			t.Errorf("Item(1) of an empty store = %+v", it)
		}
		return nil
	})
}

func TestForEachItemInSeqOrder(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	const n = 300 // past 255: seqs must order as numbers, not as their low bytes
	update(t, db, func(tx *store.Tx) error {
		for i := range n {
			if err := tx.PutItem(newItem(n - i)); err != nil { // keys in falling order
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		var seqs []uint64
		err := tx.ForEachItem(func(it *model.Item) error {
			seqs = append(seqs, it.Seq)
			if want := fmt.Sprintf("Item %d", n-int(it.Seq)+1); it.Title != want {
				t.Errorf("item %d is %q, want %q", it.Seq, it.Title, want)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(seqs) != n || !slices.IsSorted(seqs) || seqs[0] != 1 {
			t.Errorf("ForEachItem visited %d items, sorted %v, first %v", len(seqs), slices.IsSorted(seqs), seqs[:1])
		}
		stop := errors.New("stop")
		count := 0
		if err := tx.ForEachItem(func(*model.Item) error { count++; return stop }); !errors.Is(err, stop) || count != 1 {
			t.Errorf("ForEachItem with an error: %v after %d calls", err, count)
		}

		return nil
	})
}

func TestInstants(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	before1970 := time.Date(1950, 6, 1, 12, 0, 0, 0, time.UTC).Unix()
	claims := []int64{-1, 0, 1, 100, 101, 102, 103, before1970 - 1, before1970, before1970 + 1, math.MaxInt64}
	update(t, db, func(tx *store.Tx) error {
		for i, u := range claims {
			if err := tx.ClaimInstant(u, uint64(i)+1); err != nil {
				return err
			}
		}
		// A run of a thousand taken seconds.
		for u := int64(10_000); u < 11_000; u++ {
			if err := tx.ClaimInstant(u, 999); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, u := range claims {
			if !tx.InstantTaken(u) {
				t.Errorf("InstantTaken(%d) = false after claiming it", u)
			}
		}
		for _, u := range []int64{-2, 2, 99, 104, before1970 - 2, before1970 + 2, math.MinInt64, 9_999, 11_000} {
			if tx.InstantTaken(u) {
				t.Errorf("InstantTaken(%d) = true, never claimed", u)
			}
		}
		for _, c := range []struct{ at, want int64 }{
			{2, 2},                           // free itself
			{1, -2},                          // 1, 0, -1 taken: across zero
			{0, -2},                          //
			{-1, -2},                         //
			{-2, -2},                         //
			{103, 99},                        // a run above zero
			{104, 104},                       //
			{before1970 + 1, before1970 - 2}, // a run before 1970
			{before1970 + 5, before1970 + 5},
			{10_999, 9_999}, // a long run
			{11_000, 11_000},
			{math.MaxInt64, math.MaxInt64 - 1},
			{math.MinInt64, math.MinInt64},
		} {
			if got := tx.FreeInstantAtOrBefore(c.at); got != c.want {
				t.Errorf("FreeInstantAtOrBefore(%d) = %d, want %d", c.at, got, c.want)
			}
		}
		return nil
	})
}

// A second held by one item is refused to another, and stays with the
// first; the same item may claim it again.
func TestClaimInstantTwice(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error { return tx.ClaimInstant(-86400, 1) })
	err := db.Update(func(tx *store.Tx) error { return tx.ClaimInstant(-86400, 2) })
	if !errors.Is(err, store.ErrInstantTaken) {
		t.Fatalf("second claim by another item: %v, want ErrInstantTaken", err)
	}
	update(t, db, func(tx *store.Tx) error { return tx.ClaimInstant(-86400, 1) })
	view(t, db, func(tx *store.Tx) error {
		if !tx.InstantTaken(-86400) || tx.FreeInstantAtOrBefore(-86400) != -86401 {
			t.Error("a second claimed twice is no longer taken")
		}
		return nil
	})
}

func TestFeeds(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	feeds := []*model.Feed{
		{Path: "listing/news-stories", Kind: model.KindListing, Fold: "news stories and statements on cooperatives", ID: "tag:x,2026:feed/listing/news-stories"},
		{Path: "category/spotlight-interviews-with-cooperators", Kind: model.KindCategory, Fold: "spotlight interviews with cooperators",
			Spellings: []model.Spelling{{Text: "Spotlight Interviews with Cooperators", Count: 2}, {Text: "Spotlight Interviews with Co-operators", Count: 1}}},
		{Path: model.AllPath, Kind: model.KindAll},
		{Path: "category/news", Kind: model.KindCategory, Fold: "news", Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	update(t, db, func(tx *store.Tx) error {
		for _, f := range feeds {
			if err := tx.PutFeed(f); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, c := range []struct {
			kind model.FeedKind
			fold string
			want string
		}{
			{model.KindCategory, "spotlight interviews with cooperators", "category/spotlight-interviews-with-cooperators"},
			{model.KindCategory, "news", "category/news"},
			{model.KindListing, "news stories and statements on cooperatives", "listing/news-stories"},
			{model.KindListing, "news", ""}, // folds are per kind
			{model.KindCategory, "newsletter", ""},
			{model.KindAll, "", ""},
		} {
			got, ok := tx.FeedPath(c.kind, c.fold)
			if got != c.want || ok != (c.want != "") {
				t.Errorf("FeedPath(%s, %q) = %q, %v; want %q", c.kind, c.fold, got, ok, c.want)
			}
		}
		got, err := tx.Feeds()
		if err != nil {
			return err
		}
		var paths []string
		for _, f := range got {
			paths = append(paths, f.Path)
		}
		if want := []string{"all", "category/news", "category/spotlight-interviews-with-cooperators", "listing/news-stories"}; !slices.Equal(paths, want) {
			t.Errorf("Feeds() paths %v, want %v", paths, want)
		}
		f, err := tx.Feed("category/spotlight-interviews-with-cooperators")
		if err != nil || !reflect.DeepEqual(f, feeds[1]) {
			t.Errorf("Feed() = %+v, %v; want %+v", f, err, feeds[1])
		}
		if f.Name() != "Spotlight Interviews with Cooperators" {
			t.Errorf("Name() = %q", f.Name())
		}
		if f, err := tx.Feed("category/none"); f != nil || err != nil {
			t.Errorf("Feed of a missing path = %+v, %v", f, err)
		}
		return nil
	})
	// Writing a feed again, its fold unchanged, is an update.
	feeds[3].Items = 3
	update(t, db, func(tx *store.Tx) error { return tx.PutFeed(feeds[3]) })
}

// One folded name, one feed: a second feed claiming it would orphan the
// first and split its category.
func TestPutFeedRefusesATakenFold(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		return tx.PutFeed(&model.Feed{Path: "category/news", Kind: model.KindCategory, Fold: "news"})
	})
	err := db.Update(func(tx *store.Tx) error {
		return tx.PutFeed(&model.Feed{Path: "category/news-2", Kind: model.KindCategory, Fold: "news"})
	})
	if err == nil {
		t.Error("a second feed took the fold of the first")
	}
	view(t, db, func(tx *store.Tx) error {
		if p, _ := tx.FeedPath(model.KindCategory, "news"); p != "category/news" {
			t.Errorf("fold now points at %q", p)
		}
		return nil
	})
}

// newestRef is what Newest must return: the log read from its end,
// keeping each item's latest entry.
func newestRef(log []uint64, n int) []uint64 {
	var out []uint64
	seen := map[uint64]bool{}
	for i := len(log) - 1; i >= 0 && len(out) < n; i-- {
		if !seen[log[i]] {
			seen[log[i]] = true
			out = append(out, log[i])
		}
	}
	return out
}

func TestLogNewest(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	const path = "category/news"
	update(t, db, func(tx *store.Tx) error {
		return tx.PutFeed(&model.Feed{Path: path, Kind: model.KindCategory, Fold: "news"})
	})
	log := []uint64{1, 2, 3, 2, 4, 1, 5}
	update(t, db, func(tx *store.Tx) error {
		for _, seq := range log {
			if err := tx.AppendLog(path, seq); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, c := range []struct {
			n    int
			want []uint64
		}{
			{3, []uint64{5, 1, 4}},
			{5, []uint64{5, 1, 4, 2, 3}},
			{100, []uint64{5, 1, 4, 2, 3}},
			{1, []uint64{5}},
			{0, nil},
			{-1, nil},
		} {
			got, err := tx.Newest(path, c.n)
			if err != nil {
				return err
			}
			if len(got) != len(c.want) || (len(got) > 0 && !slices.Equal(got, c.want)) {
				t.Errorf("Newest(%d) = %v, want %v", c.n, got, c.want)
			}
		}
		return nil
	})
}

func TestLogNewestOfALongLog(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	const path = "all"
	update(t, db, func(tx *store.Tx) error { return tx.PutFeed(&model.Feed{Path: path, Kind: model.KindAll}) })
	// 100,000 entries: 2,000 items joining, and item 7 changing again and
	// again, most recently at the very end.
	log := make([]uint64, 0, 100_000)
	for i := range 100_000 {
		if i%2 == 1 || i == 100_000-2 {
			log = append(log, 7)
		} else {
			log = append(log, uint64(i/2%2000)+1)
		}
	}
	update(t, db, func(tx *store.Tx) error {
		for _, seq := range log {
			if err := tx.AppendLog(path, seq); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, n := range []int{1, 10, 50, 1999, 2000, 5000} {
			got, err := tx.Newest(path, n)
			if err != nil {
				return err
			}
			want := newestRef(log, n)
			if len(got) > n || !slices.Equal(got, want) {
				t.Errorf("Newest(%d): %d items %v…, want %d %v…", n, len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
			}
			seen := map[uint64]bool{}
			for _, s := range got {
				if seen[s] {
					t.Fatalf("Newest(%d) returned item %d twice", n, s)
				}
				seen[s] = true
			}
		}
		return nil
	})
}

func TestLogOfAMissingFeed(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	if err := db.Update(func(tx *store.Tx) error { return tx.AppendLog("category/none", 1) }); err == nil {
		t.Error("AppendLog to a missing feed succeeded")
	}
	view(t, db, func(tx *store.Tx) error {
		seqs, err := tx.Newest("category/none", 10)
		if err == nil || !strings.Contains(err.Error(), "category/none") {
			t.Errorf("Newest of a missing feed = %v, %v; want an error naming it", seqs, err)
		}
		return nil
	})
}

func TestMembers(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	const path = "category/news"
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutFeed(&model.Feed{Path: path, Kind: model.KindCategory, Fold: "news"}); err != nil {
			return err
		}
		for seq := uint64(10); seq < 35; seq++ {
			n, err := tx.AddMember(path, seq)
			if err != nil {
				return err
			}
			if n != seq-9 {
				t.Errorf("AddMember(%d) = %d, want %d", seq, n, seq-9)
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		if n := tx.MemberCount(path); n != 25 {
			t.Errorf("MemberCount = %d, want 25", n)
		}
		if n := tx.MemberCount("category/none"); n != 0 {
			t.Errorf("MemberCount of a missing feed = %d", n)
		}
		for _, c := range []struct {
			from uint64
			n    int
			want []uint64
		}{
			{1, 3, []uint64{10, 11, 12}},
			{11, 10, []uint64{20, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
			{21, 10, []uint64{30, 31, 32, 33, 34}},
			{26, 10, nil},
			{1, 0, nil},
			{1, -5, nil},
			{1, 1 << 40, nil}, // checked below: all 25, no huge allocation
		} {
			got, err := tx.Members(path, c.from, c.n)
			if err != nil {
				return err
			}
			if c.n == 1<<40 {
				if len(got) != 25 {
					t.Errorf("Members(1, 1<<40) returned %d", len(got))
				}
				continue
			}
			if len(got) != len(c.want) || (len(got) > 0 && !slices.Equal(got, c.want)) {
				t.Errorf("Members(%d, %d) = %v, want %v", c.from, c.n, got, c.want)
			}
		}
		if _, err := tx.Members("category/none", 1, 10); err == nil {
			t.Error("Members of a missing feed succeeded")
		}
		return nil
	})
}

func TestDirty(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	dirty := func() []string {
		var d []string
		view(t, db, func(tx *store.Tx) error { d = tx.Dirty(); return nil })
		return d
	}
	update(t, db, func(tx *store.Tx) error { return tx.MarkDirty("category/news", "all", "all/archive/3", "all") })
	if got, want := dirty(), []string{"all", "all/archive/3", "category/news"}; !slices.Equal(got, want) {
		t.Errorf("Dirty() = %q, want %q", got, want)
	}
	update(t, db, func(tx *store.Tx) error { return tx.ClearDirty([]string{"all", "listing/never-marked"}) })
	if got, want := dirty(), []string{"all/archive/3", "category/news"}; !slices.Equal(got, want) {
		t.Errorf("Dirty() after ClearDirty = %q, want %q", got, want)
	}

	// A change that fails takes its dirty marks with it.
	boom := errors.New("boom")
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.MarkDirty("listing/half-done"); err != nil {
			return err
		}
		if err := tx.ClearDirty([]string{"category/news"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Update returned %v, want the function's error", err)
	}
	if got, want := dirty(), []string{"all/archive/3", "category/news"}; !slices.Equal(got, want) {
		t.Errorf("Dirty() after a rolled-back transaction = %q, want %q", got, want)
	}

	update(t, db, func(tx *store.Tx) error { return tx.ClearDirty(dirty()) })
	if got := dirty(); len(got) != 0 {
		t.Errorf("Dirty() after clearing all = %q", got)
	}
}

func TestDirtyPages(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error { return tx.MarkPages(300, 2, 256, 1) })
	view(t, db, func(tx *store.Tx) error {
		if got, want := tx.DirtyPages(0, 10), []uint64{1, 2, 256, 300}; !slices.Equal(got, want) {
			t.Errorf("DirtyPages(0, 10) = %v, want %v", got, want)
		}
		if got, want := tx.DirtyPages(2, 1), []uint64{256}; !slices.Equal(got, want) {
			t.Errorf("DirtyPages(2, 1) = %v, want %v", got, want)
		}
		if got := tx.DirtyPages(math.MaxUint64, 10); len(got) != 0 {
			t.Errorf("DirtyPages(MaxUint64) = %v, want none", got)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.ClearPages([]uint64{1, 300}) })
	view(t, db, func(tx *store.Tx) error {
		if got, want := tx.DirtyPages(0, 10), []uint64{2, 256}; !slices.Equal(got, want) {
			t.Errorf("DirtyPages after ClearPages = %v, want %v", got, want)
		}
		return nil
	})
}

// MarkAllPages marks the page of every stored item, keeping the marks
// already there, and none of a seq never assigned.
func TestMarkAllPages(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for i := range 6 {
			if err := tx.PutItem(newItem(i)); err != nil {
				return err
			}
		}
		return tx.ClearPages([]uint64{1, 2, 3, 4, 5, 6})
	})
	update(t, db, func(tx *store.Tx) error { return tx.MarkPages(2, 5) })
	update(t, db, func(tx *store.Tx) error { return tx.MarkAllPages() })
	view(t, db, func(tx *store.Tx) error {
		if got, want := tx.DirtyPages(0, 100), []uint64{1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
			t.Errorf("DirtyPages after MarkAllPages = %v, want %v", got, want)
		}
		if got := tx.PendingPages(); got != 6 {
			t.Errorf("PendingPages = %d, want 6", got)
		}
		return nil
	})
}

func TestFiles(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	records := []*model.FileRecord{
		{Path: "b/002.txt", Size: 10, ModTime: time.Unix(1700000000, 123456789).UTC(), Outcome: model.OutcomePartial,
			Errors: []string{"b/002.txt:4: no date"}, Listing: "News", Items: 3, Scanned: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC),
			Hash: strings.Repeat("ab", 32)},
		{Path: "a/001.txt", Size: 0, ModTime: time.Unix(0, 1).UTC(), Outcome: model.OutcomeRejected},
		{Path: "000.txt", Size: 1 << 40, ModTime: time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC), Outcome: model.OutcomeOK},
	}
	update(t, db, func(tx *store.Tx) error {
		for _, r := range records {
			if err := tx.PutFile(r); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, want := range records {
			got, err := tx.File(want.Path)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("File(%q) = %+v, want %+v", want.Path, got, want)
			}
		}
		if r, err := tx.File("missing.txt"); r != nil || err != nil {
			t.Errorf("File of a missing path = %+v, %v", r, err)
		}
		var paths []string
		err := tx.ForEachFile(func(r *model.FileRecord) error { paths = append(paths, r.Path); return nil })
		if err != nil {
			return err
		}
		if want := []string{"000.txt", "a/001.txt", "b/002.txt"}; !slices.Equal(paths, want) {
			t.Errorf("ForEachFile order %q, want %q", paths, want)
		}
		stats := map[string]store.FileStat{}
		tx.FileStats(func(path string, st store.FileStat) { stats[path] = st })
		for _, r := range records {
			st := stats[r.Path]
			if st.Size != r.Size || st.ModTime != r.ModTime.UnixNano() {
				t.Errorf("FileStat(%q) = %+v, want size %d mtime %d", r.Path, st, r.Size, r.ModTime.UnixNano())
			}
		}
		if st := stats["b/002.txt"]; st.Hash[0] != 0xab || st.Hash[31] != 0xab {
			t.Errorf("FileStat hash %x", st.Hash)
		}
		return nil
	})
	bad := &model.FileRecord{Path: "c.txt", Hash: "not hex"}
	if err := db.Update(func(tx *store.Tx) error { return tx.PutFile(bad) }); err == nil {
		t.Error("PutFile with a malformed hash succeeded")
	}
}

func TestMeta(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		if err := tx.SetMeta("tag_authority", "example.org"); err != nil {
			return err
		}
		if err := tx.SetMeta("schema", "not the schema"); err != nil { // user keys cannot reach the schema version
			return err
		}
		return tx.SetMeta("empty", "")
	})
	update(t, db, func(tx *store.Tx) error { return tx.SetMeta("tag_authority", "example.net") })
	view(t, db, func(tx *store.Tx) error {
		for k, want := range map[string]string{"tag_authority": "example.net", "schema": "not the schema", "empty": "", "missing": ""} {
			if got := tx.Meta(k); got != want {
				t.Errorf("Meta(%q) = %q, want %q", k, got, want)
			}
		}
		return nil
	})
}

func TestDataSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	db := mustOpen(t, path, store.Options{})
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutFeed(&model.Feed{Path: "all", Kind: model.KindAll}); err != nil {
			return err
		}
		it := newItem(1)
		if err := tx.PutItem(it); err != nil {
			return err
		}
		if err := tx.AppendLog("all", it.Seq); err != nil {
			return err
		}
		return tx.MarkDirty("all")
	})
	mustClose(t, db)
	db = mustOpen(t, path, store.Options{ReadOnly: true})
	defer mustClose(t, db)
	view(t, db, func(tx *store.Tx) error {
		if seq, ok := tx.ItemSeq(key(1)); !ok || seq != 1 {
			t.Errorf("ItemSeq after reopen = %d, %v", seq, ok)
		}
		if got, err := tx.Newest("all", 10); err != nil || !slices.Equal(got, []uint64{1}) {
			t.Errorf("Newest after reopen = %v, %v", got, err)
		}
		if got := tx.Dirty(); !slices.Equal(got, []string{"all"}) {
			t.Errorf("Dirty after reopen = %q", got)
		}
		return nil
	})
}
