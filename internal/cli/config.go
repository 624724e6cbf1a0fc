package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/config"
)

func newConfigCommand(env Env, g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the settings in force and where each came from",
		Long: `config prints every setting feedpub would run with, after reading the config
file, the environment and the flags given, and where each value came from:
a flag, an environment variable, a line of the config file, or the
built-in default. Then the categories and listings the config file
renames, describes, slugs or merges.

Precedence: flags > environment (FEEDPUB_*) > config file > defaults. The
config file is feedpub.toml in the working directory, if there is one, or
the file named by --config or FEEDPUB_CONFIG, which must exist.

It checks everything scan and serve check: an unknown key or a bad value is
an error naming the key and where it came from, with exit status 1.`,
		Example: `  feedpub config
  feedpub config --config /etc/feedpub/feedpub.toml
  FEEDPUB_LIMIT=20 feedpub config --title "Test" --json | jq '.settings[] | select(.source.kind != "default")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadSettings(cmd, env, g)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(env.Stdout, st.report())
			}
			return st.printTable(env.Stdout)
		},
	}
	addSettingFlags(cmd.Flags(), slices.Concat(siteFlags, serveFlags, publishFlags)...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

// configReport is `feedpub config --json`.
type configReport struct {
	File       string            `json:"file,omitempty"` // the config file read; "" for none
	Settings   []settingReport   `json:"settings"`
	Categories []config.Category `json:"categories"`
	Listings   []config.Listing  `json:"listings"`
	Topics     []config.Topic    `json:"topics"`
	Sources    map[string]source `json:"sources"` // of the categories', listings' and topics' fields
}

type settingReport struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source source `json:"source"`
	Flag   string `json:"flag"`
	Env    string `json:"env"`
}

func (st *settings) report() configReport {
	r := configReport{Categories: st.cfg.Categories, Listings: st.cfg.Listings, Topics: st.cfg.Topics, Sources: map[string]source{}}
	if st.file != nil {
		r.File = st.file.Path
	}
	if r.Categories == nil {
		r.Categories = []config.Category{}
	}
	if r.Listings == nil {
		r.Listings = []config.Listing{}
	}
	if r.Topics == nil {
		r.Topics = []config.Topic{}
	}
	for _, s := range config.Settings {
		r.Settings = append(r.Settings, settingReport{
			Key: s.Key, Value: s.Get(&st.cfg), Source: st.sources[s.Key],
			Flag: "--" + s.Flag, Env: envName(s.Flag),
		})
	}
	for k, src := range st.sources {
		if _, ok := config.Lookup(k); !ok {
			r.Sources[k] = src
		}
	}
	return r
}

func (st *settings) printTable(w io.Writer) error {
	if st.file != nil {
		fmt.Fprintf(w, "config file: %s\n\n", st.file.Path)
	} else {
		fmt.Fprintf(w, "config file: none (%s not found)\n\n", st.path)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, s := range config.Settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, shown(s.Get(&st.cfg)), st.sources[s.Key])
	}
	row := func(key, value string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", key, shown(value), st.sources[key])
	}
	for _, c := range st.cfg.Categories {
		for _, f := range []struct{ field, value string }{
			{"name", c.Name}, {"slug", c.Slug}, {"description", c.Description}, {"merge", strings.Join(c.Merge, ", ")},
		} {
			if k := config.CategoryKey(c.Label, f.field); st.sources[k].Kind != "" {
				row(k, f.value)
			}
		}
	}
	for _, l := range st.cfg.Listings {
		for _, f := range []struct{ field, value string }{
			{"name", l.Name}, {"slug", l.Slug}, {"description", l.Description}, {"default_category", l.DefaultCategory},
		} {
			if k := config.ListingKey(l.Title, f.field); st.sources[k].Kind != "" {
				row(k, f.value)
			}
		}
	}
	for _, t := range st.cfg.Topics {
		for _, f := range []struct{ field, value string }{
			{"match", strings.Join(t.Match, ", ")}, {"exclude", strings.Join(t.Exclude, ", ")},
			{"fields", strings.Join(t.Fields, ", ")}, {"categories", strings.Join(t.Categories, ", ")},
			{"listings", strings.Join(t.Listings, ", ")}, {"description", t.Description}, {"slug", t.Slug},
		} {
			if k := config.TopicKey(t.Name, f.field); st.sources[k].Kind != "" {
				row(k, f.value)
			}
		}
	}
	return tw.Flush()
}

// shown is a value as the table prints it: "" for the empty string, so
// that the columns stay aligned.
func shown(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
