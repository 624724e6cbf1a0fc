package store

import (
	"errors"
	"os"
	"syscall"
)

// lockNow takes the lock bbolt takes on a database file (flock, exclusive)
// without waiting.
func lockNow(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errors.New("another process holds it")
	}
	return err
}
