package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/cli"
	"github.com/feedpub/feedpub/internal/store"
)

// scanned is a workdir after one scan of the shipped listings, and the
// flags pointing the inspection commands at its database.
func scanned(t *testing.T) (dir string, flags []string) {
	t.Helper()
	dir, scanFlags := workdir(t)
	if r := feedpub(t, nil, append([]string{"scan", "--base-url", "https://example.org/feeds/"}, scanFlags...)...); r.code != 0 {
		t.Fatalf("scan: exit %d %s", r.code, r.stderr)
	}
	return dir, []string{"--db", filepath.Join(dir, "feedpub.db"), "--base-url", "https://example.org/feeds/"}
}

func decode[T any](t *testing.T, r run) T {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	return v
}

type feedJSON struct {
	Path, Kind, Name, URL string
	Items                 int
	Updated               time.Time
	URLs                  map[string]string
	Merged                string `json:"merged_into"`
}

type itemJSON struct {
	ID, Title, Page, URL string
	Description          string
	Date                 struct{ Year, Month, Day int }
	Key                  []byte
	Categories, Listings []string
}

func TestFeedsListsEveryFeedWithURLCountAndChange(t *testing.T) {
	t.Parallel()
	dir, flags := scanned(t)
	db := filepath.Join(dir, "feedpub.db")
	before, _ := os.ReadFile(db)
	feeds := decode[[]feedJSON](t, feedpub(t, nil, append([]string{"feeds", "--json"}, flags...)...))
	if len(feeds) != 12 || feeds[0].Path != "all" || feeds[0].Items != 45 {
		t.Fatalf("feeds = %+v", feeds)
	}
	for _, f := range feeds {
		if f.URL != "https://example.org/feeds/"+f.Path+"/rss.xml" || f.URLs["atom"] != "https://example.org/feeds/"+f.Path+"/atom.xml" || f.Updated.IsZero() || f.Items == 0 {
			t.Errorf("%+v", f)
		}
		if _, err := os.Stat(filepath.Join(dir, "feeds", f.Path, "rss.xml")); err != nil {
			t.Errorf("%s: listed but not published", f.Path)
		}
	}
	r := feedpub(t, nil, append([]string{"feeds"}, flags...)...)
	if !regexp.MustCompile(`(?m)^PATH +NAME +ITEMS +UPDATED +URL$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^category/news +News +24 +\S+Z +https://example\.org/feeds/category/news/rss\.xml$`).MatchString(r.stdout) {
		t.Errorf("table:\n%s", r.stdout)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Errorf("feedpub feeds changed the database")
	}
}

func TestItemsFiltersByCategoryListingAndDate(t *testing.T) {
	t.Parallel()
	_, flags := scanned(t)
	all := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--json"}, flags...)...))
	if len(all) != 45 {
		t.Fatalf("%d items", len(all))
	}
	want := 0
	for _, it := range all {
		d := it.Date
		if slices.Contains(it.Categories, "category/news") && (d.Year > 2017 || d.Year == 2017 && d.Month >= 10) {
			want++
		}
	}
	for _, cat := range []string{"news", "category/news", "NEWS"} {
		got := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--json", "--category", cat, "--since", "2017-10-01"}, flags...)...))
		if len(got) != want || want == 0 {
			t.Errorf("--category %s: %d items, want %d", cat, len(got), want)
		}
	}
	got := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--json", "--listing", "Resources on cooperatives", "--limit", "3"}, flags...)...))
	if len(got) != 3 || !slices.Contains(got[0].Listings, "listing/resources-on-cooperatives") {
		t.Errorf("--listing: %+v", got)
	}
	if r := feedpub(t, nil, append([]string{"items", "--category", "nope"}, flags...)...); r.code != cli.ExitFatal || !strings.Contains(r.stderr, `no category "nope"`) {
		t.Errorf("unknown category: %+v", r)
	}
	if r := feedpub(t, nil, append([]string{"items", "--since", "yesterday"}, flags...)...); r.code != cli.ExitFatal || !strings.Contains(r.stderr, "--since") {
		t.Errorf("bad --since: %+v", r)
	}
	r := feedpub(t, nil, append([]string{"items", "--limit", "2"}, flags...)...)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "DATE") {
		t.Errorf("table:\n%s", r.stdout)
	}
}

func TestShowFindsAnItemByIDPageURLOrKey(t *testing.T) {
	t.Parallel()
	_, flags := scanned(t)
	all := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--json"}, flags...)...))
	it := all[len(all)/2]
	key := ""
	for _, b := range it.Key {
		key += string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15])
	}
	for _, arg := range []string{it.ID, it.Page, it.URL, key, key[:10]} {
		got := decode[itemJSON](t, feedpub(t, nil, append([]string{"show", "--json", arg}, flags...)...))
		if got.ID != it.ID || got.Title != it.Title {
			t.Errorf("show %s = %q", arg, got.ID)
		}
	}
	r := feedpub(t, nil, append([]string{"show", it.ID}, flags...)...)
	if !strings.Contains(r.stdout, "id:          "+it.ID+"\n") || !strings.Contains(r.stdout, "title:       "+it.Title+"\n") {
		t.Errorf("show:\n%s", r.stdout)
	}
	if r := feedpub(t, nil, append([]string{"show", "tag:nobody"}, flags...)...); r.code != cli.ExitFatal || !strings.Contains(r.stderr, "no such item") {
		t.Errorf("unknown id: %+v", r)
	}
}

func TestStatsCountsTheDatabase(t *testing.T) {
	t.Parallel()
	_, flags := scanned(t)
	s := decode[struct {
		Items        int
		Feeds, Files map[string]int
		PendingDocs  int    `json:"pending_documents"`
		TagAuthority string `json:"tag_authority"`
	}](t, feedpub(t, nil, append([]string{"stats", "--json"}, flags...)...))
	if s.Items != 45 || s.Feeds["category"] != 8 || s.Feeds["listing"] != 3 || s.Files["ok"] != 5 || s.PendingDocs != 0 || s.TagAuthority != "example.org" {
		t.Errorf("stats = %+v", s)
	}
}

func TestInspectionRunsBesideReadersAndWaitsBoundedForAWriter(t *testing.T) {
	t.Parallel()
	dir, flags := scanned(t)
	path := filepath.Join(dir, "feedpub.db")
	reader, err := store.Open(path, store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r := feedpub(t, nil, append([]string{"stats", "--lock-timeout", "1s"}, flags...)...); r.code != 0 {
		t.Errorf("beside another reader: exit %d %s", r.code, r.stderr)
	}
	reader.Close()
	writer, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	r := feedpub(t, nil, append([]string{"feeds", "--lock-timeout", "300ms"}, flags...)...)
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "a scan is writing") || !strings.Contains(r.stderr, "300ms") {
		t.Errorf("beside a writer: exit %d %q", r.code, r.stderr)
	}
	if r := feedpub(t, nil, "stats", "--db", filepath.Join(dir, "none.db")); r.code != cli.ExitFatal || !strings.Contains(r.stderr, "run a scan first") {
		t.Errorf("no database: %+v", r)
	}
}
