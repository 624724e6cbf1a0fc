package server_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/server"
)

func TestMediaTypesCarryCharset(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		for path, want := range map[string]string{
			"/all/rss.xml":             "application/rss+xml; charset=utf-8",
			"/all/atom.xml":            "application/atom+xml; charset=utf-8",
			"/all/feed.json":           "application/feed+json; charset=utf-8",
			"/category/news/rss.xml":   "application/rss+xml; charset=utf-8",
			"/index.html":              "text/html; charset=utf-8",
			"/":                        "text/html; charset=utf-8",
			"/feeds.opml":              "text/x-opml; charset=utf-8",
			"/style.css":               "text/css; charset=utf-8",
			"/logo.png":                "image/png",
			"/favicon.ico":             "image/x-icon",
			"/category/news/feed.json": "application/feed+json; charset=utf-8",
		} {
			r := s.get(path)
			if r.code != http.StatusOK || r.get("Content-Type") != want {
				t.Errorf("%s: %d %q, want 200 %q", path, r.code, r.get("Content-Type"), want)
			}
			if r.get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no X-Content-Type-Options: nosniff", path)
			}
		}
	})
}

func TestStrongETagAndLastModified(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		mtime := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC)
		path := filepath.Join(s.dir, "all", "rss.xml")
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		r := s.get("/all/rss.xml")
		etag := r.get("ETag")
		if r.code != 200 || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
			t.Fatalf("ETag %q is not a strong entity tag", etag)
		}
		if got := r.get("Last-Modified"); got != "Sun, 01 Mar 2026 12:30:45 GMT" {
			t.Errorf("Last-Modified %q, want the file's mtime", got)
		}
		if string(r.body) != rssBody || r.get("Content-Length") != strconv.Itoa(len(rssBody)) {
			t.Errorf("body or length wrong: %d bytes, Content-Length %s", len(r.body), r.get("Content-Length"))
		}
		if again := s.get("/all/rss.xml"); again.get("ETag") != etag {
			t.Errorf("ETag changed without a change: %q then %q", etag, again.get("ETag"))
		}
		// The ETag is the content's: the same bytes elsewhere, the same tag;
		// one byte changed, same size and mtime, another tag.
		if other := s.get("/category/news/rss.xml"); other.get("ETag") != etag {
			t.Errorf("same bytes, different ETags %q %q", etag, other.get("ETag"))
		}
		changed := strings.Replace(rssBody, "Test", "Tost", 1)
		publishAt(t, path, changed, mtime)
		s.revalidated()
		r2 := s.get("/all/rss.xml")
		if r2.get("ETag") == etag || string(r2.body) != changed {
			t.Errorf("content changed (same size, same mtime): ETag %q, body changed %v", r2.get("ETag"), string(r2.body) == changed)
		}
	})
}

// publishAt replaces path as the publisher does (temp file, rename) and
// sets its mtime.
func publishAt(t *testing.T, path, body string, mtime time.Time) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	write(t, tmp, body)
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestIfNoneMatch(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		etag := s.get("/all/atom.xml").get("ETag")
		for _, inm := range []string{etag, `"nope", ` + etag, "W/" + etag, "*", `"a",` + etag + `,"b"`} {
			r := s.get("/all/atom.xml", "If-None-Match: "+inm)
			if r.code != http.StatusNotModified || len(r.body) != 0 {
				t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and no body", inm, r.code, len(r.body))
			}
			if r.get("ETag") != etag || r.get("Cache-Control") != "public, max-age=300" || r.get("Vary") != "Accept-Encoding" {
				t.Errorf("304 lacks ETag, Cache-Control or Vary: %v", r.header)
			}
			if r.get("Content-Type") != "" || r.get("Content-Encoding") != "" {
				t.Errorf("304 carries representation headers: %v", r.header)
			}
		}
		for _, inm := range []string{`"nope"`, `W/"nope"`, strings.Trim(etag, `"`), `""`} {
			if r := s.get("/all/atom.xml", "If-None-Match: "+inm); r.code != http.StatusOK {
				t.Errorf("If-None-Match %s: %d, want 200", inm, r.code)
			}
		}
		// Two header lines make one list.
		if r := s.get("/all/atom.xml", `If-None-Match: "x"`, "If-None-Match: "+etag); r.code != http.StatusNotModified {
			t.Errorf("If-None-Match over two lines: %d, want 304", r.code)
		}
	})
}

func TestIfModifiedSince(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		mtime := time.Date(2026, 3, 1, 12, 30, 45, 500e6, time.UTC)
		os.Chtimes(filepath.Join(s.dir, "all", "feed.json"), mtime, mtime)
		lm := s.get("/all/feed.json").get("Last-Modified")
		for ims, want := range map[string]int{
			lm:                               304, // what pollers send back
			"Sun, 01 Mar 2026 12:30:46 GMT":  304, // later
			"Mon, 02 Mar 2026 00:00:00 GMT":  304,
			"Sun, 01 Mar 2026 12:30:44 GMT":  200, // older than the file
			"Sunday, 01-Mar-26 12:30:45 GMT": 304, // RFC 850 form
			"Sun Mar  1 12:30:45 2026":       304, // asctime form
			"yesterday":                      200, // not a date: ignored
		} {
			r := s.get("/all/feed.json", "If-Modified-Since: "+ims)
			if r.code != want {
				t.Errorf("If-Modified-Since %q: %d, want %d", ims, r.code, want)
			}
			if want == 304 && (len(r.body) != 0 || r.get("ETag") == "" || r.get("Last-Modified") != lm) {
				t.Errorf("If-Modified-Since %q: 304 with body %q, ETag %q, Last-Modified %q", ims, r.body, r.get("ETag"), r.get("Last-Modified"))
			}
		}
	})
}

func TestIfNoneMatchTakesPrecedenceOverIfModifiedSince(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		first := s.get("/all/rss.xml")
		etag, lm := first.get("ETag"), first.get("Last-Modified")
		// A stale ETag with a current date: the content changed within the
		// second Last-Modified can tell, so the body must be sent.
		if r := s.get("/all/rss.xml", `If-None-Match: "stale"`, "If-Modified-Since: "+lm); r.code != http.StatusOK || string(r.body) != rssBody {
			t.Errorf("stale ETag, current date: %d, want 200 with the body", r.code)
		}
		if r := s.get("/all/rss.xml", "If-None-Match: "+etag, "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"); r.code != http.StatusNotModified {
			t.Errorf("current ETag, old date: %d, want 304", r.code)
		}
	})
}

func TestIfMatchAndIfUnmodifiedSince(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		r := s.get("/all/rss.xml")
		etag := r.get("ETag")
		for h, want := range map[string]int{
			"If-Match: " + etag:   200,
			"If-Match: *":         200,
			`If-Match: "other"`:   412,
			"If-Match: W/" + etag: 412, // strong comparison
			"If-Unmodified-Since: Mon, 01 Jan 2001 00:00:00 GMT": 412,
			"If-Unmodified-Since: " + r.get("Last-Modified"):     200,
		} {
			if got := s.get("/all/rss.xml", h); got.code != want {
				t.Errorf("%s: %d, want %d", h, got.code, want)
			}
		}
	})
}

func TestHeadIsGetWithoutBody(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		for _, ae := range []string{"identity", "gzip", "br"} {
			get := s.get("/all/rss.xml", "Accept-Encoding: "+ae)
			head := s.do(http.MethodHead, "/all/rss.xml", "Accept-Encoding: "+ae)
			if head.code != 200 || len(head.body) != 0 {
				t.Errorf("HEAD %s: %d with %d bytes", ae, head.code, len(head.body))
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "ETag", "Last-Modified", "Cache-Control", "Vary"} {
				if head.get(k) != get.get(k) {
					t.Errorf("HEAD %s: %s %q, GET has %q", ae, k, head.get(k), get.get(k))
				}
			}
			if get.get("Content-Length") != strconv.Itoa(len(get.body)) {
				t.Errorf("GET %s: Content-Length %s for %d bytes", ae, get.get("Content-Length"), len(get.body))
			}
		}
		if r := s.do(http.MethodHead, "/all/rss.xml", "If-None-Match: "+s.get("/all/rss.xml").get("ETag")); r.code != 304 {
			t.Errorf("conditional HEAD: %d, want 304", r.code)
		}
		if r := s.do(http.MethodHead, "/missing"); r.code != 404 || len(r.body) != 0 {
			t.Errorf("HEAD of a missing file: %d with %d bytes", r.code, len(r.body))
		}
	})
}

func TestCompressionAndVary(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		plain := s.get("/all/rss.xml")
		if plain.get("Content-Encoding") != "" || plain.get("Vary") != "Accept-Encoding" || string(plain.body) != rssBody {
			t.Fatalf("no Accept-Encoding: encoding %q, Vary %q", plain.get("Content-Encoding"), plain.get("Vary"))
		}
		for ae, want := range map[string]string{
			"gzip":                    "gzip",
			"gzip, deflate":           "gzip",
			"x-gzip":                  "gzip",
			"GZIP":                    "gzip",
			"br":                      "br",
			"gzip, deflate, br":       "br", // what browsers send: brotli is smaller
			"gzip, deflate, br, zstd": "br",
			"br;q=0.5, gzip":          "gzip",
			"br;q=0, gzip":            "gzip",
			"gzip;q=0, br;q=0":        "",
			"*":                       "br",
			"*;q=0.1, gzip":           "gzip",
			"identity":                "",
			"deflate":                 "",
			"gzip;q=0":                "",
			"identity;q=0":            "", // nothing acceptable: sent as it is anyway
		} {
			r := s.get("/all/rss.xml", "Accept-Encoding: "+ae)
			if r.get("Content-Encoding") != want || r.get("Vary") != "Accept-Encoding" {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q, Vary %q; want %q", ae, r.get("Content-Encoding"), r.get("Vary"), want)
				continue
			}
			var body []byte
			switch want {
			case "gzip":
				body = gunzip(t, r.body)
			case "br":
				body = unbrotli(t, r.body)
			default:
				body = r.body
			}
			if string(body) != rssBody {
				t.Errorf("Accept-Encoding %q: body does not decode to the file", ae)
			}
			if want != "" && len(r.body) >= len(rssBody)/2 {
				t.Errorf("Accept-Encoding %q: %d bytes for %d", ae, len(r.body), len(rssBody))
			}
		}
		// Already compressed formats are not compressed again.
		if r := s.get("/logo.png", "Accept-Encoding: gzip, br"); r.get("Content-Encoding") != "" || r.get("Vary") != "" {
			t.Errorf("png: Content-Encoding %q Vary %q", r.get("Content-Encoding"), r.get("Vary"))
		}
	})
}

// Each representation has its own strong ETag (RFC 9110 8.8.3): the
// compressed bytes differ from the file's, so they cannot share one, and a
// conditional request matches only the representation it would get.
func TestEachCodingHasItsOwnETag(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		tags := map[string]string{}
		for _, ae := range []string{"identity", "gzip", "br"} {
			r := s.get("/all/feed.json", "Accept-Encoding: "+ae)
			tag := r.get("ETag")
			if !strings.HasPrefix(tag, `"`) {
				t.Fatalf("%s: ETag %q is not strong", ae, tag)
			}
			for other, t2 := range tags {
				if t2 == tag {
					t.Errorf("%s and %s share ETag %s", ae, other, tag)
				}
			}
			tags[ae] = tag
			if again := s.get("/all/feed.json", "Accept-Encoding: "+ae); again.get("ETag") != tag {
				t.Errorf("%s: ETag not stable", ae)
			}
		}
		if !strings.HasSuffix(tags["gzip"], `-gz"`) || !strings.HasSuffix(tags["br"], `-br"`) {
			t.Errorf("variant tags %q %q lack their coding suffix", tags["gzip"], tags["br"])
		}
		for _, c := range []struct {
			ae, inm string
			want    int
			enc     string // Content-Encoding of a 200
			etag    string // the ETag answered: the selected representation's
		}{
			{"gzip", tags["gzip"], 304, "", tags["gzip"]},
			{"br", tags["br"], 304, "", tags["br"]},
			{"gzip, br", tags["br"], 304, "", tags["br"]},
			{"identity", tags["identity"], 304, "", tags["identity"]},
			{"identity", tags["gzip"], 200, "", tags["identity"]}, // has the gzip body, would get the plain one
			{"gzip", tags["identity"], 200, "gzip", tags["gzip"]}, // has the plain body, would get gzip
			{"br", tags["gzip"], 200, "br", tags["br"]},
			{"gzip", tags["identity"] + ", " + tags["gzip"], 304, "", tags["gzip"]}, // a cache holding both
		} {
			r := s.get("/all/feed.json", "Accept-Encoding: "+c.ae, "If-None-Match: "+c.inm)
			if r.code != c.want || r.get("Content-Encoding") != c.enc || r.get("ETag") != c.etag {
				t.Errorf("Accept-Encoding %s, If-None-Match %s: %d %q %s, want %d %q %s",
					c.ae, c.inm, r.code, r.get("Content-Encoding"), r.get("ETag"), c.want, c.enc, c.etag)
			}
		}
	})
}

func TestCacheControl(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{MaxAge: 90 * time.Second})
		for _, p := range []string{"/all/rss.xml", "/", "/feeds.opml", "/missing.xml"} {
			if got := s.get(p).get("Cache-Control"); got != "public, max-age=90" {
				t.Errorf("%s: Cache-Control %q", p, got)
			}
		}
		for _, p := range []string{"/healthz", "/metrics"} {
			if got := s.get(p).get("Cache-Control"); got != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", p, got)
			}
		}
		// Full archive pages never change: cached for a year, immutable.
		write(t, filepath.Join(s.dir, "category", "news", "archive", "3", "atom.xml"), "<feed/>")
		write(t, filepath.Join(s.dir, "category", "archive", "atom.xml"), "<feed/>") // a category named "archive"
		if got := s.get("/category/news/archive/3/atom.xml").get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("archive page: Cache-Control %q", got)
		}
		if got := s.get("/category/archive/atom.xml").get("Cache-Control"); got != "public, max-age=90" {
			t.Errorf("feed named archive: Cache-Control %q", got)
		}
		// The pages' stylesheet is named after its content: immutable too.
		name, css := render.Stylesheet()
		write(t, filepath.Join(s.dir, name), string(css))
		r := s.get("/"+name, "Accept-Encoding: gzip")
		if r.code != 200 || r.get("Cache-Control") != "public, max-age=31536000, immutable" || r.get("Content-Type") != "text/css; charset=utf-8" {
			t.Errorf("stylesheet: %d, Cache-Control %q, Content-Type %q", r.code, r.get("Cache-Control"), r.get("Content-Type"))
		}
		if _, err := server.New(server.Options{Dir: t.TempDir(), MaxAge: -time.Second}); err == nil {
			t.Error("negative max-age accepted")
		}
	})
}

func TestNotFoundAndNoListings(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		os.MkdirAll(filepath.Join(s.dir, "category", "bare"), 0o755)
		write(t, filepath.Join(s.dir, "category", "news", "index.html"), "<p>news</p>")
		for _, p := range []string{"/nothing", "/all/nothing.xml", "/all/rss.xml/", "/category/", "/category", "/category/bare/", "/category/bare", "/index.html/x"} {
			r := s.get(p)
			if r.code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, r.code)
			}
			if strings.Contains(string(r.body), "news") || strings.Contains(string(r.body), "href") {
				t.Errorf("%s: looks like a listing: %q", p, r.body)
			}
		}
		if r := s.get("/"); r.code != 200 || string(r.body) != files["index.html"] {
			t.Errorf("/: %d, want index.html", r.code)
		}
		if r := s.get("/category/news/"); r.code != 200 || string(r.body) != "<p>news</p>" {
			t.Errorf("/category/news/: %d %q, want its index.html", r.code, r.body)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Get(s.ts.URL + "/category/news?x=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/category/news/?x=1" {
			t.Errorf("/category/news: %d to %q, want 301 to /category/news/?x=1", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestOtherMethodsAre405WithAllow(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"} {
			for _, p := range []string{"/all/rss.xml", "/missing", "/healthz", "/metrics"} {
				r := s.do(m, p)
				if r.code != http.StatusMethodNotAllowed || r.get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s: %d, Allow %q; want 405, GET, HEAD", m, p, r.code, r.get("Allow"))
				}
			}
		}
	})
}

func TestNoPathEscapesTheDirectory(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		// A secret beside the served directory, and links out of it.
		outside := filepath.Dir(s.dir)
		secretDir, err := os.MkdirTemp(outside, "secret")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(secretDir) })
		secret := filepath.Join(secretDir, "secret.txt")
		write(t, secret, "SECRET")
		rel, _ := filepath.Rel(s.dir, secret)
		for link, target := range map[string]string{
			"leak.txt":          secret,
			"relleak.txt":       rel,
			"all/leakdir":       secretDir,
			"all/up":            "..",          // the root itself: inside
			"inside-rss.xml":    "all/rss.xml", // stays inside: allowed
			"category/news/sym": "../../all",   // stays inside: allowed
		} {
			if err := os.Symlink(target, filepath.Join(s.dir, filepath.FromSlash(link))); err != nil {
				t.Fatal(err)
			}
		}
		name := filepath.Base(secretDir)
		for _, target := range []string{
			"/../" + name + "/secret.txt",
			"/all/../../" + name + "/secret.txt",
			"/%2e%2e/" + name + "/secret.txt",
			"/%2E%2E/%2E%2E/" + name + "/secret.txt",
			"/all/%2e%2e/%2e%2e/" + name + "/secret.txt",
			"/..%2f" + name + "%2fsecret.txt",
			"/all%2f..%2f..%2f" + name + "%2fsecret.txt",
			"/all%2Frss.xml",
			"/..%5c" + name + "%5csecret.txt",
			"/..\\" + name + "\\secret.txt",
			"/all\\rss.xml",
			"//" + strings.TrimPrefix(secret, "/"),
			"/" + secret,
			"http://localhost/../" + name + "/secret.txt",
			"/leak.txt",
			"/relleak.txt",
			"/all/leakdir/secret.txt",
			"/all/up/" + name + "/secret.txt",
			"/%00/all/rss.xml",
			"/all/rss.xml%00",
			"/.hidden",
			"/%2ehidden",
			"/category/empty/.tmp-rss.xml",
			"/category/empty/%2etmp-rss.xml",
			"/./all/rss.xml",
			"/all/./rss.xml",
			"/.git/config",
		} {
			r := s.raw(target)
			if r.code != http.StatusNotFound && r.code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 404 (or 400)", target, r.code)
			}
			if strings.Contains(string(r.body), "SECRET") || strings.Contains(string(r.body), "half a file") || strings.Contains(string(r.body), "dotfile") {
				t.Errorf("%s: leaked %q", target, r.body)
			}
		}
		// Links that stay inside the directory are followed.
		if r := s.raw("/inside-rss.xml"); r.code != 200 || string(r.body) != rssBody {
			t.Errorf("symlink inside the root: %d", r.code)
		}
		for _, p := range []string{"/category/news/sym/rss.xml", "/all/up/all/rss.xml"} {
			if r := s.raw(p); r.code != 200 || string(r.body) != rssBody {
				t.Errorf("%s, through a symlinked directory inside the root: %d", p, r.code)
			}
		}
	})
}

func TestFavicon(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		r := s.get("/favicon.ico")
		if r.code != 200 || r.get("Content-Type") != "image/x-icon" || len(r.body) < 100 || string(r.body[:4]) != "\x00\x00\x01\x00" {
			t.Fatalf("built-in icon: %d %q, %d bytes", r.code, r.get("Content-Type"), len(r.body))
		}
		if r2 := s.get("/favicon.ico", "If-None-Match: "+r.get("ETag")); r2.code != 304 {
			t.Errorf("built-in icon revalidated: %d, want 304", r2.code)
		}
		write(t, filepath.Join(s.dir, "favicon.ico"), "\x00\x00\x01\x00 the site's own")
		if r := s.get("/favicon.ico"); string(r.body) != "\x00\x00\x01\x00 the site's own" {
			t.Errorf("the directory's own icon is not served: %q", r.body)
		}
		os.Remove(filepath.Join(s.dir, "favicon.ico"))
		s.revalidated()
		if r := s.get("/favicon.ico"); r.code != 200 || len(r.body) < 100 {
			t.Errorf("built-in icon not back after removal: %d", r.code)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		r := s.get("/")
		for k, want := range map[string]string{
			"X-Content-Type-Options":      "nosniff",
			"Access-Control-Allow-Origin": "*",
		} {
			if r.get(k) != want {
				t.Errorf("%s: %q, want %q", k, r.get(k), want)
			}
		}
		if csp := r.get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
		// Feeds are data, not pages: they carry no CSP, which every poll would pay for.
		if r := s.get("/all/rss.xml"); r.get("Content-Security-Policy") != "" || r.get("X-Content-Type-Options") != "nosniff" || r.get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("feed headers: %v", r.header)
		}
		if r := s.get("/missing"); r.get("X-Content-Type-Options") != "nosniff" || r.get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("404: %v", r.header)
		}
	})
}

func TestRemovedFileIsGone(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		if r := s.get("/category/news/atom.xml"); r.code != 200 {
			t.Fatal(r.code)
		}
		os.Remove(filepath.Join(s.dir, "category", "news", "atom.xml"))
		s.revalidated()
		if r := s.get("/category/news/atom.xml"); r.code != 404 {
			t.Errorf("removed file: %d, want 404", r.code)
		}
		write(t, filepath.Join(s.dir, "category", "news", "atom.xml"), "back")
		if r := s.get("/category/news/atom.xml"); r.code != 200 || string(r.body) != "back" {
			t.Errorf("file put back: %d %q", r.code, r.body)
		}
	})
}

func TestTooLargeFileIs500AndLogged(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		var logs syncBuffer
		s := newSiteOn(t, e, server.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		huge := filepath.Join(s.dir, "all", "huge.xml")
		write(t, huge, "")
		if err := os.Truncate(huge, 65<<20); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		if r := s.get("/all/huge.xml"); r.code != 500 {
			t.Errorf("a 65 MiB file: %d, want 500", r.code)
		}
		if !strings.Contains(logs.String(), `level=ERROR msg="cannot serve file" file=all/huge.xml error="file too large to serve"`) {
			t.Errorf("not logged:\n%s", logs.String())
		}
	})
}

func TestUnreadableFileIs500AndLogged(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		if os.Geteuid() == 0 {
			t.Skip("root reads files whatever their mode")
		}
		s := newSiteOn(t, e, server.Options{})
		os.Chmod(filepath.Join(s.dir, "feeds.opml"), 0)
		if r := s.get("/feeds.opml"); r.code != 500 {
			t.Errorf("unreadable file: %d, want 500", r.code)
		}
	})
}

// The publisher's precompressed variants are for servers that map X.gz to
// X with Content-Encoding (nginx gzip_static, a CDN). Served here as files
// they would reach a reader as gzip bytes labelled application/gzip, or as
// a feed nobody asked for: they are 404, and X itself is still negotiated.
func TestPrecompressedVariantsAreNotServed(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		for _, name := range []string{"all/rss.xml.gz", "all/rss.xml.br", "index.html.gz", "feeds.opml.br"} {
			write(t, filepath.Join(s.dir, filepath.FromSlash(name)), "compressed bytes")
		}
		for _, p := range []string{"/all/rss.xml.gz", "/all/rss.xml.br", "/index.html.gz", "/feeds.opml.br"} {
			if r := s.get(p, "Accept-Encoding: gzip, br"); r.code != http.StatusNotFound {
				t.Errorf("%s: %d %q, want 404", p, r.code, r.get("Content-Type"))
			}
		}
		r := s.get("/all/rss.xml", "Accept-Encoding: gzip")
		if r.code != 200 || r.get("Content-Encoding") != "gzip" || string(gunzip(t, r.body)) != rssBody {
			t.Errorf("/all/rss.xml with gzip: %d %q, want the feed compressed here", r.code, r.get("Content-Encoding"))
		}
	})
}
