package websub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedpub/feedpub/internal/store"
)

// Defaults of Options.
const (
	DefaultAttempts    = 5
	DefaultBase        = time.Second
	DefaultMax         = time.Minute
	DefaultTimeout     = 10 * time.Second // one request
	DefaultConcurrency = 4                // requests under way per hub

	// maxRetryAfter caps a hub's Retry-After: past it, the ping is better
	// left for the next scan than held by a waiting goroutine.
	maxRetryAfter = 5 * time.Minute
)

// UserAgent names feedpub to hubs.
const UserAgent = "feedpub (WebSub publisher)"

// Options configure a Notifier. Time and randomness are injected so that
// tests of retries run instantly and give the same result every time.
type Options struct {
	// Client sends the requests; nil means one with DefaultTimeout.
	Client *http.Client
	// Attempts bounds the tries of one ping in one Send; 0 means
	// DefaultAttempts.
	Attempts int
	// Base and Max bound the exponential backoff: Base before the
	// second try, doubling, at most Max; 0 means DefaultBase, DefaultMax.
	Base, Max time.Duration
	// Jitter returns how much of a backoff d to wait; nil means a random
	// duration between d/2 and d, so that pings that failed together do
	// not retry together.
	Jitter func(d time.Duration) time.Duration
	// Sleep waits d or until ctx ends; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock, for Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Concurrency bounds the requests under way per hub; 0 means
	// DefaultConcurrency.
	Concurrency int
	Log         *slog.Logger // nil: discard
	Metrics     *Metrics     // nil: none
}

// Notifier sends WebSub publish notifications, form-encoded:
// hub.mode=publish with the topic as both hub.url (the PubSubHubbub 0.4
// form public hubs take) and hub.topic (what the WebSub test suite and the
// W3C implementation reports send). WebSub leaves the form to the hub and
// hubs ignore parameters they do not know, so every hub finds its own.
type Notifier struct {
	o Options
}

// New returns a Notifier with o's defaults filled in.
func New(o Options) *Notifier {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Base <= 0 {
		o.Base = DefaultBase
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Jitter == nil {
		o.Jitter = func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Result is what one Send did.
type Result struct {
	Sent   []store.Ping // acknowledged by their hub (2xx)
	Failed []store.Ping // not acknowledged: still owed, for the next Send
}

// Send notifies each ping's hub, several at a time per hub, each ping
// tried up to Options.Attempts times with exponential backoff. A hub that
// fails a ping through all its tries (unreachable, 5xx) is not tried
// again in this Send: its other pings fail at once instead of each
// waiting out the same backoff. When ctx ends, pings not yet acknowledged
// fail.
func (n *Notifier) Send(ctx context.Context, pings []store.Ping) Result {
	var (
		mu  sync.Mutex
		res Result
		wg  sync.WaitGroup
	)
	byHub := map[string][]store.Ping{}
	var hubs []string
	for _, p := range pings {
		if byHub[p.Hub] == nil {
			hubs = append(hubs, p.Hub)
		}
		byHub[p.Hub] = append(byHub[p.Hub], p)
	}
	for _, hub := range hubs {
		wg.Go(func() {
			sent, failed := n.sendHub(ctx, hub, byHub[hub])
			mu.Lock()
			res.Sent = append(res.Sent, sent...)
			res.Failed = append(res.Failed, failed...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return res
}

// sendHub sends one hub's pings.
func (n *Notifier) sendHub(ctx context.Context, hub string, pings []store.Ping) (sent, failed []store.Ping) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		down    atomic.Bool
		skipped int
	)
	sem := make(chan struct{}, n.o.Concurrency)
	for _, p := range pings {
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if !acquired || ctx.Err() != nil || down.Load() {
			if acquired {
				<-sem
			}
			if ctx.Err() == nil {
				skipped++ // not for lack of time: worth a log line
			}
			n.o.Metrics.failedTo(hub)
			mu.Lock()
			failed = append(failed, p)
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			ok, hubDown := n.sendOne(ctx, &down, p)
			if hubDown {
				down.Store(true)
			}
			mu.Lock()
			if ok {
				sent = append(sent, p)
			} else {
				failed = append(failed, p)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if skipped > 0 {
		n.o.Log.Error("hub is failing: its other notifications are left for the next scan", "hub", hub, "left", skipped)
	}
	return sent, failed
}

// sendOne tries one ping until its hub acknowledges it, its tries run out,
// ctx ends, or another ping found the hub down. hubDown reports a hub
// that failed every try with an error or a 5xx.
func (n *Notifier) sendOne(ctx context.Context, down *atomic.Bool, p store.Ping) (ok, hubDown bool) {
	m := n.o.Metrics
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := n.post(ctx, p)
		if err == nil {
			m.sentTo(p.Hub)
			n.o.Log.Debug("hub notified", "hub", p.Hub, "topic", p.Topic, "status", status, "attempt", attempt)
			return true, false
		}
		m.errorFrom(p.Hub)
		if ctx.Err() != nil {
			m.failedTo(p.Hub) // the caller's deadline: reported as a count, not per ping
			return false, false
		}
		permanent := status >= 400 && status < 500 && status != http.StatusRequestTimeout &&
			status != http.StatusTooEarly && status != http.StatusTooManyRequests
		if attempt >= n.o.Attempts || permanent || down.Load() {
			m.failedTo(p.Hub)
			n.o.Log.Error("hub notification failed; left for the next scan",
				"hub", p.Hub, "topic", p.Topic, "attempt", attempt, "error", err)
			return false, !permanent
		}
		wait := n.backoff(attempt, retryAfter)
		n.o.Log.Warn("hub notification failed; retrying",
			"hub", p.Hub, "topic", p.Topic, "attempt", attempt, "error", err, "retry_in", wait.Round(time.Millisecond))
		if err := n.o.Sleep(ctx, wait); err != nil {
			m.failedTo(p.Hub)
			return false, false
		}
	}
}

// backoff is the wait before try attempt+1: Base·2^(attempt-1) capped at
// Max, jittered, and never shorter than the hub's Retry-After.
func (n *Notifier) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := n.o.Base
	for i := 1; i < attempt && d < n.o.Max; i++ {
		d *= 2
	}
	d = n.o.Jitter(min(d, n.o.Max))
	return max(d, min(retryAfter, maxRetryAfter))
}

// statusError is a hub's answer other than 2xx.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	if e.body == "" {
		return "hub answered " + strconv.Itoa(e.status)
	}
	return fmt.Sprintf("hub answered %d: %s", e.status, e.body)
}

// post sends one publish notification. It returns the status (0 when
// there was no answer), the hub's Retry-After, and an error unless the
// hub answered 2xx.
func (n *Notifier) post(ctx context.Context, p store.Ping) (int, time.Duration, error) {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {p.Topic}, "hub.topic": {p.Topic}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Hub, strings.NewReader(form))
	if err != nil {
		return 0, 0, fmt.Errorf("websub: request to %s: %w", p.Hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", UserAgent)
	resp, err := n.o.Client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("websub: %w", err)
	}
	defer resp.Body.Close()
	// A few words of the hub's explanation, for the log; the rest is
	// drained so the connection can be reused.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, 0, nil
	}
	body := strings.Join(strings.Fields(string(head)), " ")
	return resp.StatusCode, n.retryAfter(resp.Header.Get("Retry-After")), &statusError{status: resp.StatusCode, body: body}
}

// retryAfter reads a Retry-After field: seconds or an HTTP date.
func (n *Notifier) retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(n.o.Now()), 0)
	}
	return 0
}

// LogResult logs what a Send did in one line; cut says the caller's time
// ran out.
func LogResult(log *slog.Logger, res Result, cut bool) {
	switch {
	case len(res.Failed) == 0:
		log.Info("hubs notified", "sent", len(res.Sent))
	case cut:
		log.Warn("hub notifications still owed when time ran out: left for the next scan", "sent", len(res.Sent), "left", len(res.Failed))
	default:
		log.Warn("some hub notifications failed: left for the next scan", "sent", len(res.Sent), "left", len(res.Failed))
	}
}
