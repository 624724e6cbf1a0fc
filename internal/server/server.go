// Package server serves the output directory over HTTP to feed readers
// and pollers, with the validators (strong ETag per representation,
// Last-Modified), conditional requests, compression and cache headers
// that keep polling cheap, plus /healthz and /metrics.
//
// Every file is served from a prepared entry: the file version read whole
// into memory once, with its header values, its ETag and its gzip and
// brotli bodies (each compressed once, the first time a client accepts
// it). A request checks its entry with one stat (size, mtime, inode) and
// answers with one Write. The publisher replaces files by atomic rename,
// so an entry always holds one whole version: a poller never gets half a
// file.
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
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedpub/feedpub/internal/model"
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
	// Now is the clock of the access log's durations; nil means time.Now.
	Now func() time.Time
}

// DefaultMaxCacheBytes holds every feed of a large site: a thousand feeds
// of three 50-item documents, each with its gzip and brotli variants, take
// about 150 MiB.
const DefaultMaxCacheBytes = 512 << 20

// Server is an http.Handler for the output directory, /healthz and /metrics.
type Server struct {
	root      *os.Root
	stat      *statter
	dir       string
	health    func() Health
	log       *slog.Logger
	accessLog *slog.Logger
	now       func() time.Time
	cache     *cache
	metrics   *httpMetrics
	promh     http.Handler
	favicon   *entry

	cacheControl []string // "public, max-age=N"
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
		root:      root,
		stat:      st,
		dir:       opts.Dir,
		health:    opts.Health,
		log:       opts.Log,
		accessLog: opts.AccessLog,
		now:       opts.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.MaxAge < 0 {
		s.Close()
		return nil, fmt.Errorf("server: max-age %s: must not be negative", opts.MaxAge)
	}
	s.cacheControl = []string{"public, max-age=" + strconv.FormatInt(int64(opts.MaxAge/time.Second), 10)}
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
	s.favicon = s.newEntry(faviconName, faviconICO, fileKey{}, time.Time{}, faviconCacheControl)
	return s, nil
}

// immutable is the Cache-Control of full archive pages (RFC 5005): their
// URLs and entries never change once written, so caches may keep them a
// year without asking again.
var immutable = []string{"public, max-age=31536000, immutable"}

// cacheControlOf chooses the Cache-Control of the file at rel: archive
// pages never change, everything else may change with the next scan.
func (s *Server) cacheControlOf(rel string) []string {
	if _, _, ok := model.SplitArchiveDir(path.Dir(rel)); ok {
		return immutable
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

// Limits of the HTTP server, so that slow or abusive clients cannot pin
// it: a feed of a thousand items is well under a megabyte, which even a
// slow phone link moves in WriteTimeout.
type Limits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// DefaultLimits are the limits feedpub serve uses.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    16 << 10,
}

// HTTPServer returns an http.Server for h with the limits l, logging its
// own errors (bad TLS, accept errors) to log at warning level. It lets a
// Server send large responses as full TCP packets.
func HTTPServer(h http.Handler, l Limits, log *slog.Logger) *http.Server {
	return &http.Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if k := newCorker(c); k != nil {
				return context.WithValue(ctx, corkerKey{}, k)
			}
			return ctx
		},
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// ServeHTTP answers GET and HEAD for files, /healthz and /metrics, and 405
// for every other method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if s.accessLog != nil {
		start = s.now()
	}
	code, n := s.serve(w, r)
	s.metrics.observe(code, n)
	if s.accessLog != nil {
		s.accessLog.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.RequestURI()),
			slog.Int("status", code), slog.Int("bytes", n),
			slog.Duration("duration", s.now().Sub(start)),
			slog.String("remote", r.RemoteAddr), slog.String("user_agent", r.UserAgent()))
	}
}

// serve answers r and returns the status code and the body bytes sent.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (int, int) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return s.plain(w, r, http.StatusMethodNotAllowed, allowHeader)
	}
	switch r.URL.Path {
	case HealthPath:
		return s.serveHealth(w, r)
	case MetricsPath:
		return s.serveMetrics(w, r)
	}
	e, res := s.find(r.URL.Path, r.URL.RawPath)
	switch res {
	case found:
		return s.serveEntry(w, r, e)
	case redirect:
		return s.redirectToDir(w, r)
	case failed:
		return s.plain(w, r, http.StatusInternalServerError, nil)
	}
	return s.plain(w, r, http.StatusNotFound, nil)
}

var allowHeader = []string{"GET, HEAD"}

// Bodies of the short plain-text answers.
var plainBodies = map[int][]byte{
	http.StatusNotFound:            []byte("404 not found\n"),
	http.StatusMethodNotAllowed:    []byte("405 method not allowed: only GET and HEAD\n"),
	http.StatusInternalServerError: []byte("500 internal server error\n"),
	http.StatusPreconditionFailed:  []byte("412 precondition failed\n"),
}

var (
	textPlain  = []string{"text/plain; charset=utf-8"}
	noStore    = []string{"no-store"}
	nosniff    = []string{"nosniff"}
	csp        = []string{"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}
	anyOrigin  = []string{"*"}
	varyAE     = []string{"Accept-Encoding"}
	lengthZero = []string{"0"}
)

// plain writes a short text answer. 404s carry the same max-age as files:
// a missing feed can only appear with the next scan.
func (s *Server) plain(w http.ResponseWriter, r *http.Request, code int, allow []string) (int, int) {
	body := plainBodies[code]
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Content-Type-Options"] = nosniff
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	if allow != nil {
		h["Allow"] = allow
	}
	if code == http.StatusNotFound {
		h["Cache-Control"] = s.cacheControl
	} else {
		h["Cache-Control"] = noStore
	}
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return code, 0
	}
	n, _ := w.Write(body)
	return code, n
}

// redirectToDir sends "/dir" to "/dir/", where its index.html is served,
// so that the page's relative links resolve, as nginx and net/http do.
func (s *Server) redirectToDir(w http.ResponseWriter, r *http.Request) (int, int) {
	loc := r.URL.EscapedPath() + "/"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	h := w.Header()
	h["Location"] = []string{loc}
	h["Cache-Control"] = s.cacheControl
	h["Content-Length"] = lengthZero
	w.WriteHeader(http.StatusMovedPermanently)
	return http.StatusMovedPermanently, 0
}

// corkerKey finds a connection's corker in its requests' contexts.
type corkerKey struct{}

// slogPrinter lets promhttp log its errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error(fmt.Sprint(v...)) }

// errTooLarge refuses files too big to hold in memory; a feed document is
// far smaller.
var errTooLarge = errors.New("file too large to serve")

// maxFileSize is the largest file served.
const maxFileSize = 64 << 20
