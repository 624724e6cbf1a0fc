package server_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/publish"
	"github.com/feedpub/feedpub/internal/server"
)

// While the publisher replaces a file again and again, every response is
// one whole version, with the ETag of exactly that version.
func TestAReplacedFileIsServedWholeOldOrWholeNew(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		out := publish.Dir{Root: s.dir}
		// Versions of different sizes and contents, large enough that a
		// torn read would show.
		versions := map[string]bool{}
		var bodies [][]byte
		for i := range 4 {
			b := bytes.Repeat([]byte(fmt.Sprintf("<item>version %d</item>\n", i)), 2000*(i+1))
			bodies = append(bodies, b)
			versions[string(b)] = true
		}
		if _, err := out.Write("all/rss.xml", bodies[0]); err != nil {
			t.Fatal(err)
		}

		const writes, readers, reads = 60, 4, 60
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range writes {
				if _, err := out.Write("all/rss.xml", bodies[(i+1)%len(bodies)]); err != nil {
					t.Error(err)
					return
				}
			}
		})
		// Each ETag names exactly one version.
		var mu sync.Mutex
		bodyOf := map[string][32]byte{}
		for range readers {
			wg.Go(func() {
				for i := range reads {
					ae := []string{"identity", "gzip", "br"}[i%3]
					req, _ := http.NewRequest("GET", s.ts.URL+"/all/rss.xml", nil)
					req.Header.Set("Accept-Encoding", ae)
					resp, err := s.client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					raw, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						t.Error(err)
						return
					}
					body := raw
					switch resp.Header.Get("Content-Encoding") {
					case "gzip":
						body = gunzip(t, raw)
					case "br":
						body = unbrotli(t, raw)
					}
					if !versions[string(body)] {
						t.Errorf("a response of %d bytes is no whole version", len(body))
						return
					}
					etag, sum := resp.Header.Get("ETag"), sha256.Sum256(raw)
					mu.Lock()
					if prev, ok := bodyOf[etag]; ok && prev != sum {
						t.Errorf("ETag %s names two different bodies", etag)
					}
					bodyOf[etag] = sum
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		s.revalidated()
		if r := s.get("/all/rss.xml"); string(r.body) != string(bodies[writes%len(bodies)]) {
			t.Errorf("after the last write: %d bytes, want the last version", len(r.body))
		}
	})
}

// A compressed body is made once per file version and coding, however
// many clients ask for it at once.
func TestCompressedOncePerVersion(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		getAll := func(ae string, n int) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					req, _ := http.NewRequest("GET", s.ts.URL+"/all/atom.xml", nil)
					req.Header.Set("Accept-Encoding", ae)
					resp, err := s.client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.Header.Get("Content-Encoding") != ae {
						t.Errorf("Content-Encoding %q, want %q", resp.Header.Get("Content-Encoding"), ae)
					}
				})
			}
			wg.Wait()
		}
		gz, br := `feedpub_http_compressions_total{coding="gzip"}`, `feedpub_http_compressions_total{coding="br"}`
		getAll("gzip", 20)
		getAll("br", 20)
		getAll("gzip", 5)
		if got := s.metric(gz); got != "1" {
			t.Errorf("gzip compressions after 25 requests: %s, want 1", got)
		}
		if got := s.metric(br); got != "1" {
			t.Errorf("brotli compressions after 20 requests: %s, want 1", got)
		}
		if got := s.metric("feedpub_http_file_loads_total"); got != "1" {
			t.Errorf("file read %s times, want once", got)
		}
		out := publish.Dir{Root: s.dir}
		if _, err := out.Write("all/atom.xml", []byte(strings.Repeat("<entry>a new version</entry>\n", 100))); err != nil {
			t.Fatal(err)
		}
		s.revalidated()
		getAll("gzip", 20)
		if got := s.metric(gz); got != "2" {
			t.Errorf("gzip compressions after a new version: %s, want 2", got)
		}
		if got := s.metric("feedpub_http_file_loads_total"); got != "2" {
			t.Errorf("file read %s times after a new version, want twice", got)
		}
		// Same bytes rewritten in place of themselves (a new inode): read
		// again, compressed again; the ETag stays, since the bytes are the same.
		before := s.get("/all/atom.xml", "Accept-Encoding: gzip").get("ETag")
		publishAt(t, filepath.Join(s.dir, "all", "atom.xml"), strings.Repeat("<entry>a new version</entry>\n", 100), timeNow())
		s.revalidated()
		if after := s.get("/all/atom.xml", "Accept-Encoding: gzip").get("ETag"); after != before {
			t.Errorf("same bytes, new ETag: %s then %s", before, after)
		}
	})
}

// The cache holds at most MaxCacheBytes of bodies; evicted files are read
// again when asked for, and still served whole.
func TestCacheStaysWithinItsBound(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		const bound = 12000
		s := newSiteOn(t, e, server.Options{MaxCacheBytes: bound})
		paths := []string{"/all/rss.xml", "/all/atom.xml", "/all/feed.json", "/category/news/rss.xml", "/category/news/atom.xml", "/index.html"}
		for round := range 3 {
			for _, p := range paths {
				r := s.get(p, "Accept-Encoding: "+[]string{"identity", "gzip", "br"}[round])
				if r.code != 200 {
					t.Fatalf("%s: %d", p, r.code)
				}
				held, err := strconv.Atoi(s.metric("feedpub_http_cache_bytes"))
				if err != nil || held > bound {
					t.Fatalf("after %s: %d bytes cached (%v), bound %d", p, held, err, bound)
				}
			}
		}
		if loads, _ := strconv.Atoi(s.metric("feedpub_http_file_loads_total")); loads <= len(paths) {
			t.Errorf("%d loads for %d files with a small cache: nothing was evicted", loads, len(paths))
		}
		if r := s.get("/all/rss.xml"); string(r.body) != rssBody {
			t.Error("an evicted file is not served whole")
		}
	})
}

// A version seen to be the file's is served for Options.Revalidate without
// looking at the file: a file replaced meanwhile is served as it was, whole,
// until then, and as it is afterwards. A negative window looks every time.
func TestRevalidationWindow(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		const window = time.Second
		s := newSiteOn(t, e, server.Options{Revalidate: window})
		start := time.Now()
		old := s.get("/all/rss.xml")
		publishAt(t, filepath.Join(s.dir, "all", "rss.xml"), "new version", time.Now())
		r := s.get("/all/rss.xml")
		if time.Since(start) < window && (string(r.body) != rssBody || r.get("ETag") != old.get("ETag")) {
			t.Errorf("within the window: %q, ETag %s; want the version checked before", r.body, r.get("ETag"))
		}
		time.Sleep(window)
		if r := s.get("/all/rss.xml"); string(r.body) != "new version" {
			t.Errorf("after the window: %q, want the new version", r.body)
		}

		always := newSiteOn(t, e, server.Options{Revalidate: -1})
		always.get("/all/rss.xml")
		publishAt(t, filepath.Join(always.dir, "all", "rss.xml"), "new version", time.Now())
		if r := always.get("/all/rss.xml"); string(r.body) != "new version" {
			t.Errorf("with no window: %q, want the new version at once", r.body)
		}
	})
}
