package scan_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

// seedDir holds the five real listings shipped as example data.
const seedDir = "../../data/listings"

// t0 is the fixed clock of most tests: after every seed date.
var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// env is one scan setup in a temp dir: listings, database, output.
type env struct {
	t   *testing.T
	dir string
	cfg config.Config
	now time.Time
}

func newEnv(t *testing.T, seeds bool) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.ListingsDir = filepath.Join(dir, "listings")
	cfg.DBPath = filepath.Join(dir, "feedpub.db")
	cfg.OutDir = filepath.Join(dir, "feeds")
	cfg.BaseURL = "https://feeds.example.org/"
	cfg.Title = "Cooperative news"
	cfg.TagAuthority = "example.org"
	cfg.TagDate = "2026-01-01"
	cfg.LockTimeout = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.ListingsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfg: cfg, now: t0}
	if seeds {
		names, err := filepath.Glob(filepath.Join(seedDir, "*.txt"))
		if err != nil || len(names) != 5 {
			t.Fatalf("seed listings: %v %v", names, err)
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			e.write(filepath.Base(n), string(data))
		}
	}
	return e
}

// write puts a listing file in place with an mtime that moves forward, so
// the scan sees a change even within one clock tick.
func (e *env) write(name, text string) {
	e.t.Helper()
	p := filepath.Join(e.cfg.ListingsDir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) open() *store.DB {
	e.t.Helper()
	db, err := store.Open(e.cfg.DBPath, store.Options{Timeout: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	return db
}

// scan runs one scan at the env's clock and advances the clock a minute.
func (e *env) scan(opts ...func(*scan.Options)) *scan.Summary {
	e.t.Helper()
	sum, err := e.scanErr(opts...)
	if err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	return sum
}

func (e *env) scanErr(opts ...func(*scan.Options)) (*scan.Summary, error) {
	e.t.Helper()
	db := e.open()
	defer db.Close()
	now := e.now
	o := scan.Options{Config: e.cfg, Now: func() time.Time { return now }}
	for _, f := range opts {
		f(&o)
	}
	e.now = e.now.Add(time.Minute)
	return scan.Run(context.Background(), db, o)
}

func (e *env) items() []*model.Item {
	e.t.Helper()
	db := e.open()
	defer db.Close()
	var items []*model.Item
	err := db.View(func(tx *store.Tx) error {
		return tx.ForEachItem(func(it *model.Item) error {
			items = append(items, it)
			return nil
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return items
}

func (e *env) feeds() map[string]*model.Feed {
	e.t.Helper()
	db := e.open()
	defer db.Close()
	out := map[string]*model.Feed{}
	err := db.View(func(tx *store.Tx) error {
		fs, err := tx.Feeds()
		for _, f := range fs {
			out[f.Path] = f
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// parse parses an output file with gofeed, the parser many Go readers use.
func (e *env) parse(rel string) *gofeed.Feed {
	e.t.Helper()
	f, err := os.Open(filepath.Join(e.cfg.OutDir, filepath.FromSlash(rel)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		e.t.Fatalf("gofeed %s: %v", rel, err)
	}
	return feed
}

// fileState is a file's bytes and mtime, to prove a scan did not touch it.
type fileState struct {
	data    string
	modTime time.Time
}

func (e *env) outputs() map[string]fileState {
	e.t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(e.cfg.OutDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.cfg.OutDir, p)
		// A precompressed variant is compared by what it holds.
		if data, err = decodeVariant(rel, data); err != nil {
			e.t.Errorf("%s: %v", rel, err)
		}
		out[filepath.ToSlash(rel)] = fileState{string(data), info.ModTime()}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// decodeVariant returns what a precompressed variant (X.gz, X.br) holds;
// other files as they are.
func decodeVariant(name string, data []byte) ([]byte, error) {
	var r io.Reader
	switch filepath.Ext(name) {
	case ".gz":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = zr
	case ".br":
		r = brotli.NewReader(bytes.NewReader(data))
	default:
		return data, nil
	}
	return io.ReadAll(r)
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func feedsOfKind(m map[string]*model.Feed, kind model.FeedKind) []*model.Feed {
	var out []*model.Feed
	for _, k := range keys(m) {
		if m[k].Kind == kind {
			out = append(out, m[k])
		}
	}
	return out
}

func count(items []*gofeed.Item, title string) int {
	n := 0
	for _, it := range items {
		if strings.TrimSpace(it.Title) == title {
			n++
		}
	}
	return n
}
