package faults_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
)

// TestCrashSafety kills `feedpub scan` with SIGKILL at random moments of
// a first scan and of an incremental one (which also applies two new
// topics to the items stored before), several times in a row, then
// lets one scan finish and compares the database (a logical dump through
// the store API) and every output file, byte for byte, with scans that
// were never killed. Meanwhile a reader reads every published document
// again and again and fails on any that is empty or cut short.
//
//	FEEDPUB_CRASH_KILLS=60 go test -run TestCrashSafety -v ./internal/faults
//
// It is skipped unless FEEDPUB_CRASH_KILLS is set; scripts/test sets it.
// The files live on a tmpfs (/dev/shm) when there is one: SIGKILL loses
// the process, not the page cache, so this tests what a killed process
// leaves behind, not what a power cut would.
func TestCrashSafety(t *testing.T) {
	target, _ := strconv.Atoi(os.Getenv("FEEDPUB_CRASH_KILLS"))
	if target <= 0 {
		t.Skip("set FEEDPUB_CRASH_KILLS=60 to run the crash harness (scripts/test does)")
	}
	feedpub, gen := binaries(t)
	work := scratchDir(t)
	listings := filepath.Join(work, "listings")
	// The scans under test have topics; the state an incremental scan
	// starts from has none, so that it also backfills them.
	topics := filepath.Join(work, "topics.toml")
	if err := os.WriteFile(topics, []byte(`[topics.Japan]
match = ["Japan", "Sri Lanka"]
[topics."Decent work"]
match = ["decent work"]
categories = ["News"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	baseFlags := func(dir string) []string {
		return []string{"scan", "--data", listings, "--db", filepath.Join(dir, "feedpub.db"), "--out", filepath.Join(dir, "feeds"),
			"--limit", "20", "--base-url", "https://example.org/feeds/", "--tag-authority", "example.org", "--tag-date", "2026-01-01",
			"--lock-timeout", "10s", "--log-level", "warn"}
	}
	flags := func(dir string) []string { return append(baseFlags(dir), "--config", topics) }
	mustRun := func(what string, args ...string) time.Duration {
		t.Helper()
		start := time.Now()
		if r := run(t, args[0], args[1:]...); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, r.code, r.stderr)
		}
		return time.Since(start)
	}

	// The data: 800 listing files, scanned once to make the state an
	// incremental scan starts from; then 300 new files and 20 changed.
	mustRun("feedpub-gen", gen, "-files", "800", "-items", "2", "-seed", "7", "-out", listings)
	base := filepath.Join(work, "base")
	mustRun("scan of the first 800 files", append([]string{feedpub}, baseFlags(base)...)...)
	mustRun("feedpub-gen", gen, "-files", "300", "-items", "2", "-seed", "8", "-start", "800", "-out", listings)
	names, _ := filepath.Glob(filepath.Join(listings, "*.txt"))
	slices.Sort(names)
	for i, n := range names[:20] {
		f, err := os.OpenFile(n, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\n  99. News\n\n    Late addition number %d\n\n    %d March 2024\n", i, i+1)
		f.Close()
	}
	stats := listingStats(t, listings)

	// References: the same scans, never killed.
	// Their timing tells when the ingest (read, parse, commit) ends and
	// writing starts: when the first staged file appears.
	type reference struct {
		dump     string
		files    map[string][32]byte
		duration time.Duration
		ingest   time.Duration
	}
	refs := map[string]*reference{}
	for _, kind := range []string{"first", "incremental"} {
		dir := filepath.Join(work, "ref-"+kind)
		prepare(t, kind, dir, base)
		stopWatch := watchFirstStaged(filepath.Join(dir, "feeds"))
		d := mustRun("reference scan", append([]string{feedpub}, flags(dir)...)...)
		ingest := stopWatch()
		if ingest <= 0 || ingest > d {
			ingest = d / 4
		}
		dump, err := dumpDB(filepath.Join(dir, "feedpub.db"))
		if err != nil {
			t.Fatal(err)
		}
		refs[kind] = &reference{dump, tree(t, filepath.Join(dir, "feeds")), d, ingest}
		t.Logf("reference %s scan: %s (ingest about %s), %d output files", kind, d.Round(time.Millisecond),
			ingest.Round(time.Millisecond), len(refs[kind].files))
	}

	rd := newReader()
	defer rd.stop()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("FEEDPUB_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("kill delays drawn with FEEDPUB_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	type kill struct {
		round int
		kind  string
		delay time.Duration
		phase string
	}
	var kills []kill
	finished, mismatches, rounds := 0, 0, 0
	const perRound = 5
	for round := 0; len(kills) < target; round++ {
		rounds++
		kind := []string{"first", "incremental"}[round%2]
		ref := refs[kind]
		dir := filepath.Join(work, fmt.Sprintf("round-%d", round))
		prepare(t, kind, dir, base)
		rd.watch(filepath.Join(dir, "feeds"))
		for k := range perRound {
			// Only the first kill of a round can catch the ingest, which
			// a resumed scan has mostly done: half of them aim at it.
			delay := time.Duration(rng.Int64N(int64(ref.duration) + 1))
			if k == 0 && rng.IntN(2) == 0 {
				delay = time.Duration(rng.Int64N(int64(ref.ingest) + 1))
			}
			if !runAndKill(t, feedpub, flags(dir), delay) {
				finished++
				break // nothing left to kill: the scan completed
			}
			kills = append(kills, kill{round, kind, delay, phaseOf(t, dir, stats)})
		}
		if r := run(t, feedpub, flags(dir)...); r.code != 0 {
			t.Errorf("round %d: the clean scan after the kills: exit %d\n%s", round, r.code, r.stderr)
		}
		rd.watch("")
		got, err := dumpDB(filepath.Join(dir, "feedpub.db"))
		switch {
		case err != nil:
			mismatches++
			t.Errorf("round %d (%s): dump: %v", round, kind, err)
		case got != ref.dump:
			mismatches++
			t.Errorf("round %d (%s): database differs from the never-killed scan's: %s", round, kind, firstDiff(got, ref.dump))
		}
		if diffs := treeDiffs(tree(t, filepath.Join(dir, "feeds")), ref.files); len(diffs) > 0 {
			mismatches++
			t.Errorf("round %d (%s): %d output files differ from the never-killed scan's: %q", round, kind, len(diffs), diffs[:min(len(diffs), 10)])
		}
		os.RemoveAll(dir)
	}
	reads, passes, bad := rd.stop()
	for _, b := range bad {
		t.Errorf("concurrent reader: %s", b)
	}

	byPhase := map[string]int{}
	var lines []string
	staged := 0
	for _, k := range kills {
		byPhase[bucket(k.phase)]++
		if strings.Contains(k.phase, "inside a batch") {
			staged++
		}
		lines = append(lines, fmt.Sprintf("  round %2d, %-11s scan, killed after %6s (%3d%% of a whole scan's time) %s",
			k.round, k.kind, k.delay.Round(time.Millisecond), 100*k.delay/refs[k.kind].duration, k.phase))
	}
	var phases []string
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range byPhase {
			if !yield(p) {
				return
			}
		}
	}) {
		phases = append(phases, fmt.Sprintf("%s %d", p, byPhase[p]))
	}
	t.Logf("where each kill landed:\n%s", strings.Join(lines, "\n"))
	t.Logf("crash harness: %d kills in %d rounds (%d scans finished before their kill); kills by phase: %s; "+
		"%d with files staged but not yet renamed; mismatches with the never-killed scans: %d; "+
		"concurrent reader: %d reads of published documents in %d passes over the tree, %d partial or empty",
		len(kills), rounds, finished, strings.Join(phases, ", "), staged, mismatches, reads, passes, len(bad))
	if mismatches > 0 || len(bad) > 0 {
		t.Fail()
	}
}

// scratchDir is a directory on a tmpfs if there is one, else on disk.
func scratchDir(t *testing.T) string {
	t.Helper()
	if dir, err := os.MkdirTemp("/dev/shm", "feedpub-crash-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return t.TempDir()
}

// prepare makes dir the state a scan of kind starts from: nothing for a
// first scan, a copy of base for an incremental one.
func prepare(t *testing.T, kind, dir, base string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if kind == "incremental" {
		copyTree(t, base, dir)
	}
}

// watchFirstStaged notes when the first staged (".tmp-") file appears
// under dir, walking it again and again until the returned function is
// called, which returns the time from the call of watchFirstStaged (0 if
// none appeared).
func watchFirstStaged(dir string) func() time.Duration {
	start := time.Now()
	var first atomic.Int64
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for first.Load() == 0 {
			select {
			case <-quit:
				return
			default:
			}
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
					first.Store(int64(time.Since(start)))
					return filepath.SkipAll
				}
				return nil
			})
		}
	}()
	return func() time.Duration {
		close(quit)
		<-done
		return time.Duration(first.Load())
	}
}

// runAndKill starts a scan and sends it SIGKILL after delay. It reports
// whether the kill landed; false means the scan finished first.
func runAndKill(t *testing.T, bin string, args []string, delay time.Duration) bool {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FEEDPUB_NOW="+fixedNow)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		cmd.Process.Signal(syscall.SIGKILL)
		err = <-done
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return true
	}
	if err != nil {
		t.Errorf("a scan that was not killed failed: %v\n%s", err, stderr.String())
	}
	return false
}

type fileStat struct {
	size  int64
	mtime time.Time
}

func listingStats(t *testing.T, dir string) map[string]fileStat {
	t.Helper()
	out := map[string]fileStat{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fileStat{info.Size(), info.ModTime()}
	}
	return out
}

// phaseOf tells where a killed scan stopped, from what it left: the
// database (files committed, documents and pages still marked to write)
// and the output directory (files staged and not yet renamed). A resumed
// first scan re-renders every item page before the archive pages (without
// rewriting them), so "archive pages not all written" also covers a kill
// during that pass. It also runs bbolt's consistency check over the
// killed database.
func phaseOf(t *testing.T, dir string, listings map[string]fileStat) string {
	t.Helper()
	path := filepath.Join(dir, "feedpub.db")
	if info, err := os.Stat(path); err != nil || info.Size() == 0 {
		return "at startup: no database yet"
	}
	db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if errors.Is(err, store.ErrNotFeedpub) && strings.Contains(err.Error(), "empty") {
		return "at startup: database created, nothing committed"
	}
	if err != nil {
		t.Errorf("the killed scan left a database that does not open: %v", err)
		return "database unusable: " + err.Error()
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("the killed scan left an inconsistent database: %v", err)
	}
	var upToDate int
	var pages, dirty []string
	var render string
	db.View(func(tx *store.Tx) error {
		tx.ForEachFile(func(r *model.FileRecord) error {
			if st, ok := listings[r.Path]; ok && st.size == r.Size && st.mtime.Equal(r.ModTime) {
				upToDate++
			}
			return nil
		})
		for _, s := range tx.DirtyPages(0, 1<<30) {
			pages = append(pages, strconv.FormatUint(s, 10))
		}
		dirty = tx.Dirty()
		tx.ForEachMeta(func(k, v string) {
			if k == "render" {
				render = v
			}
		})
		return nil
	})
	staged := 0
	filepath.WalkDir(filepath.Join(dir, "feeds"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			staged++
		}
		return nil
	})
	batch := ""
	if staged > 0 {
		batch = fmt.Sprintf(", inside a batch (%d files staged, not renamed)", staged)
	}
	archives := 0
	for _, d := range dirty {
		if _, _, ok := model.SplitArchiveDir(d); ok {
			archives++
		}
	}
	_, indexErr := os.Stat(filepath.Join(dir, "feeds", "feeds.opml"))
	switch {
	case upToDate < len(listings):
		return fmt.Sprintf("in the ingest (read + parse + commit): %d of %d files committed%s", upToDate, len(listings), batch)
	case len(pages) > 0:
		return fmt.Sprintf("writing files, item pages not all written: %d left%s", len(pages), batch)
	case archives > 0:
		return fmt.Sprintf("writing files, archive pages not all written: %d left%s", archives, batch)
	case len(dirty) > 0:
		return fmt.Sprintf("writing files, feed documents not all written: %d left%s", len(dirty), batch)
	case indexErr != nil || render == "":
		return "writing files, index and OPML not written" + batch
	}
	return "after the last write: nothing left" + batch
}

// bucket is the phase without its details.
func bucket(phase string) string {
	phase, _, _ = strings.Cut(phase, ":")
	return strings.TrimPrefix(phase, "writing files, ")
}

// reader reads every document under a directory, pass after pass, and
// records any that is empty or not whole.
type reader struct {
	mu     sync.Mutex // held during a pass; watch takes it to switch dirs
	dir    string
	reads  atomic.Int64
	passes atomic.Int64
	bad    []string
	quit   chan struct{}
	done   chan struct{}
}

func newReader() *reader {
	r := &reader{quit: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// watch makes the reader read dir from its next pass on; "" pauses it.
// It returns once no pass reads the old directory.
func (r *reader) watch(dir string) {
	r.mu.Lock()
	r.dir = dir
	r.mu.Unlock()
}

func (r *reader) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.quit:
			return
		default:
		}
		r.mu.Lock()
		dir := r.dir
		if dir != "" {
			r.pass(dir)
		}
		r.mu.Unlock()
		if dir == "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (r *reader) pass(dir string) {
	n := r.reads.Load()
	defer func() {
		if r.reads.Load() > n {
			r.passes.Add(1)
		}
	}()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // not created yet
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := os.ReadFile(p)
		r.reads.Add(1)
		if err != nil {
			r.bad = append(r.bad, fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		if err := checkDocument(d.Name(), data); err != nil {
			r.bad = append(r.bad, fmt.Sprintf("%s: %v (%d bytes)", p, err, len(data)))
		}
		return nil
	})
}

// stop ends the reader and returns its counts and findings. It may be
// called more than once.
func (r *reader) stop() (reads, passes int64, bad []string) {
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads.Load(), r.passes.Load(), r.bad
}
