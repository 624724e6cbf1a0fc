package scan_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// owed returns the pings the store owes, as hub → topics, and
// acknowledges them all (as a notifier would).
func (e *env) owed() map[string][]string {
	e.t.Helper()
	db := e.open()
	defer db.Close()
	out := map[string][]string{}
	err := db.Update(func(tx *store.Tx) error {
		ps, err := tx.Pings()
		if err != nil {
			return err
		}
		for _, p := range ps {
			out[p.Hub] = append(out[p.Hub], p.Topic)
		}
		_, err = tx.AckPings(ps)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, topics := range out {
		slices.Sort(topics)
	}
	return out
}

// topicsOf lists the topics of feeds: each format of their subscription
// documents, as URLs.
func (e *env) topicsOf(paths ...string) []string {
	var out []string
	for _, p := range paths {
		for _, f := range []string{render.RSSFile, render.AtomFile, render.JSONFile} {
			out = append(out, e.cfg.BaseURL+p+"/"+f)
		}
	}
	slices.Sort(out)
	return out
}

var hubs = []string{"https://hub-a.example/", "https://hub-b.example/websub"}

func TestPingsAreOwedForExactlyTheTopicsAScanChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Hubs = hubs
	e.scan()
	feeds := slices.Sorted(maps.Keys(e.feeds()))

	// First scan: every subscription document, in every format, to each hub.
	first := e.owed()
	want := e.topicsOf(feeds...)
	for _, h := range hubs {
		if !slices.Equal(first[h], want) {
			t.Errorf("first scan: %s owed %d topics, want %d:\n%q", h, len(first[h]), len(want), first[h])
		}
	}
	t.Logf("shipped data: first scan changed %d feeds, %d topics: %d pings per hub", len(feeds), len(want), len(first[hubs[0]]))

	// Nothing new: nothing owed.
	if sum := e.scan(); sum.TopicsChanged != 0 {
		t.Errorf("a scan that changed nothing changed %d topics", sum.TopicsChanged)
	}
	if o := e.owed(); len(o) != 0 {
		t.Errorf("a scan that changed nothing owes %v", o)
	}

	// One new listing file: the feeds it changed, no other.
	e.write("new.txt", "News, stories and statements on cooperatives\n\n  1. News\n\n    A brand new item\n\n    02 November 2017\n")
	sum := e.scan()
	changed := []string{"all", "category/news", "listing/news-stories-and-statements-on-cooperatives"}
	want = e.topicsOf(changed...)
	got := e.owed()
	for _, h := range hubs {
		if !slices.Equal(got[h], want) {
			t.Errorf("new listing: %s owed %q, want %q", h, got[h], want)
		}
	}
	if sum.TopicsChanged != len(want) {
		t.Errorf("summary: %d topics changed, want %d", sum.TopicsChanged, len(want))
	}
	t.Logf("one new listing file: %d feeds changed, %d pings per hub", len(changed), len(got[hubs[0]]))

	// A new hub changes what every subscription document shows: each is
	// regenerated and every topic is owed to every hub.
	e.cfg.Hubs = append(slices.Clone(hubs), "https://hub-c.example/")
	e.scan()
	got = e.owed()
	want = e.topicsOf(feeds...)
	for _, h := range e.cfg.Hubs {
		if !slices.Equal(got[h], want) {
			t.Errorf("new hub: %s owed %d topics, want %d", h, len(got[h]), len(want))
		}
	}
}

func TestNoHubsNoPings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	if sum := e.scan(); sum.TopicsChanged == 0 {
		t.Errorf("first scan changed no topics")
	}
	if o := e.owed(); len(o) != 0 {
		t.Errorf("owed %v with no hubs", o)
	}
}
