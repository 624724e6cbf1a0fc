package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// The inspection commands (feeds, items, show, stats) only read. They open
// the database read-only, with a shared lock: several can run at once,
// and beside feedpub serve, which holds the database only while it scans.
// A scan holds it exclusively: they wait for it up to --lock-timeout, then
// fail with exit status 1 and say so.

// inspectFlags are the settings the inspection commands take as flags;
// the others (names, formats) come from the environment and config file.
var inspectFlags = []string{"db", "base-url", "lock-timeout"}

// inspector is what every inspection command needs.
type inspector struct {
	st   *settings
	db   *store.DB
	base *url.URL
	cats map[string]config.Category // by folded label
	lsts map[string]config.Listing  // by folded title
	tops map[string]config.Topic    // by folded name
}

func openInspector(cmd *cobra.Command, env Env, g *globalOptions) (*inspector, error) {
	st, err := loadSettings(cmd, env, g)
	if err != nil {
		return nil, err
	}
	cfg := st.cfg
	db, err := openDBFor(cmd.Context(), cfg.DBPath, cfg.LockTimeout, true)
	if errors.Is(err, store.ErrLocked) {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("a scan is writing %s; gave up waiting for it after %s (--lock-timeout): try again when it ends", cfg.DBPath, cfg.LockTimeout)}
	}
	if err != nil {
		return nil, &exitError{code: ExitFatal, err: err}
	}
	base, _ := url.Parse(cfg.BaseURL) // validated
	in := &inspector{st: st, db: db, base: base, cats: map[string]config.Category{}, lsts: map[string]config.Listing{}, tops: map[string]config.Topic{}}
	for _, c := range cfg.Categories {
		in.cats[identity.FoldName(c.Label)] = c
	}
	for _, l := range cfg.Listings {
		in.lsts[identity.FoldName(l.Title)] = l
	}
	for _, t := range cfg.Topics {
		in.tops[identity.FoldName(t.Name)] = t
	}
	return in, nil
}

// name is a feed's shown name, as the scan shows it: configured, else
// the most frequent spelling.
func (in *inspector) name(f *model.Feed) string {
	switch f.Kind {
	case model.KindAll:
		return in.st.cfg.Title
	case model.KindCategory:
		if c, ok := in.cats[f.Fold]; ok && c.Name != "" {
			return c.Name
		}
	case model.KindListing:
		if l, ok := in.lsts[f.Fold]; ok && l.Name != "" {
			return l.Name
		}
	case model.KindTopic:
		if t, ok := in.tops[f.Fold]; ok {
			return t.Name
		}
	}
	return f.Name()
}

func (in *inspector) url(rel string) string {
	return in.base.ResolveReference(&url.URL{Path: rel}).String()
}

// feedURL is the URL readers subscribe to: the first format turned on.
func (in *inspector) feedURL(f *model.Feed) string {
	fm := in.st.cfg.Formats
	file := render.JSONFile
	switch {
	case fm.RSS:
		file = render.RSSFile
	case fm.Atom:
		file = render.AtomFile
	}
	return in.url(f.Path + "/" + file)
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newFeedsCommand(env Env, g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "List every feed with its URL, item count and last change",
		Long: `feeds lists every feed in the database: the combined feed, each topic, each
category and each listing, with the URL readers subscribe to (the first
format turned on), its number of items and the instant of its newest
change. Categories merged into another one by the config file, and topics
removed from it, are marked.

It opens the database read-only, so it runs beside feedpub serve; while a
scan writes, it waits up to --lock-timeout.`,
		Example: `  feedpub feeds
  feedpub feeds --json | jq -r '.[] | select(.kind == "category") | .url'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openInspector(cmd, env, g)
			if err != nil {
				return err
			}
			defer in.db.Close()
			return in.feeds(env.Stdout, asJSON)
		},
	}
	addSettingFlags(cmd.Flags(), inspectFlags...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

type feedRow struct {
	Path    string            `json:"path"`
	Kind    model.FeedKind    `json:"kind"`
	Name    string            `json:"name"`
	Items   int               `json:"items"`
	Updated time.Time         `json:"updated"`
	URL     string            `json:"url"`
	URLs    map[string]string `json:"urls"`
	Merged  string            `json:"merged_into,omitempty"` // path of the category it was merged into
	Removed bool              `json:"removed,omitempty"`     // a topic no longer in the config file
}

func (in *inspector) feedRows() ([]feedRow, error) {
	var feeds []*model.Feed
	if err := in.db.View(func(tx *store.Tx) error {
		var err error
		feeds, err = tx.Feeds()
		return err
	}); err != nil {
		return nil, err
	}
	byFold := map[string]string{}
	for _, f := range feeds {
		if f.Kind == model.KindCategory {
			byFold[f.Fold] = f.Path
		}
	}
	merged := map[string]string{}
	for _, c := range in.st.cfg.Categories {
		for _, m := range c.Merge {
			merged[identity.FoldName(m)] = byFold[identity.FoldName(c.Label)]
		}
	}
	rows := make([]feedRow, 0, len(feeds))
	for _, f := range feeds {
		r := feedRow{Path: f.Path, Kind: f.Kind, Name: in.name(f), Items: f.Items, Updated: f.Updated.UTC(), URL: in.feedURL(f),
			URLs: map[string]string{
				"rss": in.url(f.Path + "/" + render.RSSFile), "atom": in.url(f.Path + "/" + render.AtomFile),
				"json": in.url(f.Path + "/" + render.JSONFile), "html": in.url(f.Path + "/" + render.HTMLFile),
			}}
		switch f.Kind {
		case model.KindCategory:
			r.Merged = merged[f.Fold]
		case model.KindTopic:
			_, configured := in.tops[f.Fold]
			r.Removed = !configured
		}
		rows = append(rows, r)
	}
	// As the index page lists them: the combined feed, topics,
	// categories, listings.
	rank := map[model.FeedKind]int{model.KindAll: 0, model.KindTopic: 1, model.KindCategory: 2, model.KindListing: 3}
	slices.SortStableFunc(rows, func(a, b feedRow) int {
		if d := rank[a.Kind] - rank[b.Kind]; d != 0 {
			return d
		}
		return strings.Compare(a.Path, b.Path)
	})
	return rows, nil
}

func (in *inspector) feeds(w io.Writer, asJSON bool) error {
	rows, err := in.feedRows()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tNAME\tITEMS\tUPDATED\tURL")
	for _, r := range rows {
		name := r.Name
		if r.Merged != "" {
			name += " (merged into " + r.Merged + ")"
		}
		if r.Removed {
			name += " (removed from the config)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Path, name, r.Items, timeText(r.Updated), r.URL)
	}
	return tw.Flush()
}

// itemsOptions are the filters of feedpub items.
type itemsOptions struct {
	category, listing, topic, since string
	limit                           int
	asJSON                          bool
}

func newItemsCommand(env Env, g *globalOptions) *cobra.Command {
	o := &itemsOptions{}
	cmd := &cobra.Command{
		Use:   "items",
		Short: "List stored items, newest first, optionally of one category, listing or topic",
		Long: `items lists the items in the database, newest date first: date, public id,
title and categories. --category, --listing and --topic take a slug
("news"), a feed path ("category/news") or a name in any spelling
("NEWS"); --since keeps the items dated on or after a day.

It opens the database read-only, so it runs beside feedpub serve; while a
scan writes, it waits up to --lock-timeout.`,
		Example: `  feedpub items --category news --since 2017-10-01
  feedpub items --listing "Resources on cooperatives" --limit 5
  feedpub items --topic japan
  feedpub items --json | jq -r '.[].id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openInspector(cmd, env, g)
			if err != nil {
				return err
			}
			defer in.db.Close()
			return in.items(env.Stdout, o)
		},
	}
	addSettingFlags(cmd.Flags(), inspectFlags...)
	fs := cmd.Flags()
	fs.StringVar(&o.category, "category", "", "only items of this category: slug, path or name")
	fs.StringVar(&o.listing, "listing", "", "only items of this listing: slug, path or name")
	fs.StringVar(&o.topic, "topic", "", "only items of this topic: slug, path or name")
	fs.StringVar(&o.since, "since", "", "only items dated on or after this day, YYYY-MM-DD")
	fs.IntVar(&o.limit, "limit", 0, "at most this many items (0: all)")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

// findFeed resolves what the user typed to a feed path of kind.
func findFeed(tx *store.Tx, kind model.FeedKind, s string) (string, error) {
	s = strings.Trim(strings.TrimSpace(s), "/")
	if f, err := tx.Feed(s); err == nil && f != nil && f.Kind == kind {
		return f.Path, nil
	}
	if f, err := tx.Feed(string(kind) + "/" + strings.ToLower(s)); err == nil && f != nil {
		return f.Path, nil
	}
	if p, ok := tx.FeedPath(kind, identity.FoldName(s)); ok {
		return p, nil
	}
	return "", fmt.Errorf("no %s %q (try feedpub feeds)", kind, s)
}

type itemRow struct {
	model.Item
	URL string `json:"url"`
}

func (in *inspector) items(w io.Writer, o *itemsOptions) error {
	var since model.Date
	if o.since != "" {
		d, err := model.ParseISODate(o.since)
		if err != nil {
			return &exitError{code: ExitFatal, err: fmt.Errorf("--since: want YYYY-MM-DD: %w", err)}
		}
		since = d
	}
	var rows []itemRow
	err := in.db.View(func(tx *store.Tx) error {
		var paths []string
		for _, f := range []struct {
			kind model.FeedKind
			arg  string
		}{{model.KindCategory, o.category}, {model.KindListing, o.listing}, {model.KindTopic, o.topic}} {
			if f.arg == "" {
				continue
			}
			p, err := findFeed(tx, f.kind, f.arg)
			if err != nil {
				return &exitError{code: ExitFatal, err: err}
			}
			paths = append(paths, p)
		}
		keep := func(it *model.Item) {
			if !since.IsZero() && it.Date.Before(since) {
				return
			}
			for _, p := range paths {
				if !slices.Contains(it.Categories, p) && !slices.Contains(it.Listings, p) && !slices.Contains(it.Topics, p) {
					return
				}
			}
			rows = append(rows, itemRow{Item: *it, URL: in.url(it.Page)})
		}
		if len(paths) == 0 {
			return tx.ForEachItem(func(it *model.Item) error { keep(it); return nil })
		}
		// The members of the first feed named, checked against the rest.
		seqs, err := tx.Members(paths[0], 1, int(tx.MemberCount(paths[0])))
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			it, err := tx.Item(seq)
			if err != nil {
				return err
			}
			keep(it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b itemRow) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return int(int64(b.Seq) - int64(a.Seq))
	})
	if o.limit > 0 && len(rows) > o.limit {
		rows = rows[:o.limit]
	}
	if o.asJSON {
		if rows == nil {
			rows = []itemRow{}
		}
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tID\tTITLE\tCATEGORIES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Date, r.ID, oneLine(r.Title, 70), strings.Join(r.Categories, ", "))
	}
	return tw.Flush()
}

// oneLine shortens s to n runes for a table cell; tabs and newlines
// would break the columns.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func newShowCommand(env Env, g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one item: by its public id, its page path or URL, or its key",
		Long: `show prints everything stored about one item: its public id (the RSS guid,
Atom id and JSON Feed id), title, day, published and updated instants, when
it was first seen, its categories and listings, its page and description.

ID is the public id (tag:…), the item's page path or URL
(item/2017/10/31/….html), or its key (32 hex digits; a unique prefix of at
least 8 will do), as 'feedpub items' and the feeds show them.`,
		Example: `  feedpub show 'tag:example.org,2026-01-01:item/2017-10-31/0123456789abcdef0123'
  feedpub show item/2017/10/31/rokin-labour-banks-financial-cooperatives-467a7c.html
  feedpub show --json 467a7c0d | jq .categories`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openInspector(cmd, env, g)
			if err != nil {
				return err
			}
			defer in.db.Close()
			return in.show(env.Stdout, args[0], asJSON)
		},
	}
	addSettingFlags(cmd.Flags(), inspectFlags...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

// errNoItem is returned by show for an id that matches nothing.
var errNoItem = errors.New("no such item")

func (in *inspector) find(arg string) (*model.Item, error) {
	arg = strings.TrimSpace(arg)
	page := strings.TrimPrefix(arg, in.base.String())
	page = strings.TrimPrefix(page, "/")
	keyHex := strings.ToLower(arg)
	isHex := len(keyHex) >= 8 && len(keyHex) <= 32 && strings.Trim(keyHex, "0123456789abcdef") == ""
	var found []*model.Item
	err := in.db.View(func(tx *store.Tx) error {
		if k, err := hex.DecodeString(keyHex); err == nil && len(k) == 16 {
			if seq, ok := tx.ItemSeq(k); ok {
				it, err := tx.Item(seq)
				found = append(found, it)
				return err
			}
		}
		return tx.ForEachItem(func(it *model.Item) error {
			if it.ID == arg || it.Page == page || (isHex && strings.HasPrefix(hex.EncodeToString(it.Key), keyHex)) {
				found = append(found, it)
			}
			return nil
		})
	})
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("%w: %q is no item's id, page or key", errNoItem, arg)}
	case len(found) > 1:
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("%q matches %d items: give more of the key", arg, len(found))}
	}
	return found[0], nil
}

func (in *inspector) show(w io.Writer, arg string, asJSON bool) error {
	it, err := in.find(arg)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, itemRow{Item: *it, URL: in.url(it.Page)})
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range [][2]string{
		{"id", it.ID},
		{"title", it.Title},
		{"date", it.Date.String()},
		{"published", timeText(it.Published)},
		{"updated", timeText(it.Updated)},
		{"first seen", timeText(it.FirstSeen)},
		{"key", hex.EncodeToString(it.Key)},
		{"categories", strings.Join(it.Categories, ", ")},
		{"labels", strings.Join(it.Labels, " | ")},
		{"listings", strings.Join(it.Listings, ", ")},
		{"topics", strings.Join(it.Topics, ", ")},
		{"page", in.url(it.Page)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if it.Description != "" {
		fmt.Fprintf(w, "\n%s\n", it.Description)
	}
	return nil
}

func newStatsCommand(env Env, g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show what the database holds: items, feeds, listing files, pending work",
		Long: `stats counts what the database holds: items; feeds of each kind; listing
files read and how they fared (ok, partial, rejected); documents and item
pages waiting to be regenerated (non-zero after a scan was killed or a
document failed its check); the settings fixed at the first scan; and the
size of the database file.`,
		Example: `  feedpub stats
  feedpub stats --json | jq .items`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openInspector(cmd, env, g)
			if err != nil {
				return err
			}
			defer in.db.Close()
			return in.stats(env.Stdout, asJSON)
		},
	}
	addSettingFlags(cmd.Flags(), inspectFlags...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}

type statsReport struct {
	Items           int            `json:"items"`
	Feeds           map[string]int `json:"feeds"` // by kind
	Files           map[string]int `json:"files"` // by outcome
	PendingDocs     int            `json:"pending_documents"`
	PendingPages    int            `json:"pending_pages"`
	PendingUploads  int            `json:"pending_uploads"` // files not yet in object storage
	TagAuthority    string         `json:"tag_authority"`
	TagDate         string         `json:"tag_date"`
	ArchivePageSize string         `json:"archive_page_size"`
	DBBytes         int64          `json:"db_bytes"`
}

func (in *inspector) stats(w io.Writer, asJSON bool) error {
	r := statsReport{Feeds: map[string]int{}, Files: map[string]int{}}
	err := in.db.View(func(tx *store.Tx) error {
		r.Items, _ = tx.Counts()
		feeds, err := tx.Feeds()
		if err != nil {
			return err
		}
		for _, k := range []model.FeedKind{model.KindAll, model.KindTopic, model.KindCategory, model.KindListing} {
			r.Feeds[string(k)] = 0
		}
		for _, f := range feeds {
			r.Feeds[string(f.Kind)]++
		}
		for _, o := range []model.Outcome{model.OutcomeOK, model.OutcomePartial, model.OutcomeRejected} {
			r.Files[string(o)] = 0
		}
		if err := tx.ForEachFile(func(f *model.FileRecord) error { r.Files[string(f.Outcome)]++; return nil }); err != nil {
			return err
		}
		r.PendingDocs, r.PendingPages = len(tx.Dirty()), tx.PendingPages()
		r.PendingUploads = tx.PendingUploads()
		// Keys the scan fixes at the first scan (scan.resolveFixed).
		r.TagAuthority, r.TagDate, r.ArchivePageSize = tx.Meta("tag_authority"), tx.Meta("tag_date"), tx.Meta("archive_page_size")
		return nil
	})
	if err != nil {
		return err
	}
	if info, err := os.Stat(in.db.Path()); err == nil {
		r.DBBytes = info.Size()
	}
	if asJSON {
		return writeJSON(w, r)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, row := range [][2]string{
		{"items", fmt.Sprint(r.Items)},
		{"feeds", fmt.Sprintf("%d combined, %d topics, %d categories, %d listings", r.Feeds["all"], r.Feeds["topic"], r.Feeds["category"], r.Feeds["listing"])},
		{"listing files", fmt.Sprintf("%d ok, %d partial, %d rejected", r.Files["ok"], r.Files["partial"], r.Files["rejected"])},
		{"pending", fmt.Sprintf("%d documents, %d item pages, %d uploads", r.PendingDocs, r.PendingPages, r.PendingUploads)},
		{"tag URIs", fmt.Sprintf("tag:%s,%s:", r.TagAuthority, r.TagDate)},
		{"archive page size", r.ArchivePageSize},
		{"database", fmt.Sprintf("%s, %d bytes", in.db.Path(), r.DBBytes)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// openDBFor is openDB for a reader or a writer.
func openDBFor(ctx context.Context, path string, timeout time.Duration, readOnly bool) (*store.DB, error) {
	return openDBOpts(ctx, path, timeout, store.Options{ReadOnly: readOnly})
}
