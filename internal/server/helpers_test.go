package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/internal/server"
)

// rssBody is a feed document big enough that compression pays.
var rssBody = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test</title><link>http://localhost/</link><description>d</description>` +
	strings.Repeat("<item><title>An item about cooperatives</title><guid>tag:example.org,2026:x</guid></item>\n", 40) +
	"</channel></rss>\n"

// site is a served output directory: real files in a temp dir, a real
// listener on 127.0.0.1 served by one of the engines, a real client that
// leaves compression to us.
type site struct {
	t      *testing.T
	dir    string
	srv    *server.Server
	ts     testServer
	client *http.Client
}

// testServer is where a site listens.
type testServer struct {
	URL      string // http://127.0.0.1:port
	Listener net.Listener
}

// engine is a front-end the server runs on. Every test of the server runs
// on each: fasthttp, which feedpub serve uses, and net/http, for embedding.
type engine struct {
	name  string
	serve func(t *testing.T, srv *server.Server, l server.Limits, ln net.Listener, log *slog.Logger)
}

var (
	fastEngine = engine{"fasthttp", func(t *testing.T, srv *server.Server, l server.Limits, ln net.Listener, log *slog.Logger) {
		e := server.NewEngine(srv, l, log)
		served := make(chan error, 1)
		go func() { served <- e.Serve(ln) }()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			e.Shutdown(ctx)
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}}
	netEngine = engine{"nethttp", func(t *testing.T, srv *server.Server, l server.Limits, ln net.Listener, log *slog.Logger) {
		hs := server.HTTPServer(srv, l, log)
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
	}}
	engines = []engine{fastEngine, netEngine}
)

// forEngines runs test on each engine, as parallel subtests.
func forEngines(t *testing.T, test func(t *testing.T, e engine)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			test(t, e)
		})
	}
}

// files is the layout a scan writes, in small.
var files = map[string]string{
	"index.html":                  "<!doctype html><title>feeds</title><p>Every feed.</p>" + strings.Repeat("<p>more text</p>", 50),
	"feeds.opml":                  `<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>t</title></head><body></body></opml>`,
	"all/rss.xml":                 rssBody,
	"all/atom.xml":                strings.ReplaceAll(rssBody, "rss", "feed"),
	"all/feed.json":               `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[` + strings.Repeat(`{"id":"x","title":"an item about cooperatives"},`, 40) + `{"id":"y"}]}`,
	"all/index.html":              "<!doctype html><title>all</title>",
	"category/news/rss.xml":       rssBody,
	"category/news/atom.xml":      rssBody,
	"category/news/feed.json":     `{}`,
	"category/empty/.tmp-rss.xml": "half a file",
	".hidden":                     "a dotfile",
	"style.css":                   "body{}",
	"logo.png":                    "\x89PNG not really",
}

// newSite serves the test layout on fasthttp, as feedpub serve does.
func newSite(t *testing.T, opts server.Options) *site {
	t.Helper()
	return newSiteOn(t, fastEngine, opts)
}

// newSiteOn serves the test layout on an engine with DefaultLimits.
func newSiteOn(t *testing.T, e engine, opts server.Options) *site {
	t.Helper()
	return newSiteWith(t, e, server.DefaultLimits, opts)
}

func newSiteWith(t *testing.T, e engine, l server.Limits, opts server.Options) *site {
	t.Helper()
	return newSiteLogged(t, e, l, opts, slog.New(slog.DiscardHandler))
}

// newSiteLogged is newSiteWith with the engine's own log kept.
func newSiteLogged(t *testing.T, e engine, l server.Limits, opts server.Options, log *slog.Logger) *site {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		write(t, filepath.Join(dir, filepath.FromSlash(name)), body)
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 5 * time.Minute
	}
	opts.Dir = dir
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.serve(t, srv, l, ln, log)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &site{t: t, dir: dir, srv: srv, ts: testServer{URL: "http://" + ln.Addr().String(), Listener: ln},
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// addr is the site's host:port.
func (s *site) addr() string { return s.ts.Listener.Addr().String() }

// revalidated waits until the server looks at its files again: a file
// changed before the call is served as changed after it.
func (s *site) revalidated() {
	time.Sleep(server.DefaultRevalidate + time.Millisecond)
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// response is a response read whole.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) get(k string) string { return r.header.Get(k) }

// do sends method path with headers ("Name: value" pairs).
func (s *site) do(method, path string, headers ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

func (s *site) get(path string, headers ...string) response {
	s.t.Helper()
	return s.do(http.MethodGet, path, headers...)
}

// raw sends a request line exactly as given, for paths a client would
// clean or escape, and reads the response.
func (s *site) raw(target string) response {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.addr())
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		s.t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, body}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func unbrotli(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// metric returns the value of one sample line of /metrics, e.g.
// `feedpub_http_requests_total{code="304"}`, or "" if absent.
func (s *site) metric(name string) string {
	s.t.Helper()
	return s.metrics()[name]
}

// metrics scrapes /metrics once: sample name with labels → value.
func (s *site) metrics() map[string]string {
	s.t.Helper()
	m := map[string]string{}
	for line := range strings.Lines(string(s.get("/metrics").body)) {
		if name, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && !strings.HasPrefix(line, "#") {
			m[name] = v
		}
	}
	return m
}
