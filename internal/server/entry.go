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
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/internal/filetype"
)

// fileKey tells one version of a file from another without reading it:
// the publisher replaces a file by renaming a new one over it, which
// changes the inode (and ctime), whatever the size and mtime.
type fileKey struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// entry is one version of one file, ready to serve: its bodies and every
// header field, prepared once.
type entry struct {
	key          fileKey
	modTime      time.Time // whole seconds; zero: no Last-Modified
	lastMod      string    // modTime as an HTTP date
	ctype        string
	cacheControl string
	compressible bool
	page         bool    // HTML or SVG, which a browser runs: gets the CSP
	link         *hfield // a WebSub topic's Link field (hubs, self); sent with a 200 only
	metrics      *httpMetrics

	// checked is when the file was last seen to hold this version, in
	// nanoseconds of the server's clock: until Options.Revalidate later,
	// the entry is served without looking at the file.
	checked atomic.Int64

	plain variant
	gzip  lazyVariant
	br    lazyVariant

	acct  sync.Mutex // guards cache and held
	cache *cache     // the cache counting this entry's bytes, if any
	held  int64      // bytes of the bodies
}

// variant is one representation: the identity body or a compressed one,
// with its own strong ETag and the header fields of its 200 and its 304.
type variant struct {
	body        []byte
	etag        string // quoted
	length      []string
	ok          fields // 200
	notModified fields // 304: ok without the representation's own fields
}

type lazyVariant struct {
	once sync.Once
	v    *variant
}

func (s *Server) newEntry(rel string, data []byte, key fileKey, mod time.Time, cacheControl string) *entry {
	ctype, compressible := filetype.Of(rel)
	e := &entry{
		key:          key,
		ctype:        ctype,
		cacheControl: cacheControl,
		compressible: compressible,
		page:         strings.HasPrefix(ctype, "text/html") || strings.HasPrefix(ctype, "image/svg+xml"),
		metrics:      s.metrics,
		held:         int64(len(data)),
	}
	if f, ok := s.topicLinks(rel); ok {
		e.link = &f
	}
	if !mod.IsZero() {
		e.modTime = mod.Truncate(time.Second)
		e.lastMod = e.modTime.UTC().Format(http.TimeFormat)
	}
	e.plain = e.makeVariant(data, "", "")
	return e
}

// makeVariant prepares body's header fields. Its ETag is a hash of exactly
// these bytes, so a strong validator by RFC 9110's rule: it changes
// whenever a byte does, and two representations never share one. The
// suffix only makes the coding visible to a person reading headers.
func (e *entry) makeVariant(body []byte, suffix, encoding string) variant {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + suffix + `"`
	kv := []string{"ETag", etag, "Cache-Control", e.cacheControl}
	if e.lastMod != "" {
		kv = append(kv, "Last-Modified", e.lastMod)
	}
	if e.compressible {
		kv = append(kv, "Vary", "Accept-Encoding")
	}
	kv = append(kv, "X-Content-Type-Options", "nosniff")
	if e.page {
		kv = append(kv, "Content-Security-Policy", csp)
	}
	kv = append(kv, "Access-Control-Allow-Origin", "*")
	n := len(kv) / 2
	kv = append(kv, "Content-Type", e.ctype)
	if encoding != "" {
		kv = append(kv, "Content-Encoding", encoding)
	}
	ok := makeFields(kv...)
	if e.link != nil {
		ok = append(ok, *e.link)
	}
	return variant{
		body:        body,
		etag:        etag,
		length:      []string{strconv.Itoa(len(body))},
		ok:          ok,
		notModified: ok[:n:n],
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

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
		v = e.makeVariant(body, "-gz", "gzip")
	} else {
		v = e.makeVariant(body, "-br", "br")
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

// entryReply answers a GET or HEAD from a prepared entry: the variant the
// client accepts, 304 when its validators match, else 200 with the body.
func (s *Server) entryReply(r *request, e *entry) reply {
	enc := codingIdentity
	if e.compressible {
		enc = negotiate(r.acceptEncoding.v)
	}
	v := e.variant(enc)
	switch e.precondition(r, v) {
	case http.StatusNotModified:
		return reply{code: http.StatusNotModified, fields: v.notModified}
	case http.StatusPreconditionFailed:
		return s.plain(http.StatusPreconditionFailed)
	}
	return reply{code: http.StatusOK, fields: v.ok, body: v.body, length: v.length}
}

// precondition evaluates the conditional headers in RFC 9110 section 13.2.2's
// order for a GET or HEAD of v: 412 when If-Match (or, without it,
// If-Unmodified-Since) fails; 304 when If-None-Match matches (weak
// comparison) or, only when there is no If-None-Match, when the file is
// not newer than If-Modified-Since; 0 to send the body.
func (e *entry) precondition(r *request, v *variant) int {
	if r.ifMatch.n > 0 {
		if !matchETag(r.ifMatch.v, v.etag, true) {
			return http.StatusPreconditionFailed
		}
	} else if r.ifUnmodifiedSince.n == 1 && !e.modTime.IsZero() {
		if t, err := http.ParseTime(r.ifUnmodifiedSince.v); err == nil && e.modTime.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if r.ifNoneMatch.n > 0 {
		if matchETag(r.ifNoneMatch.v, v.etag, false) {
			return http.StatusNotModified
		}
		return 0
	}
	if ims := r.ifModifiedSince; ims.n == 1 && !e.modTime.IsZero() {
		if ims.v == e.lastMod { // what pollers send: our own Last-Modified
			return http.StatusNotModified
		}
		if t, err := http.ParseTime(ims.v); err == nil && !e.modTime.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// matchETag reports whether a list of entity tags holds etag or "*".
// Strong comparison (If-Match) refuses weak tags; weak comparison
// (If-None-Match) ignores the W/ prefix.
func matchETag(s, etag string, strong bool) bool {
	for {
		for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == ',') {
			s = s[1:]
		}
		if s == "" {
			return false
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
			return false // unterminated
		}
		tag := s[:end+1]
		s = s[end+1:]
		if tag == etag && !(strong && weak) {
			return true
		}
	}
}
