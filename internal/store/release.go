package store

import (
	"sync"
	"time"
)

// ReleaseEvery checks every interval, from its own goroutine, until stop
// is called, and drops the database's mapped pages (see ReleaseMemory)
// once the process has more than above bytes of file pages resident (0:
// at every tick); stop waits for that goroutine. It bounds the mapped
// pages by time rather than by work, which reaches what a caller cannot:
// bbolt's commit reads the header of every page the transaction frees,
// and with a million items stored one ingest commit mapped 140 MB of the
// file in 90 ms. Each release runs in a read transaction of its own, so
// the file is not remapped under it.
func (db *DB) ReleaseEvery(interval time.Duration, above int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if n, ok := mappedBytes(); ok && n <= above {
					continue
				}
				// An optimization: a failure changes nothing else.
				_ = db.View(func(*Tx) error { return db.ReleaseMemory() })
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}
