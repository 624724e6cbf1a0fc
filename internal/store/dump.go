package store

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Log returns the whole log of the feed at path: the seq of every item
// that joined or changed in it, in order. It reads every entry, so it is
// for tests and inspection, not for rendering (see Newest).
func (t *Tx) Log(path string) ([]uint64, error) {
	log := t.tx.Bucket(bucketLogs).Bucket([]byte(path))
	if log == nil {
		return nil, fmt.Errorf("store: log of feed %s: not found", path)
	}
	seqs := make([]uint64, 0, log.Sequence())
	err := log.ForEach(func(_, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("store: log of feed %s: entry of %d bytes", path, len(v))
		}
		seqs = append(seqs, binary.BigEndian.Uint64(v))
		return nil
	})
	return seqs, err
}

// ForEachMeta calls fn with every setting fixed in the database (what
// Meta reads), in key order.
func (t *Tx) ForEachMeta(fn func(key, value string)) {
	t.tx.Bucket(bucketMeta).ForEach(func(k, v []byte) error {
		if key, ok := strings.CutPrefix(string(k), "k:"); ok {
			fn(key, string(v))
		}
		return nil
	})
}
