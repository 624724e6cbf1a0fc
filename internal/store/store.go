// Package store keeps feedpub's state in one bbolt file: every item ever
// seen, the feeds and the order items entered them, the listing files
// already read, and the feeds waiting to be regenerated. Every change goes
// through one bbolt transaction, so a killed process leaves the file as it
// was before or after a whole change, never between.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names. Keys and values are described where each is used.
var (
	bucketMeta     = []byte("meta")     // schema version and fixed settings
	bucketItems    = []byte("items")    // item seq (8 bytes BE) → model.Item
	bucketKeys     = []byte("keys")     // identity key (16 bytes) → item seq
	bucketInstants = []byte("instants") // instant (8 bytes, ordered) → item seq; published/updated instants in use
	bucketFeeds    = []byte("feeds")    // feed path → model.Feed
	bucketFolds    = []byte("folds")    // kind + 0 + folded name → feed path
	bucketLogs     = []byte("logs")     // feed path → bucket of log seq (8 bytes BE) → item seq: joins and changes, for recency
	bucketMembers  = []byte("members")  // feed path → bucket of member number (8 bytes BE) → item seq: first joins only; archive pages are slices of it
	bucketFiles    = []byte("files")    // listing file path → model.FileRecord
	bucketStats    = []byte("stats")    // listing file path → FileStat, fixed 48 bytes: what a rescan compares
	bucketDirty    = []byte("dirty")    // document path ("all", "all/archive/3") → empty: documents to regenerate
	bucketPages    = []byte("pages")    // item seq → empty: item pages to regenerate
	bucketPings    = []byte("pings")    // hub + 0 + topic URL → gen (8 bytes BE): WebSub notifications owed; see pings.go
	bucketUploads  = []byte("uploads")  // output file path → empty: files to upload to (or delete from) object storage
)

var keySchema = []byte("schema")

// Errors returned by Open. Each wraps the underlying cause.
var (
	// ErrLocked is returned when another process holds the database and
	// did not release it within Options.Timeout. The error returned wraps
	// both ErrLocked and bbolt's ErrTimeout.
	ErrLocked = errors.New("database is locked by another feedpub process")
	// ErrSchemaTooNew is returned for a database written by a newer feedpub.
	ErrSchemaTooNew = errors.New("database schema is newer than this feedpub understands")
	// ErrNotFeedpub is returned for a file that is not a feedpub database:
	// not bbolt at all, corrupt, or a bbolt file of another program.
	ErrNotFeedpub = errors.New("not a feedpub database")
)

// migrations bring an empty database up to the current schema, one step
// per version, each in its own transaction with its version bump.
// Order is important: add new steps at the end.
var migrations = [...]func(tx *bolt.Tx) error{
	func(tx *bolt.Tx) error { // 1: initial layout
		for _, b := range [][]byte{bucketItems, bucketKeys, bucketInstants, bucketFeeds, bucketFolds, bucketLogs, bucketMembers, bucketFiles, bucketStats, bucketDirty, bucketPages} {
			if _, err := tx.CreateBucket(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	},
	func(tx *bolt.Tx) error { // 2: WebSub notifications owed to hubs
		if _, err := tx.CreateBucket(bucketPings); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketPings, err)
		}
		return nil
	},
	func(tx *bolt.Tx) error { // 3: files waiting to be uploaded
		if _, err := tx.CreateBucket(bucketUploads); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketUploads, err)
		}
		return nil
	},
}

// SchemaVersion is the schema this build writes.
var SchemaVersion = uint64(len(migrations))

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for another process's lock. Zero waits forever.
	Timeout time.Duration
	// ReadOnly opens with a shared lock, for commands that only look.
	ReadOnly bool
	// NoSync skips fsync at commit. Only for benchmarks and tests that do
	// not care about power loss; a killed process still loses nothing.
	NoSync bool
}

// DB is an open feedpub database.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens or creates the database at path and brings its schema up to
// date. A file that is not a feedpub database, or has a newer schema, is
// reported and left untouched.
//
// An existing file is first inspected read-only: opened read-write, bbolt
// may write to a file before feedpub has looked at it (it rebuilds a
// freelist that was not saved) and reads pages that a truncated file no
// longer has, which kills the process with SIGBUS instead of returning an
// error.
func Open(path string, opts Options) (*DB, error) {
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return nil, fmt.Errorf("store: %s: %w: it is a directory", path, ErrNotFeedpub)
	case opts.ReadOnly && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store: %s: no database (run a scan first): %w", path, err)
	case opts.ReadOnly && err == nil && info.Size() == 0:
		return nil, fmt.Errorf("store: %s: %w: the file is empty (run a scan first)", path, ErrNotFeedpub)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !opts.ReadOnly && err == nil && info.Size() > 0 {
		look, err := openBolt(path, opts, true, opts.Timeout)
		if err != nil {
			return nil, err
		}
		_, _, err = look.schema()
		look.bolt.Close()
		if err != nil {
			return nil, err
		}
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	timeout := opts.Timeout
	if !deadline.IsZero() {
		// What the look left of the wait; never 0, which would wait forever.
		timeout = max(time.Until(deadline), time.Nanosecond)
	}
	db, err := openBolt(path, opts, opts.ReadOnly, timeout)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(opts.ReadOnly); err != nil {
		db.bolt.Close()
		return nil, err
	}
	return db, nil
}

// openBolt opens the bbolt file, sorting its errors into ErrLocked,
// ErrNotFeedpub and the rest.
//
// A process waiting for the lock holds the file it opened; if the file
// at path is replaced meanwhile (feedpub restore renames a backup over
// it), the lock it finally gets is that of a file no longer at path, and
// what it commits would be lost. So once locked, the file opened must
// still be the one at path; if not, it is opened again.
func openBolt(path string, opts Options, readOnly bool, timeout time.Duration) (*DB, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		db, file, err := openBoltOnce(path, opts, readOnly, timeout)
		if err != nil || !replaced(path, file) {
			return db, err
		}
		db.bolt.Close()
		if !deadline.IsZero() {
			timeout = time.Until(deadline)
			if timeout <= 0 {
				return nil, fmt.Errorf("store: %s: %w (waited %s): the file was replaced while waiting", path, ErrLocked, opts.Timeout)
			}
		}
	}
}

// replaced reports whether path no longer names the open file f.
func replaced(path string, f *os.File) bool {
	if f == nil {
		return false
	}
	opened, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(path)
	return err != nil || !os.SameFile(opened, now)
}

func openBoltOnce(path string, opts Options, readOnly bool, timeout time.Duration) (db *DB, file *os.File, err error) {
	defer guard(path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	bdb, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		NoSync:   opts.NoSync,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			if file == nil {
				file = f
			}
			return f, err
		},
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, nil, fmt.Errorf("store: %s: %w (waited %s): %w", path, ErrLocked, opts.Timeout, err)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum),
		err != nil && strings.Contains(err.Error(), "file size too small"): // bbolt has no error value for it
		return nil, nil, fmt.Errorf("store: %s: %w: %v", path, ErrNotFeedpub, err)
	case err != nil:
		return nil, nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{bolt: bdb, path: path}, file, nil
}

// guard turns a panic or a fault reading the mapped file into
// ErrNotFeedpub: bbolt panics on some corrupt pages, and reading a page
// past the end of a truncated file faults. It must be deferred directly.
// A bbolt handle opened before the panic cannot be closed and keeps its
// lock until the process exits: the price of not crashing on a corrupt
// file.
func guard(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("store: %s: %w: corrupt file (%v)", path, ErrNotFeedpub, r)
	}
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close releases the database and its lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

func (db *DB) version() (v uint64, fresh bool, err error) {
	defer guard(db.path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = db.bolt.View(func(tx *bolt.Tx) error {
		// A file cut short (a partial copy, a full disk) lacks pages its
		// meta page counts; reading them would fault.
		if info, err := os.Stat(db.path); err == nil && info.Size() < tx.Size() {
			return fmt.Errorf("store: %s: %w: truncated to %d bytes, its pages need %d", db.path, ErrNotFeedpub, info.Size(), tx.Size())
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("store: %s: %w: it has no meta bucket", db.path, ErrNotFeedpub)
			}
			fresh = true
			return nil
		}
		raw := meta.Get(keySchema)
		if len(raw) != 8 {
			return fmt.Errorf("store: %s: %w: schema version is missing", db.path, ErrNotFeedpub)
		}
		v = binary.BigEndian.Uint64(raw)
		return nil
	})
	return v, fresh, err
}

// schema returns the file's schema version, or an error if this build
// cannot use the file at all.
func (db *DB) schema() (v uint64, fresh bool, err error) {
	v, fresh, err = db.version()
	if err == nil && v > SchemaVersion {
		err = fmt.Errorf("store: %s: %w (file has version %d, this build knows up to %d)", db.path, ErrSchemaTooNew, v, SchemaVersion)
	}
	return v, fresh, err
}

func (db *DB) migrate(readOnly bool) error {
	v, fresh, err := db.schema()
	if err != nil {
		return err
	}
	if v == SchemaVersion && !fresh {
		return nil
	}
	if readOnly {
		if fresh {
			return fmt.Errorf("store: %s: %w: the file is empty (run a scan first)", db.path, ErrNotFeedpub)
		}
		return fmt.Errorf("store: %s: schema version %d needs upgrading to %d: run a scan first", db.path, v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if err := migrations[v](tx); err != nil {
				return err
			}
			return meta.Put(keySchema, u64(v+1))
		})
		if err != nil {
			return fmt.Errorf("store: %s: migrate to schema %d: %w", db.path, v+1, err)
		}
	}
	return nil
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
