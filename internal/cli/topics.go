package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/configfile"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

func newTopicsCommand(env Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "Tune topic feeds before publishing them",
		Long: `topics helps write the [topics."…"] tables of the config file, the feeds of
the items whose text says some words or phrases.`,
		Example: `  feedpub topics test "Cooperatives in Japan"`,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newTopicsTestCommand(env, g))
	return cmd
}

func newTopicsTestCommand(env Env, g *globalOptions) *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test NAME|RULES",
		Short: "Show which stored items a topic would hold, storing nothing",
		Long: `test shows which stored items a topic would hold if its rules were applied
to them now: how many, and the newest (--limit, 20 by default). It stores
nothing, so you can tune a topic before publishing it.

NAME is a topic of the config file, in any spelling. RULES is the body of
a [topics."…"] table, keys and values as the config file writes them, on
one line separated by semicolons or on several lines. A topic already
published keeps the items it holds whatever its rules say now: members
never leave a feed.

It opens the database read-only, so it runs beside feedpub serve; while a
scan writes, it waits up to --lock-timeout.`,
		Example: `  feedpub topics test "Cooperatives in Japan"
  feedpub topics test 'match = ["Japan", "Japanese"]; exclude = ["Japan Times"]'
  feedpub topics test 'match = ["SSE"]; fields = ["title"]; categories = ["News"]' --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openInspector(cmd, env, g)
			if err != nil {
				return err
			}
			defer in.db.Close()
			t, err := in.topicArg(args[0])
			if err != nil {
				return &exitError{code: ExitFatal, err: err}
			}
			return in.testTopic(env.Stdout, t, limit, asJSON)
		},
	}
	addSettingFlags(cmd.Flags(), inspectFlags...)
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most this many of the items")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

// topicArg is the topic of the config file named arg, or else the topic
// whose rules arg writes.
func (in *inspector) topicArg(arg string) (config.Topic, error) {
	fold := identity.FoldName(arg)
	for _, t := range in.st.cfg.Topics {
		if identity.FoldName(t.Name) == fold {
			return t, nil
		}
	}
	if !strings.Contains(arg, "=") {
		var names []string
		for _, t := range in.st.cfg.Topics {
			names = append(names, fmt.Sprintf("%q", t.Name))
		}
		known := "the config file has none"
		if len(names) > 0 {
			known = "it has " + strings.Join(names, ", ")
		}
		return config.Topic{}, fmt.Errorf("no topic %q in the config file (%s), and no rules like 'match = [\"word\"]'", arg, known)
	}
	// The config file's own checker reads the rules, as the body of a
	// table; its errors then point at the rules as written: line n of
	// RULES is the n-th line or ;-separated part.
	const name = "rules"
	body := strings.ReplaceAll(arg, ";", "\n")
	f, err := configfile.Parse("RULES", []byte("[topics."+name+"]\n"+body+"\n"))
	if err != nil {
		var all []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			all = j.Unwrap()
		} else {
			all = []error{err}
		}
		for _, e := range all {
			if ce, ok := e.(*configfile.Error); ok {
				ce.Line = max(ce.Line-1, 0)
				ce.Key = strings.TrimPrefix(strings.TrimPrefix(ce.Key, config.KeyName(config.TopicsTable, name)), ".")
			}
		}
		return config.Topic{}, err
	}
	if len(f.Topics) != 1 {
		return config.Topic{}, fmt.Errorf("RULES: want the keys of one topic (match, exclude, fields, categories, listings)")
	}
	return f.Topics[0], nil
}

type topicReport struct {
	Topic     config.Topic `json:"topic"`
	Items     int          `json:"items"`     // stored items it would hold
	Stored    int          `json:"stored"`    // stored items in all
	Published string       `json:"published"` // its feed path if published, else ""
	Members   int          `json:"members"`   // items of the published feed
	Newest    []itemRow    `json:"newest"`
}

func (in *inspector) testTopic(w io.Writer, t config.Topic, limit int, asJSON bool) error {
	count, newest, err := scan.PreviewTopic(in.db, &in.st.cfg, t, max(limit, 0))
	if err != nil {
		return err
	}
	r := topicReport{Topic: t, Items: count, Newest: []itemRow{}}
	err = in.db.View(func(tx *store.Tx) error {
		r.Stored, _ = tx.Counts()
		if p, ok := tx.FeedPath(model.KindTopic, identity.FoldName(t.Name)); ok && t.Name != "rules" {
			f, err := tx.Feed(p)
			if err != nil || f == nil {
				return err
			}
			r.Published, r.Members = p, f.Items
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range newest {
		r.Newest = append(r.Newest, itemRow{Item: *it, URL: in.url(it.Page)})
	}
	if asJSON {
		return writeJSON(w, r)
	}
	fmt.Fprintf(w, "%d of %d stored items match", r.Items, r.Stored)
	if r.Published != "" {
		fmt.Fprintf(w, "; published at %s/ with %d items", r.Published, r.Members)
	}
	fmt.Fprintln(w)
	if len(r.Newest) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nthe newest %d:\n", len(r.Newest))
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tTITLE\tCATEGORIES")
	for _, it := range r.Newest {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", it.Date, oneLine(it.Title, 70), strings.Join(it.Categories, ", "))
	}
	return tw.Flush()
}
