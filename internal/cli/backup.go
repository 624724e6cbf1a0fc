package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/store"
)

func newBackupCommand(env Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database, while feedpub serves and scans",
		Long: `backup copies the database to FILE as it was at one instant (a bbolt read
transaction), while feedpub serve runs and beside scans from cron. It opens
the database read-only: serving never waits for it; a scan running when it
starts makes it wait up to --lock-timeout, then fail with status 1; a scan
that starts meanwhile waits for it to finish.

FILE is written beside itself, flushed, checked (opened as a database and
every page verified) and only then renamed into place: it is a whole,
usable backup or left as it was. Put it on another disk.

Exit status: 0 when FILE was written; 1 when not (database missing, damaged
or locked, FILE not writable).`,
		Example: `  feedpub backup /var/backups/feedpub.db
  0 3 * * * cd /srv/feedpub && feedpub backup /var/backups/feedpub.db   # crontab`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(env.Stderr)
			if err != nil {
				return err
			}
			st, err := loadSettings(cmd, env, g)
			if err != nil {
				return err
			}
			dbPath, timeout := st.cfg.DBPath, st.cfg.LockTimeout
			db, err := openDBFor(cmd.Context(), dbPath, timeout, true)
			if errors.Is(err, store.ErrLocked) {
				return &exitError{code: ExitFatal, err: fmt.Errorf("a scan holds %s; gave up waiting after %s", dbPath, timeout)}
			}
			if err != nil {
				return &exitError{code: ExitFatal, err: err}
			}
			defer db.Close()
			n, err := db.Backup(args[0])
			if err != nil {
				return &exitError{code: ExitFatal, err: err}
			}
			var items, feeds int
			db.View(func(tx *store.Tx) error { items, feeds = tx.Counts(); return nil })
			log.Info("backup written", "file", args[0], "bytes", n, "items", items, "feeds", feeds, "db", dbPath)
			return nil
		},
	}
	addSettingFlags(cmd.Flags(), "db", "lock-timeout")
	return cmd
}

func newRestoreCommand(env Env, g *globalOptions) *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the database with a backup",
		Long: `restore replaces the database with the backup FILE, made by 'feedpub backup'.
It checks FILE first (a feedpub database this version understands, every
page verified) and changes nothing if it is not usable. It refuses, with
status 1 and without waiting, while another feedpub process holds the
database (a scan, a backup): run it again when that ends. feedpub serve may
keep running: it opens the database only for each scan, and its next scan
uses the restored one.

The backup is copied beside the database, flushed and renamed over it, so
the database is the old one or the restored one, never a mix. The replaced
database is kept as DB.before-restore-TIME unless --keep=false.

Then run 'feedpub scan --rebuild': listing files added or changed since the
backup are read again (their items get the same ids as before), and every
feed is regenerated from the restored database.

Exit status: 0 when restored; 1 when nothing was changed (FILE not a usable
backup, the database held by another process, a directory not writable).`,
		Example: `  feedpub restore /var/backups/feedpub.db && feedpub scan --rebuild`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(env.Stderr)
			if err != nil {
				return err
			}
			st, err := loadSettings(cmd, env, g)
			if err != nil {
				return err
			}
			dbPath := st.cfg.DBPath
			kept := ""
			if keep {
				kept = dbPath + ".before-restore-" + env.Now().UTC().Format("20060102T150405Z")
			}
			err = store.Restore(args[0], dbPath, kept)
			switch {
			case errors.Is(err, store.ErrLocked):
				return &exitError{code: ExitFatal, err: fmt.Errorf("another feedpub process (a scan or a backup) holds %s: nothing was changed; run restore again when it ends", dbPath)}
			case errors.Is(err, store.ErrNotFeedpub), errors.Is(err, store.ErrSchemaTooNew):
				return &exitError{code: ExitFatal, err: fmt.Errorf("%s is not a usable backup, nothing was changed: %w", args[0], err)}
			case err != nil:
				return &exitError{code: ExitFatal, err: fmt.Errorf("restore: %w", err)}
			}
			attrs := []any{"db", dbPath, "from", args[0]}
			if kept != "" {
				attrs = append(attrs, "replaced_kept_as", kept)
			}
			log.Info("database restored; now run feedpub scan --rebuild", attrs...)
			return nil
		},
	}
	addSettingFlags(cmd.Flags(), "db")
	cmd.Flags().BoolVar(&keep, "keep", true, "keep the replaced database as DB.before-restore-TIME")
	return cmd
}
