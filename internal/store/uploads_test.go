package store_test

import (
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/store/storetest"
)

func TestUploads(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		return tx.AddUploads("index.html", "all/rss.xml.gz", "all/rss.xml", "index.html")
	})
	view(t, db, func(tx *store.Tx) error {
		if got, want := tx.Uploads(), []string{"all/rss.xml", "all/rss.xml.gz", "index.html"}; !slices.Equal(got, want) {
			t.Errorf("Uploads() = %q, want %q", got, want)
		}
		if n := tx.PendingUploads(); n != 3 {
			t.Errorf("PendingUploads() = %d, want 3", n)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.ClearUploads([]string{"all/rss.xml", "nothing"}) })
	view(t, db, func(tx *store.Tx) error {
		if got, want := tx.Uploads(), []string{"all/rss.xml.gz", "index.html"}; !slices.Equal(got, want) {
			t.Errorf("Uploads() after ClearUploads = %q, want %q", got, want)
		}
		return nil
	})
}

// A database of schema 1, written before uploads existed, gains the
// upload set when a scan opens it; what it held is kept.
func TestSchema1GainsTheUploadSet(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	boltFile(t, path, nil, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, b := range []string{"items", "keys", "instants", "feeds", "folds", "logs", "members", "files", "stats", "dirty", "pages"} {
			if _, err := tx.CreateBucket([]byte(b)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("dirty")).Put([]byte("all"), nil); err != nil {
			return err
		}
		return meta.Put(keySchema, u64(1))
	})
	db := mustOpen(t, path, store.Options{})
	update(t, db, func(tx *store.Tx) error { return tx.AddUploads("all/rss.xml") })
	view(t, db, func(tx *store.Tx) error {
		if !slices.Equal(tx.Dirty(), []string{"all"}) || !slices.Equal(tx.Uploads(), []string{"all/rss.xml"}) {
			t.Errorf("after upgrade: dirty %q, uploads %q", tx.Dirty(), tx.Uploads())
		}
		return nil
	})
	mustClose(t, db)
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("schema %d, want %d", got, store.SchemaVersion)
	}
}
