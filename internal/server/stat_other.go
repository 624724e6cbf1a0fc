//go:build !linux

package server

import (
	"io/fs"
	"os"
)

// statter checks a cached file version through the os.Root where no
// single-call fstatat is wired up.
type statter struct{ root *os.Root }

func newStatter(dir string) (*statter, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &statter{root: root}, nil
}

func (s *statter) key(rel string) (fileKey, error) {
	fi, err := s.root.Stat(rel)
	if err != nil {
		return fileKey{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileKey{}, fs.ErrNotExist
	}
	return keyOf(fi), nil
}

func (s *statter) close() error { return s.root.Close() }

// keyOf is a file version's identity where only portable fields are
// known: size and mtime.
func keyOf(fi fs.FileInfo) fileKey {
	return fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}
