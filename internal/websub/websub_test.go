package websub_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/websub"
	"github.com/feedpub/feedpub/internal/websub/websubtest"
)

func TestTopicsAreSubscriptionDocuments(t *testing.T) {
	t.Parallel()
	for rel, want := range map[string]bool{
		"all/rss.xml":                      true,
		"all/atom.xml":                     true,
		"category/news/feed.json":          true,
		"listing/resources/rss.xml":        true,
		"category/news/archive/2/rss.xml":  false,
		"all/archive/1/feed.json":          false,
		"all/index.html":                   false,
		"index.html":                       false,
		"rss.xml":                          false,
		"item/2017/10/31/x-1.html":         false,
		"category/archive/rss.xml":         true, // a category slugged "archive"
		"category/news/archive/x/atom.xml": true, // not an archive page number
	} {
		if got := websub.IsTopic(rel); got != want {
			t.Errorf("IsTopic(%q) = %v, want %v", rel, got, want)
		}
	}
	base, _ := url.Parse("https://example.org/feeds/")
	if got := websub.TopicURL(base, "category/news/rss.xml"); got != "https://example.org/feeds/category/news/rss.xml" {
		t.Errorf("TopicURL = %q", got)
	}
}

// clock records the waits of a Notifier instead of waiting: retries run
// at once, and their backoff is checked exactly (no jitter).
type clock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) got() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

func notifier(c *clock, reg *prometheus.Registry, o websub.Options) *websub.Notifier {
	o.Sleep = c.sleep
	o.Jitter = func(d time.Duration) time.Duration { return d }
	if reg != nil {
		m, err := websub.NewMetrics(reg)
		if err != nil {
			panic(err)
		}
		o.Metrics = m
	}
	return websub.New(o)
}

func pings(hubs []string, topics ...string) []store.Ping {
	var ps []store.Ping
	for _, h := range hubs {
		for _, t := range topics {
			ps = append(ps, store.Ping{Hub: h, Topic: t, Gen: 1})
		}
	}
	return ps
}

var topics = []string{"https://example.org/all/rss.xml", "https://example.org/all/atom.xml", "https://example.org/all/feed.json"}

// A hub of either generation finds the topic: PubSubHubbub hubs read
// hub.url, the WebSub test suite sends hub.topic.
func TestAPingNamesItsTopicAsBothHubURLAndHubTopic(t *testing.T) {
	t.Parallel()
	forms := make(chan url.Values, 1)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("hub: %v", err)
		}
		forms <- r.PostForm
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hub.Close)
	n := notifier(&clock{}, nil, websub.Options{})
	if res := n.Send(t.Context(), pings([]string{hub.URL}, topics[0])); len(res.Sent) != 1 {
		t.Fatalf("result %+v", res)
	}
	got := <-forms
	want := url.Values{"hub.mode": {"publish"}, "hub.url": {topics[0]}, "hub.topic": {topics[0]}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hub received %v, want %v", got, want)
	}
	t.Logf("hub received %s", got.Encode())
}

func TestEveryPingReachesItsHubOnce(t *testing.T) {
	t.Parallel()
	a, b := websubtest.New(t), websubtest.New(t)
	reg := prometheus.NewRegistry()
	n := notifier(&clock{}, reg, websub.Options{})
	res := n.Send(t.Context(), pings([]string{a.URL, b.URL}, topics...))
	if len(res.Sent) != 6 || len(res.Failed) != 0 {
		t.Fatalf("sent %d, failed %d", len(res.Sent), len(res.Failed))
	}
	for _, h := range []*websubtest.Hub{a, b} {
		got := h.Counts()
		for _, topic := range topics {
			if got[topic] != 1 {
				t.Errorf("hub %s got %d pings of %s, want 1", h.URL, got[topic], topic)
			}
		}
		if len(got) != len(topics) {
			t.Errorf("hub %s got %v", h.URL, got)
		}
		if v := metric(t, reg, "feedpub_websub_pings_sent_total", h.URL); v != 3 {
			t.Errorf("sent metric of %s = %v, want 3", h.URL, v)
		}
	}
}

func TestAFailingHubIsRetriedWithExponentialBackoff(t *testing.T) {
	t.Parallel()
	h := websubtest.New(t)
	h.Fail(func(n int) (int, string) {
		if n <= 3 {
			return http.StatusServiceUnavailable, ""
		}
		return 0, ""
	})
	c := &clock{}
	reg := prometheus.NewRegistry()
	n := notifier(c, reg, websub.Options{Base: time.Second, Max: 3 * time.Second})
	res := n.Send(t.Context(), pings([]string{h.URL}, topics[0]))
	if len(res.Sent) != 1 {
		t.Fatalf("sent %d, want 1 after retries", len(res.Sent))
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(c.got(), want) {
		t.Errorf("waited %v, want %v (doubling, capped)", c.got(), want)
	}
	if v := metric(t, reg, "feedpub_websub_ping_errors_total", h.URL); v != 3 {
		t.Errorf("errors metric = %v, want 3", v)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	h := websubtest.New(t)
	h.Fail(func(n int) (int, string) {
		if n == 1 {
			return http.StatusTooManyRequests, "7"
		}
		return 0, ""
	})
	c := &clock{}
	n := notifier(c, nil, websub.Options{})
	if res := n.Send(t.Context(), pings([]string{h.URL}, topics[0])); len(res.Sent) != 1 {
		t.Fatalf("not sent: %+v", res)
	}
	if want := []time.Duration{7 * time.Second}; !slices.Equal(c.got(), want) {
		t.Errorf("waited %v, want %v", c.got(), want)
	}
}

func TestAHubDownFailsItsPingsWithoutLosingThem(t *testing.T) {
	t.Parallel()
	down, up := websubtest.New(t), websubtest.New(t)
	down.Fail(func(int) (int, string) { return http.StatusBadGateway, "" })
	c := &clock{}
	reg := prometheus.NewRegistry()
	n := notifier(c, reg, websub.Options{Attempts: 4, Concurrency: 1})
	res := n.Send(t.Context(), pings([]string{down.URL, up.URL}, topics...))
	if len(res.Sent) != 3 || len(res.Failed) != 3 {
		t.Fatalf("sent %d, failed %d; want 3 and 3", len(res.Sent), len(res.Failed))
	}
	for _, p := range res.Failed {
		if p.Hub != down.URL {
			t.Errorf("failed %+v", p)
		}
	}
	// One ping used its four tries; the hub was then known down and its
	// other pings were not tried.
	if got := down.Requests(); got != 4 {
		t.Errorf("the hub that is down got %d requests, want 4", got)
	}
	if v := metric(t, reg, "feedpub_websub_pings_failed_total", down.URL); v != 3 {
		t.Errorf("failed metric = %v, want 3", v)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(c.got(), want) {
		t.Errorf("waited %v, want %v", c.got(), want)
	}
}

func TestAHubRefusingATopicIsNotRetried(t *testing.T) {
	t.Parallel()
	h := websubtest.New(t)
	h.Fail(func(int) (int, string) { return http.StatusBadRequest, "" })
	n := notifier(&clock{}, nil, websub.Options{Concurrency: 1})
	res := n.Send(t.Context(), pings([]string{h.URL}, topics...))
	// A 4xx is about the topic, not the hub: each is tried once, none
	// sent, all still owed.
	if len(res.Failed) != 3 || h.Requests() != 3 {
		t.Errorf("failed %d, requests %d; want 3 and 3", len(res.Failed), h.Requests())
	}
}

func TestAnUnreachableHub(t *testing.T) {
	t.Parallel()
	n := notifier(&clock{}, nil, websub.Options{Attempts: 2})
	res := n.Send(t.Context(), pings([]string{"http://127.0.0.1:1/hub"}, topics[0]))
	if len(res.Failed) != 1 {
		t.Errorf("%+v", res)
	}
}

func TestTheQueueSendsInTheBackgroundAndReportsAcknowledgements(t *testing.T) {
	t.Parallel()
	h := websubtest.New(t)
	reg := prometheus.NewRegistry()
	q := websub.NewQueue(notifier(&clock{}, reg, websub.Options{}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	defer func() { cancel(); <-done }()

	ps := pings([]string{h.URL}, topics...)
	q.Submit(ps)
	q.Submit(ps) // the same generation again: not sent twice
	var acked []store.Ping
	deadline := time.Now().Add(10 * time.Second)
	for len(acked) < 3 && time.Now().Before(deadline) {
		acked = append(acked, q.Acked()...)
		time.Sleep(5 * time.Millisecond)
	}
	for !q.Idle() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	acked = append(acked, q.Acked()...)
	if len(acked) != 3 {
		t.Fatalf("acknowledged %d, want 3", len(acked))
	}
	for _, topic := range topics {
		if n := h.Counts()[topic]; n > 1 {
			t.Errorf("%s sent %d times", topic, n)
		}
	}
	if h.Requests() != 3 {
		t.Errorf("%d requests, want 3", h.Requests())
	}
	if v := metric(t, reg, "feedpub_websub_pings_pending", ""); v != 0 {
		t.Errorf("pending = %v, want 0", v)
	}
}

// metric is the value of the metric name (of hub, if not "") in reg.
func metric(t *testing.T, reg *prometheus.Registry, name, hub string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hub != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != hub) {
				continue
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{hub=%q}", name, hub)
	return 0
}

// A ping acknowledged after a scan took the acknowledgements is still in
// the store when that scan submits what it owes: it must not be sent again.
func TestTheQueueDoesNotResendWhatWasAcknowledgedButNotYetRemoved(t *testing.T) {
	t.Parallel()
	h := websubtest.New(t)
	q := websub.NewQueue(notifier(&clock{}, nil, websub.Options{}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ps := pings([]string{h.URL}, topics[0])
	q.Submit(ps)
	deadline := time.Now().Add(10 * time.Second)
	for (h.Requests() < 1 || !q.Idle()) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	q.Submit(ps) // the store still owes it: the next scan has not removed it
	time.Sleep(50 * time.Millisecond)
	if n := h.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if a := q.Acked(); len(a) != 1 {
		t.Errorf("acked %v", a)
	}
	// A newer change of the same topic is sent.
	q.Submit([]store.Ping{{Hub: h.URL, Topic: topics[0], Gen: 2}})
	for h.Requests() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := h.Requests(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
