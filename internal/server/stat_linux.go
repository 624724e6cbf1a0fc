package server

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// statter checks a cached file version with a single fstatat(2) relative
// to the served directory, where os.Root.Stat opens every directory on the
// way (three system calls for "all/rss.xml", five for a category feed).
//
// It follows symlinks wherever they lead, which is safe because it only
// validates: the bytes served were read through the os.Root, and a path
// that now resolves outside the root names another inode, so the entry is
// read again through the root, which refuses it.
type statter struct {
	dir *os.File
	fd  int
}

func newStatter(dir string) (*statter, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("server: open %s: %w", dir, err)
	}
	return &statter{dir: f, fd: int(f.Fd())}, nil
}

func (s *statter) key(rel string) (fileKey, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(s.fd, rel, &st, 0); err != nil {
		return fileKey{}, &fs.PathError{Op: "fstatat", Path: rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileKey{}, fs.ErrNotExist
	}
	return fileKey{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino, dev: st.Dev}, nil
}

func (s *statter) close() error { return s.dir.Close() }

// keyOf is the key of an open file's version, the same as statter.key's
// for the same version: inode and device, size, mtime and ctime (a rename
// sets it).
func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino, k.dev = st.Ino, st.Dev
		k.ctime = st.Ctim.Nano()
	}
	return k
}
