package server

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/feedpub/feedpub/internal/filetype"
)

// cache holds a slot per request path that names a file; each slot holds
// the entry of the file version last read.
type cache struct {
	mu    sync.RWMutex
	slots map[string]*slot
	bytes atomic.Int64 // bodies held, compressed variants included
	max   int64
}

// slot is one path's place in the cache. Its mutex is held while a new
// version is read, so concurrent requests read a file once.
type slot struct {
	path string // the request path it is cached under
	rel  string // the file's slash path under the root
	mu   sync.Mutex
	cur  atomic.Pointer[entry]
}

func newCache(max int64) *cache {
	return &cache{slots: map[string]*slot{}, max: max}
}

func (c *cache) get(path string) *slot {
	c.mu.RLock()
	sl := c.slots[path]
	c.mu.RUnlock()
	return sl
}

// slot returns the slot at path, making an empty one if there is none:
// the first request fills it, the others wait for it.
func (c *cache) slot(path, rel string) *slot {
	c.mu.Lock()
	defer c.mu.Unlock()
	sl := c.slots[path]
	if sl == nil {
		sl = &slot{path: path, rel: rel}
		c.slots[path] = sl
	}
	return sl
}

// replace puts e in sl in place of its entry.
func (c *cache) replace(sl *slot, e *entry) *entry {
	if old := sl.cur.Swap(e); old != nil {
		c.release(old)
	}
	// Count e only if sl is still in the map: an entry of an evicted slot
	// would otherwise be counted for ever.
	c.mu.RLock()
	if c.slots[sl.path] == sl {
		c.count(e)
	}
	c.mu.RUnlock()
	c.evict(e)
	return e
}

// remove drops sl from path, if it is still there.
func (c *cache) remove(path string, sl *slot) {
	c.mu.Lock()
	if c.slots[path] == sl {
		delete(c.slots, path)
	}
	c.mu.Unlock()
	if e := sl.cur.Load(); e != nil {
		c.release(e)
	}
}

// count starts counting e's bodies, the ones it has and the compressed
// ones it will get, against the bound. The caller holds c.mu (locks are
// taken in the order c.mu, then an entry's acct).
func (c *cache) count(e *entry) {
	e.acct.Lock()
	e.cache = c
	c.bytes.Add(e.held)
	e.acct.Unlock()
}

// release stops counting e: it left the cache, though requests under way
// may still serve it.
func (c *cache) release(e *entry) {
	e.acct.Lock()
	if e.cache == c {
		c.bytes.Add(-e.held)
		e.cache = nil
	}
	e.acct.Unlock()
}

// evict drops entries other than keep, at random, while the cache is over
// its bound. The evicted are read anew when asked for again.
func (c *cache) evict(keep *entry) {
	if c.bytes.Load() <= c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, sl := range c.slots { // map order is random enough
		if c.bytes.Load() <= c.max {
			return
		}
		if old := sl.cur.Load(); old != nil && old != keep { // nil: being filled, holds nothing
			delete(c.slots, path)
			c.release(old)
		}
	}
}

// lookup results.
type result int

const (
	notFound result = iota
	found
	redirect // a directory with an index.html, asked for without its slash
	failed   // the server's fault: unreadable, too large
)

const faviconPath = "/favicon.ico"

// find returns the entry for a request path (decoded, as sent). An entry
// checked against its file less than Options.Revalidate ago is served as
// it is; an older one is checked with one stat, and read again if the file
// changed, once however many requests want it at the same time. now is the
// request's arrival on the server's clock (nanoseconds).
func (s *Server) find(path string, now int64) (*entry, result) {
	sl := s.cache.get(path)
	if sl == nil {
		// From here on path may be kept (a slot, a log line), and it may
		// be a view of the engine's buffer: copy it.
		path = strings.Clone(path)
		rel, ok := cleanPath(path)
		if !ok {
			return nil, notFound
		}
		if _, err := s.statKey(rel); err != nil {
			// Missing, a directory (with an index.html to redirect to?)
			// or unreadable: nothing to cache, and no slot for it, so that
			// a flood of unknown paths does not fill the map.
			e, res := s.load(rel, path, now)
			return s.fallback(path, e, res)
		}
		sl = s.cache.slot(path, rel)
	}
	if e := sl.cur.Load(); e != nil {
		if now-e.checked.Load() < s.revalidate {
			return e, found
		}
		k, err := s.statKey(sl.rel)
		if err == nil && k == e.key {
			// A request that arrived earlier may store an older time:
			// that only shortens the window.
			e.checked.Store(now)
			return e, found
		}
		if err != nil {
			s.cache.remove(sl.path, sl)
			return s.fallback(sl.path, nil, s.classify(sl.rel, err))
		}
	}
	// A new file or a new version: the first request reads it, the
	// others wait and share its entry.
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if e := sl.cur.Load(); e != nil {
		if now-e.checked.Load() < s.revalidate {
			return e, found
		}
		if k, err := s.statKey(sl.rel); err == nil && k == e.key {
			e.checked.Store(now)
			return e, found
		}
	}
	e, res := s.load(sl.rel, sl.path, now)
	if res != found {
		s.cache.remove(sl.path, sl)
		return s.fallback(sl.path, nil, res)
	}
	return s.cache.replace(sl, e), found
}

// fallback serves the built-in icon when the directory has none.
func (s *Server) fallback(path string, e *entry, res result) (*entry, result) {
	if res == notFound && path == faviconPath {
		return s.favicon, found
	}
	return e, res
}

// load reads the file at rel whole into a new entry, checked at now: a
// time before the file was opened.
func (s *Server) load(rel, path string, now int64) (*entry, result) {
	f, err := s.root.Open(rel)
	if err != nil {
		return nil, s.classify(rel, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, s.classify(rel, err)
	}
	if fi.IsDir() {
		if !strings.HasSuffix(path, "/") {
			if fi, err := s.root.Stat(rel + "/index.html"); err == nil && fi.Mode().IsRegular() {
				return nil, redirect
			}
		}
		return nil, notFound // never a listing
	}
	if !fi.Mode().IsRegular() {
		return nil, notFound
	}
	if fi.Size() > maxFileSize {
		return nil, s.classify(rel, errTooLarge)
	}
	// The key comes from the open file, so it names the version read even
	// if the path is replaced meanwhile; the next stat then differs and the
	// new version is read.
	data := make([]byte, 0, fi.Size()+1)
	data, err = readAll(f, data)
	if err != nil {
		return nil, s.classify(rel, err)
	}
	if len(data) > maxFileSize {
		return nil, s.classify(rel, errTooLarge)
	}
	s.metrics.loads.Inc()
	e := s.newEntry(rel, data, keyOf(fi), fi.ModTime(), s.cacheControlOf(rel))
	e.checked.Store(now)
	return e, found
}

// readAll reads f to its end into buf.
func readAll(f io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			if len(buf) > maxFileSize {
				return buf, nil
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// classify tells a missing file (404) from the server's own trouble
// (logged, 500). Paths that escape the root through a symlink, loops and
// a file where a directory should be all count as missing.
func (s *Server) classify(rel string, err error) result {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return notFound
	case errors.Is(err, errTooLarge), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EIO),
		errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOMEM):
		s.log.Error("cannot serve file", "file", rel, "error", err)
		return failed
	}
	return notFound
}

// cleanPath maps a request path to a slash path under the root, "/" and
// "/dir/" to their index.html. It refuses anything but plain names: empty
// segments ("//"), ".", "..", dotfiles (the publisher's ".tmp-" files
// too), backslashes and NULs; and the precompressed variants (X.gz,
// X.br), which are for servers that map them to X with a
// Content-Encoding: served as files they would be compressed bytes with
// no such header. This server compresses X itself.
func cleanPath(p string) (string, bool) {
	if len(p) == 0 || p[0] != '/' || len(p) > 1024 {
		return "", false
	}
	p = p[1:]
	if p == "" || p[len(p)-1] == '/' {
		p += "index.html"
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg[0] == '.' {
			return "", false
		}
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	if _, _, variant := filetype.SplitVariant(p); variant {
		return "", false
	}
	return p, true
}

// statKey stats the file at rel: its version's key.
func (s *Server) statKey(rel string) (fileKey, error) { return s.stat.key(rel) }
