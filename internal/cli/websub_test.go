package cli_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/websub/websubtest"
)

// topics are the URLs of every format of the subscription documents of
// feeds, under the default base URL.
func topics(feeds ...string) []string {
	var out []string
	for _, f := range feeds {
		for _, file := range []string{"rss.xml", "atom.xml", "feed.json"} {
			out = append(out, "http://localhost:8080/"+f+"/"+file)
		}
	}
	slices.Sort(out)
	return out
}

// allFeeds are the 12 feeds of the shipped listings.
var allFeeds = []string{
	"all",
	"category/article", "category/coop-champions", "category/countries-in-focus-on-statistics-of-cooperatives",
	"category/international-day-of-cooperatives", "category/news", "category/our-impact-their-voices",
	"category/presentation", "category/spotlight-interviews-with-cooperators",
	"listing/ilos-work-on-cooperatives-in-asia-and-the-pacific", "listing/news-stories-and-statements-on-cooperatives",
	"listing/resources-on-cooperatives",
}

// changed is what the new listing changes.
var changed = []string{"all", "category/news", "listing/news-stories-and-statements-on-cooperatives"}

// pinged returns the topics a hub was notified of since the last call,
// checking that none was notified twice.
func pinged(t *testing.T, h *websubtest.Hub) []string {
	t.Helper()
	counts := h.Counts()
	for topic, n := range counts {
		if n != 1 {
			t.Errorf("hub %s notified of %s %d times", h.URL, topic, n)
		}
	}
	return slices.Sorted(maps.Keys(counts))
}

// owedIn returns the pings the database still owes.
func owedIn(t *testing.T, db string) []store.Ping {
	t.Helper()
	s, err := store.Open(db, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ps []store.Ping
	if err := s.View(func(tx *store.Tx) (err error) { ps, err = tx.Pings(); return err }); err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestWebSubScanNotifiesEachHubOncePerChangedTopic(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	a, b := websubtest.New(t), websubtest.New(t)
	flags = append(flags, "--hub", a.URL, "--hub", b.URL)
	db := filepath.Join(dir, "feedpub.db")

	r := feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "topics_changed=36") || !strings.Contains(r.stderr, `msg="hubs notified" sent=72`) {
		t.Fatalf("first scan: exit %d:\n%s", r.code, r.stderr)
	}
	if len(allFeeds) != 12 {
		t.Fatal("allFeeds")
	}
	for _, h := range []*websubtest.Hub{a, b} {
		if got := pinged(t, h); !slices.Equal(got, topics(allFeeds...)) {
			t.Errorf("first scan: hub notified of %d topics, want the 36 of 12 feeds:\n%q", len(got), got)
		}
	}
	if o := owedIn(t, db); len(o) != 0 {
		t.Errorf("after the first scan, %d pings still owed", len(o))
	}
	t.Logf("first scan of the shipped data: 12 feeds changed, 36 topics, 36 pings per hub")

	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "topics_changed=0") || a.Requests()+b.Requests() != 72 {
		t.Errorf("a scan that changed nothing: exit %d, %d requests in all (want still 72):\n%s", r.code, a.Requests()+b.Requests(), r.stderr)
	}
	t.Logf("a scan with nothing new: 0 pings")

	if err := os.WriteFile(filepath.Join(dir, "listings", "005_new.txt"), []byte(newListing), 0o644); err != nil {
		t.Fatal(err)
	}
	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, h := range []*websubtest.Hub{a, b} {
		if got := pinged(t, h); !slices.Equal(got, topics(changed...)) {
			t.Errorf("new listing: hub notified of %q, want %q", got, topics(changed...))
		}
	}
	t.Logf("one new listing file: 3 feeds changed, 9 pings per hub")
}

func TestWebSubAHubDownIsRetriedByTheNextScan(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	h := websubtest.New(t)
	var down atomic.Bool
	down.Store(true)
	h.Fail(func(int) (int, string) {
		if down.Load() {
			return 503, ""
		}
		return 0, ""
	})
	// One try: no backoff to wait out; the retries are websub's tests'.
	flags = append(flags, "--hub", h.URL, "--hub-attempts", "1")
	db := filepath.Join(dir, "feedpub.db")

	r := feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("a hub down is not the scan's failure: exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`level=ERROR msg="hub notification failed; left for the next scan" hub=` + h.URL + " topic=http://localhost:8080/",
		"attempt=1 error=\"hub answered 503: hub says no\"",
		`level=ERROR msg="hub is failing: its other notifications are left for the next scan" hub=` + h.URL,
		`msg="some hub notifications failed: left for the next scan" sent=0 left=36`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %s:\n%s", want, r.stderr)
		}
	}
	if o := owedIn(t, db); len(o) != 36 {
		t.Fatalf("%d pings owed after the hub failed, want 36", len(o))
	}

	down.Store(false)
	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "topics_changed=0") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if got := pinged(t, h); !slices.Equal(got, topics(allFeeds...)) {
		t.Errorf("the next scan sent %d topics, want the 36 owed", len(got))
	}
	if o := owedIn(t, db); len(o) != 0 {
		t.Errorf("%d pings still owed", len(o))
	}
}

func TestWebSubHubWaitZeroLeavesPingsForLater(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	h := websubtest.New(t)
	r := feedpub(t, nil, append([]string{"scan", "--hub", h.URL, "--hub-wait", "0s"}, flags...)...)
	if r.code != 0 || h.Requests() != 0 || !strings.Contains(r.stderr, "hub notifications left for the next scan") {
		t.Errorf("exit %d, %d requests:\n%s", r.code, h.Requests(), r.stderr)
	}
	if o := owedIn(t, filepath.Join(dir, "feedpub.db")); len(o) != 36 {
		t.Errorf("%d owed, want 36", len(o))
	}
	// Without the hub configured any more, nobody would send them.
	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if !strings.Contains(r.stderr, `msg="dropped the notifications owed to hubs no longer configured" pings=36`) {
		t.Errorf("log:\n%s", r.stderr)
	}
	if o := owedIn(t, filepath.Join(dir, "feedpub.db")); len(o) != 0 {
		t.Errorf("%d owed, want 0", len(o))
	}
}

func TestWebSubServeNotifiesInTheBackground(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	h := websubtest.New(t)
	s := serve(t, append([]string{"--schedule", "@every 1s", "--lock-timeout", "20s", "--hub", h.URL}, flags...)...)

	var got []string
	eventually(t, 20*time.Second, "pings of the first scan", func() bool {
		got = append(got, pinged(t, h)...)
		return len(got) >= 36
	})
	slices.Sort(got)
	if !slices.Equal(got, topics(allFeeds...)) {
		t.Errorf("first scan: %q", got)
	}
	// The feeds served say where the hub is, for every format.
	for _, f := range []string{"rss.xml", "atom.xml", "feed.json"} {
		r := s.get("/all/" + f)
		if !strings.Contains(string(r.body), h.URL) {
			t.Errorf("/all/%s does not advertise the hub", f)
		}
		want := []string{"<" + h.URL + `>; rel="hub"`, "<http://localhost:8080/all/" + f + `>; rel="self"`}
		if got := r.header.Values("Link"); !slices.Equal(got, want) {
			t.Errorf("/all/%s: Link %q, want %q", f, got, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "listings", "005_new.txt"), []byte(newListing), 0o644); err != nil {
		t.Fatal(err)
	}
	got = nil
	eventually(t, 20*time.Second, "pings of the new listing", func() bool {
		got = append(got, pinged(t, h)...)
		return len(got) >= 9
	})
	slices.Sort(got)
	if !slices.Equal(got, topics(changed...)) {
		t.Errorf("new listing: %q, want %q", got, topics(changed...))
	}
	// Scans with nothing new ping nothing.
	n := strings.Count(s.stderr.String(), `msg="scan finished"`)
	eventually(t, 10*time.Second, "two more scans", func() bool { return strings.Count(s.stderr.String(), `msg="scan finished"`) >= n+2 })
	metrics := string(s.get("/metrics").body)
	for _, want := range []string{
		`feedpub_websub_pings_sent_total{hub="` + h.URL + `"} 45`,
		`feedpub_websub_pings_failed_total{hub="` + h.URL + `"} 0`,
		"feedpub_websub_pings_pending 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if h.Requests() != 45 {
		t.Errorf("%d requests in all, want 45", h.Requests())
	}
	if o := owedIn(t, filepath.Join(dir, "feedpub.db")); len(o) != 0 {
		t.Errorf("%d pings still owed after serve stopped", len(o))
	}
}
