package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/feedpub/feedpub/internal/store"
)

func putItems(t *testing.T, db *store.DB, from, to int) {
	t.Helper()
	update(t, db, func(tx *store.Tx) error {
		for i := from; i < to; i++ {
			if err := tx.PutItem(newItem(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

func itemCount(t *testing.T, path string) int {
	t.Helper()
	db := mustOpen(t, path, store.Options{ReadOnly: true, Timeout: time.Second})
	defer mustClose(t, db)
	var n int
	view(t, db, func(tx *store.Tx) error { n, _ = tx.Counts(); return nil })
	return n
}

// A backup taken while another goroutine commits is a whole database: it
// verifies, and holds the items of some commit, never part of one.
func TestBackupWhileWritingIsConsistent(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	db := mustOpen(t, path, store.Options{NoSync: true})
	defer mustClose(t, db)
	const batch, batches = 50, 40
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range batches {
			putItems(t, db, b*batch, (b+1)*batch)
		}
	})
	backup := filepath.Join(t.TempDir(), "backup.db")
	last := 0
	for range 20 {
		if _, err := db.Backup(backup); err != nil {
			t.Fatal(err)
		}
		if err := store.Verify(backup); err != nil {
			t.Fatalf("backup does not verify: %v", err)
		}
		n := itemCount(t, backup)
		if n%batch != 0 || n < last {
			t.Errorf("backup holds %d items: not a whole number of commits, or fewer than before (%d)", n, last)
		}
		last = n
	}
	wg.Wait()
	if _, err := db.Backup(backup); err != nil {
		t.Fatal(err)
	}
	if n := itemCount(t, backup); n != batch*batches {
		t.Errorf("final backup holds %d items, want %d", n, batch*batches)
	}
	if _, err := db.Backup(path); err == nil {
		t.Error("backup over the database itself accepted")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(backup), ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestVerifyRefusesWhatOpenRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	db := mustOpen(t, good, store.Options{})
	putItems(t, db, 0, 100)
	mustClose(t, db)
	if err := store.Verify(good); err != nil {
		t.Fatalf("a good database: %v", err)
	}
	data := readFile(t, good)
	for name, bytes := range map[string][]byte{
		"garbage":   bytes.Repeat([]byte("not a database "), 1000),
		"truncated": data[:len(data)/2],
		"empty":     nil,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, bytes, 0o644)
		if err := store.Verify(p); !errors.Is(err, store.ErrNotFeedpub) {
			t.Errorf("%s: Verify = %v, want ErrNotFeedpub", name, err)
		}
		if got := readFile(t, p); !bytesEqual(got, bytes) {
			t.Errorf("%s: Verify changed the file", name)
		}
	}
}

func bytesEqual(a, b []byte) bool { return bytes.Equal(a, b) }

func TestRestoreReplacesTheDatabaseAndKeepsTheOld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpub.db")
	db := mustOpen(t, path, store.Options{})
	putItems(t, db, 0, 10)
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.Backup(backup); err != nil {
		t.Fatal(err)
	}
	putItems(t, db, 10, 20)
	mustClose(t, db)

	keep := filepath.Join(dir, "feedpub.db.before-restore")
	if err := store.Restore(backup, path, keep); err != nil {
		t.Fatal(err)
	}
	if n := itemCount(t, path); n != 10 {
		t.Errorf("restored database holds %d items, want the backup's 10", n)
	}
	if n := itemCount(t, keep); n != 20 {
		t.Errorf("kept database holds %d items, want the replaced one's 20", n)
	}
	if err := store.Restore(backup, path, keep); err == nil {
		t.Error("restore over an existing keep file accepted: it would lose it")
	}
	if err := store.Restore(path, path, ""); err == nil {
		t.Error("restore of the database onto itself accepted")
	}
	// Into a place with no database yet.
	fresh := filepath.Join(dir, "new", "feedpub.db")
	if err := store.Restore(backup, fresh, fresh+".before-restore"); err != nil {
		t.Fatal(err)
	}
	if n := itemCount(t, fresh); n != 10 {
		t.Errorf("restored into a new place: %d items", n)
	}
	if _, err := os.Stat(fresh + ".before-restore"); err == nil {
		t.Error("kept an empty file that was no database")
	}
}

func TestRestoreRefusesWhileHeldAndBadBackups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpub.db")
	db := mustOpen(t, path, store.Options{})
	putItems(t, db, 0, 10)
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.Backup(backup); err != nil {
		t.Fatal(err)
	}
	putItems(t, db, 10, 20)
	before := readFile(t, path)
	if err := store.Restore(backup, path, ""); !errors.Is(err, store.ErrLocked) {
		t.Errorf("restore while the database is open: %v, want ErrLocked", err)
	}
	mustClose(t, db)
	reader := mustOpen(t, path, store.Options{ReadOnly: true, Timeout: time.Second})
	if err := store.Restore(backup, path, ""); !errors.Is(err, store.ErrLocked) {
		t.Errorf("restore while a reader (a backup) holds the database: %v, want ErrLocked", err)
	}
	reader.Close()
	before = readFile(t, path)

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte{0xAB}, 64<<10), 0o644)
	truncated := filepath.Join(dir, "truncated.db")
	data := readFile(t, backup)
	os.WriteFile(truncated, data[:len(data)/3], 0o644)
	newer := filepath.Join(dir, "newer.db")
	os.WriteFile(newer, data, 0o644)
	bdb, err := bolt.Open(newer, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(store.SchemaVersion+1)) })
	bdb.Close()
	for name, want := range map[string]error{garbage: store.ErrNotFeedpub, truncated: store.ErrNotFeedpub, newer: store.ErrSchemaTooNew, filepath.Join(dir, "missing.db"): os.ErrNotExist} {
		if err := store.Restore(name, path, ""); !errors.Is(err, want) {
			t.Errorf("restore from %s: %v, want %v", filepath.Base(name), err, want)
		}
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("a refused restore changed the database")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// A process that waits for the lock while the database file is replaced
// (a restore, or an operator's mv) must end up with the new file: the
// lock it gets on the old one guards nothing, and what it would commit
// there would be lost. The waiter here opens read-only (a backup), which
// goes straight to the lock; a read-write Open first looks at the file
// read-only and so reopens it anyway, unless the file is replaced between
// the look and the lock, a window too narrow to hit on purpose. The same
// check covers both.
func TestOpenWaitingThroughAReplaceOpensTheNewFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpub.db")
	holder := mustOpen(t, path, store.Options{})
	update(t, holder, func(tx *store.Tx) error { return tx.SetMeta("which", "old") })
	other := filepath.Join(dir, "other.db")
	odb := mustOpen(t, other, store.Options{})
	update(t, odb, func(tx *store.Tx) error { return tx.SetMeta("which", "new") })
	mustClose(t, odb)

	opened := make(chan *store.DB, 1)
	go func() {
		db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
		if err != nil {
			t.Error(err)
		}
		opened <- db
	}()
	// Let the waiter open the old file and wait for its lock; if it is
	// slower, it opens the new file directly and the test proves less.
	time.Sleep(300 * time.Millisecond)
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	holder.Close()
	db := <-opened
	if db == nil {
		return
	}
	defer db.Close()
	view(t, db, func(tx *store.Tx) error {
		if got := tx.Meta("which"); got != "new" {
			t.Errorf("the waiter opened the %s file, want the new one", got)
		}
		return nil
	})
}
