package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/configfile"
	"github.com/feedpub/feedpub/internal/schedule"
)

// Every setting comes from, in order of precedence: a flag, the
// environment (FEEDPUB_*), the config file, the built-in default. The
// flags of settings are registered from config.Settings, so that a
// command's flag, its variable and its key in the file are one setting.

// Source kinds, as `feedpub config` shows them.
const (
	fromDefault = "default"
	fromFile    = "file"
	fromEnv     = "env"
	fromFlag    = "flag"
)

// source says where a setting's value came from.
type source struct {
	Kind  string `json:"kind"`
	Where string `json:"where,omitempty"` // "feedpub.toml:12", "FEEDPUB_LIMIT", "--limit"
}

func (s source) String() string {
	if s.Where == "" {
		return s.Kind
	}
	return s.Kind + " " + s.Where
}

// settings is the configuration a command runs with.
type settings struct {
	cfg     config.Config
	sources map[string]source // by setting key, categories' and listings' fields included
	file    *configfile.File  // nil when there is none
	path    string            // the config file looked for
}

// addSettingFlags registers the flags of the settings named (by flag
// name) on fs. Their defaults are the built-in ones; the value in force
// is assembled by loadSettings.
func addSettingFlags(fs *pflag.FlagSet, flags ...string) {
	d := config.Default()
	for _, name := range flags {
		s, ok := config.ByFlag(name)
		if !ok {
			panic("cli: no setting has flag --" + name)
		}
		def := s.Get(&d)
		switch s.Kind {
		case config.Int:
			n, _ := strconv.Atoi(def)
			fs.Int(name, n, s.Usage)
		case config.Bool:
			fs.Bool(name, def == "true", s.Usage)
		case config.List:
			// Repeatable, and each value may be a comma list.
			var vals []string
			if def != "" {
				vals = strings.Split(def, ",")
			}
			fs.StringSlice(name, vals, s.Usage)
		default:
			// Durations stay strings so that "auto" (max-age) and the
			// file's spelling read the same; the setting parses them.
			fs.String(name, def, s.Usage)
		}
	}
}

// siteFlags are the settings every scanning command takes.
var siteFlags = []string{
	"data", "db", "out", "base-url", "limit", "archive-page-size", "title", "description",
	"language", "author", "author-email", "time-zone", "tag-authority", "tag-date", "formats",
	"lock-timeout", "workers", "hub", "hub-attempts", "hub-wait",
}

// serveFlags are the settings only feedpub serve takes.
var serveFlags = []string{"addr", "schedule", "max-age", "access-log", "drain-timeout", "scan-grace", "watch"}

// isSettingFlag reports whether a flag is a setting's, read by
// loadSettings rather than by applyEnv.
func isSettingFlag(name string) bool {
	_, ok := config.ByFlag(name)
	return ok
}

// loadSettings assembles the settings of cmd: defaults, then the config
// file, then the environment, then the flags given, and validates the
// result. Every error names where the bad value came from.
func loadSettings(cmd *cobra.Command, env Env, g *globalOptions) (*settings, error) {
	st := &settings{cfg: config.Default(), sources: map[string]source{}}
	for _, s := range config.Settings {
		st.sources[s.Key] = source{Kind: fromDefault}
	}
	var errs []error

	// The config file: --config or FEEDPUB_CONFIG name one that must
	// exist; otherwise feedpub.toml is read if it is there.
	st.path = g.configPath
	explicit := cmd.Flags().Changed("config")
	if _, ok := env.Getenv(envName("config")); ok {
		explicit = true
	}
	if st.path == "" {
		st.path = configfile.DefaultName
	}
	f, err := configfile.Load(st.path)
	switch {
	case err == nil:
		st.file = f
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return nil, &exitError{code: ExitFatal, err: err}
	}
	if f := st.file; f != nil {
		for _, v := range f.Values {
			s, _ := config.Lookup(v.Key)
			if err := s.Set(&st.cfg, v.Text); err != nil {
				errs = append(errs, &configfile.Error{File: f.Path, Line: v.Line, Key: v.Key, Msg: err.Error()})
				continue
			}
			st.sources[v.Key] = source{Kind: fromFile, Where: lineOf(f.Path, v.Line)}
		}
		st.cfg.Categories, st.cfg.Listings, st.cfg.Topics = f.Categories, f.Listings, f.Topics
		for _, c := range f.Categories {
			for _, field := range config.CategoryFields {
				if k := config.CategoryKey(c.Label, field); f.Line(k) > 0 {
					st.sources[k] = source{Kind: fromFile, Where: lineOf(f.Path, f.Line(k))}
				}
			}
		}
		for _, l := range f.Listings {
			for _, field := range config.ListingFields {
				if k := config.ListingKey(l.Title, field); f.Line(k) > 0 {
					st.sources[k] = source{Kind: fromFile, Where: lineOf(f.Path, f.Line(k))}
				}
			}
		}
		for _, t := range f.Topics {
			for _, field := range config.TopicFields {
				if k := config.TopicKey(t.Name, field); f.Line(k) > 0 {
					st.sources[k] = source{Kind: fromFile, Where: lineOf(f.Path, f.Line(k))}
				}
			}
		}
	}

	for _, s := range config.Settings {
		name := envName(s.Flag)
		v, ok := env.Getenv(name)
		if !ok {
			continue
		}
		if err := s.Set(&st.cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			continue
		}
		st.sources[s.Key] = source{Kind: fromEnv, Where: name}
	}

	for _, s := range config.Settings {
		fl := cmd.Flags().Lookup(s.Flag)
		if fl == nil || !fl.Changed {
			continue
		}
		v := fl.Value.String()
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			v = strings.Join(sv.GetSlice(), ",")
		}
		if err := s.Set(&st.cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: %w", s.Flag, v, err))
			continue
		}
		st.sources[s.Key] = source{Kind: fromFlag, Where: "--" + s.Flag}
	}
	if len(errs) > 0 {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("invalid settings:\n%w", errors.Join(errs...))}
	}

	verr := st.cfg.Validate()
	if _, err := schedule.Parse(st.cfg.Schedule); err != nil {
		verr = errors.Join(verr, &config.FieldError{Key: config.KeySchedule, Err: errors.New(strings.TrimPrefix(err.Error(), "schedule: "))})
	}
	if verr != nil {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("invalid settings:\n%w", st.blame(verr))}
	}
	return st, nil
}

func lineOf(path string, line int) string { return path + ":" + strconv.Itoa(line) }

// blame rewrites the field errors of err to say where each value came
// from: the file's line, the variable or the flag.
func (st *settings) blame(err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		src, ok := st.sources[fe.Key]
		if !ok && st.file != nil && st.file.Line(fe.Key) > 0 {
			src = source{Kind: fromFile, Where: lineOf(st.file.Path, st.file.Line(fe.Key))}
		}
		switch src.Kind {
		case fromFile:
			out = append(out, fmt.Errorf("%s: %s: %w", src.Where, fe.Key, fe.Err))
		case fromEnv, fromFlag:
			out = append(out, fmt.Errorf("%s (%s): %w", src.Where, fe.Key, fe.Err))
		default:
			out = append(out, fe)
		}
	}
	return errors.Join(out...)
}

// logDebug logs each setting that is not the default, and where it came
// from: with -v, a run says what it was told.
func (st *settings) logDebug(log *slog.Logger) {
	file := "none"
	if st.file != nil {
		file = st.file.Path
	}
	log.Debug("settings", "config_file", file)
	for _, s := range config.Settings {
		if src := st.sources[s.Key]; src.Kind != fromDefault {
			log.Debug("setting", "key", s.Key, "value", s.Get(&st.cfg), "source", src.String())
		}
	}
}
