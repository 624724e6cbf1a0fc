package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
)

// These tests read and write the file with bbolt directly, as another
// program or another version of feedpub would.
var (
	bucketMeta = []byte("meta")
	keySchema  = []byte("schema")
)

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "feedpub.db") }

func mustOpen(t *testing.T, path string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s, %+v): %v", path, opts, err)
	}
	return db
}

func mustClose(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// boltFile writes a bbolt file with fn, as another program would.
func boltFile(t *testing.T, path string, opts *bolt.Options, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o644, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
}

// schemaOf reads the schema version straight from the file.
func schemaOf(t *testing.T, path string) uint64 {
	t.Helper()
	bdb, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var v uint64
	err = bdb.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("no meta bucket")
		}
		raw := meta.Get(keySchema)
		if len(raw) != 8 {
			return errors.New("no schema version")
		}
		v = binary.BigEndian.Uint64(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// refuses checks that opening path fails with want, both read-write and
// read-only, and leaves the file byte for byte as it was.
func refuses(t *testing.T, path string, want error) {
	t.Helper()
	before := readFile(t, path)
	for _, ro := range []bool{false, true} {
		db, err := store.Open(path, store.Options{ReadOnly: ro, Timeout: time.Second})
		if err == nil {
			db.Close()
			t.Fatalf("Open(ReadOnly=%v) of %s succeeded, want %v", ro, filepath.Base(path), want)
		}
		if !errors.Is(err, want) {
			t.Errorf("Open(ReadOnly=%v): %v, want errors.Is %v", ro, err, want)
		}
		if !bytes.Equal(readFile(t, path), before) {
			t.Fatalf("Open(ReadOnly=%v) changed the file", ro)
		}
	}
}

func TestOpenCreatesCurrentSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "dir", "feedpub.db") // directories are created
	db := mustOpen(t, path, store.Options{})
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	err := db.Update(func(tx *store.Tx) error { return tx.SetMeta("site", "example") })
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("new database has schema %d, want %d", got, store.SchemaVersion)
	}

	// Reopen, read-write then read-only: the data is there, nothing migrates.
	before := readFile(t, path)
	for _, ro := range []bool{false, true} {
		db := mustOpen(t, path, store.Options{ReadOnly: ro})
		var site string
		if err := db.View(func(tx *store.Tx) error { site = tx.Meta("site"); return nil }); err != nil {
			t.Fatal(err)
		}
		if site != "example" {
			t.Errorf("ReadOnly=%v: meta site = %q after reopen", ro, site)
		}
		mustClose(t, db)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("reopening an up-to-date database changed the file")
	}
}

func TestOpenReadOnlyRefusesWrites(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustClose(t, mustOpen(t, path, store.Options{}))
	db := mustOpen(t, path, store.Options{ReadOnly: true})
	defer db.Close()
	if err := db.Update(func(tx *store.Tx) error { return tx.SetMeta("k", "v") }); err == nil {
		t.Error("Update on a read-only database succeeded")
	}
}

func TestOpenReadOnlyNeedsADatabase(t *testing.T) {
	t.Parallel()
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		_, err := store.Open(path, store.Options{ReadOnly: true})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read-only Open of a missing file: %v, want fs.ErrNotExist", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read-only Open created %s", path)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(path, store.Options{ReadOnly: true})
		if !errors.Is(err, store.ErrNotFeedpub) {
			t.Errorf("read-only Open of an empty file: %v, want ErrNotFeedpub", err)
		}
		if b := readFile(t, path); len(b) != 0 {
			t.Errorf("read-only Open wrote %d bytes", len(b))
		}
	})
	t.Run("bbolt without buckets", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		boltFile(t, path, nil, func(*bolt.Tx) error { return nil })
		refusesReadOnly(t, path, store.ErrNotFeedpub)
	})
	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, ro := range []bool{false, true} {
			if _, err := store.Open(dir, store.Options{ReadOnly: ro}); err == nil {
				t.Errorf("Open(ReadOnly=%v) of a directory succeeded", ro)
			}
		}
	})
}

func refusesReadOnly(t *testing.T, path string, want error) {
	t.Helper()
	before := readFile(t, path)
	_, err := store.Open(path, store.Options{ReadOnly: true})
	if !errors.Is(err, want) {
		t.Errorf("read-only Open: %v, want %v", err, want)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("read-only Open changed the file")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	newer := func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("items")); err != nil {
			return err
		}
		return meta.Put(keySchema, u64(store.SchemaVersion+1))
	}
	t.Run("written by bbolt defaults", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		boltFile(t, path, nil, newer)
		refuses(t, path, store.ErrSchemaTooNew)
	})
	// Opened read-write, bbolt writes a freelist that the file lacks before
	// feedpub can read the schema: Open must look read-only first.
	t.Run("without a saved freelist", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		boltFile(t, path, &bolt.Options{NoFreelistSync: true}, newer)
		refuses(t, path, store.ErrSchemaTooNew)
	})
}

func TestOpenRefusesGarbage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{64 << 10, 100, 4096, 8192} {
		path := dbPath(t)
		garbage := make([]byte, size)
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(path, garbage, 0o644); err != nil {
			t.Fatal(err)
		}
		refuses(t, path, store.ErrNotFeedpub)
	}
}

func TestOpenRefusesTruncatedDatabase(t *testing.T) {
	t.Parallel()
	full := dbPath(t)
	db := mustOpen(t, full, store.Options{NoSync: true})
	err := db.Update(func(tx *store.Tx) error {
		for i := range 500 {
			it := &model.Item{Key: u64(uint64(i) + 1), Title: "An item with a title long enough to fill pages", Description: string(bytes.Repeat([]byte("x"), 200))}
			if err := tx.PutItem(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	data := readFile(t, full)

	// The size the file needs: every page its meta page counts.
	bdb, err := bolt.Open(full, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var need int64
	bdb.View(func(tx *bolt.Tx) error { need = tx.Size(); return nil })
	bdb.Close()
	page := int64(os.Getpagesize())
	if need <= 4*page || need > int64(len(data)) {
		t.Fatalf("database needs %d bytes of %d: too small for this test", need, len(data))
	}

	// 1 KiB and one page: bbolt itself refuses. The others pass bbolt's
	// checks and would fault reading a missing page.
	for _, n := range []int64{1024, page, 2 * page, 3 * page, need / 2, need - page} {
		path := filepath.Join(t.TempDir(), "truncated.db")
		if err := os.WriteFile(path, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("first %d bytes of %d", n, need)
		refuses(t, path, store.ErrNotFeedpub)
	}
}

func TestOpenRefusesAnotherProgramsBolt(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	boltFile(t, path, nil, func(tx *bolt.Tx) error {
		users, err := tx.CreateBucket([]byte("users"))
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("sessions")); err != nil {
			return err
		}
		return users.Put([]byte("alice"), []byte(`{"admin":true}`))
	})
	refuses(t, path, store.ErrNotFeedpub)
}

func TestOpenRefusesMetaWithoutSchema(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	boltFile(t, path, nil, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put([]byte("owner"), []byte("someone else"))
	})
	refuses(t, path, store.ErrNotFeedpub)
}

// An empty bbolt file (created, then killed before the first migration)
// is brought up to date.
func TestOpenMigratesEmptyBolt(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	boltFile(t, path, nil, func(*bolt.Tx) error { return nil })
	mustClose(t, mustOpen(t, path, store.Options{}))
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("schema %d, want %d", got, store.SchemaVersion)
	}
}

// openWithin runs store.Open in a goroutine and fails the test if it has
// not returned within a generous bound: the point is that it returns.
func openWithin(t *testing.T, path string, opts store.Options) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		db, err := store.Open(path, opts)
		if err == nil {
			db.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("Open(%+v) still waiting after 30s", opts)
		return nil
	}
}

// bbolt locks with flock(2), which belongs to an open file description:
// two opens of one file conflict even within one process.
func TestOpenLockedInProcess(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	holder := mustOpen(t, path, store.Options{})
	for _, ro := range []bool{false, true} {
		err := openWithin(t, path, store.Options{Timeout: 200 * time.Millisecond, ReadOnly: ro})
		if !errors.Is(err, store.ErrLocked) {
			t.Errorf("Open(ReadOnly=%v) of a held database: %v, want ErrLocked", ro, err)
		}
	}
	mustClose(t, holder)
	if err := openWithin(t, path, store.Options{Timeout: 200 * time.Millisecond}); err != nil {
		t.Errorf("Open after the holder closed: %v", err)
	}
}

// Read-only opens share the lock; a writer waits for all of them.
func TestOpenReadersShare(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustClose(t, mustOpen(t, path, store.Options{}))
	r1 := mustOpen(t, path, store.Options{ReadOnly: true, Timeout: time.Second})
	r2 := mustOpen(t, path, store.Options{ReadOnly: true, Timeout: time.Second})
	if err := openWithin(t, path, store.Options{Timeout: 200 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("read-write Open while readers hold the file: %v, want ErrLocked", err)
	}
	r1.Close()
	r2.Close()
}

const lockHolderEnv = "FEEDPUB_STORE_TEST_HOLD"

// TestLockHolder is not a test: TestOpenLockedAcrossProcesses runs the test
// binary with it to hold a database from another process.
func TestLockHolder(t *testing.T) {
	path := os.Getenv(lockHolderEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	db, err := store.Open(path, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("holding\n")
	var b [1]byte
	os.Stdin.Read(b[:]) // until the parent closes stdin
	db.Close()
}

func TestOpenLockedAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	path := dbPath(t)
	cmd := exec.Command(exe, "-test.run=^TestLockHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	ready := make(chan bool, 1)
	go func() {
		var line [8]byte
		n, _ := stdout.Read(line[:])
		ready <- string(line[:n]) == "holding\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("helper process did not report holding the database")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper process did not open the database within 30s")
	}
	if err := openWithin(t, path, store.Options{Timeout: 200 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("Open of a database another process holds: %v, want ErrLocked", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if err := openWithin(t, path, store.Options{Timeout: 5 * time.Second}); err != nil {
		t.Errorf("Open after the other process exited: %v", err)
	}
}

// Pages past the two meta pages overwritten: bbolt panics on the first
// lookup. Open must report it, not crash, and not write.
func TestOpenRefusesCorruptPages(t *testing.T) {
	t.Parallel()
	full := dbPath(t)
	mustClose(t, mustOpen(t, full, store.Options{}))
	data := readFile(t, full)
	page := os.Getpagesize()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, fill := range []func(i int) byte{
		func(int) byte { return 0 },
		func(int) byte { return 0xff },
		func(int) byte { return byte(rng.Uint32()) },
	} {
		bad := bytes.Clone(data)
		for i := 2 * page; i < len(bad); i++ {
			bad[i] = fill(i)
		}
		path := filepath.Join(t.TempDir(), "corrupt.db")
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		refuses(t, path, store.ErrNotFeedpub)
	}
}
