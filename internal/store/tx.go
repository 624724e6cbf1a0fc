package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/feedpub/feedpub/internal/model"
)

// appendFill packs pages of buckets whose keys only grow (item seqs, log
// seqs): bbolt's default of half-full pages suits random inserts and would
// double their size.
const appendFill = 0.95

// Tx is one bbolt transaction with feedpub's typed operations. Values
// returned are copies, valid after the transaction ends.
type Tx struct {
	tx *bolt.Tx
	db *DB
}

// Update runs fn in a read-write transaction, committed if fn returns nil.
// Only one runs at a time, in this process and across processes.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, db: db}) })
}

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(*Tx) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, db: db}) })
}

// Meta returns a setting fixed in the database, or "".
func (t *Tx) Meta(key string) string {
	return string(t.tx.Bucket(bucketMeta).Get([]byte("k:" + key)))
}

// SetMeta stores a setting.
func (t *Tx) SetMeta(key, value string) error {
	if err := t.tx.Bucket(bucketMeta).Put([]byte("k:"+key), []byte(value)); err != nil {
		return fmt.Errorf("store: set %s: %w", key, err)
	}
	return nil
}

// ItemSeq returns the seq of the item with identity key k.
func (t *Tx) ItemSeq(k []byte) (uint64, bool) {
	v := t.tx.Bucket(bucketKeys).Get(k)
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// Item returns the item numbered seq.
func (t *Tx) Item(seq uint64) (*model.Item, error) {
	v := t.tx.Bucket(bucketItems).Get(u64(seq))
	if v == nil {
		return nil, fmt.Errorf("store: item %d: not found", seq)
	}
	it := new(model.Item)
	if err := decode(v, it); err != nil {
		return nil, fmt.Errorf("store: decode item %d: %w", seq, err)
	}
	return it, nil
}

// PutItem stores it. An item with Seq 0 is new: it gets the next seq and
// its key is indexed. A new item whose key is already stored is refused:
// one key is one item, forever. it.Seq is set only if PutItem succeeds.
func (t *Tx) PutItem(it *model.Item) error {
	items := t.tx.Bucket(bucketItems)
	items.FillPercent = appendFill
	seq := it.Seq
	if seq == 0 {
		if len(it.Key) == 0 {
			return fmt.Errorf("store: new item %q has no identity key", it.Title)
		}
		keys := t.tx.Bucket(bucketKeys)
		if old, ok := t.ItemSeq(it.Key); ok {
			return fmt.Errorf("store: new item %q: key %x is already item %d", it.Title, it.Key, old)
		}
		var err error
		if seq, err = items.NextSequence(); err != nil {
			return fmt.Errorf("store: next item seq: %w", err)
		}
		if err := keys.Put(it.Key, u64(seq)); err != nil {
			return fmt.Errorf("store: index item %d: %w", seq, err)
		}
	} else if seq > items.Sequence() {
		// A seq never handed out would be overwritten by a later new item.
		return fmt.Errorf("store: item %d: no such seq was ever assigned (last is %d)", seq, items.Sequence())
	}
	stored := *it
	stored.Seq = seq
	v, err := encode(&stored)
	if err != nil {
		return fmt.Errorf("store: encode item %d: %w", seq, err)
	}
	if err := items.Put(u64(seq), v); err != nil {
		return fmt.Errorf("store: put item %d: %w", seq, err)
	}
	it.Seq = seq
	return nil
}

// ItemsFrom returns up to n items in seq order, from seq from on.
func (t *Tx) ItemsFrom(from uint64, n int) ([]*model.Item, error) {
	var out []*model.Item
	c := t.tx.Bucket(bucketItems).Cursor()
	for k, v := c.Seek(u64(from)); k != nil && len(out) < n; k, v = c.Next() {
		it := new(model.Item)
		if err := decode(v, it); err != nil {
			return nil, fmt.Errorf("store: decode item %d: %w", binary.BigEndian.Uint64(k), err)
		}
		out = append(out, it)
	}
	return out, nil
}

// ForEachItem calls fn for every item in seq order.
func (t *Tx) ForEachItem(fn func(*model.Item) error) error {
	return t.tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
		it := new(model.Item)
		if err := decode(v, it); err != nil {
			return fmt.Errorf("store: decode item %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return fn(it)
	})
}

// instantKey orders Unix seconds, negative ones included, as bytes.
func instantKey(unix int64) []byte { return u64(uint64(unix) ^ 1<<63) }

// InstantTaken reports whether some item already uses the Unix second.
func (t *Tx) InstantTaken(unix int64) bool {
	return t.tx.Bucket(bucketInstants).Get(instantKey(unix)) != nil
}

// ErrInstantTaken is returned by ClaimInstant for a second another item
// already uses: two entries of one feed must never share an instant.
var ErrInstantTaken = errors.New("instant already used by another item")

// ClaimInstant records that item seq uses the Unix second, so no other
// item gets the same published or updated instant. The caller picks a
// second that InstantTaken or FreeInstantAtOrBefore showed free; a second
// held by another item is refused.
func (t *Tx) ClaimInstant(unix int64, seq uint64) error {
	b := t.tx.Bucket(bucketInstants)
	if v := b.Get(instantKey(unix)); len(v) == 8 && binary.BigEndian.Uint64(v) != seq {
		return fmt.Errorf("store: claim instant %d for item %d: %w (item %d)", unix, seq, ErrInstantTaken, binary.BigEndian.Uint64(v))
	}
	if err := b.Put(instantKey(unix), u64(seq)); err != nil {
		return fmt.Errorf("store: claim instant %d: %w", unix, err)
	}
	return nil
}

// FreeInstantAtOrBefore returns the latest Unix second ≤ unix that no item
// uses.
func (t *Tx) FreeInstantAtOrBefore(unix int64) int64 {
	c := t.tx.Bucket(bucketInstants).Cursor()
	k, _ := c.Seek(instantKey(unix))
	for cand := unix; ; cand-- {
		if k == nil || !bytes.Equal(k, instantKey(cand)) {
			return cand
		}
		k, _ = c.Prev()
	}
}

// Feed returns the feed at path, or nil if there is none.
func (t *Tx) Feed(path string) (*model.Feed, error) {
	v := t.tx.Bucket(bucketFeeds).Get([]byte(path))
	if v == nil {
		return nil, nil
	}
	f := new(model.Feed)
	if err := decode(v, f); err != nil {
		return nil, fmt.Errorf("store: decode feed %s: %w", path, err)
	}
	return f, nil
}

func foldKey(kind model.FeedKind, fold string) []byte {
	return []byte(string(kind) + "\x00" + fold)
}

// FeedPath returns the path of the feed of kind collecting the folded
// name fold.
func (t *Tx) FeedPath(kind model.FeedKind, fold string) (string, bool) {
	v := t.tx.Bucket(bucketFolds).Get(foldKey(kind, fold))
	return string(v), v != nil
}

// PutFeed stores f, indexing its folded name and creating its log.
func (t *Tx) PutFeed(f *model.Feed) error {
	// One folded name, one feed: repointing it would orphan the feed that
	// holds it and split its category.
	if p, ok := t.FeedPath(f.Kind, f.Fold); f.Fold != "" && ok && p != f.Path {
		return fmt.Errorf("store: put feed %s: %s name %q already belongs to feed %s", f.Path, f.Kind, f.Fold, p)
	}
	v, err := encode(f)
	if err != nil {
		return fmt.Errorf("store: encode feed %s: %w", f.Path, err)
	}
	if err := t.tx.Bucket(bucketFeeds).Put([]byte(f.Path), v); err != nil {
		return fmt.Errorf("store: put feed %s: %w", f.Path, err)
	}
	if f.Fold != "" {
		if err := t.tx.Bucket(bucketFolds).Put(foldKey(f.Kind, f.Fold), []byte(f.Path)); err != nil {
			return fmt.Errorf("store: index feed %s: %w", f.Path, err)
		}
	}
	for _, b := range [][]byte{bucketLogs, bucketMembers} {
		if _, err := t.tx.Bucket(b).CreateBucketIfNotExists([]byte(f.Path)); err != nil {
			return fmt.Errorf("store: create %s of feed %s: %w", b, f.Path, err)
		}
	}
	return nil
}

// Feeds returns every feed, ordered by path.
func (t *Tx) Feeds() ([]*model.Feed, error) {
	var feeds []*model.Feed
	err := t.tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
		f := new(model.Feed)
		if err := decode(v, f); err != nil {
			return fmt.Errorf("store: decode feed %s: %w", k, err)
		}
		feeds = append(feeds, f)
		return nil
	})
	return feeds, err
}

// AppendLog records that item seq entered, or changed in, the feed at
// path. The log is append-only: its order is the order items arrived.
func (t *Tx) AppendLog(path string, seq uint64) error {
	log := t.tx.Bucket(bucketLogs).Bucket([]byte(path))
	if log == nil {
		return fmt.Errorf("store: log of feed %s: not found", path)
	}
	log.FillPercent = appendFill
	n, err := log.NextSequence()
	if err != nil {
		return fmt.Errorf("store: log of feed %s: %w", path, err)
	}
	if err := log.Put(u64(n), u64(seq)); err != nil {
		return fmt.Errorf("store: append to log of feed %s: %w", path, err)
	}
	return nil
}

// Newest returns up to n distinct items of the feed at path, most
// recently added or changed first. It walks the log from its end until it
// has n distinct items, so a feed of a million items costs what one of
// fifty does; but entries of items already seen are walked too, and a feed
// with fewer than n items is walked whole, however often they changed.
func (t *Tx) Newest(path string, n int) ([]uint64, error) {
	log := t.tx.Bucket(bucketLogs).Bucket([]byte(path))
	if log == nil {
		return nil, fmt.Errorf("store: log of feed %s: not found", path)
	}
	if n <= 0 {
		return nil, nil
	}
	// The log holds at most Sequence() entries: never reserve more.
	hint := int(min(uint64(n), log.Sequence()))
	seqs := make([]uint64, 0, hint)
	seen := make(map[uint64]bool, hint)
	c := log.Cursor()
	for k, v := c.Last(); k != nil && len(seqs) < n; k, v = c.Prev() {
		seq := binary.BigEndian.Uint64(v)
		if !seen[seq] {
			seen[seq] = true
			seqs = append(seqs, seq)
		}
	}
	return seqs, nil
}

// MarkDirty records that the feeds at paths must be regenerated. It is
// written in the same transaction as the change that caused it, so a scan
// killed before writing files leaves the work for the next one.
func (t *Tx) MarkDirty(paths ...string) error {
	b := t.tx.Bucket(bucketDirty)
	for _, p := range paths {
		if err := b.Put([]byte(p), nil); err != nil {
			return fmt.Errorf("store: mark %s dirty: %w", p, err)
		}
	}
	return nil
}

// Dirty returns the paths of feeds waiting to be regenerated, sorted.
func (t *Tx) Dirty() []string {
	var paths []string
	t.tx.Bucket(bucketDirty).ForEach(func(k, _ []byte) error {
		paths = append(paths, string(k))
		return nil
	})
	return paths
}

// ClearDirty removes paths from the dirty set once their files are written.
func (t *Tx) ClearDirty(paths []string) error {
	b := t.tx.Bucket(bucketDirty)
	for _, p := range paths {
		if err := b.Delete([]byte(p)); err != nil {
			return fmt.Errorf("store: clear %s: %w", p, err)
		}
	}
	return nil
}

// File returns the record of the listing file at path, or nil.
func (t *Tx) File(path string) (*model.FileRecord, error) {
	v := t.tx.Bucket(bucketFiles).Get([]byte(path))
	if v == nil {
		return nil, nil
	}
	r := new(model.FileRecord)
	if err := decode(v, r); err != nil {
		return nil, fmt.Errorf("store: decode file record %s: %w", path, err)
	}
	return r, nil
}

// PutFile stores a listing file's record and its stat.
func (t *Tx) PutFile(r *model.FileRecord) error {
	v, err := encode(r)
	if err != nil {
		return fmt.Errorf("store: encode file record %s: %w", r.Path, err)
	}
	if err := t.tx.Bucket(bucketFiles).Put([]byte(r.Path), v); err != nil {
		return fmt.Errorf("store: put file record %s: %w", r.Path, err)
	}
	st := FileStat{Size: r.Size, ModTime: r.ModTime.UnixNano()}
	if r.Hash != "" {
		if _, err := hex.Decode(st.Hash[:], []byte(r.Hash)); err != nil {
			return fmt.Errorf("store: file record %s: hash %q: %w", r.Path, r.Hash, err)
		}
	}
	if err := t.tx.Bucket(bucketStats).Put([]byte(r.Path), st.bytes()); err != nil {
		return fmt.Errorf("store: put file stat %s: %w", r.Path, err)
	}
	return nil
}

// FileStat is what a rescan compares to decide whether a listing file must
// be read again: its size and mtime, and its content hash (zero for a file
// recorded without one).
type FileStat struct {
	Size    int64
	ModTime int64 // Unix nanoseconds
	Hash    [32]byte
}

func (s FileStat) bytes() []byte {
	b := make([]byte, 48)
	binary.BigEndian.PutUint64(b[0:], uint64(s.Size))
	binary.BigEndian.PutUint64(b[8:], uint64(s.ModTime))
	copy(b[16:], s.Hash[:])
	return b
}

// FileStat returns the stat of the listing file at path.
func (t *Tx) FileStat(path string) (FileStat, bool) {
	b := t.tx.Bucket(bucketStats)
	if b == nil {
		return FileStat{}, false
	}
	v := b.Get([]byte(path))
	if len(v) != 48 {
		return FileStat{}, false
	}
	return decodeStat(v), true
}

func decodeStat(v []byte) FileStat {
	st := FileStat{Size: int64(binary.BigEndian.Uint64(v[0:])), ModTime: int64(binary.BigEndian.Uint64(v[8:]))}
	copy(st.Hash[:], v[16:])
	return st
}

// FileStats calls fn with every listing file's stat, in path order. It
// decodes nothing: a rescan of 100,000 files reads them all.
func (t *Tx) FileStats(fn func(path string, st FileStat)) {
	b := t.tx.Bucket(bucketStats)
	if b == nil {
		return
	}
	b.ForEach(func(k, v []byte) error {
		if len(v) != 48 {
			return nil
		}
		fn(string(k), decodeStat(v))
		return nil
	})
}

// ForEachFile calls fn for every file record in path order.
func (t *Tx) ForEachFile(fn func(*model.FileRecord) error) error {
	return t.tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
		r := new(model.FileRecord)
		if err := decode(v, r); err != nil {
			return fmt.Errorf("store: decode file record %s: %w", k, err)
		}
		return fn(r)
	})
}
