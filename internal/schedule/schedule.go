// Package schedule runs a job once at start and then on a cron schedule
// (robfig/cron/v3), one run at a time: a run still going when the next is
// due is skipped, not stacked, and a panic in a run is recovered and
// logged. feedpub serve uses it for its scans.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one run. Its context is cancelled only when Stop gives up waiting.
type Job func(context.Context) error

// Parse reads a standard cron spec: five fields ("*/5 * * * *"), a
// descriptor ("@hourly", "@every 5m"), optionally preceded by
// "CRON_TZ=Zone ". Five-field specs are in local time unless CRON_TZ says
// otherwise.
func Parse(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule: %q: %w", spec, err)
	}
	// cron rounds "@every" below a second, even a negative one, up to a
	// second; a typo like "@every -5m" deserves an error instead.
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(every)); err != nil || d < time.Second {
			return nil, fmt.Errorf("schedule: %q: the interval must be at least 1s", spec)
		}
	}
	return s, nil
}

// Scheduler runs a Job now and on a schedule.
type Scheduler struct {
	name    string
	spec    cron.Schedule
	log     *slog.Logger
	cron    *cron.Cron
	ctx     context.Context // the jobs' context
	cancel  context.CancelFunc
	started atomic.Bool
}

// New prepares a Scheduler for job. name says what the job is in log
// lines ("scan"); log gets its skips, errors and recovered panics.
func New(spec, name string, job Job, log *slog.Logger) (*Scheduler, error) {
	sched, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{name: name, spec: sched, log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	cl := cronLogger{name: name, log: log}
	// Skip is outermost and Recover inside it: SkipIfStillRunning takes
	// its token back only when the wrapped job returns, so a panic must be
	// recovered before it reaches Skip or every later run would be skipped.
	s.cron = cron.New(cron.WithLogger(cl), cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)))
	s.cron.Schedule(&startNow{next: sched}, cron.FuncJob(func() {
		if err := job(s.ctx); err != nil {
			log.Error(name+" failed", "error", err)
		}
	}))
	return s, nil
}

// Start runs the job at once (in the background) and then on schedule.
func (s *Scheduler) Start() {
	if s.started.CompareAndSwap(false, true) {
		s.cron.Start()
	}
}

// ErrStillRunning is returned by Stop when a run did not return even after
// its context was cancelled.
var ErrStillRunning = errors.New("schedule: a run is still going")

// Stop schedules no more runs and waits for a running one to finish until
// ctx is done; then it cancels the run's context and waits at most
// cancelWait more for it to return.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.started.Store(false)
	done := s.cron.Stop().Done()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	s.log.Warn(s.name + " still running at shutdown: cancelling it")
	s.cancel()
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("%w %s after it was cancelled", ErrStillRunning, cancelWait)
	}
}

// cancelWait bounds the wait for a cancelled run. A scan checks its
// context between files and between feeds, so it returns well within it.
const cancelWait = 5 * time.Second

// Interval is the time between the first two runs due after t: the
// natural lifetime of what a run publishes.
func (s *Scheduler) Interval(t time.Time) time.Duration {
	a := s.spec.Next(t)
	if a.IsZero() {
		return 0
	}
	b := s.spec.Next(a)
	if b.IsZero() {
		return 0
	}
	return b.Sub(a)
}

// NextRun is when the next run is due: zero before Start and after Stop.
func (s *Scheduler) NextRun() time.Time {
	if !s.started.Load() {
		return time.Time{}
	}
	var next time.Time
	for _, e := range s.cron.Entries() {
		if next.IsZero() || e.Next.Before(next) {
			next = e.Next
		}
	}
	return next
}

// startNow is a schedule whose first activation is the moment the cron
// starts, then next's.
type startNow struct {
	next  cron.Schedule
	fired atomic.Bool
}

func (s *startNow) Next(t time.Time) time.Time {
	if s.fired.CompareAndSwap(false, true) {
		return t
	}
	return s.next.Next(t)
}

// cronLogger turns cron's logr-style calls into slog lines: its chatter
// (start, wake, run) at debug, skips at info, errors and panics at error.
type cronLogger struct {
	name string
	log  *slog.Logger
}

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Info(l.name+" skipped: the previous one is still running", kv...)
		return
	}
	l.log.Debug("cron "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	if msg == "panic" {
		msg = l.name + " panicked"
	} else {
		msg = "cron " + msg
	}
	l.log.Error(msg, append([]any{"error", err}, kv...)...)
}
