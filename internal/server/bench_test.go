package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/feedpub/feedpub/internal/server"
)

// feed50 is an RSS document of 50 items, about the size of a real one.
func feed50() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>Cooperative news</title>`)
	for i := range 50 {
		fmt.Fprintf(&b, "<item><title>Item %d: a cooperative story of workers and banks</title>"+
			"<link>https://example.org/item/2017/10/%02d/story-%d.html</link>"+
			"<guid isPermaLink=\"false\">tag:example.org,2026-01-01:item/2017-10-%02d/%08x</guid>"+
			"<pubDate>Tue, %02d Oct 2017 12:00:00 +0000</pubDate>"+
			"<description>A description of the item, with a few sentences about what happened and who took part.</description></item>\n",
			i, i%28+1, i, i%28+1, i*2654435761, i%28+1)
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

// discard is a ResponseWriter that keeps nothing, reused across requests,
// so that the benchmark measures the handler.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

func benchServer(tb testing.TB) *server.Server {
	dir := tb.TempDir()
	path := filepath.Join(dir, "all", "rss.xml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(feed50()), 0o644); err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Options{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// pollCase is one of the requests the benchmarks make for the 50-item
// feed, with the headers a poller sends ("Name: value").
type pollCase struct {
	name     string
	headers  []string
	wantCode int
}

func pollCases(tb testing.TB, srv *server.Server) []pollCase {
	probe := httptest.NewRecorder()
	srv.ServeHTTP(probe, httptest.NewRequest("GET", "/all/rss.xml", nil))
	if probe.Code != 200 {
		tb.Fatalf("probe: %d", probe.Code)
	}
	return []pollCase{
		{"plain", nil, 200},
		{"gzip", []string{"Accept-Encoding: gzip, deflate"}, 200},
		{"304", []string{"If-None-Match: " + probe.Header().Get("ETag"), "If-Modified-Since: " + probe.Header().Get("Last-Modified")}, 304},
	}
}

// fastCtx is a fasthttp request for the feed, as the engine hands it over.
func fastCtx(c pollCase) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("/all/rss.xml")
	for _, h := range c.headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, nil, nil)
	return ctx
}

// BenchmarkServe runs the fasthttp handler alone for a 50-item feed: plain
// 200, gzip 200 and a 304 to a conditional GET, on all cores.
func BenchmarkServe(b *testing.B) {
	srv := benchServer(b)
	for _, c := range pollCases(b, srv) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := fastCtx(c)
				for pb.Next() {
					ctx.Response.Reset()
					srv.ServeFastHTTP(ctx)
					if code := ctx.Response.StatusCode(); code != c.wantCode {
						b.Fatalf("status %d, want %d", code, c.wantCode)
					}
				}
			})
		})
	}
}

// BenchmarkServeNetHTTP runs the net/http handler alone, the same way.
func BenchmarkServeNetHTTP(b *testing.B) {
	srv := benchServer(b)
	for _, c := range pollCases(b, srv) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/all/rss.xml", nil)
				for _, h := range c.headers {
					k, v, _ := strings.Cut(h, ": ")
					req.Header.Add(k, v)
				}
				w := &discard{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					srv.ServeHTTP(w, req)
					if w.code != c.wantCode {
						b.Fatalf("status %d, want %d", w.code, c.wantCode)
					}
				}
			})
		})
	}
}

// A file served from the cache costs no allocation on fasthttp: 200s,
// gzip 200s and 304s alike.
func TestServeDoesNotAllocate(t *testing.T) {
	srv := benchServer(t)
	for _, c := range pollCases(t, srv) {
		ctx := fastCtx(c)
		srv.ServeFastHTTP(ctx) // the first request reads and compresses
		if allocs := testing.AllocsPerRun(100, func() {
			ctx.Response.Reset()
			srv.ServeFastHTTP(ctx)
		}); allocs != 0 {
			t.Errorf("%s: %.1f allocations per request, want 0", c.name, allocs)
		}
		if code := ctx.Response.StatusCode(); code != c.wantCode {
			t.Errorf("%s: %d, want %d", c.name, code, c.wantCode)
		}
	}
}

// BenchmarkServeLoopback adds the engine and a keep-alive client over
// 127.0.0.1, closer to what a poller costs.
func BenchmarkServeLoopback(b *testing.B) {
	srv := benchServer(b)
	e := server.NewEngine(srv, server.DefaultLimits, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go e.Serve(ln)
	defer e.Shutdown(context.Background())
	ts := struct{ URL string }{"http://" + ln.Addr().String()}
	for _, c := range []struct {
		name, header, value string
	}{
		{"plain", "", ""},
		{"gzip", "Accept-Encoding", "gzip"},
		{"304", "If-None-Match", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}}
			value := c.value
			if c.name == "304" {
				resp, err := client.Get(ts.URL + "/all/rss.xml")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				value = resp.Header.Get("ETag")
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest("GET", ts.URL+"/all/rss.xml", nil)
				if c.header != "" {
					req.Header.Set(c.header, value)
				}
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
