package scan_test

import (
	"testing"

	"github.com/feedpub/feedpub/internal/scan"
)

func TestProgressReportsEachPhaseUpToItsTotal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	var events []scan.ProgressEvent
	record := func(o *scan.Options) { o.Progress = func(ev scan.ProgressEvent) { events = append(events, ev) } }
	e.scan(record)
	last := map[scan.Phase]scan.ProgressEvent{}
	var order []scan.Phase
	for i, ev := range events {
		prev, seen := last[ev.Phase]
		if !seen {
			order = append(order, ev.Phase)
			if ev.Done != 0 {
				t.Errorf("phase %s starts at %d", ev.Phase, ev.Done)
			}
		} else if ev.Done < prev.Done || ev.Items < prev.Items || ev.Total != prev.Total {
			t.Errorf("event %d went back: %+v after %+v", i, ev, prev)
		}
		last[ev.Phase] = ev
	}
	if len(order) != 3 || order[0] != scan.PhaseRead || order[1] != scan.PhasePages || order[2] != scan.PhaseFeeds {
		t.Fatalf("phases %v", order)
	}
	if r := last[scan.PhaseRead]; r.Total != 5 || r.Done != 5 || r.Items != 50 { // 45 distinct; 5 are in two listings
		t.Errorf("read: %+v", r)
	}
	if p := last[scan.PhasePages]; p.Total != 45 || p.Done != 45 {
		t.Errorf("pages: %+v", p)
	}
	if f := last[scan.PhaseFeeds]; f.Total != 12 || f.Done != 12 {
		t.Errorf("feeds: %+v", f)
	}

	// Nothing new: every phase reports nothing to do.
	events = nil
	e.scan(record)
	for _, ev := range events {
		if ev.Total != 0 {
			t.Errorf("second scan: %+v", ev)
		}
	}
}
