package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// fileKey tells one version of a file from another without reading it:
// the publisher replaces a file by renaming a new one over it, which
// changes the inode (and ctime), whatever the size and mtime.
type fileKey struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// entry is one version of one file, ready to serve: its bodies and every
// header value, prepared once.
type entry struct {
	key          fileKey
	modTime      time.Time // whole seconds; zero: no Last-Modified
	lastMod      string    // modTime as an HTTP date
	lastModH     []string
	ctypeH       []string
	cacheH       []string
	compressible bool
	page         bool // HTML or SVG, which a browser runs: gets the CSP
	metrics      *httpMetrics

	plain variant
	gzip  lazyVariant
	br    lazyVariant

	acct  sync.Mutex // guards cache and held
	cache *cache     // the cache counting this entry's bytes, if any
	held  int64      // bytes of the bodies
}

// variant is one representation: the identity body or a compressed one,
// with its own strong ETag.
type variant struct {
	body    []byte
	etag    string // quoted
	etagH   []string
	lengthH []string
	encH    []string // Content-Encoding; nil for identity
}

type lazyVariant struct {
	once sync.Once
	v    *variant
}

func (s *Server) newEntry(rel string, data []byte, key fileKey, mod time.Time, cacheH []string) *entry {
	ctype, compressible := mediaType(rel)
	e := &entry{
		key:          key,
		ctypeH:       []string{ctype},
		cacheH:       cacheH,
		compressible: compressible,
		page:         strings.HasPrefix(ctype, "text/html") || strings.HasPrefix(ctype, "image/svg+xml"),
		metrics:      s.metrics,
		held:         int64(len(data)),
	}
	if !mod.IsZero() {
		e.modTime = mod.Truncate(time.Second)
		e.lastMod = e.modTime.UTC().Format(http.TimeFormat)
		e.lastModH = []string{e.lastMod}
	}
	e.plain = makeVariant(data, "", nil)
	return e
}

// makeVariant prepares body's headers. Its ETag is a hash of exactly these
// bytes, so a strong validator by RFC 9110's rule: it changes whenever a
// byte does, and two representations never share one. The suffix only
// makes the coding visible to a person reading headers.
func makeVariant(body []byte, suffix string, encH []string) variant {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + suffix + `"`
	return variant{
		body:    body,
		etag:    etag,
		etagH:   []string{etag},
		lengthH: []string{strconv.Itoa(len(body))},
		encH:    encH,
	}
}

// variant returns the representation for a content coding, compressing
// the body the first time it is asked for: once per file version.
func (e *entry) variant(enc coding) *variant {
	if !e.compressible {
		return &e.plain
	}
	switch enc {
	case codingBrotli:
		e.br.once.Do(func() { e.br.v = e.compress(codingBrotli) })
		return e.br.v
	case codingGzip:
		e.gzip.once.Do(func() { e.gzip.v = e.compress(codingGzip) })
		return e.gzip.v
	}
	return &e.plain
}

var (
	gzipH   = []string{"gzip"}
	brH     = []string{"br"}
	bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// Compression levels: the best each format has, since a body is
// compressed once per version and then sent to every poller. Brotli's
// best is slow (about 60 ms for a 30 KB feed), so large files get level 9.
const (
	brotliBest       = brotli.BestCompression
	brotliLarge      = 9
	brotliLargeBytes = 256 << 10
)

func (e *entry) compress(enc coding) *variant {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	src := e.plain.body
	switch enc {
	case codingGzip:
		zw, _ := gzip.NewWriterLevel(buf, gzip.BestCompression)
		zw.Write(src)
		zw.Close()
	case codingBrotli:
		level := brotliBest
		if len(src) > brotliLargeBytes {
			level = brotliLarge
		}
		bw := brotli.NewWriterLevel(buf, level)
		bw.Write(src)
		bw.Close()
	}
	e.metrics.compressions[enc].Inc()
	if buf.Len() >= len(src) {
		return &e.plain // nothing gained: send it as it is
	}
	body := bytes.Clone(buf.Bytes())
	var v variant
	if enc == codingGzip {
		v = makeVariant(body, "-gz", gzipH)
	} else {
		v = makeVariant(body, "-br", brH)
	}
	e.acct.Lock()
	e.held += int64(len(body))
	c := e.cache
	if c != nil {
		c.bytes.Add(int64(len(body)))
	}
	e.acct.Unlock()
	if c != nil {
		c.evict(e)
	}
	return &v
}

// serveEntry answers a GET or HEAD from a prepared entry: the variant the
// client accepts, 304 when its validators match, else 200 with the whole
// body in one Write.
func (s *Server) serveEntry(w http.ResponseWriter, r *http.Request, e *entry) (int, int) {
	enc := codingIdentity
	if e.compressible {
		enc = negotiate(r.Header["Accept-Encoding"])
	}
	v := e.variant(enc)
	h := w.Header()
	h["Etag"] = v.etagH
	h["Cache-Control"] = e.cacheH
	if e.lastModH != nil {
		h["Last-Modified"] = e.lastModH
	}
	if e.compressible {
		h["Vary"] = varyAE
	}
	h["X-Content-Type-Options"] = nosniff
	if e.page {
		h["Content-Security-Policy"] = csp
	}
	h["Access-Control-Allow-Origin"] = anyOrigin
	switch e.precondition(r.Header, v) {
	case http.StatusNotModified:
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, 0
	case http.StatusPreconditionFailed:
		return s.plain(w, r, http.StatusPreconditionFailed, nil)
	}
	h["Content-Type"] = e.ctypeH
	h["Content-Length"] = v.lengthH
	if v.encH != nil {
		h["Content-Encoding"] = v.encH
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return http.StatusOK, 0
	}
	if len(v.body) > corkMin {
		// More than net/http's buffer holds with the header: hold the
		// packets until header and body are all with the kernel.
		if k, ok := r.Context().Value(corkerKey{}).(*corker); ok && k.set(true) {
			defer k.set(false)
			n, _ := w.Write(v.body)
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			return http.StatusOK, n
		}
	}
	n, _ := w.Write(v.body)
	return http.StatusOK, n
}

// corkMin is the body size past which header and body no longer fit in
// net/http's 4 KiB connection buffer together, so that it would send them
// in two writes.
const corkMin = 3 << 10

// precondition evaluates the conditional headers in RFC 9110 section 13.2.2's
// order for a GET or HEAD of v: 412 when If-Match (or, without it,
// If-Unmodified-Since) fails; 304 when If-None-Match matches (weak
// comparison) or, only when there is no If-None-Match, when the file is
// not newer than If-Modified-Since; 0 to send the body.
func (e *entry) precondition(h http.Header, v *variant) int {
	if im, ok := h["If-Match"]; ok {
		if !matchETag(im, v.etag, true) {
			return http.StatusPreconditionFailed
		}
	} else if ius, ok := h["If-Unmodified-Since"]; ok && len(ius) == 1 && !e.modTime.IsZero() {
		if t, err := http.ParseTime(ius[0]); err == nil && e.modTime.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm, ok := h["If-None-Match"]; ok {
		if matchETag(inm, v.etag, false) {
			return http.StatusNotModified
		}
		return 0
	}
	if ims, ok := h["If-Modified-Since"]; ok && len(ims) == 1 && !e.modTime.IsZero() {
		if ims[0] == e.lastMod { // what pollers send: our own Last-Modified
			return http.StatusNotModified
		}
		if t, err := http.ParseTime(ims[0]); err == nil && !e.modTime.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// matchETag reports whether a list of entity tags (one or more header
// lines) holds etag or "*". Strong comparison (If-Match) refuses weak tags;
// weak comparison (If-None-Match) ignores the W/ prefix.
func matchETag(lines []string, etag string, strong bool) bool {
	for _, s := range lines {
		for {
			for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == ',') {
				s = s[1:]
			}
			if s == "" {
				break
			}
			if s[0] == '*' {
				return true
			}
			weak := false
			if len(s) >= 2 && s[0] == 'W' && s[1] == '/' {
				weak = true
				s = s[2:]
			}
			if len(s) == 0 || s[0] != '"' {
				// Not an entity tag: skip to the next comma.
				for len(s) > 0 && s[0] != ',' {
					s = s[1:]
				}
				continue
			}
			end := 1
			for end < len(s) && s[end] != '"' {
				end++
			}
			if end == len(s) {
				break // unterminated
			}
			tag := s[:end+1]
			s = s[end+1:]
			if tag == etag && !(strong && weak) {
				return true
			}
		}
	}
	return false
}
