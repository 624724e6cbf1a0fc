package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/schedule"
	"github.com/feedpub/feedpub/internal/server"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/watch"
	"github.com/feedpub/feedpub/internal/websub"
)

// maxAutoMaxAge caps the max-age derived from the schedule: past an hour,
// a reader would wait too long for a feed that changed, and a conditional
// request costs the server next to nothing.
const maxAutoMaxAge = time.Hour

func newServeCommand(env Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the feeds over HTTP and scan on a schedule",
		Long: `serve publishes the output directory over HTTP and runs the same scan as
'feedpub scan' once at start and then on --schedule (a cron spec: five
fields, or @hourly, @every 5m...). A scan still running when the next is due
makes that one skipped, not stacked. The database is open only while a scan
runs, so 'feedpub scan' from cron can run beside the server: whichever comes
second waits up to --lock-timeout.

Files get strong ETags (one per coding), Last-Modified, 304s for
If-None-Match and If-Modified-Since, gzip and brotli, and Cache-Control:
public, max-age (by default the time between scheduled scans, at most 1h).
GET /healthz answers 200 with the last scan in JSON, or 503 before the first
scan finishes and while the last one failed; GET /metrics is for Prometheus.

On SIGINT or SIGTERM it stops accepting connections, lets requests under way
finish (up to --drain-timeout) and a running scan finish (up to
--scan-grace, then cancels it), and exits 0. Exit status 1: bad flags, the
address is taken, or the output directory cannot be created.`,
		Example: `  feedpub serve
  feedpub serve --addr :8080 --schedule '*/10 * * * *' --base-url https://example.org/feeds/
  feedpub serve --schedule '@every 1m' --access-log --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(env.Stderr)
			if err != nil {
				return err
			}
			st, err := loadSettings(cmd, env, g)
			if err != nil {
				return err
			}
			st.logDebug(log)
			return runServe(cmd.Context(), env, log, st.cfg)
		},
	}
	addSettingFlags(cmd.Flags(), slices.Concat(siteFlags, serveFlags, publishFlags)...)
	return cmd
}

func runServe(ctx context.Context, env Env, log *slog.Logger, cfg config.Config) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	scans := newScanTracker(reg, env.Now)
	if len(cfg.Hubs) > 0 {
		m, err := websub.NewMetrics(reg)
		if err != nil {
			return &exitError{code: ExitFatal, err: err}
		}
		m.Hubs(cfg.Hubs)
		scans.hubs = startHubQueue(cfg, log, m)
	}
	opts := scan.Options{Config: cfg, Now: env.Now, Workers: cfg.Workers}
	// One scan at a time in this process: scheduled full scans and the
	// watcher's targeted ones take turns.
	var scanning sync.Mutex
	var watcher *watch.Watcher
	if cfg.Watch {
		if err := os.MkdirAll(cfg.ListingsDir, 0o755); err != nil {
			return &exitError{code: ExitFatal, err: fmt.Errorf("create listings directory: %w", err)}
		}
		w, err := watch.New(cfg.ListingsDir, log)
		if err != nil {
			return &exitError{code: ExitFatal, err: err}
		}
		watcher = w
		defer watcher.Close()
	}
	sched, err := schedule.New(cfg.Schedule, "scan", func(ctx context.Context) error {
		scanning.Lock()
		defer scanning.Unlock()
		if watcher != nil {
			watcher.Take() // a full scan covers what changed so far
		}
		return scans.run(ctx, log, opts)
	}, log)
	if err != nil {
		return &exitError{code: ExitFatal, err: fmt.Errorf("--schedule: %w", err)}
	}
	scans.next = sched.NextRun
	maxAge := effectiveMaxAge(cfg, env.Now())

	// The directory must exist to be served before the first scan fills it.
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return &exitError{code: ExitFatal, err: fmt.Errorf("create output directory: %w", err)}
	}
	sopts := server.Options{Dir: cfg.OutDir, MaxAge: maxAge, Health: scans.health, Registry: reg, Log: log, Now: env.Now}
	if len(cfg.Hubs) > 0 {
		base, err := url.Parse(cfg.BaseURL) // validated
		if err != nil {
			return &exitError{code: ExitFatal, err: fmt.Errorf("base URL: %w", err)}
		}
		sopts.Hubs, sopts.BaseURL = cfg.Hubs, base
	}
	if cfg.AccessLog {
		sopts.AccessLog = log
	}
	srv, err := server.New(sopts)
	if err != nil {
		return &exitError{code: ExitFatal, err: err}
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &exitError{code: ExitFatal, err: fmt.Errorf("listen: %w", err)}
	}
	hs := server.NewEngine(srv, server.DefaultLimits, log)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "dir", cfg.OutDir, "schedule", cfg.Schedule,
		"max_age", maxAge.String(), "db", cfg.DBPath, "data", cfg.ListingsDir)
	sched.Start()
	watching := make(chan struct{})
	if watcher != nil {
		go func() {
			defer close(watching)
			watchScans(ctx, log, watcher, &scanning, func(ctx context.Context, paths []string) {
				o := opts
				o.Paths = paths
				if err := scans.run(ctx, log, o); err != nil {
					log.Error("scan failed", "error", err)
				}
			})
		}()
	} else {
		close(watching)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "drain_timeout", cfg.DrainTimeout.String(), "scan_grace", cfg.ScanGrace.String())
	case serveErr = <-served:
		log.Error("server stopped", "error", serveErr)
	}
	// Stop accepting and drain the requests under way while a running
	// scan finishes: the two bounds run side by side, not one after the
	// other.
	var wg sync.WaitGroup
	wg.Go(func() {
		dctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
		defer cancel()
		if err := hs.Shutdown(dctx); err != nil {
			log.Warn("requests still under way at the drain timeout: closed them", "error", err)
		}
	})
	wg.Go(func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ScanGrace)
		defer cancel()
		if err := sched.Stop(sctx); err != nil {
			log.Warn("exiting with a scan still running; the next scan finishes its work", "error", err)
		}
	})
	if scans.hubs != nil {
		// Notifications under way get the requests' time to finish.
		wg.Go(func() { scans.hubs.close(log, cfg, cfg.DrainTimeout) })
	}
	wg.Wait()
	<-watching
	if serveErr != nil {
		return &exitError{code: ExitFatal, err: fmt.Errorf("serve: %w", serveErr)}
	}
	log.Info("stopped")
	return nil
}

// settle is how long the listings must stay quiet before a targeted scan:
// a file being copied in arrives in several writes, and one scan for all
// of them is cheaper than one per write. A file still changing when read
// is left for the next notification anyway.
const settle = 200 * time.Millisecond

// watchScans runs a targeted scan of the paths the watcher reports, once
// they settle, until ctx ends. run gets nil paths when the watcher may
// have missed something: a full scan.
func watchScans(ctx context.Context, log *slog.Logger, w *watch.Watcher, scanning *sync.Mutex, run func(context.Context, []string)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Changes():
		}
		quiet := time.NewTimer(settle)
	settling:
		for {
			select {
			case <-ctx.Done():
				quiet.Stop()
				return
			case <-w.Changes():
				quiet.Reset(settle)
			case <-quiet.C:
				break settling
			}
		}
		scanning.Lock()
		paths, full := w.Take()
		if full {
			paths = nil
		} else if len(paths) == 0 {
			scanning.Unlock() // a scheduled scan took them meanwhile
			continue
		}
		log.Debug("listings changed: scanning", "paths", len(paths), "full", full)
		run(ctx, paths)
		scanning.Unlock()
	}
}

// maxAgeFlag is --max-age: a duration, or "auto".
type maxAgeFlag struct {
	auto bool
	d    time.Duration
}

func (f *maxAgeFlag) String() string {
	if f.auto {
		return "auto"
	}
	return f.d.String()
}

func (f *maxAgeFlag) Set(s string) error {
	if s == "auto" {
		*f = maxAgeFlag{auto: true}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("want auto or a duration of at least 0s, like 5m")
	}
	*f = maxAgeFlag{d: d}
	return nil
}

func (f *maxAgeFlag) Type() string { return "auto|duration" }

// scanTracker runs the scheduled scans and remembers how they went, for
// /healthz and /metrics.
type scanTracker struct {
	now  func() time.Time
	next func() time.Time

	mu    sync.Mutex
	state server.Health

	scans    *prometheus.CounterVec
	duration prometheus.Histogram
	items    prometheus.Gauge
	feeds    prometheus.Gauge
	last     prometheus.Gauge

	hubs *hubQueue // nil without hubs
}

func newScanTracker(reg prometheus.Registerer, now func() time.Time) *scanTracker {
	t := &scanTracker{
		now:  now,
		next: func() time.Time { return time.Time{} },
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpub_scans_total",
			Help: "Scans finished, by outcome: ok, rejected (published, some input rejected), failed.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedpub_scan_duration_seconds",
			Help:    "How long scans took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9), // 10 ms to 11 min
		}),
		items: prometheus.NewGauge(prometheus.GaugeOpts{Name: "feedpub_items", Help: "Items in the database after the last scan."}),
		feeds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "feedpub_feeds", Help: "Feeds (combined, categories, listings) after the last scan."}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpub_last_scan_timestamp_seconds",
			Help: "When the last scan finished, as a Unix time.",
		}),
	}
	for _, o := range []string{server.OutcomeOK, server.OutcomeRejected, server.OutcomeFailed} {
		t.scans.WithLabelValues(o) // show zeros before the first scan
	}
	reg.MustRegister(t.scans, t.duration, t.items, t.feeds, t.last)
	return t
}

// run is one scheduled scan: scanOnce, exactly what `feedpub scan` runs,
// with its outcome recorded. Rejected input is not an error here: each
// problem is already logged, and the feeds were published. A panic is
// recorded as a failure and passed on for the scheduler to log.
func (t *scanTracker) run(ctx context.Context, log *slog.Logger, opts scan.Options) error {
	started := t.now()
	t.mu.Lock()
	t.state.Running = true
	t.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			t.finish(started, nil, fmt.Errorf("panic: %v", r))
			panic(r)
		}
	}()
	var acked func() []store.Ping
	if t.hubs != nil {
		acked = t.hubs.q.Acked
	}
	res, err := scanOnce(ctx, log, opts, nil, acked)
	if t.hubs != nil && res != nil && res.Pings != nil {
		t.hubs.q.Submit(res.Pings)
	}
	var ee *exitError
	if errors.As(err, &ee) && ee != errRejected {
		err = ee.err // the message without the exit code wrapper
	}
	t.finish(started, res, err)
	if err == errRejected {
		return nil
	}
	return err
}

func (t *scanTracker) finish(started time.Time, res *scanResult, err error) {
	finished := t.now()
	r := &server.ScanReport{Started: started, Finished: finished, Outcome: server.OutcomeOK}
	switch {
	case err == errRejected:
		r.Outcome, r.Error = server.OutcomeRejected, err.Error()
	case err != nil:
		r.Outcome, r.Error = server.OutcomeFailed, err.Error()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.Outcome == server.OutcomeFailed {
		// The database was not counted: keep the last counts.
		if prev := t.state.Last; prev != nil {
			r.Items, r.Feeds = prev.Items, prev.Feeds
		}
		t.state.LastError, t.state.LastErrorAt = r.Error, finished
	} else if res != nil {
		r.Items, r.Feeds = res.Items, res.Feeds
		t.items.Set(float64(r.Items))
		t.feeds.Set(float64(r.Feeds))
	}
	t.state.Last = r
	t.state.Running = false
	t.scans.WithLabelValues(r.Outcome).Inc()
	t.duration.Observe(finished.Sub(started).Seconds())
	t.last.Set(float64(finished.UnixNano()) / 1e9)
}

// health is the server's view of the scans.
func (t *scanTracker) health() server.Health {
	t.mu.Lock()
	h := t.state
	if h.Last != nil {
		last := *h.Last
		h.Last = &last
	}
	t.mu.Unlock()
	h.Next = t.next()
	return h
}
