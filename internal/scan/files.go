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
	"strings"
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
	var cands []candidate
	var problems []*listing.Error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			problems = append(problems, fileError(relPath(root, path), "cannot read: %v", unwrapPath(err)))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if path != root && strings.HasPrefix(name, ".") {
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
		if !isLink && !isListing {
			return nil
		}
		rel := relPath(root, path)
		info, err := os.Stat(path) // follows symlinks
		switch {
		case err != nil && isLink:
			problems = append(problems, fileError(rel, "broken symlink or symlink loop: %v", unwrapPath(err)))
			return nil
		case err != nil:
			problems = append(problems, fileError(rel, "cannot read: %v", unwrapPath(err)))
			return nil
		case info.IsDir():
			problems = append(problems, warning(rel, "is a symlink to a directory; not followed"))
			return nil
		case !isListing:
			return nil
		case !info.Mode().IsRegular():
			problems = append(problems, warning(rel, "is not a regular file; skipped"))
			return nil
		}
		cands = append(cands, candidate{rel: rel, abs: path, size: info.Size(), modTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, problems, fmt.Errorf("scan: list %s: %w", root, err)
	}
	return cands, problems, nil
}

func relPath(root, path string) string {
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
