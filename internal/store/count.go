package store

// Counts returns how many items and feeds the database holds. Items are
// never deleted and each took the next seq, so the items bucket's sequence
// is their count, read in constant time even for a million items.
func (t *Tx) Counts() (items, feeds int) {
	return int(t.tx.Bucket(bucketItems).Sequence()), t.tx.Bucket(bucketFeeds).Stats().KeyN
}

// PendingPages returns how many item pages wait to be regenerated.
func (t *Tx) PendingPages() int {
	n := 0
	c := t.tx.Bucket(bucketPages).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
