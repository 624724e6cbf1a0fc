package websub

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count the notifications, by hub.
type Metrics struct {
	sent, failed, errors *prometheus.CounterVec
	// Pending is the number of pings owed: recorded and not yet
	// acknowledged by their hub.
	Pending prometheus.Gauge
}

// NewMetrics registers the notification metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpub_websub_pings_sent_total",
			Help: "WebSub publish notifications a hub acknowledged, by hub.",
		}, []string{"hub"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpub_websub_pings_failed_total",
			Help: "WebSub publish notifications not acknowledged after their retries, by hub: still owed, sent again after the next scan.",
		}, []string{"hub"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpub_websub_ping_errors_total",
			Help: "Failed requests to hubs, retried ones included, by hub.",
		}, []string{"hub"}),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpub_websub_pings_pending",
			Help: "WebSub publish notifications owed to hubs: recorded by a scan, not yet acknowledged.",
		}),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.errors, m.Pending} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("websub: register metrics: %w", err)
		}
	}
	return m, nil
}

// Hubs shows a zero for each hub before its first notification.
func (m *Metrics) Hubs(hubs []string) {
	if m == nil {
		return
	}
	for _, h := range hubs {
		m.sent.WithLabelValues(h)
		m.failed.WithLabelValues(h)
		m.errors.WithLabelValues(h)
	}
}

// counts, each safe on a nil *Metrics.
func (m *Metrics) sentTo(hub string) {
	if m != nil {
		m.sent.WithLabelValues(hub).Inc()
	}
}

func (m *Metrics) failedTo(hub string) {
	if m != nil {
		m.failed.WithLabelValues(hub).Inc()
	}
}

func (m *Metrics) errorFrom(hub string) {
	if m != nil {
		m.errors.WithLabelValues(hub).Inc()
	}
}
