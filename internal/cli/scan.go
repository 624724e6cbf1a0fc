package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

type scanOptions struct {
	rebuild  bool
	progress progressMode
	paths    []string // only these listing files or directories, relative to --data
}

func newScanCommand(env Env, g *globalOptions) *cobra.Command {
	o := &scanOptions{progress: progressAuto}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Read new and changed listing files and regenerate the feeds they affect",
		Long: `scan reads the listing files that are new or changed since the last scan,
stores their items, and regenerates every feed whose items changed. A scan
that finds nothing new writes nothing, so pollers keep getting 304s.

With PATH arguments (files or directories inside --data, given relative to
it or as paths under it), only those are read: the rest of the listings are
not even listed, so the scan costs what the change costs. Use it from a
hook that knows what arrived; a scan without arguments catches the rest.

On a terminal, a progress bar on stderr shows the files read and the
documents written, with their rate and the time left; it never shows in
logs, pipes or cron mail (--progress always|never to decide).

Exit status: 0 when everything was clean; 1 when a fatal problem stopped
publishing (database, output directory, bad settings); 2 when the feeds were
published but some input was rejected (see the log lines on stderr, each
naming the file and line). A second scan started while one runs waits up
to --lock-timeout, then fails with status 1.`,
		Example: `  feedpub scan
  feedpub scan --base-url https://example.org/feeds/ --limit 100
  feedpub scan --config /etc/feedpub/feedpub.toml -q
  feedpub scan data/listings/2026-11-23.txt   # just the file that arrived
  */5 * * * * cd /srv/feedpub && feedpub scan -q   # crontab`,
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
			if len(args) > 0 {
				o.paths = make([]string, 0, len(args))
				for _, a := range args {
					rel, err := listingRel(st.cfg.ListingsDir, a)
					if err != nil {
						return &exitError{code: ExitFatal, err: err}
					}
					o.paths = append(o.paths, rel)
				}
			}
			return runScan(cmd.Context(), env, log, st.cfg, o, g)
		},
	}
	addSettingFlags(cmd.Flags(), slices.Concat(siteFlags, publishFlags, []string{"max-age"})...)
	cmd.Flags().BoolVar(&o.rebuild, "rebuild", false, "regenerate every feed from the database")
	cmd.Flags().Var(&o.progress, "progress", "progress bar on stderr: auto (on a terminal), always or never")
	return cmd
}

func runScan(ctx context.Context, env Env, log *slog.Logger, cfg config.Config, o *scanOptions, g *globalOptions) error {
	if env.LimitMemory != nil {
		env.LimitMemory()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts := scan.Options{Config: cfg, Rebuild: o.rebuild, Now: env.Now, Workers: cfg.Workers, Paths: o.paths}
	bar := newProgress(env.Stderr, o.progress, g.quiet)
	if bar != nil {
		opts.Progress = bar.update
	}
	res, err := scanOnce(ctx, log, opts, bar.finish, nil)
	if res != nil {
		sendOwed(ctx, log, cfg, res.Pings)
	}
	return err
}

// listingRel turns a PATH argument into a slash path relative to the
// listings dir: either already relative to it, or a path under it.
func listingRel(dir, arg string) (string, error) {
	if rel, err := filepath.Rel(dir, arg); err == nil && filepath.IsLocal(rel) {
		if _, err := os.Lstat(arg); err == nil {
			return filepath.ToSlash(rel), nil
		}
	}
	if filepath.IsLocal(arg) {
		return filepath.ToSlash(filepath.Clean(arg)), nil
	}
	return "", fmt.Errorf("%s is not inside the listings directory %s", arg, dir)
}

// scanResult is what one scan did and what the database holds after it.
type scanResult struct {
	*scan.Summary
	Items, Feeds int // totals in the database
	// Pings are the WebSub pings owed once the feeds are published; nil
	// when the scan failed.
	Pings []store.Ping
}

// scanOnce is one scan as `feedpub scan` and every scheduled scan of
// `feedpub serve` run it: open the database (waiting up to the lock
// timeout for another scan to finish), scan, count, close, so that the
// database is open only while a scan runs. It logs every input problem and
// the summary line. Its error is an *exitError: ExitFatal when publishing
// failed, errRejected when the feeds were published but some input was
// rejected. The result is nil only when the database could not be opened.
//
// done, if not nil, runs when the scan itself ends, before anything is
// logged: the progress bar ends its line there. acked, if not nil, returns
// the WebSub pings sent since the last scan, removed from the store before
// scanning.
func scanOnce(ctx context.Context, log *slog.Logger, opts scan.Options, done func(), acked func() []store.Ping) (*scanResult, error) {
	cfg := opts.Config
	db, err := openDB(ctx, cfg.DBPath, cfg.LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("another feedpub process is scanning (%s is locked); gave up after %s", cfg.DBPath, cfg.LockTimeout)}
	}
	if err != nil {
		return nil, &exitError{code: ExitFatal, err: err}
	}
	defer db.Close()
	if acked != nil {
		if err := ackPings(db, acked()); err != nil {
			log.Warn("hub notifications sent but still recorded as owed: they will be sent again", "error", err)
		}
	}

	sum, err := scan.Run(ctx, db, opts)
	if done != nil {
		done()
	}
	res := &scanResult{Summary: sum}
	logProblems(log, cfg.ListingsDir, sum.Problems)
	if err != nil {
		return res, &exitError{code: ExitFatal, err: err}
	}
	if err := db.View(func(tx *store.Tx) error {
		res.Items, res.Feeds = tx.Counts()
		return nil
	}); err != nil {
		return res, &exitError{code: ExitFatal, err: fmt.Errorf("count items and feeds: %w", err)}
	}
	for _, e := range sum.OutputErrors {
		log.Error("document not published: it failed its check; the last good file stays", "error", e)
	}
	log.Info("scan finished",
		"files_new", sum.FilesNew, "files_changed", sum.FilesChanged,
		"files_unchanged", sum.FilesUnchanged, "files_failed", sum.FilesFailed,
		"items_new", sum.ItemsNew, "items_updated", sum.ItemsUpdated,
		"feeds_regenerated", sum.FeedsRegenerated, "files_written", sum.FilesWritten,
		"topics_changed", sum.TopicsChanged, "duration", sum.Duration.Round(1e6))
	if cfg.PublishS3 != "" {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		if _, err := uploadOnce(ctx, log, cfg, db, now()); err != nil {
			return res, err
		}
	}
	owed, perr := owedPings(db, cfg, log)
	if perr != nil {
		log.Error("hub notifications not sent this time; still recorded", "error", perr)
	}
	res.Pings = owed
	if len(sum.OutputErrors) > 0 {
		return res, &exitError{code: ExitFatal, err: fmt.Errorf("%d document(s) failed their check and were not published", len(sum.OutputErrors))}
	}
	if sum.Rejected() {
		return res, errRejected
	}
	return res, nil
}

// openDB opens the database, waiting up to timeout (zero: for ever) for
// another process's lock, in short steps so that the wait ends as soon as
// ctx does: a server shutting down does not sit out --lock-timeout.
func openDB(ctx context.Context, path string, timeout time.Duration) (*store.DB, error) {
	return openDBOpts(ctx, path, timeout, store.Options{})
}

// openDBOpts is openDB with options: ReadOnly for the commands that look.
func openDBOpts(ctx context.Context, path string, timeout time.Duration, opts store.Options) (*store.DB, error) {
	const step = 200 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		wait := step
		if timeout > 0 {
			wait = min(step, max(time.Until(deadline), time.Millisecond))
		}
		opts.Timeout = wait
		db, err := store.Open(path, opts)
		if !errors.Is(err, store.ErrLocked) {
			return db, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("stopped waiting for the database lock: %w", context.Cause(ctx))
		}
		if timeout > 0 && !time.Now().Before(deadline) {
			return nil, err
		}
	}
}

// logProblems logs each input problem with the file's path as the
// operator knows it.
func logProblems(log *slog.Logger, dir string, problems []*listing.Error) {
	for _, p := range problems {
		level := slog.LevelError
		if p.Warning {
			level = slog.LevelWarn
		}
		attrs := []any{"file", filepath.Join(dir, filepath.FromSlash(p.File))}
		if p.Line > 0 {
			attrs = append(attrs, "line", p.Line)
		}
		log.Log(context.Background(), level, p.Msg, attrs...)
	}
}
