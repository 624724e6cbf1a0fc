package cli_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/feedpub/feedpub/internal/cli"
)

// fakeS3 is the little of S3 that feedpub uses, path-style: HEAD of a
// bucket, PUT and DELETE of objects. Signatures are not checked (the
// end-to-end test in scripts/test-s3 runs a real server).
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string]http.Header // key → the headers it was stored with
	puts    []string               // keys stored, in order
	deny    string                 // a key refused with 403
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case bucket != "feeds":
		w.WriteHeader(http.StatusNotFound)
	case key == "" && r.Method == http.MethodHead:
	case r.Method == http.MethodPut && key == f.deny:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
	case r.Method == http.MethodPut:
		io.Copy(io.Discard, r.Body)
		f.objects[key] = r.Header.Clone()
		f.puts = append(f.puts, key)
		w.Header().Set("ETag", `"`+strconv.Itoa(len(f.puts))+`"`)
	case r.Method == http.MethodDelete:
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotImplemented)
	}
}

func (f *fakeS3) takePuts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	puts := f.puts
	f.puts = nil
	return puts
}

var uploadLine = regexp.MustCompile(`msg="upload finished" to=s3://feeds/site/ uploaded=(\d+) removed=0 pending=(\d+)`)

// uploaded reads the upload summary line of a scan.
func uploaded(t *testing.T, stderr string) (int, int) {
	t.Helper()
	m := uploadLine.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no upload line:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	p, _ := strconv.Atoi(m[2])
	return n, p
}

// Not parallel: the credentials are read from the process's environment,
// as AWS tools read them.
func TestScanPublishesToS3(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "feedpub")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "feedpub-secret")
	fake := &fakeS3{objects: map[string]http.Header{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir, flags := workdir(t)
	flags = append(flags, "--publish", "s3://feeds/site", "--s3-endpoint", srv.URL, "--s3-region", "us-east-1", "--max-age", "10m")
	scan := func() run { return feedpub(t, nil, append([]string{"scan"}, flags...)...) }

	r := scan()
	if r.code != cli.ExitOK {
		t.Fatalf("first scan exit %d:\n%s", r.code, r.stderr)
	}
	var local []string
	filepath.WalkDir(filepath.Join(dir, "feeds"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(filepath.Join(dir, "feeds"), p)
			local = append(local, filepath.ToSlash(rel))
		}
		return err
	})
	if n, p := uploaded(t, r.stderr); n != len(local) || p != 0 || len(fake.takePuts()) != n {
		t.Errorf("first scan uploaded %d, %d pending; want every one of the %d local files", n, p, len(local))
	}
	for _, rel := range local {
		if fake.objects["site/"+rel] == nil {
			t.Errorf("site/%s not uploaded", rel)
		}
	}
	for key, want := range map[string][3]string{
		"site/all/rss.xml":    {"application/rss+xml; charset=utf-8", "public, max-age=600", ""},
		"site/all/rss.xml.gz": {"application/rss+xml; charset=utf-8", "public, max-age=600", "gzip"},
		"site/index.html.br":  {"text/html; charset=utf-8", "public, max-age=600", "br"},
	} {
		h := fake.objects[key]
		if got := [3]string{h.Get("Content-Type"), h.Get("Cache-Control"), h.Get("Content-Encoding")}; got != want {
			t.Errorf("%s stored with %q, want %q", key, got, want)
		}
	}

	r = scan()
	if n, _ := uploaded(t, r.stderr); r.code != cli.ExitOK || n != 0 || len(fake.takePuts()) != 0 {
		t.Errorf("no-change scan: exit %d, uploaded %d:\n%s", r.code, n, r.stderr)
	}

	// A refused object: exit 1 naming it; the feeds are published here
	// and the object, with the tiers after it, waits for the next scan.
	news := "Spring news\n\n  1. News\n\n    A new item about cooperatives\n\n    1 May 2026\n"
	if err := os.WriteFile(filepath.Join(dir, "listings", "new.txt"), []byte(news), 0o644); err != nil {
		t.Fatal(err)
	}
	fake.deny = "site/category/news/rss.xml"
	r = scan()
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "site/category/news/rss.xml") || !strings.Contains(r.stderr, "Access Denied") {
		t.Fatalf("refused upload: exit %d, want %d naming the object and the cause:\n%s", r.code, cli.ExitFatal, r.stderr)
	}
	if n := items(t, filepath.Join(dir, "feeds", "category", "news", "rss.xml")); n != 25 {
		t.Errorf("local news feed has %d items, want 25: published despite the failed upload", n)
	}
	_, pending := uploaded(t, r.stderr)
	puts := fake.takePuts()
	if pending == 0 || len(puts) == 0 || !strings.HasPrefix(puts[0], "site/item/") {
		t.Errorf("uploaded %q, %d pending: want the new item page up and the rest pending", puts, pending)
	}
	for _, key := range puts {
		if !strings.Contains(strings.TrimPrefix(key, "site/"), "/") {
			t.Errorf("%s uploaded: it links to the feed that was refused", key)
		}
	}
	var st struct {
		PendingUploads int `json:"pending_uploads"`
	}
	json.Unmarshal([]byte(feedpub(t, nil, "stats", "--json", "--db", filepath.Join(dir, "feedpub.db")).stdout), &st)
	if st.PendingUploads != pending {
		t.Errorf("stats: %d pending uploads, the scan said %d", st.PendingUploads, pending)
	}

	fake.deny = ""
	r = scan()
	// Distinct keys: a PUT of the refused scan that was in flight when it
	// gave up can reach the server late, and is pending (so put again) all
	// the same.
	retried := map[string]bool{}
	for _, key := range fake.takePuts() {
		retried[key] = true
	}
	if n, p := uploaded(t, r.stderr); r.code != cli.ExitOK || n != pending || p != 0 || len(retried) != pending {
		t.Errorf("retry: exit %d, uploaded %d (%d left), %d objects put, want the %d pending:\n%s", r.code, n, p, len(retried), pending, r.stderr)
	}
}
