// Package websubtest is a WebSub hub for tests: an httptest server on
// 127.0.0.1 that checks every publish notification it gets and counts
// them per topic.
package websubtest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Hub is a test hub. Its URL is the hub URL to configure.
type Hub struct {
	URL string

	mu       sync.Mutex
	counts   map[string]int // topic → acknowledged notifications
	requests int
	fail     func(n int) (status int, retryAfter string) // n: 1-based request number; 0 status: accept
	t        testing.TB
}

// New starts a hub that accepts every valid notification with 204. The
// test's end closes it.
func New(t testing.TB) *Hub {
	h := &Hub{counts: map[string]int{}, t: t}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hub"
	return h
}

// Fail makes the hub answer request n (counting every request, 1-based)
// with status and a Retry-After field when retryAfter is not empty; a
// status of 0 accepts it.
func (h *Hub) Fail(fn func(n int) (status int, retryAfter string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = fn
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request) {
	// A publisher's request, as WebSub §7 and public hubs take it.
	if r.Method != http.MethodPost || r.URL.Path != "/hub" {
		h.t.Errorf("hub: %s %s, want POST /hub", r.Method, r.URL.Path)
		http.Error(w, "want POST /hub", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		h.t.Errorf("hub: Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		h.t.Errorf("hub: %v", err)
	}
	// Both spellings of the topic, the same URL in each: hub.url for
	// PubSubHubbub hubs, hub.topic for hubs following the WebSub suite.
	mode, topics, alias := r.PostForm.Get("hub.mode"), r.PostForm["hub.url"], r.PostForm["hub.topic"]
	if mode != "publish" || len(topics) != 1 || len(alias) != 1 || alias[0] != topics[0] || len(r.PostForm) != 3 {
		h.t.Errorf("hub: form %v, want hub.mode=publish and one hub.url equal to one hub.topic", r.PostForm)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.requests++
	n, fail := h.requests, h.fail
	h.mu.Unlock()
	if fail != nil {
		if status, ra := fail(n); status != 0 {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			http.Error(w, "hub says no", status)
			return
		}
	}
	h.mu.Lock()
	h.counts[topics[0]]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Counts returns the notifications acknowledged per topic, and resets
// them.
func (h *Hub) Counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := maps.Clone(h.counts)
	clear(h.counts)
	return c
}

// Requests is the number of valid requests received, failed ones included.
func (h *Hub) Requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests
}
