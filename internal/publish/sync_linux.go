package publish

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncAll makes the staged files durable. On Linux one syncfs(2) of the
// output's file system does it for any number of files; fsyncing each
// would cost a disk flush per file.
func syncAll(fsys FS, root string, _ []string) error { return fsys.SyncFS(root) }

// syncDirs makes renames in dirs durable, again with one syncfs(2).
func syncDirs(fsys FS, root string, _ map[string]bool) error { return fsys.SyncFS(root) }

func syncfs(root string) error {
	f, err := os.Open(root)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
