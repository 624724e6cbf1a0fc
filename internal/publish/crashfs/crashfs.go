// Package crashfs is an in-memory publish.FS for power-loss tests. Beside
// what the process sees, it keeps what a power cut would leave: a file's
// data once fsynced (or the file system syncfs'd), a directory's entries
// (creates, renames, removes) once the directory is fsynced (or syncfs).
// PowerCut makes every later write fail, as a machine that lost power
// would; Durable then returns the file system as it could come back after
// a reboot. On the model of Pebble's vfs.NewStrictMem. For tests only.
package crashfs

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrPowerCut is returned by every write after the cut.
var ErrPowerCut = errors.New("crashfs: power cut")

type inode struct {
	dir     bool
	data    []byte            // what the process sees
	synced  []byte            // what survives a cut; nil: never synced
	entries map[string]*inode // a directory's entries, as the process sees them
	durable map[string]*inode // a directory's entries that survive a cut
}

func newDir() *inode {
	return &inode{dir: true, entries: map[string]*inode{}, durable: map[string]*inode{}}
}

// FS is the file system. Its zero value is not usable: call New.
type FS struct {
	mu   sync.Mutex
	root *inode
	ops  int // writes made
	cut  bool
	// BeforeWrite, if set, is called with the number (from 1) and name of
	// each write before it is made, under the file system's lock; its
	// error, if any, is returned and the write not made. The power-loss
	// harness cuts the power from it.
	BeforeWrite func(n int, op, name string) error
}

// New returns an empty file system holding the directory root and its
// parents, durably.
func New(root string) *FS {
	f := &FS{root: newDir()}
	d := f.root
	for _, c := range split(root) {
		child := newDir()
		d.entries[c], d.durable[c] = child, child
		d = child
	}
	return f
}

func split(name string) []string {
	name = filepath.ToSlash(filepath.Clean(name))
	var out []string
	for _, c := range strings.Split(name, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// lookup returns the inode at name and its parent; f.mu is held.
func (f *FS) lookup(name string) (parent, node *inode, base string, err error) {
	cs := split(name)
	if len(cs) == 0 {
		return nil, f.root, "", nil
	}
	d := f.root
	for _, c := range cs[:len(cs)-1] {
		next := d.entries[c]
		if next == nil || !next.dir {
			return nil, nil, "", &fs.PathError{Op: "lookup", Path: name, Err: fs.ErrNotExist}
		}
		d = next
	}
	base = cs[len(cs)-1]
	return d, d.entries[base], base, nil
}

// existing is lookup of a name that must exist; op names the call in
// the error.
func (f *FS) existing(op, name string) (parent, node *inode, base string, err error) {
	parent, node, base, err = f.lookup(name)
	if err == nil && node == nil {
		err = &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return parent, node, base, err
}

// write counts a write and runs BeforeWrite; f.mu is held.
func (f *FS) write(op, name string) error {
	if f.cut {
		return ErrPowerCut
	}
	f.ops++
	if f.BeforeWrite != nil {
		if err := f.BeforeWrite(f.ops, op, name); err != nil {
			return err
		}
	}
	if f.cut {
		return ErrPowerCut
	}
	return nil
}

// PowerCut makes every later write fail with ErrPowerCut. What was
// durable at that moment is what Durable returns.
func (f *FS) PowerCut() {
	f.mu.Lock()
	f.cut = true
	f.mu.Unlock()
}

// PowerCutLocked is PowerCut for BeforeWrite, which runs under the lock.
func (f *FS) PowerCutLocked() { f.cut = true }

// Writes is the number of writes made so far.
func (f *FS) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

func (f *FS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, n, _, err := f.existing("open", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return append([]byte(nil), n.data...), nil
}

func (f *FS) Stat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, n, _, err := f.existing("stat", name)
	if err != nil {
		return nil, err
	}
	return info{name: path.Base(filepath.ToSlash(name)), n: n}, nil
}

func (f *FS) Lstat(name string) (fs.FileInfo, error) { return f.Stat(name) }

func (f *FS) MkdirAll(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.root
	for _, c := range split(dir) {
		next := d.entries[c]
		if next == nil {
			if err := f.write("mkdir", dir); err != nil {
				return err
			}
			next = newDir()
			d.entries[c] = next
		} else if !next.dir {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
		}
		d = next
	}
	return nil
}

func (f *FS) WriteFile(name string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	parent, n, base, err := f.lookup(name)
	if err != nil {
		return err
	}
	if parent == nil || !parent.dir {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if err := f.write("write", name); err != nil {
		return err
	}
	if n == nil {
		n = &inode{}
		parent.entries[base] = n
	}
	n.data = append([]byte(nil), data...)
	return nil
}

func (f *FS) SyncFile(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, n, _, err := f.existing("open", name)
	if err != nil {
		return err
	}
	if err := f.write("fsync", name); err != nil {
		return err
	}
	syncInode(n)
	return nil
}

func syncInode(n *inode) {
	if n.dir {
		n.durable = maps.Clone(n.entries)
	} else {
		n.synced = append([]byte{}, n.data...)
	}
}

func (f *FS) Rename(from, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fp, n, fb, err := f.existing("rename", from)
	if err != nil {
		return err
	}
	tp, _, tb, err := f.lookup(to)
	if err != nil {
		return err
	}
	if tp == nil {
		return &fs.PathError{Op: "rename", Path: to, Err: fs.ErrNotExist}
	}
	if err := f.write("rename", to); err != nil {
		return err
	}
	delete(fp.entries, fb)
	tp.entries[tb] = n
	return nil
}

func (f *FS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	parent, _, base, err := f.existing("remove", name)
	if err != nil {
		return err
	}
	if err := f.write("remove", name); err != nil {
		return err
	}
	delete(parent.entries, base)
	return nil
}

func (f *FS) SyncDir(dir string) error { return f.SyncFile(dir) }

// SyncFS makes everything durable, as syncfs(2) does for one file system
// (this one holds a single file system).
func (f *FS) SyncFS(string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.write("syncfs", "/"); err != nil {
		return err
	}
	var walk func(*inode)
	walk = func(n *inode) {
		syncInode(n)
		for _, c := range n.entries {
			walk(c)
		}
	}
	walk(f.root)
	return nil
}

// Durable returns a new file system holding what would be left after a
// power cut now: each file with its synced data only (a file never
// synced comes back empty). Which entries come back depends on journaled:
// false keeps only the entries made durable by an fsync of their
// directory or a syncfs; true keeps every entry as the process saw it, as
// when the kernel commits its journal of metadata on its own before the
// cut (ext4 does every few seconds) while file data waits: the case where
// a file renamed before its data was synced comes back empty. Both can
// happen after a real power cut.
func (f *FS) Durable(journaled bool) *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	var copyDir func(*inode) *inode
	copyDir = func(d *inode) *inode {
		out := newDir()
		entries := d.durable
		if journaled {
			entries = d.entries
		}
		for name, c := range entries {
			var n *inode
			if c.dir {
				n = copyDir(c)
			} else {
				n = &inode{data: append([]byte{}, c.synced...)}
				n.synced = n.data
			}
			out.entries[name], out.durable[name] = n, n
		}
		return out
	}
	return &FS{root: copyDir(f.root)}
}

// Files returns every file under dir as the process sees it, by slash
// path relative to dir.
func (f *FS) Files(dir string) map[string][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]byte{}
	_, d, _, err := f.lookup(dir)
	if err != nil || d == nil {
		return out
	}
	var walk func(prefix string, n *inode)
	walk = func(prefix string, n *inode) {
		for name, c := range n.entries {
			p := path.Join(prefix, name)
			if c.dir {
				walk(p, c)
			} else {
				out[p] = append([]byte(nil), c.data...)
			}
		}
	}
	walk("", d)
	return out
}

// Names returns the paths of Files, sorted.
func Names(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type info struct {
	name string
	n    *inode
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return int64(len(i.n.data)) }
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.n.dir }
func (i info) Sys() any           { return nil }
func (i info) Mode() fs.FileMode {
	if i.n.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (i info) String() string { return fmt.Sprintf("%s (%d bytes)", i.name, i.Size()) }
