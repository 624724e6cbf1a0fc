package server_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/server"
)

func timeNow() time.Time { return time.Now() }

func TestHealthz(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		var mu sync.Mutex
		var h server.Health
		set := func(v server.Health) { mu.Lock(); h = v; mu.Unlock() }
		s := newSiteOn(t, e, server.Options{Health: func() server.Health { mu.Lock(); defer mu.Unlock(); return h }})
		var got struct {
			Status string `json:"status"`
			Last   *struct {
				Outcome  string  `json:"outcome"`
				Items    int     `json:"items"`
				Feeds    int     `json:"feeds"`
				Duration float64 `json:"duration_seconds"`
				Finished string  `json:"finished"`
				Error    string  `json:"error"`
			} `json:"last_scan"`
			Running   bool   `json:"scan_running"`
			Next      string `json:"next_scan"`
			LastError string `json:"last_error"`
		}
		check := func(wantCode int, wantStatus string) {
			t.Helper()
			r := s.get("/healthz")
			if r.code != wantCode || r.get("Content-Type") != "application/json" {
				t.Errorf("healthz: %d %q, want %d: %s", r.code, r.get("Content-Type"), wantCode, r.body)
			}
			got.Last = nil
			if err := json.Unmarshal(r.body, &got); err != nil || got.Status != wantStatus {
				t.Errorf("healthz body %s (%v), want status %q", r.body, err, wantStatus)
			}
		}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		set(server.Health{Running: true, Next: t0.Add(time.Minute)})
		check(503, "starting")
		if !got.Running || got.Last != nil || got.Next != "2026-03-01T10:01:00Z" {
			t.Errorf("starting: %+v", got)
		}
		set(server.Health{Last: &server.ScanReport{Started: t0, Finished: t0.Add(1500 * time.Millisecond), Outcome: server.OutcomeOK, Items: 45, Feeds: 12}})
		check(200, "ok")
		if l := got.Last; l == nil || l.Outcome != "ok" || l.Items != 45 || l.Feeds != 12 || l.Duration != 1.5 || l.Finished != "2026-03-01T10:00:01.5Z" {
			t.Errorf("ok: %+v", got.Last)
		}
		set(server.Health{Last: &server.ScanReport{Started: t0, Finished: t0, Outcome: server.OutcomeRejected, Error: "some input was rejected"}})
		check(200, "ok")
		set(server.Health{Last: &server.ScanReport{Started: t0, Finished: t0, Outcome: server.OutcomeFailed, Error: "disk full"},
			LastError: "disk full", LastErrorAt: t0})
		check(503, "failing")
		if got.Last.Error != "disk full" || got.LastError != "disk full" {
			t.Errorf("failing: %+v", got)
		}
		if r := s.do("HEAD", "/healthz"); r.code != 503 || len(r.body) != 0 {
			t.Errorf("HEAD /healthz: %d", r.code)
		}
	})
}

func TestReservedPathsAreNeverFiles(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		write(t, s.dir+"/healthz", "a file named healthz")
		write(t, s.dir+"/metrics", "a file named metrics")
		if r := s.get("/healthz"); strings.Contains(string(r.body), "a file") || r.code != 200 {
			t.Errorf("/healthz served the file: %d %s", r.code, r.body)
		}
		if r := s.get("/metrics"); strings.Contains(string(r.body), "a file") {
			t.Errorf("/metrics served the file")
		}
	})
}

func TestMetricsCountRequestsByCodeAndBytes(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		r := s.get("/all/rss.xml")
		for range 3 {
			s.get("/all/rss.xml", "If-None-Match: "+r.get("ETag"))
		}
		s.get("/missing")
		s.do("POST", "/all/rss.xml")
		m := s.metrics()
		// The file once, the 404's and the 405's short bodies; nothing for 304s.
		want := len(rssBody) + len("404 not found\n") + len("405 method not allowed: only GET and HEAD\n")
		if got := m["feedpub_http_response_bytes_total"]; got != strconv.Itoa(want) {
			t.Errorf("bytes sent: %s, want %d", got, want)
		}
		for name, want := range map[string]string{
			`feedpub_http_requests_total{code="200"}`: "1",
			`feedpub_http_requests_total{code="304"}`: "3",
			`feedpub_http_requests_total{code="404"}`: "1",
			`feedpub_http_requests_total{code="405"}`: "1",
		} {
			if got := m[name]; got != want {
				t.Errorf("%s = %q, want %s", name, got, want)
			}
		}
		body := string(s.get("/metrics").body)
		if !strings.Contains(body, "# TYPE feedpub_http_response_bytes_total counter") {
			t.Errorf("metrics not in Prometheus text format:\n%s", body)
		}
	})
}
