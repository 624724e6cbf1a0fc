// Package watch tells a long-running server which listing files changed,
// from the file system's notifications (fsnotify: inotify on Linux), so
// that a scan can read just those instead of walking every file. It never
// promises completeness: when a notification may have been lost (queue
// overflow, a directory it could not watch), it says so and the next scan
// walks everything.
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// Watcher collects the paths that changed under a directory tree.
type Watcher struct {
	root string
	fsw  *fsnotify.Watcher
	log  *slog.Logger

	mu       sync.Mutex
	changed  map[string]bool // slash paths relative to root
	full     bool            // something may have been missed: walk everything
	degraded bool            // a directory is not watched: always walk everything

	signal chan struct{} // has a value when there is something to take
	done   chan struct{}
}

// New watches root and every directory under it (hidden ones excepted).
func New(root string, log *slog.Logger) (*Watcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{root: root, fsw: fsw, log: log, changed: map[string]bool{}, signal: make(chan struct{}, 1), done: make(chan struct{})}
	if err := w.addTree(root); err != nil {
		fsw.Close()
		return nil, err
	}
	go w.loop()
	return w, nil
}

// addTree watches dir and the directories under it. A directory that
// cannot be watched (past the kernel's inotify limit, say) is logged and
// makes every later scan walk everything.
func (w *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return fmt.Errorf("watch: %w", err)
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if path != w.root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.fsw.Add(path); err != nil {
			if path == w.root {
				return fmt.Errorf("watch %s: %w", path, err)
			}
			w.log.Warn("cannot watch a listings directory: every scan will walk all files", "dir", path, "error", err)
			w.mu.Lock()
			w.degraded = true
			w.mu.Unlock()
		}
		return nil
	})
}

func (w *Watcher) loop() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.event(ev)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			// An overflow, or the watch itself failing: changes may have
			// been lost.
			w.log.Warn("listing changes may have been missed: the next scan walks all files", "error", err)
			w.mark("", true)
		}
	}
}

func (w *Watcher) event(ev fsnotify.Event) {
	rel, err := filepath.Rel(w.root, ev.Name)
	if err != nil || !filepath.IsLocal(rel) {
		return
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") {
			return // dotfiles and dot-directories are not listings
		}
	}
	if ev.Has(fsnotify.Create) {
		if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
			// Files may land in a new directory before it is watched: it
			// is recorded whole, and the scan walks it.
			if err := w.addTree(ev.Name); err != nil {
				w.log.Warn("cannot watch a new listings directory", "dir", ev.Name, "error", err)
				w.mark("", true)
				return
			}
		}
	}
	w.mark(filepath.ToSlash(rel), false)
}

func (w *Watcher) mark(rel string, full bool) {
	w.mu.Lock()
	if rel != "" {
		w.changed[rel] = true
	}
	w.full = w.full || full
	w.mu.Unlock()
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// Changes has a value whenever something changed since the last Take.
func (w *Watcher) Changes() <-chan struct{} { return w.signal }

// Take returns the paths that changed since the last Take, relative to
// the root, and whether something may have been missed, in which case
// the caller must scan everything. It resets both.
func (w *Watcher) Take() (paths []string, full bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := range w.changed {
		paths = append(paths, p)
	}
	full = w.full || w.degraded
	w.changed, w.full = map[string]bool{}, false
	return paths, full
}

// Close stops watching.
func (w *Watcher) Close() error {
	err := w.fsw.Close()
	<-w.done
	if err != nil && !errors.Is(err, fsnotify.ErrClosed) {
		return fmt.Errorf("watch: close: %w", err)
	}
	return nil
}
