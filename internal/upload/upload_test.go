package upload_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/store/storetest"
	"github.com/feedpub/feedpub/internal/upload"
)

// bucket is a Bucket in memory that records each call in order.
type bucket struct {
	mu      sync.Mutex
	objects map[string]object
	calls   []string // "put KEY", "remove KEY"
	fail    func(key string) error
}

type object struct {
	body string
	h    upload.Header
}

func newBucket() *bucket { return &bucket{objects: map[string]object{}} }

func (b *bucket) Put(ctx context.Context, key string, body io.Reader, size int64, h upload.Header) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if int64(len(data)) != size {
		return errors.New("size does not match the body")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		if err := b.fail(key); err != nil {
			return err
		}
	}
	b.objects[key] = object{string(data), h}
	b.calls = append(b.calls, "put "+key)
	return nil
}

func (b *bucket) Remove(ctx context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objects, key)
	b.calls = append(b.calls, "remove "+key)
	return nil
}

func (b *bucket) reset() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	calls := b.calls
	b.calls = nil
	return calls
}

// site is an output directory as a scan leaves it.
var site = []string{
	"style.0123456789ab.css", "index.html", "index.html.gz", "index.html.br", "feeds.opml",
	"all/rss.xml", "all/rss.xml.gz", "all/rss.xml.br", "all/atom.xml", "all/feed.json", "all/index.html",
	"all/archive/1/rss.xml", "all/archive/1/rss.xml.gz", "all/archive/1/feed.json",
	"category/news/rss.xml", "category/news/archive/2/atom.xml",
	"item/2017/10/31/rokin-labour-banks-467a7c.html", "item/2017/10/31/rokin-labour-banks-467a7c.html.br",
	"item/2017/11/01/another-1b2c3d.html",
}

type env struct {
	t    *testing.T
	dir  string
	db   *store.DB
	opts upload.Options
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	for _, rel := range site {
		write(t, dir, rel, "content of "+rel)
	}
	// What the server and uploader never publish.
	write(t, dir, "all/.tmp-rss.xml", "half a file")
	write(t, dir, ".hidden/x.html", "a dotfile")
	return &env{t: t, dir: dir, db: storetest.MustOpen(t),
		opts: upload.Options{Dir: dir, Prefix: "feeds/", Target: "test s3://b/feeds/", MaxAge: 5 * time.Minute, Workers: 4}}
}

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *env) run(b upload.Bucket) (*upload.Result, error) {
	e.t.Helper()
	return upload.Run(context.Background(), e.db, b, e.opts)
}

func (e *env) pending() []string {
	var p []string
	e.db.View(func(tx *store.Tx) error { p = tx.Uploads(); return nil })
	return p
}

// tierOf is the tier a key must be uploaded in.
func tierOf(key string) int {
	switch {
	case strings.HasSuffix(key, ".css"):
		return 0
	case strings.Contains(key, "/item/"):
		return 1
	case strings.Contains(key, "/archive/"):
		return 2
	case strings.Count(key, "/") == 1:
		return 4
	}
	return 3
}

// checkOrder fails if an object was stored before one of an earlier tier
// that the same run stored.
func checkOrder(t *testing.T, calls []string) {
	t.Helper()
	highest := -1
	for _, c := range calls {
		tier := tierOf(c)
		if tier < highest {
			t.Errorf("%s after an object of tier %d: %v", c, highest, calls)
			return
		}
		highest = tier
	}
}

func TestTiers(t *testing.T) {
	t.Parallel()
	got := upload.Tiers(site)
	want := [][]string{
		{"style.0123456789ab.css"},
		{"item/2017/10/31/rokin-labour-banks-467a7c.html", "item/2017/10/31/rokin-labour-banks-467a7c.html.br", "item/2017/11/01/another-1b2c3d.html"},
		{"all/archive/1/rss.xml", "all/archive/1/rss.xml.gz", "all/archive/1/feed.json", "category/news/archive/2/atom.xml"},
		{"all/rss.xml", "all/rss.xml.gz", "all/rss.xml.br", "all/atom.xml", "all/feed.json", "all/index.html", "category/news/rss.xml"},
		{"index.html", "index.html.gz", "index.html.br", "feeds.opml"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d tiers, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("tier %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// A new target gets every published file, in tiers, each with the type
// and caching feedpub serve would send; then nothing is pending, and a run
// with nothing new uploads nothing.
func TestFirstRunUploadsEverythingInOrderThenNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBucket()
	res, err := e.run(b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != len(site) || res.Removed != 0 || res.Pending != 0 {
		t.Errorf("result %+v, want %d uploaded and none pending", res, len(site))
	}
	checkOrder(t, b.reset())
	for _, rel := range site {
		o, ok := b.objects["feeds/"+rel]
		if !ok || o.body != "content of "+rel {
			t.Errorf("feeds/%s: not stored whole (%v)", rel, ok)
		}
	}
	for key, want := range map[string]upload.Header{
		"feeds/all/rss.xml":                                       {"application/rss+xml; charset=utf-8", "public, max-age=300", ""},
		"feeds/all/rss.xml.gz":                                    {"application/rss+xml; charset=utf-8", "public, max-age=300", "gzip"},
		"feeds/all/rss.xml.br":                                    {"application/rss+xml; charset=utf-8", "public, max-age=300", "br"},
		"feeds/all/archive/1/rss.xml.gz":                          {"application/rss+xml; charset=utf-8", "public, max-age=31536000, immutable", "gzip"},
		"feeds/all/archive/1/feed.json":                           {"application/feed+json; charset=utf-8", "public, max-age=31536000, immutable", ""},
		"feeds/feeds.opml":                                        {"text/x-opml; charset=utf-8", "public, max-age=300", ""},
		"feeds/item/2017/10/31/rokin-labour-banks-467a7c.html.br": {"text/html; charset=utf-8", "public, max-age=300", "br"},
	} {
		if got := b.objects[key].h; got != want {
			t.Errorf("%s: %+v, want %+v", key, got, want)
		}
	}
	for key := range b.objects {
		if strings.Contains(key, ".tmp-") || strings.Contains(key, ".hidden") {
			t.Errorf("%s uploaded", key)
		}
	}
	res, err = e.run(b)
	if err != nil || res.Uploaded+res.Removed != 0 {
		t.Errorf("second run: %+v %v, want nothing uploaded", res, err)
	}
	if calls := b.reset(); len(calls) != 0 {
		t.Errorf("second run called the bucket: %v", calls)
	}
}

// After the first run, only what the scan recorded goes up; a file that
// is gone is deleted.
func TestOnlyRecordedFilesGoUpAndGoneFilesAreDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBucket()
	if _, err := e.run(b); err != nil {
		t.Fatal(err)
	}
	b.reset()
	write(t, e.dir, "all/rss.xml", "new feed")
	write(t, e.dir, "item/2017/12/01/new-aaaaaa.html", "new page")
	os.Remove(filepath.Join(e.dir, "all", "rss.xml.br")) // precompression turned off: a stale variant removed
	e.db.Update(func(tx *store.Tx) error {
		return tx.AddUploads("all/rss.xml", "all/rss.xml.br", "index.html", "item/2017/12/01/new-aaaaaa.html")
	})
	res, err := e.run(b)
	if err != nil {
		t.Fatal(err)
	}
	calls := b.reset()
	checkOrder(t, calls)
	slices.Sort(calls)
	want := []string{"put feeds/all/rss.xml", "put feeds/index.html", "put feeds/item/2017/12/01/new-aaaaaa.html", "remove feeds/all/rss.xml.br"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	if res.Uploaded != 3 || res.Removed != 1 || res.Pending != 0 {
		t.Errorf("result %+v", res)
	}
	if _, ok := b.objects["feeds/all/rss.xml.br"]; ok || b.objects["feeds/all/rss.xml"].body != "new feed" {
		t.Error("bucket does not match the directory")
	}
}

// A failed upload stops the run before any tier that could link to it,
// names the object, and stays pending with everything after it; the next
// run uploads exactly those.
func TestAFailedUploadStaysPendingAndNothingLinksToIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBucket()
	down := errors.New("connection refused")
	b.fail = func(key string) error {
		if key == "feeds/all/archive/1/feed.json" {
			return down
		}
		return nil
	}
	e.opts.Workers = 1 // deterministic: the rest of the archive tier is not tried
	res, err := e.run(b)
	var f *upload.Failure
	if !errors.As(err, &f) || f.Key != "feeds/all/archive/1/feed.json" || !errors.Is(err, down) {
		t.Fatalf("err = %v, want a Failure naming feeds/all/archive/1/feed.json", err)
	}
	if !strings.Contains(err.Error(), "feeds/all/archive/1/feed.json") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("message %q names neither the object nor the cause", err)
	}
	calls := b.reset()
	checkOrder(t, calls)
	for _, c := range calls {
		if tierOf(c) > 2 {
			t.Errorf("%s uploaded after a failure in the archive tier", c)
		}
	}
	pending := e.pending()
	if !slices.Contains(pending, "all/archive/1/feed.json") || !slices.Contains(pending, "index.html") || slices.Contains(pending, "item/2017/11/01/another-1b2c3d.html") {
		t.Errorf("pending %q: want the failed object and the tiers after it, not the item pages stored", pending)
	}
	if res.Pending != len(pending) || res.Uploaded != len(site)-len(pending) {
		t.Errorf("result %+v with %d pending", res, len(pending))
	}

	b.fail = nil
	res, err = e.run(b)
	if err != nil {
		t.Fatal(err)
	}
	calls = b.reset()
	checkOrder(t, calls)
	if res.Uploaded != len(pending) || len(calls) != len(pending) || len(e.pending()) != 0 {
		t.Errorf("retry: %+v, %d calls, want exactly the %d pending", res, len(calls), len(pending))
	}
	if len(b.objects) != len(site) {
		t.Errorf("%d objects, want %d", len(b.objects), len(site))
	}
}

// A canceled run (the scan was stopped) keeps what it did not upload.
func TestCanceledRunKeepsTheRestPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	b := newBucket()
	b.fail = func(key string) error {
		cancel()
		return nil
	}
	e.opts.Workers = 1
	_, err := upload.Run(ctx, e.db, b, e.opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if n := len(e.pending()); n == 0 || n == len(site) {
		t.Errorf("%d pending, want the rest of %d", n, len(site))
	}
}

// Another target (bucket, prefix, endpoint) gets the whole site again.
func TestANewTargetGetsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.run(newBucket()); err != nil {
		t.Fatal(err)
	}
	if n, _ := upload.Pending(e.db, e.opts.Target); n != 0 {
		t.Errorf("Pending = %d after a full run", n)
	}
	e.opts.Target, e.opts.Prefix = "test s3://other/", ""
	if n, _ := upload.Pending(e.db, e.opts.Target); n == 0 {
		t.Error("Pending = 0 for a new target")
	}
	b := newBucket()
	res, err := e.run(b)
	if err != nil || res.Uploaded != len(site) {
		t.Errorf("new target: %+v %v, want %d uploaded", res, err, len(site))
	}
	if _, ok := b.objects["index.html"]; !ok {
		t.Error("the empty prefix was not honoured")
	}
}
