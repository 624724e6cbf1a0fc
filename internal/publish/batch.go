package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/feedpub/feedpub/internal/filetype"
)

// Batch replaces many files with one flush to disk instead of an fsync
// per file and per directory, which made a first scan of 100,000 item
// pages take minutes. Write puts each file's new bytes in a temporary file
// beside it; Commit makes all of them durable at once, renames them over
// their targets in the order they were written (so a file is never
// published before the files it links to), and makes the renames durable.
// A crash before Commit leaves only temporary files, which the next write
// of the same target reuses.
//
// A file's precompressed variants (Dir.Precompress) are staged with it
// and published just before it: a crash between the two leaves the old
// file with new variants, which the next write of the file, seeing
// different bytes, replaces together. The reverse (a new file with stale
// variants) would be served by nginx for good.
//
// Write may be called from several goroutines; Commit from one, with no
// Write running.
type Batch struct {
	dir Dir

	mu      sync.Mutex
	pending []staged        // in write order, each file's variants before it
	queued  map[string]bool // paths in pending
	made    map[string]bool // directories known to exist
	files   int             // targets in pending that are not variants
}

// staged is one change Commit makes.
type staged struct {
	rel, path string
	variant   bool
	remove    bool // a variant that would go stale: delete it
}

// NewBatch starts a batch of writes under d.
func (d Dir) NewBatch() *Batch {
	return &Batch{dir: d, queued: map[string]bool{}, made: map[string]bool{}}
}

// Write stages data for rel unless the file already holds exactly data.
// It reports whether the file will change. With Dir.Precompress, a file
// that holds data already but lacks a variant (precompression was just
// turned on) gets the variant staged; the report is still false.
func (b *Batch) Write(rel string, data []byte) (bool, error) {
	return b.WriteChecked(rel, data, nil)
}

// CheckError is a document's failed check, returned by WriteChecked.
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// WriteChecked is Write with check called first whenever the file would
// change: a failure stages nothing and is returned as a *CheckError. A
// file that already holds data is not checked, since it replaces
// nothing; the index and OPML list of a big site were checked on every
// scan that added one listing file, mostly unchanged.
func (b *Batch) WriteChecked(rel string, data []byte, check func() error) (bool, error) {
	path, err := b.dir.path(rel)
	if err != nil {
		return false, err
	}
	fsys := b.dir.fs()
	old, err := fsys.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("publish: read %s: %w", path, err)
	}
	changed := err != nil || !bytes.Equal(old, data)
	if changed && check != nil {
		if err := check(); err != nil {
			return false, &CheckError{Err: err}
		}
	}
	var variants []staged
	var fresh []filetype.Coding // variants to compress and stage
	polled := filetype.Polled(rel)
	want := b.dir.Precompress && polled && precompressible(rel, len(data))
	for _, c := range filetype.Codings {
		v := staged{rel: rel + c.Ext, path: path + c.Ext, variant: true}
		switch {
		case want:
			if !changed {
				if _, err := fsys.Stat(v.path); err == nil {
					continue
				}
			}
			fresh = append(fresh, c)
		case changed || !polled:
			// A variant goes before its file changes, or a server picking
			// variants by name would serve it for newer bytes; and from
			// beside a file that no longer gets any (an archive page
			// written by an older feedpub), whether or not it changes.
			if _, err := fsys.Lstat(v.path); err != nil {
				continue // none
			}
			v.remove = true
		default:
			continue // precompression off: an unchanged file keeps its right variants
		}
		variants = append(variants, v)
	}
	zs, err := compressAll(fresh, data)
	if err != nil {
		return false, fmt.Errorf("%w (%s)", err, path)
	}
	for i, c := range fresh {
		if err := b.stage(path+c.Ext, zs[i]); err != nil {
			return false, err
		}
	}
	if changed {
		if err := b.stage(path, data); err != nil {
			return false, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, v := range variants {
		b.queue(v)
	}
	if changed {
		b.queue(staged{rel: rel, path: path})
	}
	return changed, nil
}

// stage writes data to path's temporary file.
func (b *Batch) stage(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := b.mkdir(dir); err != nil {
		return err
	}
	tmp := tempOf(path)
	if err := b.dir.fs().WriteFile(tmp, data); err != nil {
		b.dir.fs().Remove(tmp)
		return fmt.Errorf("publish: write %s: %w", path, err)
	}
	return nil
}

// queue adds s to pending once; b.mu is held.
func (b *Batch) queue(s staged) {
	if b.queued[s.path] {
		return
	}
	b.queued[s.path] = true
	b.pending = append(b.pending, s)
	if !s.variant {
		b.files++
	}
}

func tempOf(path string) string {
	return filepath.Join(filepath.Dir(path), TempPrefix+filepath.Base(path))
}

func (b *Batch) mkdir(dir string) error {
	b.mu.Lock()
	known := b.made[dir]
	b.mu.Unlock()
	if known {
		return nil
	}
	if err := b.dir.fs().MkdirAll(dir); err != nil {
		return fmt.Errorf("publish: create %s: %w", dir, err)
	}
	b.mu.Lock()
	b.made[dir] = true
	b.mu.Unlock()
	return nil
}

// Len is the number of files staged and not yet committed, variants not
// counted.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.files
}

// Changes returns the slash paths under Root that Commit will replace,
// create or delete, variants included, in the order it will. The
// uploader to object storage records them before Commit, so that a
// crash after it cannot lose one.
func (b *Batch) Changes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	rels := make([]string, len(b.pending))
	for i, s := range b.pending {
		rels[i] = s.rel
	}
	return rels
}

// Commit publishes every staged file and returns how many it replaced,
// variants not counted. On error, files already renamed stay published
// (each one whole), the rest stay staged as temporary files, and the
// batch must not be reused.
func (b *Batch) Commit() (int, error) {
	b.mu.Lock()
	pending, files := b.pending, b.files
	b.pending, b.queued, b.files = nil, map[string]bool{}, 0
	b.mu.Unlock()
	if len(pending) == 0 {
		return 0, nil
	}
	paths := make([]string, 0, len(pending))
	for _, s := range pending {
		if !s.remove {
			paths = append(paths, s.path)
		}
	}
	fsys := b.dir.fs()
	if err := syncAll(fsys, b.dir.Root, paths); err != nil {
		return 0, fmt.Errorf("publish: flush staged files: %w", err)
	}
	dirs := map[string]bool{}
	done := 0
	for _, s := range pending {
		if s.remove {
			if err := fsys.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return done, fmt.Errorf("publish: remove stale %s: %w", s.path, err)
			}
		} else if err := fsys.Rename(tempOf(s.path), s.path); err != nil {
			return done, fmt.Errorf("publish: replace %s: %w", s.path, err)
		}
		dirs[filepath.Dir(s.path)] = true
		if !s.variant {
			done++
		}
	}
	if err := syncDirs(fsys, b.dir.Root, dirs); err != nil {
		return files, fmt.Errorf("publish: flush renames: %w", err)
	}
	return files, nil
}
