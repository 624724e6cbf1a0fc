package store_test

import (
	"slices"
	"testing"

	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/store/storetest"
)

func pings(t *testing.T, db *store.DB) []store.Ping {
	t.Helper()
	var ps []store.Ping
	view(t, db, func(tx *store.Tx) error {
		var err error
		ps, err = tx.Pings()
		return err
	})
	return ps
}

func TestPingsAreOnePerHubAndTopicUntilAcknowledged(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	hubs := []string{"https://a.example/", "https://b.example/"}
	topics := []string{"https://example.org/all/rss.xml", "https://example.org/all/atom.xml"}
	update(t, db, func(tx *store.Tx) error { return tx.AddPings(hubs, topics) })
	update(t, db, func(tx *store.Tx) error { return tx.AddPings(hubs[:1], topics[:1]) }) // changed again
	got := pings(t, db)
	if len(got) != 4 {
		t.Fatalf("%d pings, want 4: %+v", len(got), got)
	}
	// An acknowledgement of the first recording of a pair recorded again
	// since must not remove it: the second change is still owed.
	first := store.Ping{Hub: hubs[0], Topic: topics[0], Gen: 1}
	var removed int
	update(t, db, func(tx *store.Tx) (err error) {
		removed, err = tx.AckPings(append([]store.Ping{first}, got[2:]...))
		return err
	})
	if removed != 2 {
		t.Errorf("removed %d, want 2", removed)
	}
	left := pings(t, db) // by hub, then topic
	want := []store.Ping{{Hub: hubs[0], Topic: topics[1], Gen: 1}, {Hub: hubs[0], Topic: topics[0], Gen: 2}}
	if !slices.Equal(left, want) {
		t.Errorf("left %+v, want %+v", left, want)
	}
	update(t, db, func(tx *store.Tx) (err error) { _, err = tx.AckPings(left); return err })
	if left := pings(t, db); len(left) != 0 {
		t.Errorf("left %+v after acknowledging everything", left)
	}
}
