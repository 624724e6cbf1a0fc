package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WriteTo writes a consistent copy of the whole database to w from one
// read transaction (bbolt's hot backup): the state of the last commit
// before it began, whatever commits meanwhile.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: copy %s: %w", db.path, err)
	}
	return n, nil
}

// Backup writes a consistent copy of the database to path: into a
// temporary file beside it, flushed to disk and checked (Verify), then
// renamed over path, so path holds a whole, usable backup or is left as
// it was. It returns the size of the copy.
func (db *DB) Backup(path string) (int64, error) {
	if info, err := os.Stat(path); err == nil {
		if self, err := os.Stat(db.path); err == nil && os.SameFile(info, self) {
			return 0, fmt.Errorf("store: back up %s: %s is the database itself", db.path, path)
		}
	}
	var n int64
	err := writeAtomic(path, func(f *os.File) error {
		var err error
		n, err = db.WriteTo(f)
		return err
	}, func(tmp string) error {
		if err := Verify(tmp); err != nil {
			return fmt.Errorf("the copy does not verify: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: back up %s to %s: %w", db.path, path, err)
	}
	return n, nil
}

// Verify checks that the file at path is a feedpub database this build
// can use, without changing it: it opens it read-only (refusing what Open
// refuses: not bbolt, not feedpub, truncated, a newer schema) and runs
// bbolt's consistency check over every page.
func Verify(path string) error {
	db, err := Open(path, Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}

// Restore replaces the database at path with the backup at from. The
// backup is verified first. Restore takes the database's lock without
// waiting and refuses with ErrLocked if another process holds it (a scan
// running, a backup being taken): holding it, it copies the backup beside
// the database, flushes it and renames it over the database, so that path
// holds the old database or the restored one, never a mix. A process that
// was waiting for the lock then opens the restored file (see openBolt).
//
// If keep is not empty and a database exists at path, it is kept there
// (a hard link to the replaced file), so that a restore can be undone.
func Restore(from, path, keep string) error {
	if a, err := os.Stat(from); err == nil {
		if b, err := os.Stat(path); err == nil && os.SameFile(a, b) {
			return fmt.Errorf("store: restore %s: %s is the database itself", path, from)
		}
	}
	if err := Verify(from); err != nil {
		return fmt.Errorf("store: restore %s from %s: the backup is not usable: %w", path, from, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: restore %s: %w", path, err)
	}
	live, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", path, err)
	}
	defer live.Close() // releases the lock, after the rename
	if err := lockNow(live); err != nil {
		return fmt.Errorf("store: restore %s: %w: %w", path, ErrLocked, err)
	}
	if info, err := live.Stat(); err == nil && info.Size() > 0 && keep != "" {
		if err := os.Link(path, keep); err != nil {
			return fmt.Errorf("store: restore %s: keep the replaced database: %w", path, err)
		}
	}
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", path, err)
	}
	defer src.Close()
	err = writeAtomic(path, func(f *os.File) error {
		_, err := io.Copy(f, src)
		return err
	}, Verify)
	if err != nil {
		return fmt.Errorf("store: restore %s from %s: %w", path, from, err)
	}
	return nil
}

// writeAtomic replaces path with what write puts in a temporary file
// beside it, once the file is flushed and check accepts it.
func writeAtomic(path string, write func(*os.File) error, check func(tmp string) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := check(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("flush %s: %w", dir, err)
	}
	return nil
}
