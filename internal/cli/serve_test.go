package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/cli"
	"github.com/feedpub/feedpub/internal/store"
)

// syncBuffer is a log that the server writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// served is a `feedpub serve` running in-process.
type served struct {
	t      *testing.T
	base   string // http://127.0.0.1:port
	stderr *syncBuffer
	cancel context.CancelFunc
	code   chan int
}

var servingRE = regexp.MustCompile(`msg=serving addr=(127\.0\.0\.1:\d+)`)

// serve starts `feedpub serve` through cli.Main on a free port of
// 127.0.0.1, with the real clock (the schedule runs on it), and waits
// until it listens. Cancelling its context is SIGTERM.
func serve(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{t: t, stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		s.code <- cli.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), cli.Env{
			Stdout: io.Discard, Stderr: s.stderr,
			Getenv: func(string) (string, bool) { return "", false },
			Now:    time.Now,
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	})
	eventually(t, 10*time.Second, "serve listening", func() bool {
		select {
		case code := <-s.code:
			t.Fatalf("serve exited with %d:\n%s", code, s.stderr)
		default:
		}
		m := servingRE.FindStringSubmatch(s.stderr.String())
		if m == nil {
			return false
		}
		s.base = "http://" + m[1]
		return true
	})
	return s
}

// stop cancels serve, as SIGTERM does, and returns its exit code.
func (s *served) stop() int {
	s.t.Helper()
	s.cancel()
	select {
	case code := <-s.code:
		s.code <- code // for the cleanup
		return code
	case <-time.After(time.Minute):
		s.t.Fatal("serve did not stop within a minute")
		return -1
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var plainClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}

type reply struct {
	code   int
	header http.Header
	body   []byte
}

func (s *served) get(path string, headers ...string) reply {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			s.t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			s.t.Fatal(err)
		}
	}
	return reply{resp.StatusCode, resp.Header, body}
}

func titles(t *testing.T, body []byte) []string {
	t.Helper()
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("served feed does not parse: %v", err)
	}
	var ts []string
	for _, it := range feed.Items {
		ts = append(ts, it.Title)
	}
	return ts
}

type healthz struct {
	Status string `json:"status"`
	Last   *struct {
		Outcome string `json:"outcome"`
		Items   int    `json:"items"`
		Feeds   int    `json:"feeds"`
		Error   string `json:"error"`
	} `json:"last_scan"`
	LastError string `json:"last_error"`
}

func (s *served) health() (int, healthz) {
	s.t.Helper()
	r := s.get("/healthz")
	var h healthz
	if err := json.Unmarshal(r.body, &h); err != nil {
		s.t.Fatalf("/healthz: %v: %s", err, r.body)
	}
	return r.code, h
}

const newListing = `News, stories and statements on cooperatives

  1. News

    A brand-new cooperative bakery opens in Lyon

    15 March 2018

    Forty bakers own it together.
`

// The whole loop: serve scans at start and every second; a listing file
// dropped in shows up in the combined and the category feed within a few
// ticks; a poller holding the old ETag gets 200 and a new ETag, then 304.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	s := serve(t, append([]string{"--schedule", "@every 1s", "--lock-timeout", "20s"}, flags...)...)

	eventually(t, 20*time.Second, "first scan", func() bool { code, _ := s.health(); return code == 200 })
	code, h := s.health()
	if code != 200 || h.Status != "ok" || h.Last == nil || h.Last.Outcome != "ok" || h.Last.Items != 45 || h.Last.Feeds != 12 {
		t.Fatalf("healthz after the first scan: %d %+v", code, h)
	}
	all := s.get("/all/rss.xml")
	if all.code != 200 || all.header.Get("Content-Type") != "application/rss+xml; charset=utf-8" || len(titles(t, all.body)) != 45 {
		t.Fatalf("combined feed: %d %q", all.code, all.header.Get("Content-Type"))
	}
	if cc := all.header.Get("Cache-Control"); cc != "public, max-age=1" {
		t.Errorf("Cache-Control %q, want max-age of the 1s schedule", cc)
	}
	oldETag, oldLM := all.header.Get("ETag"), all.header.Get("Last-Modified")
	cat := s.get("/category/news/atom.xml")
	if cat.code != 200 || slices.Contains(titles(t, cat.body), "A brand-new cooperative bakery opens in Lyon") {
		t.Fatalf("category feed before: %d", cat.code)
	}
	// Nothing new: scans keep running and rewrite nothing, so pollers get 304s.
	eventually(t, 10*time.Second, "a second scan", func() bool { return strings.Count(s.stderr.String(), `msg="scan finished"`) >= 2 })
	if r := s.get("/all/rss.xml", "If-None-Match: "+oldETag, "If-Modified-Since: "+oldLM); r.code != 304 {
		t.Fatalf("unchanged feed: %d, want 304", r.code)
	}

	if err := os.WriteFile(filepath.Join(dir, "listings", "005_new.txt"), []byte(newListing), 0o644); err != nil {
		t.Fatal(err)
	}
	var fresh reply
	eventually(t, 15*time.Second, "the new item in the combined feed", func() bool {
		fresh = s.get("/all/rss.xml", "If-None-Match: "+oldETag, "If-Modified-Since: "+oldLM)
		return fresh.code == 200
	})
	newETag := fresh.header.Get("ETag")
	if newETag == "" || newETag == oldETag || !slices.Contains(titles(t, fresh.body), "A brand-new cooperative bakery opens in Lyon") {
		t.Fatalf("after the new listing: ETag %s (was %s), new item present: %v", newETag, oldETag, slices.Contains(titles(t, fresh.body), "A brand-new cooperative bakery opens in Lyon"))
	}
	if r := s.get("/all/rss.xml", "If-None-Match: "+newETag); r.code != 304 || r.header.Get("ETag") != newETag {
		t.Errorf("with the new ETag: %d %s, want 304", r.code, r.header.Get("ETag"))
	}
	// The category feed, in every format, compressed too.
	for _, f := range []string{"rss.xml", "atom.xml", "feed.json"} {
		var r reply
		eventually(t, 5*time.Second, "the new item in category/news/"+f, func() bool {
			r = s.get("/category/news/"+f, "Accept-Encoding: gzip")
			return r.code == 200 && slices.Contains(titles(t, r.body), "A brand-new cooperative bakery opens in Lyon")
		})
		if r.header.Get("Content-Encoding") != "gzip" || !strings.HasSuffix(r.header.Get("ETag"), `-gz"`) {
			t.Errorf("category/news/%s with gzip: %q %q", f, r.header.Get("Content-Encoding"), r.header.Get("ETag"))
		}
	}
	// The files are published before the scan returns and reports, so the
	// health report may lag the feed by a moment.
	eventually(t, 5*time.Second, "healthz to report 46 items", func() bool {
		_, h := s.health()
		return h.Last != nil && h.Last.Items == 46
	})
	metrics := string(s.get("/metrics").body)
	for _, want := range []string{`feedpub_http_requests_total{code="304"}`, `feedpub_scans_total{outcome="ok"}`, "feedpub_items 46", "feedpub_feeds 12", "feedpub_scan_duration_seconds_count", "feedpub_http_response_bytes_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `feedpub_http_requests_total{code="304"} 0`) {
		t.Errorf("/metrics counts no 304")
	}

	if code := s.stop(); code != cli.ExitOK {
		t.Errorf("serve exited %d after SIGTERM, want 0:\n%s", code, s.stderr)
	}
	log := s.stderr.String()
	for _, want := range []string{"msg=\"scan finished\" files_new=5", "files_new=1", "msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// The database is open only while a scan runs, so `feedpub scan` from cron
// works beside a running server.
func TestScanRunsBesideServe(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	s := serve(t, append([]string{"--schedule", "@every 1s", "--lock-timeout", "20s"}, flags...)...)
	eventually(t, 20*time.Second, "first scan", func() bool { code, _ := s.health(); return code == 200 })
	os.WriteFile(filepath.Join(dir, "listings", "005_new.txt"), []byte(newListing), 0o644)
	for range 3 {
		r := feedpub(t, nil, append([]string{"scan", "--lock-timeout", "20s"}, flags...)...)
		if r.code != cli.ExitOK {
			t.Fatalf("feedpub scan beside serve: exit %d:\n%s", r.code, r.stderr)
		}
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if n := items(t, filepath.Join(dir, "feeds", "all", "rss.xml")); n != 46 {
		t.Errorf("%d items, want 46", n)
	}
}

// A scan that cannot get the database fails; /healthz says so with 503
// until a scan succeeds again, and the files are served all along.
func TestServeHealthFollowsTheScans(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	if r := feedpub(t, nil, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	db, err := store.Open(filepath.Join(dir, "feedpub.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, append([]string{"--schedule", "@every 1s", "--lock-timeout", "100ms"}, flags...)...)
	var h healthz
	eventually(t, 10*time.Second, "a failed scan", func() bool {
		var code int
		code, h = s.health()
		return code == 503 && h.Status == "failing"
	})
	if h.Last == nil || h.Last.Outcome != "failed" || !strings.Contains(h.Last.Error, "another feedpub process is scanning") || h.LastError == "" {
		t.Errorf("healthz while locked out: %+v", h)
	}
	if r := s.get("/all/rss.xml"); r.code != 200 {
		t.Errorf("files not served while scans fail: %d", r.code)
	}
	db.Close()
	eventually(t, 10*time.Second, "a good scan after the lock is released", func() bool { code, _ := s.health(); return code == 200 })
	if _, h := s.health(); h.LastError == "" || h.Last.Outcome != "ok" {
		t.Errorf("healthz after recovery: %+v", h)
	}
	if !strings.Contains(string(s.get("/metrics").body), `feedpub_scans_total{outcome="failed"}`) {
		t.Error("/metrics lacks failed scans")
	}
	if !strings.Contains(s.stderr.String(), `level=ERROR msg="scan failed"`) {
		t.Errorf("failed scan not logged:\n%s", s.stderr)
	}
	s.stop()
}

// Rejected input is the operator's to fix, not a sick server: the feeds
// were published, so /healthz stays 200 and names the outcome.
func TestServeRejectedInputIsHealthy(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	os.WriteFile(filepath.Join(dir, "listings", "bad.txt"), []byte("Bad\n\n  1. News\n\n    No date here\n"), 0o644)
	s := serve(t, append([]string{"--schedule", "@every 1h"}, flags...)...)
	eventually(t, 20*time.Second, "first scan", func() bool { _, h := s.health(); return h.Last != nil })
	code, h := s.health()
	if code != 200 || h.Status != "ok" || h.Last.Outcome != "rejected" || h.Last.Items != 45 {
		t.Errorf("healthz with rejected input: %d %+v", code, h)
	}
	if !strings.Contains(s.stderr.String(), "bad.txt") {
		t.Errorf("the rejected file is not logged:\n%s", s.stderr)
	}
	s.stop()
}

// Before the first scan finishes, /healthz answers 503 "starting".
func TestServeHealthStartsAs503(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	db, err := store.Open(filepath.Join(dir, "feedpub.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The first scan waits for the lock held here, so it cannot finish.
	s := serve(t, append([]string{"--schedule", "@every 1h", "--lock-timeout", "1m", "--scan-grace", "100ms"}, flags...)...)
	code, h := s.health()
	if code != 503 || h.Status != "starting" || h.Last != nil {
		t.Errorf("before the first scan: %d %+v", code, h)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve with a scan stuck on the lock: exit %d, want 0:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "scan still running at shutdown: cancelling it") {
		t.Errorf("no word of the cancelled scan:\n%s", s.stderr)
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	t.Parallel()
	_, flags := workdir(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--schedule", "every five minutes"}, "--schedule"},
		{[]string{"--schedule", "@every 100ms"}, "at least 1s"},
		{[]string{"--max-age", "-5m"}, "--max-age"},
		{[]string{"--max-age", "soon"}, "--max-age"},
		{[]string{"--addr", ln.Addr().String()}, "listen"},
		{[]string{"--limit", "0"}, "invalid settings"},
	} {
		r := feedpub(t, nil, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...), c.args...)...)
		if r.code != cli.ExitFatal || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, r.code, r.stderr)
		}
	}
}

// With the schedule far away, a listing dropped in is still published
// within moments: the watcher scans just that file.
func TestServeWatchPublishesNewFilesAtOnce(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	s := serve(t, append([]string{"--schedule", "@every 1h", "--log-level", "debug"}, flags...)...)
	eventually(t, 20*time.Second, "first scan", func() bool { code, _ := s.health(); return code == 200 })
	os.WriteFile(filepath.Join(dir, "listings", "005_new.txt"), []byte(newListing), 0o644)
	eventually(t, 10*time.Second, "the new item in the combined feed", func() bool {
		r := s.get("/all/rss.xml")
		return r.code == 200 && slices.Contains(titles(t, r.body), "A brand-new cooperative bakery opens in Lyon")
	})
	// It was a targeted scan: one file read, the five others not walked.
	// The scan logs its end after it published the feed: wait for it.
	targeted := func(log string) bool {
		return strings.Contains(log, `msg="listings changed: scanning" paths=1 full=false`) &&
			strings.Contains(log, `files_new=1 files_changed=0 files_unchanged=0`)
	}
	for deadline := time.Now().Add(5 * time.Second); !targeted(s.stderr.String()) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if log := s.stderr.String(); !targeted(log) {
		t.Errorf("no targeted scan in the log:\n%s", log)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}
