// Package publish writes generated files under the output directory so
// that a reader (a web server, a poller, a CDN sync) only ever sees a whole
// old file or a whole new one, and an unchanged file is never touched, so
// its mtime, Last-Modified and ETag stay put.
package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Dir is an output directory.
type Dir struct {
	Root string
	// Precompress makes a Batch write X.gz and X.br beside each text file X
	// it publishes (see MinPrecompressSize), for servers that serve them
	// as they are (nginx gzip_static, a CDN). Off, a Batch removes the
	// variants of the files it replaces, so none goes stale.
	Precompress bool
	// FS is the file system written to; nil means OS.
	FS FS
}

// Write replaces the file at rel (a slash path under Root) with data,
// unless it already holds exactly data. It reports whether it wrote.
//
// The new bytes go to a temporary file in the same directory, which is
// synced, renamed over the target and the directory synced: after a crash
// the target holds the old or the new bytes, never a mix. The temporary
// name is fixed per target, so a killed write leaves at most one stray
// file, which the next write reuses; scans never run at once (the
// database lock), so nothing else writes it.
//
// Write makes no precompressed variants: a Batch does.
func (d Dir) Write(rel string, data []byte) (bool, error) {
	path, err := d.path(rel)
	if err != nil {
		return false, err
	}
	fsys := d.fs()
	old, err := fsys.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("publish: read %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := fsys.MkdirAll(dir); err != nil {
		return false, fmt.Errorf("publish: create %s: %w", dir, err)
	}
	tmp := filepath.Join(dir, TempPrefix+filepath.Base(path))
	err = fsys.WriteFile(tmp, data)
	if err == nil {
		err = fsys.SyncFile(tmp)
	}
	if err != nil {
		fsys.Remove(tmp)
		return false, fmt.Errorf("publish: write %s: %w", path, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		fsys.Remove(tmp)
		return false, fmt.Errorf("publish: replace %s: %w", path, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return true, fmt.Errorf("publish: sync %s: %w", dir, err)
	}
	return true, nil
}

// TempPrefix starts the names of files being written. Servers must not
// serve them; dotfiles are hidden anyway.
const TempPrefix = ".tmp-"

// Exists reports whether rel exists under Root.
func (d Dir) Exists(rel string) bool {
	path, err := d.path(rel)
	if err != nil {
		return false
	}
	_, err = d.fs().Stat(path)
	return err == nil
}

func (d Dir) path(rel string) (string, error) {
	clean := filepath.FromSlash(rel)
	if !filepath.IsLocal(clean) || strings.HasPrefix(filepath.Base(clean), ".") {
		return "", fmt.Errorf("publish: %q is not a plain path under the output directory", rel)
	}
	return filepath.Join(d.Root, clean), nil
}
