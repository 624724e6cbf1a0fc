package server_test

import (
	"bufio"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/server"
)

// FuzzServePath sends arbitrary request targets, as net/http parses them,
// to the handler serving a directory with a secret beside it and symlinks
// leading to it. Whatever the target, the handler must not panic, must
// answer 200 only with the bytes of a file inside the directory (never a
// dotfile or the publisher's temporary files), redirect only to a path on
// the same site, and otherwise answer 404 or 400.
//
//	go test ./internal/server -run '^$' -fuzz FuzzServePath -fuzztime 1m
//
// Seeds: testdata/fuzz/FuzzServePath and the f.Add calls below.
func FuzzServePath(f *testing.F) {
	for _, seed := range []string{
		"/", "/all/rss.xml", "/category/news/", "/category/news", "/favicon.ico", "/healthz", "/metrics",
		"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt", "/..\\secret.txt",
		"/leak.txt", "/leakdir/secret.txt", "/.hidden", "/category/empty/.tmp-rss.xml", "//secret.txt",
		"/all/rss.xml%00", "/all/./rss.xml", "http://localhost/../secret.txt", "*", "/%c0%ae%c0%ae/",
		"/inside/rss.xml", "/all/rss.xml?x=../../secret.txt", "/all/rss.xml#frag",
	} {
		f.Add(seed)
	}
	parent := f.TempDir()
	dir := filepath.Join(parent, "feeds")
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	secretDir := filepath.Join(parent, "secretdir")
	os.MkdirAll(secretDir, 0o755)
	os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("SECRET"), 0o644)
	os.WriteFile(filepath.Join(secretDir, "secret.txt"), []byte("SECRET"), 0o644)
	for link, target := range map[string]string{
		"leak.txt": filepath.Join(parent, "secret.txt"),
		"leakdir":  secretDir,
		"inside":   "all",
		"all/up":   "..",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			f.Fatal(err)
		}
	}
	// The bodies a 200 may carry: the files inside, not the hidden ones.
	allowed := map[string]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			data, _ := os.ReadFile(p)
			allowed[string(data)] = true
		}
		return nil
	})
	srv, err := server.New(server.Options{Dir: dir})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })

	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")))
		if err != nil {
			return // net/http refuses it before any handler sees it
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		body := rec.Body.String()
		if strings.Contains(body, "SECRET") || strings.Contains(body, "half a file") || strings.Contains(body, "a dotfile") {
			t.Fatalf("%q: leaked %q", target, body)
		}
		switch rec.Code {
		case http.StatusOK:
			switch {
			case req.URL.Path == server.HealthPath || req.URL.Path == server.MetricsPath:
			case req.URL.Path == "/favicon.ico" && strings.HasPrefix(body, "\x00\x00\x01\x00"): // the built-in icon
			case !allowed[body]:
				t.Fatalf("%q: 200 with %d bytes that are no file inside the directory", target, len(body))
			}
		case http.StatusMovedPermanently:
			loc := rec.Header().Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("%q: redirect to %q, off the site", target, loc)
			}
		case http.StatusNotFound, http.StatusBadRequest:
		default:
			t.Fatalf("%q: status %d", target, rec.Code)
		}
	})
}
