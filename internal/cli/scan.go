package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

// siteOptions are the flags that shape the database and the output, shared
// by every command that scans.
type siteOptions struct {
	cfg config.Config
}

func (o *siteOptions) AddFlags(fs *pflag.FlagSet) {
	d := config.Default()
	o.cfg = d
	fs.StringVar(&o.cfg.ListingsDir, "data", d.ListingsDir, "directory of listing files (*.txt, read recursively)")
	fs.StringVar(&o.cfg.DBPath, "db", d.DBPath, "database file")
	fs.StringVar(&o.cfg.OutDir, "out", d.OutDir, "output directory for the feeds")
	fs.StringVar(&o.cfg.BaseURL, "base-url", d.BaseURL, "absolute URL the output directory is served at")
	fs.IntVar(&o.cfg.Limit, "limit", d.Limit, "items per feed document")
	fs.IntVar(&o.cfg.ArchivePageSize, "archive-page-size", d.ArchivePageSize, "items per archive page (RFC 5005); 0 means --limit; fixed by the first scan of a database")
	fs.StringVar(&o.cfg.Title, "title", d.Title, "site title, the combined feed's title")
	fs.StringVar(&o.cfg.Description, "description", d.Description, "site description")
	fs.StringVar(&o.cfg.AuthorName, "author", d.AuthorName, "author name shown in the feeds")
	fs.StringVar(&o.cfg.AuthorEmail, "author-email", d.AuthorEmail, "author email shown in the feeds")
	fs.StringVar(&o.cfg.TimeZone, "time-zone", d.TimeZone, "IANA time zone of the listing dates")
	fs.StringVar(&o.cfg.TagAuthority, "tag-authority", "", "domain or email for new items' tag: URIs (default: fixed at the first scan from the base URL's host)")
	fs.StringVar(&o.cfg.TagDate, "tag-date", "", "date for new items' tag: URIs, YYYY-MM-DD (default: fixed at the first scan)")
	fs.DurationVar(&o.cfg.LockTimeout, "lock-timeout", d.LockTimeout, "how long to wait for another scan to release the database")
}

type scanOptions struct {
	site    siteOptions
	rebuild bool
	workers int
	paths   []string // only these listing files or directories, relative to --data
}

func newScanCommand(env Env, g *globalOptions) *cobra.Command {
	o := &scanOptions{}
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

Exit status: 0 when everything was clean; 1 when a fatal problem stopped
publishing (database, output directory, bad flags); 2 when the feeds were
published but some input was rejected (see the log lines on stderr, each
naming the file and line). A second scan started while one runs waits up
to --lock-timeout, then fails with status 1.`,
		Example: `  feedpub scan
  feedpub scan --base-url https://example.org/feeds/ --limit 100
  feedpub scan data/listings/2026-11-23.txt   # just the file that arrived
  */5 * * * * cd /srv/feedpub && feedpub scan   # crontab`,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(env.Stderr)
			if err != nil {
				return err
			}
			if len(args) > 0 {
				o.paths = make([]string, 0, len(args))
				for _, a := range args {
					rel, err := listingRel(o.site.cfg.ListingsDir, a)
					if err != nil {
						return &exitError{code: ExitFatal, err: err}
					}
					o.paths = append(o.paths, rel)
				}
			}
			return runScan(cmd.Context(), env, log, o)
		},
	}
	o.site.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.rebuild, "rebuild", false, "regenerate every feed from the database")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "files read and parsed in parallel (default: one per CPU)")
	return cmd
}

func runScan(ctx context.Context, env Env, log *slog.Logger, o *scanOptions) error {
	cfg := o.site.cfg
	if err := cfg.Validate(); err != nil {
		return &exitError{code: ExitFatal, err: fmt.Errorf("invalid settings: %w", err)}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	_, err := scanOnce(ctx, log, scan.Options{Config: cfg, Rebuild: o.rebuild, Now: env.Now, Workers: o.workers, Paths: o.paths})
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
}

// scanOnce is one scan as `feedpub scan` and every scheduled scan of
// `feedpub serve` run it: open the database (waiting up to the lock
// timeout for another scan to finish), scan, count, close, so that the
// database is open only while a scan runs. It logs every input problem and
// the summary line. Its error is an *exitError: ExitFatal when publishing
// failed, errRejected when the feeds were published but some input was
// rejected. The result is nil only when the database could not be opened.
func scanOnce(ctx context.Context, log *slog.Logger, opts scan.Options) (*scanResult, error) {
	cfg := opts.Config
	db, err := openDB(ctx, cfg.DBPath, cfg.LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("another feedpub process is scanning (%s is locked); gave up after %s", cfg.DBPath, cfg.LockTimeout)}
	}
	if err != nil {
		return nil, &exitError{code: ExitFatal, err: err}
	}
	defer db.Close()

	sum, err := scan.Run(ctx, db, opts)
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
		"duration", sum.Duration.Round(1e6))
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
	const step = 200 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		wait := step
		if timeout > 0 {
			wait = min(step, max(time.Until(deadline), time.Millisecond))
		}
		db, err := store.Open(path, store.Options{Timeout: wait})
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
