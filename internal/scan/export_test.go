package scan

import "sync"

// readHooks maps a listing file's path (as the walk found it) to what a
// test wants done to it at a point of readFile ("open" or "read").
var readHooks sync.Map

// testHook is set once, before any test runs, so that parallel tests never
// race on it; each test registers hooks for its own files only.
func init() {
	testHook = func(point, path string) {
		if fn, ok := readHooks.Load(path); ok {
			fn.(func(string))(point)
		}
	}
}

// OnRead makes readFile call fn(point) for the file at path, at "open"
// (before it is opened) and at "read" (after its first stat, before the
// read), until the returned function is called.
func OnRead(path string, fn func(point string)) (remove func()) {
	readHooks.Store(path, fn)
	return func() { readHooks.Delete(path) }
}
