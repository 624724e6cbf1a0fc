//go:build !linux

package publish

import (
	"errors"
	"path/filepath"
)

// syncAll fsyncs each staged file where syncfs(2) is not available.
func syncAll(fsys FS, _ string, paths []string) error {
	for _, p := range paths {
		if err := fsys.SyncFile(filepath.Join(filepath.Dir(p), TempPrefix+filepath.Base(p))); err != nil {
			return err
		}
	}
	return nil
}

// syncDirs fsyncs each directory that received a rename.
func syncDirs(fsys FS, _ string, dirs map[string]bool) error {
	for d := range dirs {
		if err := fsys.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func syncfs(string) error { return errors.New("publish: syncfs is Linux only") }
