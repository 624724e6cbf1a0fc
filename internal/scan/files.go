package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedpub/feedpub/internal/listing"
)

// ListingExt is the extension of listing files; other files are ignored.
const ListingExt = ".txt"

// candidate is a listing file found by the walk.
type candidate struct {
	rel     string // slash path relative to the listings dir: the record key
	abs     string
	size    int64
	modTime time.Time
}

// walk lists the listing files under root in path order: *.txt files,
// recursively, skipping dotfiles and dot-directories. A symlink to a file
// is followed; a symlink to a directory, a broken one or a loop is
// reported and skipped, so one bad link cannot hide or multiply files.
func walk(root string) ([]candidate, []*listing.Error, error) {
	var w walker
	if err := w.tree(root, root); err != nil {
		return nil, w.problems, fmt.Errorf("scan: list %s: %w", root, err)
	}
	return w.cands, w.problems, nil
}

// walkPaths lists the listing files at rels, paths relative to root that
// may have changed (from file system notifications): files, or directories
// walked whole. Paths that no longer exist are skipped: a listing file
// that goes away takes nothing with it.
func walkPaths(root string, rels []string) ([]candidate, []*listing.Error, error) {
	var w walker
	seen := map[string]bool{}
	for _, rel := range rels {
		p := filepath.FromSlash(rel)
		if !filepath.IsLocal(p) || dotted(p) {
			continue
		}
		abs := filepath.Join(root, p)
		if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := w.tree(root, abs); err != nil {
			w.problems = append(w.problems, fileError(rel, "cannot read: %v", unwrapPath(err)))
		}
	}
	cands := w.cands[:0]
	for _, c := range w.cands {
		if !seen[c.rel] {
			seen[c.rel] = true
			cands = append(cands, c)
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return strings.Compare(a.rel, b.rel) })
	return cands, w.problems, nil
}

// dotted reports whether a relative path has a dotfile or dot-directory
// in it.
func dotted(rel string) bool {
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// walker collects candidates and problems over one or more walks.
type walker struct {
	cands    []candidate
	problems []*listing.Error
}

// tree walks start, inside the listings dir root. It lists first and
// stats afterwards, on several goroutines: a stat per file is most of
// what a rescan of 100,000 unchanged files costs.
func (w *walker) tree(root, start string) error {
	var found []entry
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == start {
				return err
			}
			w.problems = append(w.problems, fileError(relPath(root, path), "cannot read: %v", unwrapPath(err)))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if path != start && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		isLink := d.Type()&fs.ModeSymlink != 0
		isListing := strings.EqualFold(filepath.Ext(name), ListingExt)
		if isLink || isListing {
			found = append(found, entry{rel: relPath(root, path), abs: path, isLink: isLink, isListing: isListing})
		}
		return nil
	})
	if err != nil {
		return err
	}
	statAll(found)
	for _, e := range found {
		switch {
		case e.err != nil && e.isLink:
			w.problems = append(w.problems, fileError(e.rel, "broken symlink or symlink loop: %v", unwrapPath(e.err)))
		case e.err != nil:
			w.problems = append(w.problems, fileError(e.rel, "cannot read: %v", unwrapPath(e.err)))
		case e.mode.IsDir():
			w.problems = append(w.problems, warning(e.rel, "is a symlink to a directory; not followed"))
		case !e.isListing:
		case !e.mode.IsRegular():
			w.problems = append(w.problems, warning(e.rel, "is not a regular file; skipped"))
		default:
			w.cands = append(w.cands, candidate{rel: e.rel, abs: e.abs, size: e.size, modTime: e.modTime})
		}
	}
	return nil
}

// entry is a file found by the walk, and then its stat.
type entry struct {
	rel, abs          string
	isLink, isListing bool
	mode              fs.FileMode
	size              int64
	modTime           time.Time
	err               error
}

// statSlow stats e by its path, following a symlink.
func (e *entry) statSlow() {
	info, err := os.Stat(e.abs)
	if err != nil {
		e.err = err
		return
	}
	e.mode, e.size, e.modTime = info.Mode(), info.Size(), info.ModTime()
}

// statAll stats every entry, following symlinks, on a few goroutines:
// the calls wait on the kernel more than they compute.
func statAll(es []entry) {
	const perWorker = 1024
	workers := min(runtime.GOMAXPROCS(0)*2, (len(es)+perWorker-1)/perWorker)
	if workers <= 1 {
		var d dirStatter
		defer d.close()
		for i := range es {
			d.stat(&es[i])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var d dirStatter
			defer d.close()
			for {
				lo := int(next.Add(perWorker)) - perWorker
				if lo >= len(es) {
					return
				}
				for i := lo; i < min(lo+perWorker, len(es)); i++ {
					d.stat(&es[i])
				}
			}
		})
	}
	wg.Wait()
}

func relPath(root, path string) string {
	// The walk's paths start with root: trimming it is what filepath.Rel
	// would do, without its cleaning of both, once per listing file.
	if rest, ok := strings.CutPrefix(path, root); ok && len(rest) > 1 && os.IsPathSeparator(rest[0]) && !strings.HasSuffix(root, string(filepath.Separator)) {
		return filepath.ToSlash(rest[1:])
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// unwrapPath drops the path from an *fs.PathError: the problem already
// names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fileError(file, format string, args ...any) *listing.Error {
	return &listing.Error{File: file, Msg: fmt.Sprintf(format, args...)}
}

func warning(file, format string, args ...any) *listing.Error {
	return &listing.Error{File: file, Msg: fmt.Sprintf(format, args...), Warning: true}
}

// read is one candidate read whole, or found too large to read.
type read struct {
	cand     candidate
	size     int64
	modTime  time.Time
	sum      [32]byte // SHA-256 of data
	hash     string   // sum in hex; "" when too large
	data     []byte
	tooLarge bool
}

// testHook, set only by this package's tests (export_test.go), runs in
// readFile at "open", just before the file is opened, and at "read",
// between its first stat and the read, so that a test can make a file
// vanish or change at exactly those moments.
var testHook func(point, path string)

// errChanged reports a file that changed while it was read.
var errChanged = errors.New("changed while being read; it will be read again by the next scan")

// readFile reads a candidate whole and hashes it. The size and mtime it
// returns are those of the open file before reading: if the file changes
// during the read, the read is discarded (a writer that replaces files in
// place can be caught half way) and left for the next scan. Problems it
// returns are transient: nothing is recorded, the next scan tries again.
func readFile(c candidate) (read, *listing.Error) {
	r := read{cand: c}
	if testHook != nil {
		testHook("open", c.abs)
	}
	f, err := os.Open(c.abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return r, warning(c.rel, "disappeared before it could be read")
		}
		return r, fileError(c.rel, "cannot read: %v", unwrapPath(err))
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return r, fileError(c.rel, "cannot read: %v", unwrapPath(err))
	}
	r.size, r.modTime = before.Size(), before.ModTime()
	if before.Size() > listing.MaxFileSize {
		r.tooLarge = true
		return r, nil
	}
	if testHook != nil {
		testHook("read", c.abs)
	}
	data, err := io.ReadAll(io.LimitReader(f, listing.MaxFileSize+1))
	if err != nil {
		return r, fileError(c.rel, "cannot read: %v", unwrapPath(err))
	}
	after, err := os.Stat(c.abs)
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || int64(len(data)) != before.Size() {
		return r, warning(c.rel, "%v", errChanged)
	}
	r.sum = sha256.Sum256(data)
	r.hash, r.data = hex.EncodeToString(r.sum[:]), data
	return r, nil
}
