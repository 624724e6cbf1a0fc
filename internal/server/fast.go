package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// ServeFastHTTP is the fasthttp front-end: it answers a request as
// ServeHTTP would, without allocating for a file served from the cache.
// The response is one write: fasthttp sends header and body together
// (writev when they outgrow its buffer).
func (s *Server) ServeFastHTTP(ctx *fasthttp.RequestCtx) {
	var start time.Time
	if s.accessLog != nil {
		start = s.now()
	}
	h := &ctx.Request.Header
	// The time fasthttp took when the request arrived spares a clock read.
	now := ctx.Time()
	if now.IsZero() {
		now = time.Now()
	}
	r := request{method: b2s(h.Method()), target: b2s(h.RequestURI()), now: now}
	// One pass over the fields, whose names fasthttp has put in canonical
	// case: a fifth of the time of looking each one up.
	for k, v := range h.All() {
		switch b2s(k) {
		case "Accept-Encoding":
			r.acceptEncoding.add(b2s(v))
		case "If-Match":
			r.ifMatch.add(b2s(v))
		case "If-None-Match":
			r.ifNoneMatch.add(b2s(v))
		case "If-Modified-Since":
			r.ifModifiedSince.add(b2s(v))
		case "If-Unmodified-Since":
			r.ifUnmodifiedSince.add(b2s(v))
		}
	}

	rp := s.answer(&r)
	var code, n int
	if rp.metrics {
		code, n = s.fastMetrics(ctx)
	} else {
		code, n = sendFast(ctx, &r, &rp)
	}
	s.metrics.observe(code, n)
	if s.accessLog != nil {
		s.logAccess(context.Background(), &r, code, n, start,
			ctx.RemoteAddr().String(), string(h.UserAgent()))
	}
}

// sendFast puts a reply in the fasthttp response. fasthttp adds Date and
// Content-Length (the body's length, for a HEAD too), and sends no body
// for a HEAD or a 304.
func sendFast(ctx *fasthttp.RequestCtx, r *request, rp *reply) (int, int) {
	resp := &ctx.Response
	resp.SetStatusCode(rp.code)
	for i := range rp.fields {
		f := &rp.fields[i]
		resp.Header.SetCanonical(f.key, f.val)
		for _, v := range f.more {
			resp.Header.AddBytesKV(f.key, v)
		}
	}
	if rp.location != "" {
		resp.Header.Set("Location", rp.location)
	}
	resp.SetBodyRaw(rp.body) // shared, never modified
	if r.method == http.MethodHead || rp.code == http.StatusNotModified {
		return rp.code, 0
	}
	return rp.code, len(rp.body)
}

// fastMetrics serves /metrics through promhttp.
func (s *Server) fastMetrics(ctx *fasthttp.RequestCtx) (int, int) {
	s.promFast(ctx)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if ctx.IsHead() {
		return ctx.Response.StatusCode(), 0
	}
	return ctx.Response.StatusCode(), len(ctx.Response.Body())
}

// Engine is the HTTP/1.1 server that feedpub serve runs: a Server on
// fasthttp, within Limits. It sends no Server header; Date, which RFC 9110
// asks of an origin server with a clock, comes from a clock fasthttp
// updates once a second.
type Engine struct {
	fs *fasthttp.Server

	mu       sync.Mutex
	stopping bool                  // Shutdown was called
	lns      []net.Listener        // given to Serve
	conns    map[net.Conn]struct{} // open, for closing at the end of a drain
}

// maxRequestBody bounds what is read of a request body: the methods that
// send one get 405 anyway.
const maxRequestBody = 64 << 10

// NewEngine prepares an Engine for s with the limits l, logging its own
// trouble to log.
func NewEngine(s *Server, l Limits, log *slog.Logger) *Engine {
	e := &Engine{conns: map[net.Conn]struct{}{}}
	e.fs = &fasthttp.Server{
		Handler:                      recovering(s.ServeFastHTTP, log),
		ReadTimeout:                  l.readTimeout(),
		WriteTimeout:                 l.WriteTimeout,
		IdleTimeout:                  l.IdleTimeout,
		ReadBufferSize:               l.MaxHeaderBytes,
		Concurrency:                  l.MaxConns,
		MaxConnsPerIP:                l.MaxConnsPerIP,
		MaxRequestBodySize:           maxRequestBody,
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true,
		Logger:                       fastLogger{log},
		ConnState:                    e.track,
	}
	return e
}

// recovering answers 500 and logs the stack when h panics. net/http does
// so for its handlers; fasthttp would let the panic end the process, and
// one bad request must not take every poller's server down.
func recovering(h fasthttp.RequestHandler, log *slog.Logger) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("http: panic serving a request", "uri", string(ctx.RequestURI()), "panic", v, "stack", string(debug.Stack()))
				ctx.Response.Reset()
				ctx.SetStatusCode(fasthttp.StatusInternalServerError)
				ctx.SetConnectionClose()
			}
		}()
		h(ctx)
	}
}

// track keeps the set of open connections.
func (e *Engine) track(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		e.mu.Lock()
		delete(e.conns, c)
		e.mu.Unlock()
	}
}

// Serve accepts connections on ln until Shutdown, then returns nil; after
// Shutdown, it closes ln at once.
func (e *Engine) Serve(ln net.Listener) error {
	e.mu.Lock()
	if e.stopping {
		e.mu.Unlock()
		ln.Close()
		return nil
	}
	e.lns = append(e.lns, ln)
	e.mu.Unlock()
	err := e.fs.Serve(ln)
	e.mu.Lock()
	stopping := e.stopping
	e.mu.Unlock()
	if stopping && (err == nil || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	if err == nil {
		err = errListenerClosed // fasthttp says nil for a listener closed under it
	}
	return err
}

var errListenerClosed = errors.New("server: listener closed")

// Shutdown stops accepting connections, closes the idle ones, and waits
// for the requests under way to finish; when ctx ends first, it closes
// every connection left and returns ctx's error.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.stopping = true
	// A Serve just started may not have handed its listener to fasthttp
	// yet, which would then not close it.
	for _, ln := range e.lns {
		ln.Close()
	}
	e.mu.Unlock()
	err := e.fs.ShutdownWithContext(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil // closed above
	}
	if err == nil || ctx.Err() == nil {
		return err
	}
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	return err
}

// fastLogger passes fasthttp's messages to slog. Most are about one client
// (a malformed request, a reset connection), which anyone on the Internet
// can cause: debug level. A full server is the operator's business.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	level := slog.LevelDebug
	if strings.HasPrefix(format, "The incoming connection cannot be served") {
		level = slog.LevelWarn
	}
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, "http: "+fmt.Sprintf(format, args...))
	}
}
