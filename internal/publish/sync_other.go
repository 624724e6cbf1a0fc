//go:build !linux

package publish

import (
	"os"
	"path/filepath"
)

// syncAll fsyncs each staged file where syncfs(2) is not available.
func syncAll(_ string, paths []string) error {
	for _, p := range paths {
		f, err := os.Open(filepath.Join(filepath.Dir(p), TempPrefix+filepath.Base(p)))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// syncDirs fsyncs each directory that received a rename.
func syncDirs(_ string, dirs map[string]bool) error {
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}
