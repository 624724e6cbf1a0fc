// Package cli is feedpub's command line: one file per command, flags with
// FEEDPUB_* environment overrides, logging, signals and exit codes. It
// wires the other packages together; nothing imports it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/configfile"
)

// Exit codes, for cron and scripts.
const (
	ExitOK       = 0 // everything clean
	ExitFatal    = 1 // nothing or not everything could be published: database, output, usage
	ExitRejected = 2 // feeds published, but some input was rejected
)

// Env is what a command reads from and writes to besides its flags, so
// tests can run commands in parallel without touching the process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) (string, bool)
	Now            func() time.Time
	// LimitMemory, when set, is called by `feedpub scan` before it
	// starts. It acts on the whole process, so tests leave it nil.
	LimitMemory func()
}

// OSEnv is the process's own environment.
func OSEnv() Env {
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv, Now: time.Now, LimitMemory: limitScanMemory}
}

// scanMemoryLimit is the soft limit on the Go heap of `feedpub scan`:
// the garbage collector works harder near it instead of letting the heap
// grow to twice what is live. A first scan of a million items has about
// 90 MB live at its peak, so the default growth reached 155 MB, and with
// the database pages mapped beside it the process 244-257 MB. With this
// limit the ingest of a million items peaked at 214 MB and took 3% longer
// (160 MiB: 232 MB). Below the limit nothing changes; a heap that needs
// more than it still gets it, the collector then taking at most half the
// CPU (the runtime's cap).
const scanMemoryLimit = 128 << 20

// limitScanMemory applies scanMemoryLimit unless GOMEMLIMIT sets a limit
// of the operator's own.
func limitScanMemory() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(scanMemoryLimit)
	}
}

// exitError carries an exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// rejected makes a command exit with ExitRejected after printing its report.
var errRejected = &exitError{code: ExitRejected, err: errors.New("some input was rejected")}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	root := NewRootCommand(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee != errRejected {
			fmt.Fprintln(env.Stderr, "feedpub:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(env.Stderr, "feedpub:", err)
	return ExitFatal
}

// globalOptions are flags every command takes.
type globalOptions struct {
	logFormat  string
	logLevel   string
	quiet      bool   // only errors
	verbose    bool   // debug
	configPath string // --config; "" for feedpub.toml if present
}

// NewRootCommand builds the feedpub command tree.
func NewRootCommand(env Env) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "feedpub",
		Short: "Publish RSS, Atom and JSON feeds from a folder of listing files",
		Long: `feedpub turns plain-text listing files into RSS 2.0, Atom 1.0 and JSON Feed 1.1
feeds: one combined feed, one per category and one per listing, plus an
index page and an OPML list. It remembers every item it has seen, so
items never repeat or vanish, and rewrites only the feeds that changed.

Settings come from, in order of precedence: flags, environment variables
(FEEDPUB_ and the flag's name in capitals, dashes as underscores:
--base-url is FEEDPUB_BASE_URL), the config file (feedpub.toml in the
working directory, or --config PATH), and built-in defaults.
'feedpub config' shows the settings in force and where each came from.`,
		Example: `  feedpub scan                      # scan data/listings into feeds/
  feedpub serve                     # serve feeds/ on 127.0.0.1:8080, scanning every 5 minutes
  feedpub check data/listings/*.txt # report problems without storing anything
  feedpub config                    # the settings in force, and where each came from
  feedpub feeds                     # every feed with its URL and item count`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd, env); err != nil {
				return &exitError{code: ExitFatal, err: err}
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "log only errors (and show no progress bar)")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log debug messages too")
	pf.StringVar(&g.configPath, "config", "", "config file (default: "+configfile.DefaultName+" in the working directory, if there is one)")
	root.AddCommand(
		newScanCommand(env, g), newServeCommand(env, g), newCheckCommand(env), newConfigCommand(env, g),
		newFeedsCommand(env, g), newItemsCommand(env, g), newShowCommand(env, g), newStatsCommand(env, g),
		newTopicsCommand(env, g), newVersionCommand(env), newBackupCommand(env, g), newRestoreCommand(env, g),
	)
	// Before the completion command is made: it takes its writer then.
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	documentBuiltins(root)
	for _, c := range root.Commands() {
		documentEnv(c)
	}
	documentEnv(root)
	return root
}

// envName is the environment variable that sets flag name.
func envName(name string) string {
	if s, ok := config.ByFlag(name); ok && s.Env != "" {
		return s.Env
	}
	return "FEEDPUB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if set. Settings' flags are left to loadSettings,
// which puts the environment between the flags and the config file.
func applyEnv(cmd *cobra.Command, env Env) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" || isSettingFlag(f.Name) {
			return
		}
		if v, ok := env.Getenv(envName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// documentEnv appends each flag's environment variable to its help.
func documentEnv(cmd *cobra.Command) {
	add := func(f *pflag.Flag) {
		if f.Name != "help" && !strings.Contains(f.Usage, "FEEDPUB_") {
			f.Usage += " [" + envName(f.Name) + "]"
		}
	}
	cmd.Flags().VisitAll(add)
	cmd.PersistentFlags().VisitAll(add)
}

// logger builds the command's logger on stderr.
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("--log-level %q: %w", g.logLevel, err)}
	}
	switch {
	case g.quiet:
		level = slog.LevelError
	case g.verbose:
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &exitError{code: ExitFatal, err: fmt.Errorf("--log-format %q: must be text or json", g.logFormat)}
}

// documentBuiltins gives cobra's own commands (completion, help) the
// examples every feedpub command has.
func documentBuiltins(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	examples := map[string]string{
		"help": `  feedpub help scan`,
		"completion": `  feedpub completion bash > /etc/bash_completion.d/feedpub
  feedpub completion zsh > "${fpath[1]}/_feedpub"
  feedpub completion fish > ~/.config/fish/completions/feedpub.fish`,
		"bash":       `  source <(feedpub completion bash)`,
		"zsh":        `  feedpub completion zsh > "${fpath[1]}/_feedpub"`,
		"fish":       `  feedpub completion fish | source`,
		"powershell": `  feedpub completion powershell | Out-String | Invoke-Expression`,
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" {
			c.Example = examples[c.Name()]
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
