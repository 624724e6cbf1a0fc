package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func benchServer(b *testing.B) *server.Server {
	dir := b.TempDir()
	path := filepath.Join(dir, "all", "rss.xml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(feed50()), 0o644); err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// BenchmarkServe runs the handler alone for a 50-item feed: plain 200,
// gzip 200 and a 304 to a conditional GET, on all cores.
func BenchmarkServe(b *testing.B) {
	srv := benchServer(b)
	probe := httptest.NewRecorder()
	srv.ServeHTTP(probe, httptest.NewRequest("GET", "/all/rss.xml", nil))
	etag := probe.Header().Get("ETag")
	for _, c := range []struct {
		name     string
		header   http.Header
		wantCode int
	}{
		{"plain", http.Header{}, 200},
		{"gzip", http.Header{"Accept-Encoding": {"gzip, deflate"}}, 200},
		{"304", http.Header{"If-None-Match": {etag}, "If-Modified-Since": {probe.Header().Get("Last-Modified")}}, 304},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/all/rss.xml", nil)
				req.Header = c.header
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

// BenchmarkServeLoopback adds net/http and a keep-alive client over
// 127.0.0.1, closer to what a poller costs.
func BenchmarkServeLoopback(b *testing.B) {
	srv := benchServer(b)
	ts := httptest.NewServer(srv)
	defer ts.Close()
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
