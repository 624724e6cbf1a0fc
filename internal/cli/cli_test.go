package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/cli"
	"github.com/feedpub/feedpub/internal/store"
)

type run struct {
	code           int
	stdout, stderr string
}

// feedpub runs the command line in-process with its own environment.
func feedpub(t *testing.T, env map[string]string, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Now:    func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) },
	})
	return run{code, out.String(), errOut.String()}
}

// workdir copies the shipped listings into a temp dir and returns the
// flags pointing a scan at it.
func workdir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	listings := filepath.Join(dir, "listings")
	if err := os.MkdirAll(listings, 0o755); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob("../../data/listings/*.txt")
	if len(names) != 5 {
		t.Fatalf("seed listings: %v", names)
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(listings, filepath.Base(n)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, []string{"--data", listings, "--db", filepath.Join(dir, "feedpub.db"), "--out", filepath.Join(dir, "feeds")}
}

func items(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return len(feed.Items)
}

func TestScanExitCodesAndSummary(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	r := feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("first scan exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `msg="scan finished" files_new=5 files_changed=0 files_unchanged=0 files_failed=0 items_new=45 items_updated=0 feeds_regenerated=12 files_written=99`) {
		t.Errorf("summary line missing:\n%s", r.stderr)
	}
	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != cli.ExitOK || !strings.Contains(r.stderr, "items_new=0") || !strings.Contains(r.stderr, "files_written=0") {
		t.Fatalf("second scan exit %d:\n%s", r.code, r.stderr)
	}
	bad := filepath.Join(dir, "listings", "bad.txt")
	os.WriteFile(bad, []byte("Bad\n\n  1. News\n\n    No date here\n\n  2. News\n\n    Fine\n\n    1 May 2020\n"), 0o644)
	r = feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != cli.ExitRejected {
		t.Fatalf("scan with bad input exit %d, want %d:\n%s", r.code, cli.ExitRejected, r.stderr)
	}
	if !strings.Contains(r.stderr, "level=ERROR") || !strings.Contains(r.stderr, "file="+bad) || !strings.Contains(r.stderr, "line=3") {
		t.Errorf("error line lacks level, file or line:\n%s", r.stderr)
	}
	if n := items(t, filepath.Join(dir, "feeds", "all", "rss.xml")); n != 46 {
		t.Errorf("combined feed has %d items, want 46 (the good item of bad.txt published)", n)
	}
}

func TestEnvironmentOverridesAndFlagsWin(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	env := map[string]string{"FEEDPUB_LIMIT": "3", "FEEDPUB_BASE_URL": "https://env.example.org/"}
	if r := feedpub(t, env, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rss := filepath.Join(dir, "feeds", "all", "rss.xml")
	if n := items(t, rss); n != 3 {
		t.Errorf("FEEDPUB_LIMIT=3 gave %d items", n)
	}
	data, _ := os.ReadFile(rss)
	if !strings.Contains(string(data), "https://env.example.org/all/rss.xml") {
		t.Errorf("FEEDPUB_BASE_URL ignored")
	}
	if r := feedpub(t, env, append([]string{"scan", "--limit", "4"}, flags...)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := items(t, rss); n != 4 {
		t.Errorf("--limit 4 over FEEDPUB_LIMIT=3 gave %d items", n)
	}
	if r := feedpub(t, map[string]string{"FEEDPUB_LIMIT": "many"}, append([]string{"scan"}, flags...)...); r.code != cli.ExitFatal || !strings.Contains(r.stderr, "FEEDPUB_LIMIT") {
		t.Errorf("bad env value: exit %d %s", r.code, r.stderr)
	}
}

func TestInvalidSettingsAreFatal(t *testing.T) {
	t.Parallel()
	_, flags := workdir(t)
	for _, args := range [][]string{
		{"--base-url", "ftp://example.org/"},
		{"--limit", "0"},
		{"--time-zone", "Mars/Olympus"},
		{"--tag-date", "yesterday"},
	} {
		r := feedpub(t, nil, append(append([]string{"scan"}, flags...), args...)...)
		if r.code != cli.ExitFatal || !strings.HasPrefix(r.stderr, "feedpub: ") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestSecondScanWaitsForTheLockThenFails(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	db, err := store.Open(filepath.Join(dir, "feedpub.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := feedpub(t, nil, append([]string{"scan", "--lock-timeout", "300ms"}, flags...)...)
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "another feedpub process is scanning") || !strings.Contains(r.stderr, "300ms") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCheckReportsWithoutStoring(t *testing.T) {
	t.Parallel()
	dir, _ := workdir(t)
	good := filepath.Join(dir, "listings", "004_88751cd022933480.txt")
	r := feedpub(t, nil, "check", good)
	if r.code != 0 || !strings.Contains(r.stdout, `"Resources on cooperatives", 10 item(s)`) || r.stderr != "" {
		t.Fatalf("check good: %+v", r)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("Title\n\n  1. News\n\n    Impossible\n\n    31 February 2017\n"), 0o644)
	r = feedpub(t, nil, "check", good, bad, filepath.Join(dir, "missing.txt"))
	if r.code != cli.ExitRejected {
		t.Fatalf("check bad: exit %d", r.code)
	}
	for _, want := range []string{bad + `:7: item 1 ("Impossible"): impossible date "31 February 2017"`, "missing.txt: cannot read"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "feedpub.db")); err == nil {
		t.Errorf("check created a database")
	}
}

func TestEveryCommandHasHelpWithExamplesAndEnv(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"--help"}, {"scan", "--help"}, {"serve", "--help"}, {"check", "--help"}} {
		r := feedpub(t, nil, cmd...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%v: exit %d, no examples:\n%s", cmd, r.code, r.stdout)
		}
	}
	r := feedpub(t, nil, "scan", "--help")
	for _, want := range []string{"--data", "[FEEDPUB_DATA]", "--base-url", "[FEEDPUB_BASE_URL]", "--rebuild", "Exit status"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("scan help lacks %q", want)
		}
	}
	r = feedpub(t, nil, "serve", "--help")
	for _, want := range []string{"--addr", "[FEEDPUB_ADDR]", "--schedule", "--max-age", "--access-log", "--drain-timeout", "--scan-grace", "--lock-timeout", "/healthz", "/metrics"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve help lacks %q", want)
		}
	}
}

func TestScanOfNamedPathsReadsOnlyThose(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	if r := feedpub(t, nil, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatalf("first scan: %d %s", r.code, r.stderr)
	}
	listings := filepath.Join(dir, "listings")
	os.WriteFile(filepath.Join(listings, "new.txt"), []byte("Late\n\n  1. News\n\n    Named\n\n    1 May 2021\n"), 0o644)
	os.WriteFile(filepath.Join(listings, "other.txt"), []byte("Other\n\n  1. News\n\n    Unnamed\n\n    2 May 2021\n"), 0o644)
	// A path under --data, and the same file relative to it.
	r := feedpub(t, nil, append(append([]string{"scan"}, flags...), filepath.Join(listings, "new.txt"), "new.txt")...)
	if r.code != 0 || !strings.Contains(r.stderr, "files_new=1 files_changed=0 files_unchanged=0") || !strings.Contains(r.stderr, "items_new=1 ") {
		t.Fatalf("scan of a named file: %d\n%s", r.code, r.stderr)
	}
	if r := feedpub(t, nil, append(append([]string{"scan"}, flags...), "/etc/passwd")...); r.code != cli.ExitFatal || !strings.Contains(r.stderr, "not inside the listings directory") {
		t.Errorf("scan of a path outside --data: %d %s", r.code, r.stderr)
	}
}

// backup finds the database where every other command does: here through
// FEEDPUB_DB, with no --db flag.
func TestBackupUsesTheConfiguredDatabase(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	if r := feedpub(t, nil, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	out := filepath.Join(dir, "copy.db")
	r := feedpub(t, map[string]string{"FEEDPUB_DB": filepath.Join(dir, "feedpub.db")}, "backup", out)
	if r.code != 0 || !strings.Contains(r.stderr, "items=45") {
		t.Fatalf("backup: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}
