// Package upload copies the output directory's changed files to object
// storage, so that a CDN or the storage's own web endpoint can serve the
// feeds. The scan records each file it changes in the store's upload set
// before publishing it; Run uploads what the set holds and removes each
// file from it once stored, so a failed or killed upload is finished by
// the next scan, and a scan that changed nothing uploads nothing.
//
// Files go up in tiers, each finished before the next starts, so that a
// reader never fetches an object that links to one not yet stored: item
// pages, then archive pages, then subscription documents and feed pages,
// then the index and OPML list. Within a tier they go up in parallel.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/feedpub/feedpub/internal/filetype"
	"github.com/feedpub/feedpub/internal/store"
)

// Bucket is where files go: an S3 bucket, or a fake in tests. Keys are
// object names, the prefix included. Both must be safe to call from
// several goroutines; Remove of an absent object is not an error.
type Bucket interface {
	Put(ctx context.Context, key string, body io.Reader, size int64, h Header) error
	Remove(ctx context.Context, key string) error
}

// Header is what an object is stored with, for whoever serves it.
type Header struct {
	ContentType     string
	CacheControl    string
	ContentEncoding string // "gzip", "br" for precompressed variants; "" otherwise
}

// Options configure Run.
type Options struct {
	Dir    string // the output directory
	Prefix string // prepended to each file's path to make its key: "feeds/" or ""
	// Target names the destination (endpoint, bucket, prefix). When it is
	// not the one of the last upload, every file of Dir is queued: a new
	// bucket gets the whole site.
	Target string
	// MaxAge is the Cache-Control max-age of files that may change; full
	// archive pages get a year, immutable, as feedpub serve sends them.
	MaxAge time.Duration
	// Workers is how many uploads run at once; 0 means DefaultWorkers.
	Workers int
}

// DefaultWorkers is how many uploads run at once: enough to hide the
// round trips to a remote region, few enough not to be throttled.
const DefaultWorkers = 16

// metaTarget is the store's meta key of the last Target uploaded to.
const metaTarget = "upload_target"

// Result tells what Run did.
type Result struct {
	Uploaded int // objects stored
	Removed  int // objects deleted: their files are gone
	Pending  int // files still to upload, for the next scan
}

// Failure is an upload that failed: the object and why.
type Failure struct {
	Key string
	Err error
}

func (f *Failure) Error() string { return "upload " + f.Key + ": " + f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// clearEvery bounds the uploads done between two store updates (each an
// fsync): a killed run uploads at most that many again.
const clearEvery = 512

// Run uploads the files of the upload set to b, tier by tier. It stops at
// the end of the first tier with a failure (the tiers after it would link
// to what is missing) and returns the failures joined, each a *Failure
// naming its object; what was not stored stays in the set.
func Run(ctx context.Context, db *store.DB, b Bucket, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	res := &Result{}
	if err := queueAll(db, opts); err != nil {
		return res, err
	}
	var todo []string
	if err := db.View(func(tx *store.Tx) error { todo = tx.Uploads(); return nil }); err != nil {
		return res, err
	}
	u := &uploader{db: db, b: b, opts: opts, res: res,
		cacheControl: "public, max-age=" + strconv.FormatInt(int64(opts.MaxAge/time.Second), 10)}
	var err error
	for _, tier := range Tiers(todo) {
		if err = u.tier(ctx, tier); err != nil {
			break
		}
	}
	if ferr := u.flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	db.View(func(tx *store.Tx) error { res.Pending = tx.PendingUploads(); return nil })
	return res, err
}

// Pending reports how many files wait to be uploaded. A scan that
// changed nothing, to a known target, has none and needs no connection.
func Pending(db *store.DB, target string) (int, error) {
	n := 0
	err := db.View(func(tx *store.Tx) error {
		n = tx.PendingUploads()
		if tx.Meta(metaTarget) != target {
			n = max(n, 1) // at least: the whole directory is to go
		}
		return nil
	})
	return n, err
}

// queueAll puts every file of the output directory in the upload set
// when the target is new, and records the target.
func queueAll(db *store.DB, opts Options) error {
	var last string
	db.View(func(tx *store.Tx) error { last = tx.Meta(metaTarget); return nil })
	if last == opts.Target {
		return nil
	}
	var all []string
	err := filepath.WalkDir(opts.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == opts.Dir {
				return fs.SkipAll
			}
			return err
		}
		if p != opts.Dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // the publisher's temporary files, dotfiles
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(opts.Dir, p)
			if err != nil {
				return err
			}
			all = append(all, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upload: list %s: %w", opts.Dir, err)
	}
	return db.Update(func(tx *store.Tx) error {
		if err := tx.AddUploads(all...); err != nil {
			return err
		}
		return tx.SetMeta(metaTarget, opts.Target)
	})
}

// Tiers sorts files into the order they must be uploaded in, the order
// the scan publishes them in: each tier links only to tiers before it and
// to itself. A precompressed variant goes with its file.
func Tiers(rels []string) [][]string {
	const (
		assets   = iota // the stylesheet every page links to
		items           // item pages link to feed pages, which exist once a category does
		archives        // full archive pages link to item pages
		feeds           // subscription documents and feed pages link to both
		top             // index.html and feeds.opml link to every feed
		n
	)
	tiers := make([][]string, n)
	for _, rel := range rels {
		main, _, _ := filetype.SplitVariant(rel)
		t := feeds
		switch {
		case filetype.Stylesheet(main):
			t = assets
		case strings.HasPrefix(main, "item/"):
			t = items
		case filetype.Immutable(main):
			t = archives
		case !strings.Contains(main, "/"):
			t = top
		}
		tiers[t] = append(tiers[t], rel)
	}
	return tiers
}

type uploader struct {
	db           *store.DB
	b            Bucket
	opts         Options
	cacheControl string

	mu   sync.Mutex
	res  *Result
	done []string // stored, not yet cleared from the set
}

// tier uploads one tier in parallel. The first failure cancels the rest
// of the tier: the client has retried it already, and the others would
// most likely fail alike. Every failure is returned.
func (u *uploader) tier(ctx context.Context, rels []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.opts.Workers)
	var mu sync.Mutex
	var failed []error
	for _, rel := range rels {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // stays in the set
			}
			err := u.one(gctx, rel)
			if err == nil {
				return nil
			}
			if ctx.Err() == nil && gctx.Err() != nil && errors.Is(err, context.Canceled) {
				return nil // canceled by another's failure: stays in the set
			}
			mu.Lock()
			failed = append(failed, err)
			mu.Unlock()
			return err
		})
	}
	g.Wait()
	if len(failed) == 0 && ctx.Err() != nil {
		return fmt.Errorf("upload: %w", context.Cause(ctx))
	}
	return errors.Join(failed...)
}

// one stores the file at rel, or deletes its object if the file is gone.
func (u *uploader) one(ctx context.Context, rel string) error {
	key := u.opts.Prefix + rel
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) {
		return &Failure{Key: key, Err: errors.New("not a path under the output directory")}
	}
	f, err := os.Open(filepath.Join(u.opts.Dir, local))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := u.b.Remove(ctx, key); err != nil {
			return &Failure{Key: key, Err: err}
		}
		return u.succeeded(rel, false)
	case err != nil:
		return &Failure{Key: key, Err: err}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return &Failure{Key: key, Err: err}
	}
	if err := u.b.Put(ctx, key, f, info.Size(), u.header(rel)); err != nil {
		return &Failure{Key: key, Err: err}
	}
	return u.succeeded(rel, true)
}

// header describes the object of rel as feedpub serve describes the file:
// a variant X.gz is X with Content-Encoding gzip.
func (u *uploader) header(rel string) Header {
	main, c, _ := filetype.SplitVariant(rel)
	ctype, _ := filetype.Of(main)
	h := Header{ContentType: ctype, CacheControl: u.cacheControl, ContentEncoding: c.Name}
	if filetype.Immutable(main) {
		h.CacheControl = filetype.ImmutableCacheControl
	}
	return h
}

// succeeded counts an upload and clears it from the set, a batch at a time.
func (u *uploader) succeeded(rel string, stored bool) error {
	u.mu.Lock()
	if stored {
		u.res.Uploaded++
	} else {
		u.res.Removed++
	}
	u.done = append(u.done, rel)
	full := len(u.done) >= clearEvery
	u.mu.Unlock()
	if full {
		return u.flush()
	}
	return nil
}

// flush clears the uploads done from the set.
func (u *uploader) flush() error {
	u.mu.Lock()
	done := u.done
	u.done = nil
	u.mu.Unlock()
	if len(done) == 0 {
		return nil
	}
	return u.db.Update(func(tx *store.Tx) error { return tx.ClearUploads(done) })
}
