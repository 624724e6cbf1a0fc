package schedule_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedpub/feedpub/internal/schedule"
)

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// start makes and starts a scheduler and stops it when the test ends.
func start(t *testing.T, spec string, job schedule.Job, log *slog.Logger) *schedule.Scheduler {
	t.Helper()
	s, err := schedule.New(spec, "scan", job, log)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	return s
}

func stop(t *testing.T, s *schedule.Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRunsAtStartThenOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, _ := newLog()
		t0 := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		s := start(t, "@every 1m", func(context.Context) error {
			mu.Lock()
			at = append(at, time.Since(t0))
			mu.Unlock()
			return nil
		}, log)
		synctest.Wait()
		mu.Lock()
		if len(at) != 1 || at[0] != 0 {
			t.Errorf("after start: runs at %v, want one at 0s", at)
		}
		mu.Unlock()
		time.Sleep(3*time.Minute + time.Second)
		if next := s.NextRun().Sub(t0); next != 4*time.Minute {
			t.Errorf("next run at +%s, want +4m", next)
		}
		stop(t, s)
		if !s.NextRun().IsZero() {
			t.Errorf("a next run after Stop: %s", s.NextRun())
		}
		want := []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}
		if len(at) != len(want) {
			t.Fatalf("runs at %v, want %v", at, want)
		}
		for i := range want {
			if at[i] != want[i] {
				t.Fatalf("runs at %v, want %v", at, want)
			}
		}
	})
}

func TestARunStillGoingIsSkippedNotStacked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := newLog()
		var runs, running, most atomic.Int32
		s := start(t, "@every 1m", func(context.Context) error {
			runs.Add(1)
			if n := running.Add(1); n > most.Load() {
				most.Store(n)
			}
			time.Sleep(150 * time.Second)
			running.Add(-1)
			return nil
		}, log)
		// Due at 0, 1m, 2m, 3m, 4m, 5m: the run at 0 lasts until 2m30s, so
		// 1m and 2m are skipped; 3m runs until 5m30s, so 4m and 5m are skipped.
		time.Sleep(5*time.Minute + 10*time.Second)
		stop(t, s)
		if runs.Load() != 2 || most.Load() != 1 {
			t.Errorf("%d runs, at most %d at once; want 2 runs, one at a time", runs.Load(), most.Load())
		}
		if n := strings.Count(logs.String(), "scan skipped: the previous one is still running"); n != 4 {
			t.Errorf("%d skips logged, want 4:\n%s", n, logs)
		}
	})
}

func TestAPanicIsRecoveredAndLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := newLog()
		var runs atomic.Int32
		s := start(t, "@every 1m", func(context.Context) error {
			if runs.Add(1) == 1 {
				panic("boom")
			}
			return nil
		}, log)
		time.Sleep(2*time.Minute + time.Second)
		stop(t, s)
		if runs.Load() != 3 {
			t.Errorf("%d runs after a panic in the first, want 3", runs.Load())
		}
		if !strings.Contains(logs.String(), `level=ERROR msg="scan panicked" error=boom`) {
			t.Errorf("panic not logged:\n%s", logs)
		}
	})
}

func TestErrorsAreLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := newLog()
		s := start(t, "@every 1h", func(context.Context) error { return errors.New("disk full") }, log)
		synctest.Wait()
		stop(t, s)
		if !strings.Contains(logs.String(), `level=ERROR msg="scan failed" error="disk full"`) {
			t.Errorf("error not logged:\n%s", logs)
		}
	})
}

func TestStopWaitsForARunningJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, _ := newLog()
		var finished atomic.Bool
		var cancelled atomic.Bool
		s := start(t, "@every 1h", func(ctx context.Context) error {
			time.Sleep(20 * time.Second)
			cancelled.Store(ctx.Err() != nil)
			finished.Store(true)
			return nil
		}, log)
		synctest.Wait()
		t0 := time.Now()
		stop(t, s)
		if !finished.Load() || cancelled.Load() || time.Since(t0) != 20*time.Second {
			t.Errorf("Stop returned after %s: finished %v, cancelled %v; want 20s, finished, not cancelled",
				time.Since(t0), finished.Load(), cancelled.Load())
		}
	})
}

func TestStopCancelsARunThatOutlastsTheGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := newLog()
		var sawCancel atomic.Bool
		s := start(t, "@every 1h", func(ctx context.Context) error {
			<-ctx.Done()
			sawCancel.Store(true)
			return ctx.Err()
		}, log)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t0 := time.Now()
		if err := s.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if !sawCancel.Load() || time.Since(t0) != 30*time.Second {
			t.Errorf("Stop returned after %s, run cancelled: %v", time.Since(t0), sawCancel.Load())
		}
		if !strings.Contains(logs.String(), "scan still running at shutdown: cancelling it") {
			t.Errorf("cancel not logged:\n%s", logs)
		}
	})
}

func TestStopGivesUpOnARunThatIgnoresCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, _ := newLog()
		release := make(chan struct{})
		s := start(t, "@every 1h", func(ctx context.Context) error {
			<-release
			return nil
		}, log)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Stop(ctx); !errors.Is(err, schedule.ErrStillRunning) {
			t.Errorf("Stop: %v, want ErrStillRunning", err)
		}
		close(release)
	})
}

func TestInterval(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 7, 30, 0, time.UTC)
	for spec, want := range map[string]time.Duration{
		"@every 5m":    5 * time.Minute,
		"@every 1s":    time.Second,
		"*/15 * * * *": 15 * time.Minute,
		"@hourly":      time.Hour,
		"0 6 * * *":    24 * time.Hour,
	} {
		s, err := schedule.New(spec, "scan", func(context.Context) error { return nil }, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Interval(t0); got != want {
			t.Errorf("%s: interval %s, want %s", spec, got, want)
		}
	}
}

func TestBadSpecs(t *testing.T) {
	for _, spec := range []string{"", "every 5m", "@every", "@every -1m", "* * * *", "61 * * * *", "@sometimes"} {
		if _, err := schedule.Parse(spec); err == nil || !strings.Contains(err.Error(), "schedule: ") {
			t.Errorf("%q: error %v", spec, err)
		}
	}
}
