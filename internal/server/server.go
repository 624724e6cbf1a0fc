// Package server serves the output directory over HTTP to feed readers
// and pollers, with the validators (strong ETag per representation,
// Last-Modified), conditional requests, compression and cache headers
// that keep polling cheap, plus /healthz and /metrics.
//
// Every file is served from a prepared entry: the file version read whole
// into memory once, with its header fields, its ETag and its gzip and
// brotli bodies (each compressed once, the first time a client accepts
// it). An entry is checked against its file with one stat (size, mtime,
// inode) at most every Options.Revalidate, and served as it is in between.
// The publisher replaces files by atomic rename, so an entry always holds
// one whole version: a poller may get the version of a few milliseconds
// ago, never half a file.
//
// What to answer is decided once for every engine (answer, a reply); two
// front-ends send it. Engine runs it on fasthttp, which feedpub serve uses
// for speed: each response goes out in one write, header and body
// together. Server is also an http.Handler, for net/http and httptest.
//
// Paths are resolved inside an os.Root, so neither "..", encoded slashes
// nor a symlink can reach outside the directory; dotfiles and the
// publisher's temporary files are never served.
//
// The package knows nothing of scans or the store: whoever runs the scans
// reports them through Options.Health.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/feedpub/feedpub/internal/filetype"
)

// Reserved paths, answered by the server itself and never looked up in the
// directory.
const (
	HealthPath  = "/healthz"
	MetricsPath = "/metrics"
)

// Options configure a Server.
type Options struct {
	// Dir is the directory served, feedpub's output directory. It must exist.
	Dir string
	// MaxAge is sent as Cache-Control: public, max-age=N with every file.
	MaxAge time.Duration
	// Health reports the scans for /healthz; nil reports a server that
	// runs no scans, always healthy.
	Health func() Health
	// Registry gets the HTTP metrics, and /metrics serves everything in
	// it. Nil makes a new one.
	Registry *prometheus.Registry
	// Log gets errors that are the server's fault (an unreadable file),
	// and AccessLog one line per request if not nil.
	Log, AccessLog *slog.Logger
	// MaxCacheBytes bounds the prepared entries held in memory, bodies and
	// compressed variants together; past it, entries are evicted at
	// random. Zero means DefaultMaxCacheBytes.
	MaxCacheBytes int64
	// Revalidate is how long a file version, once seen to be the file's,
	// is served without looking at the file again: a file replaced or
	// removed is noticed at most this long afterwards. Zero means
	// DefaultRevalidate; a negative value checks on every request.
	Revalidate time.Duration
	// Now is the clock of the access log's durations; nil means time.Now.
	Now func() time.Time
	// Hubs are the WebSub hubs the feeds advertise. With hubs, a 200 or
	// HEAD for a topic (a feed's subscription document) carries a Link
	// field per hub and one to its self URL, BaseURL and the path, as
	// in the document, so that subscribers can discover them from the
	// headers alone.
	Hubs    []string
	BaseURL *url.URL
}

// DefaultMaxCacheBytes holds every feed of a large site: a thousand feeds
// of three 50-item documents, each with its gzip and brotli variants, take
// about 150 MiB.
const DefaultMaxCacheBytes = 512 << 20

// DefaultRevalidate spares the stat of busy files: at most one per file
// every 5 ms, where a poll costs a few microseconds. Nobody polls a feed
// closely enough to see the difference.
const DefaultRevalidate = 5 * time.Millisecond

// Server answers requests for the output directory, /healthz and /metrics.
// It is an http.Handler, and ServeFastHTTP is its fasthttp handler.
type Server struct {
	root       *os.Root
	stat       *statter
	dir        string
	health     func() Health
	log        *slog.Logger
	accessLog  *slog.Logger
	now        func() time.Time
	epoch      time.Time // the revalidation clock counts from here
	revalidate int64     // nanoseconds
	cache      *cache
	metrics    *httpMetrics
	promh      http.Handler
	promFast   fasthttp.RequestHandler
	favicon    *entry

	hubLinks []string // `<hub>; rel="hub"` for each hub
	base     *url.URL // the public URL of Dir, for self links

	cacheControl string // "public, max-age=N"
	plains       map[int]*reply
	redirect     fields
	healthFields fields
}

// New opens the directory and prepares the server. Close releases it.
func New(opts Options) (*Server, error) {
	root, err := os.OpenRoot(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("server: open %s: %w", opts.Dir, err)
	}
	st, err := newStatter(opts.Dir)
	if err != nil {
		root.Close()
		return nil, err
	}
	s := &Server{
		root:       root,
		stat:       st,
		dir:        opts.Dir,
		health:     opts.Health,
		log:        opts.Log,
		accessLog:  opts.AccessLog,
		now:        opts.Now,
		epoch:      time.Now(),
		revalidate: int64(opts.Revalidate),
		hubLinks:   hubLinkValues(opts.Hubs),
		base:       opts.BaseURL,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.revalidate == 0 {
		s.revalidate = int64(DefaultRevalidate)
	}
	if opts.MaxAge < 0 {
		s.Close()
		return nil, fmt.Errorf("server: max-age %s: must not be negative", opts.MaxAge)
	}
	s.cacheControl = "public, max-age=" + strconv.FormatInt(int64(opts.MaxAge/time.Second), 10)
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	max := opts.MaxCacheBytes
	if max <= 0 {
		max = DefaultMaxCacheBytes
	}
	s.cache = newCache(max)
	if s.metrics, err = newHTTPMetrics(reg, s.cache); err != nil {
		s.Close()
		return nil, err
	}
	s.promh = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}})
	s.promFast = fasthttpadaptor.NewFastHTTPHandler(s.promh)
	s.favicon = s.newEntry(faviconName, faviconICO, fileKey{}, time.Time{}, faviconCacheControl)
	s.preparePlain()
	return s, nil
}

// cacheControlOf chooses the Cache-Control of the file at rel: archive
// pages never change, everything else may change with the next scan.
func (s *Server) cacheControlOf(rel string) string {
	if filetype.Immutable(rel) {
		return filetype.ImmutableCacheControl
	}
	return s.cacheControl
}

// Close releases the directory.
func (s *Server) Close() error {
	err := errors.Join(s.root.Close(), s.stat.close())
	if err != nil {
		return fmt.Errorf("server: close %s: %w", s.dir, err)
	}
	return nil
}

// answer decides the reply to a request, whatever engine carries it: GET
// and HEAD for files, /healthz and /metrics, 405 for every other method.
func (s *Server) answer(r *request) reply {
	if r.method != http.MethodGet && r.method != http.MethodHead {
		return s.plain(http.StatusMethodNotAllowed)
	}
	t, ok := parseTarget(r.target)
	if !ok {
		return s.plain(http.StatusBadRequest)
	}
	switch t.path {
	case HealthPath:
		return s.healthReply()
	case MetricsPath:
		return reply{metrics: true}
	}
	if t.encodedSeparator {
		return s.plain(http.StatusNotFound)
	}
	e, res := s.find(t.path, int64(r.now.Sub(s.epoch)))
	switch res {
	case found:
		return s.entryReply(r, e)
	case redirect:
		// "/dir" to "/dir/", where its index.html is served, so that the
		// page's relative links resolve, as nginx and net/http do.
		loc := escapePath(t.path) + "/"
		if t.query != "" {
			loc += "?" + t.query
		}
		return reply{code: http.StatusMovedPermanently, fields: s.redirect, location: loc}
	case failed:
		return s.plain(http.StatusInternalServerError)
	}
	return s.plain(http.StatusNotFound)
}

// Bodies of the short plain-text answers.
var plainBodies = map[int]string{
	http.StatusBadRequest:          "400 bad request\n",
	http.StatusNotFound:            "404 not found\n",
	http.StatusMethodNotAllowed:    "405 method not allowed: only GET and HEAD\n",
	http.StatusInternalServerError: "500 internal server error\n",
	http.StatusPreconditionFailed:  "412 precondition failed\n",
}

// csp is the Content-Security-Policy of pages (HTML, SVG): they need
// nothing but the site's own stylesheet and images.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// preparePlain prepares the short answers. 404s carry the same max-age as
// files: a missing feed can only appear with the next scan.
func (s *Server) preparePlain() {
	s.plains = map[int]*reply{}
	for code, body := range plainBodies {
		kv := []string{"Content-Type", "text/plain; charset=utf-8", "X-Content-Type-Options", "nosniff"}
		if code == http.StatusNotFound {
			kv = append(kv, "Cache-Control", s.cacheControl)
		} else {
			kv = append(kv, "Cache-Control", "no-store")
		}
		if code == http.StatusMethodNotAllowed {
			kv = append(kv, "Allow", "GET, HEAD")
		}
		s.plains[code] = &reply{code: code, fields: makeFields(kv...), body: []byte(body),
			length: []string{strconv.Itoa(len(body))}}
	}
	s.redirect = makeFields("Cache-Control", s.cacheControl)
	s.healthFields = makeFields("Content-Type", "application/json", "Cache-Control", "no-store",
		"X-Content-Type-Options", "nosniff")
}

// plain is a short text answer.
func (s *Server) plain(code int) reply { return *s.plains[code] }

// logAccess writes the access log's line for a request.
func (s *Server) logAccess(ctx context.Context, r *request, code, n int, start time.Time, remote, userAgent string) {
	s.accessLog.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("method", strings.Clone(r.method)), slog.String("path", strings.Clone(r.target)),
		slog.Int("status", code), slog.Int("bytes", n),
		slog.Duration("duration", s.now().Sub(start)),
		slog.String("remote", remote), slog.String("user_agent", userAgent))
}

// Limits of the HTTP server, so that slow or abusive clients cannot pin
// it: a feed of a thousand items is well under a megabyte, which even a
// slow phone link moves in WriteTimeout.
type Limits struct {
	// ReadHeaderTimeout bounds the reading of a request's headers, and
	// ReadTimeout of the whole request, from when its connection opens or,
	// on a kept-alive one, from its first byte. fasthttp has only the
	// second; as the requests served have no body, Engine gives it the
	// shorter of the two.
	ReadHeaderTimeout, ReadTimeout time.Duration
	// WriteTimeout bounds the sending of a response.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection waits for its next
	// request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; past it, 431.
	MaxHeaderBytes int
	// MaxConns bounds the connections served at once: past it, a new
	// connection gets 503 and is closed. Only Engine applies it.
	MaxConns int
	// MaxConnsPerIP bounds the connections of one client address; zero
	// means no bound. Only Engine applies it.
	MaxConnsPerIP int
}

// DefaultLimits are the limits feedpub serve uses. A request line and
// headers of 8 KiB are what nginx and Apache allow. Connections from one
// address are not bounded, because behind a CDN or a proxy every client
// comes from a few addresses.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    8 << 10,
	MaxConns:          10000,
}

// readTimeout is the one read timeout fasthttp has: the shorter of the
// two that are set.
func (l Limits) readTimeout() time.Duration {
	if l.ReadHeaderTimeout > 0 && (l.ReadTimeout <= 0 || l.ReadHeaderTimeout < l.ReadTimeout) {
		return l.ReadHeaderTimeout
	}
	return l.ReadTimeout
}

// slogPrinter lets promhttp log its errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error(fmt.Sprint(v...)) }

// errTooLarge refuses files too big to hold in memory; a feed document is
// far smaller.
var errTooLarge = errors.New("file too large to serve")

// maxFileSize is the largest file served.
const maxFileSize = 64 << 20
