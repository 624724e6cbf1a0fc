package store

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AddMember records that item seq joined the feed at path, after every
// earlier member, and returns the feed's member count. Members are never
// reordered or removed: archive page k is members (k-1)·size+1 to k·size,
// so a full page never changes, whatever arrives later.
func (t *Tx) AddMember(path string, seq uint64) (uint64, error) {
	b := t.tx.Bucket(bucketMembers).Bucket([]byte(path))
	if b == nil {
		return 0, fmt.Errorf("store: members of feed %s: not found", path)
	}
	b.FillPercent = appendFill
	n, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("store: members of feed %s: %w", path, err)
	}
	if err := b.Put(u64(n), u64(seq)); err != nil {
		return 0, fmt.Errorf("store: add member to feed %s: %w", path, err)
	}
	return n, nil
}

// MemberCount returns how many items have joined the feed at path.
func (t *Tx) MemberCount(path string) uint64 {
	b := t.tx.Bucket(bucketMembers).Bucket([]byte(path))
	if b == nil {
		return 0
	}
	return b.Sequence()
}

// Members returns the items numbered from to from+n-1 (1-based) of the
// feed at path, in joining order: one seek and n steps, whatever the size
// of the feed.
func (t *Tx) Members(path string, from uint64, n int) ([]uint64, error) {
	b := t.tx.Bucket(bucketMembers).Bucket([]byte(path))
	if b == nil {
		return nil, fmt.Errorf("store: members of feed %s: not found", path)
	}
	if n <= 0 || from > b.Sequence() {
		return nil, nil
	}
	// Members from..Sequence() exist: never reserve more.
	seqs := make([]uint64, 0, min(uint64(n), b.Sequence()-from+1))
	c := b.Cursor()
	for k, v := c.Seek(u64(from)); k != nil && len(seqs) < n; k, v = c.Next() {
		seqs = append(seqs, binary.BigEndian.Uint64(v))
	}
	return seqs, nil
}

// MarkPages records that the pages of items seqs must be regenerated.
func (t *Tx) MarkPages(seqs ...uint64) error {
	b := t.tx.Bucket(bucketPages)
	for _, s := range seqs {
		if err := b.Put(u64(s), nil); err != nil {
			return fmt.Errorf("store: mark page of item %d: %w", s, err)
		}
	}
	return nil
}

// MarkAllPages records that every item's page must be regenerated (a
// name every page shows changed, or the output's settings did). Marks are
// cleared as pages are written, so the work survives a killed scan.
func (t *Tx) MarkAllPages() error {
	pages := t.tx.Bucket(bucketPages)
	pages.FillPercent = appendFill
	// Items are never deleted and took seqs 1..Sequence() in turn, so the
	// items bucket need not be read: walking it read every item (a
	// gigabyte at a million items) each time a shown name changed, which
	// a first scan does many times. Marks already there are left alone,
	// so a first scan, which marked every new item already, rewrites none.
	last := t.tx.Bucket(bucketItems).Sequence()
	var missing []uint64
	c := pages.Cursor()
	k, _ := c.First()
	for seq := uint64(1); seq <= last; seq++ {
		for k != nil && binary.BigEndian.Uint64(k) < seq {
			k, _ = c.Next()
		}
		if k == nil || binary.BigEndian.Uint64(k) != seq {
			missing = append(missing, seq)
		}
	}
	for _, seq := range missing {
		if err := pages.Put(u64(seq), nil); err != nil {
			return fmt.Errorf("store: mark every page: %w", err)
		}
	}
	return nil
}

// DirtyPages returns up to n items whose pages must be regenerated, in
// seq order, from the first seq ≥ after+1.
func (t *Tx) DirtyPages(after uint64, n int) []uint64 {
	var seqs []uint64
	if after == math.MaxUint64 { // after+1 would wrap to the first page
		return nil
	}
	c := t.tx.Bucket(bucketPages).Cursor()
	for k, _ := c.Seek(u64(after + 1)); k != nil && len(seqs) < n; k, _ = c.Next() {
		seqs = append(seqs, binary.BigEndian.Uint64(k))
	}
	return seqs
}

// ClearPages removes items from the set of pages to regenerate.
func (t *Tx) ClearPages(seqs []uint64) error {
	b := t.tx.Bucket(bucketPages)
	for _, s := range seqs {
		if err := b.Delete(u64(s)); err != nil {
			return fmt.Errorf("store: clear page of item %d: %w", s, err)
		}
	}
	return nil
}

// ItemCount returns the number of items stored.
func (t *Tx) ItemCount() uint64 {
	return t.tx.Bucket(bucketItems).Sequence()
}
