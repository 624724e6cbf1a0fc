package server

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics count what the server answers.
type httpMetrics struct {
	requests     *prometheus.CounterVec
	byCode       [600]prometheus.Counter // the usual codes, resolved once
	bytes        prometheus.Counter
	compressions [numCodings]prometheus.Counter
	loads        prometheus.Counter
}

func newHTTPMetrics(reg prometheus.Registerer, c *cache) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpub_http_requests_total",
			Help: "HTTP requests answered, by status code (304: a poller's copy was still good).",
		}, []string{"code"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedpub_http_response_bytes_total",
			Help: "Bytes of response bodies sent, after compression.",
		}),
		loads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedpub_http_file_loads_total",
			Help: "File versions read from disk into the response cache.",
		}),
	}
	comp := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedpub_http_compressions_total",
		Help: "Bodies compressed, by coding: one per file version and coding asked for.",
	}, []string{"coding"})
	cached := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "feedpub_http_cache_bytes",
		Help: "Bytes of bodies held in the response cache, compressed variants included.",
	}, func() float64 { return float64(c.bytes.Load()) })
	for _, col := range []prometheus.Collector{m.requests, m.bytes, m.loads, comp, cached} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
	}
	for _, code := range []int{200, 301, 304, 400, 404, 405, 412, 500, 503} {
		m.byCode[code] = m.requests.WithLabelValues(strconv.Itoa(code))
	}
	for _, c := range []coding{codingGzip, codingBrotli} {
		m.compressions[c] = comp.WithLabelValues(c.String())
	}
	return m, nil
}

func (m *httpMetrics) observe(code, n int) {
	if code > 0 && code < len(m.byCode) && m.byCode[code] != nil {
		m.byCode[code].Inc()
	} else {
		m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	}
	if n > 0 {
		m.bytes.Add(float64(n))
	}
}
