package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// ServeHTTP is the net/http front-end: it answers r as ServeFastHTTP
// would, for embedding the server in a net/http program or testing it with
// httptest. feedpub serve runs Engine.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	var start time.Time
	if s.accessLog != nil {
		start = s.now()
	}
	// The path as sent (RawPath when the client escaped more than it had
	// to), so that it is decoded and checked by the same rules as on
	// fasthttp. It follows URL, not RequestURI, so that http.StripPrefix
	// works.
	target := hr.URL.EscapedPath()
	if target == "" {
		target = "/"
	}
	if hr.URL.RawQuery != "" || hr.URL.ForceQuery {
		target += "?" + hr.URL.RawQuery
	}
	r := request{method: hr.Method, target: target, now: time.Now()}
	h := hr.Header
	r.acceptEncoding = netField(h["Accept-Encoding"])
	r.ifMatch = netField(h["If-Match"])
	r.ifNoneMatch = netField(h["If-None-Match"])
	r.ifModifiedSince = netField(h["If-Modified-Since"])
	r.ifUnmodifiedSince = netField(h["If-Unmodified-Since"])

	rp := s.answer(&r)
	var code, n int
	if rp.metrics {
		code, n = s.netMetrics(w, hr)
	} else {
		code, n = sendNet(w, &r, &rp)
	}
	s.metrics.observe(code, n)
	if s.accessLog != nil {
		s.logAccess(hr.Context(), &r, code, n, start, hr.RemoteAddr, hr.UserAgent())
	}
}

func netField(lines []string) field {
	var f field
	for _, l := range lines {
		f.add(l)
	}
	return f
}

// sendNet sends a reply through net/http, which adds Date.
func sendNet(w http.ResponseWriter, r *request, rp *reply) (int, int) {
	h := w.Header()
	for i := range rp.fields {
		f := &rp.fields[i]
		h[f.name] = f.vals
	}
	if rp.location != "" {
		h["Location"] = []string{rp.location}
	}
	if rp.code != http.StatusNotModified {
		if rp.length != nil {
			h["Content-Length"] = rp.length
		} else {
			h["Content-Length"] = []string{strconv.Itoa(len(rp.body))}
		}
	}
	w.WriteHeader(rp.code)
	if r.method == http.MethodHead || rp.code == http.StatusNotModified || len(rp.body) == 0 {
		return rp.code, 0
	}
	n, _ := w.Write(rp.body)
	return rp.code, n
}

// netMetrics serves /metrics through promhttp.
func (s *Server) netMetrics(w http.ResponseWriter, hr *http.Request) (int, int) {
	rec := &recorder{ResponseWriter: w, code: http.StatusOK}
	w.Header()["Cache-Control"] = []string{"no-store"}
	s.promh.ServeHTTP(rec, hr)
	if hr.Method == http.MethodHead {
		return rec.code, 0
	}
	return rec.code, rec.n
}

// recorder notes the status code and body bytes of a response.
type recorder struct {
	http.ResponseWriter
	code, n int
}

func (r *recorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.n += n
	return n, err
}

// HTTPServer returns an http.Server for h with the limits l that net/http
// has (not MaxConns nor MaxConnsPerIP), logging its own errors (bad TLS,
// accept errors) to log at warning level.
func HTTPServer(h http.Handler, l Limits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
