package publish

import (
	"io/fs"
	"os"
)

// FS is every file system operation the publisher makes, so that tests
// can put a file system under it that remembers what was made durable and
// loses the rest at a simulated power cut (the power-loss harness in
// internal/faults). Production uses OS, the real calls. Paths are the
// OS's, absolute or relative to the working directory.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	MkdirAll(dir string) error
	// WriteFile creates or truncates name and writes data, without
	// making it durable.
	WriteFile(name string, data []byte) error
	// SyncFile makes name's data durable (fsync).
	SyncFile(name string) error
	Rename(from, to string) error
	Remove(name string) error
	// SyncDir makes the entries of dir durable: the files created,
	// renamed into or removed from it (fsync of the directory).
	SyncDir(dir string) error
	// SyncFS makes everything written on the file system holding root
	// durable, data and entries (syncfs(2) on Linux).
	SyncFS(root string) error
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)   { return os.ReadFile(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)  { return os.Stat(name) }
func (osFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (osFS) MkdirAll(dir string) error              { return os.MkdirAll(dir, 0o755) }
func (osFS) Rename(from, to string) error           { return os.Rename(from, to) }
func (osFS) Remove(name string) error               { return os.Remove(name) }
func (osFS) SyncDir(dir string) error               { return syncPath(dir) }
func (osFS) SyncFile(name string) error             { return syncPath(name) }
func (osFS) SyncFS(root string) error               { return syncfs(root) }

func (osFS) WriteFile(name string, data []byte) error {
	return os.WriteFile(name, data, 0o644)
}

// syncPath fsyncs a file or directory.
func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// fs returns d's file system, OS unless a test gave another.
func (d Dir) fs() FS {
	if d.FS == nil {
		return OS
	}
	return d.FS
}
