package store_test

import (
	"slices"
	"testing"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/store/storetest"
)

func TestLogAndMetaAreReadWhole(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutFeed(&model.Feed{Path: "all", Kind: model.KindAll}); err != nil {
			return err
		}
		for _, seq := range []uint64{3, 1, 3, 2} {
			if err := tx.AppendLog("all", seq); err != nil {
				return err
			}
		}
		if err := tx.SetMeta("b", "2"); err != nil {
			return err
		}
		return tx.SetMeta("a", "1")
	})
	view(t, db, func(tx *store.Tx) error {
		log, err := tx.Log("all")
		if err != nil || !slices.Equal(log, []uint64{3, 1, 3, 2}) {
			t.Errorf("Log = %v, %v; want every entry in order, repeats included", log, err)
		}
		if _, err := tx.Log("category/none"); err == nil {
			t.Error("Log of a missing feed: no error")
		}
		var meta []string
		tx.ForEachMeta(func(k, v string) { meta = append(meta, k+"="+v) })
		if !slices.Equal(meta, []string{"a=1", "b=2"}) {
			t.Errorf("ForEachMeta = %q; want the settings in key order, not the schema version", meta)
		}
		return nil
	})
}
