package faults_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/gen"
	"github.com/feedpub/feedpub/internal/publish"
	"github.com/feedpub/feedpub/internal/publish/crashfs"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/upload"
)

// The power-loss harness. A killed process keeps what it wrote in the
// page cache; a power cut keeps only what was made durable. Every scan
// here writes its output through crashfs, which knows what an fsync or
// syncfs made durable, and bbolt's file is durable at each commit. A cut
// at a random write (or, while reading listings, at a random file) takes
// what would survive: the output as crashfs keeps it, either with only
// the directory entries made durable by a sync or with every entry (the
// kernel may commit its journal of renames on its own while file data
// waits), and the database as of its last commit. Then the checks a
// reader would make of that output (no published file empty or cut
// short, no link to a file that is not there), one clean scan, and a
// comparison, byte for byte, of the database and every output file with
// a run that was never cut.

const outRoot = "/srv/feeds" // inside crashfs only

// powerScenario is one scan to cut: from a given state (database file
// and output), over a listings dir, to a reference end state.
type powerScenario struct {
	name     string
	listings string
	now      time.Time
	db       string            // database before the scan ("" = none)
	out      *crashfs.FS       // output before the scan
	wantDB   string            // dump of the database after an uncut scan
	wantOut  map[string][]byte // output after an uncut scan
	events   int               // writes + files read by the uncut scan
	phases   map[string][]int  // the events of each phase, from 1
	reads    int               // files read by the uncut scan
	broken   map[string]bool   // links an uncut scan leaves dangling by design
	mu       sync.Mutex
}

func powerConfig(listings string) config.Config {
	cfg := config.Default()
	cfg.ListingsDir = listings
	cfg.OutDir = outRoot
	cfg.BaseURL = "https://feeds.example.org/"
	cfg.Title = "Power cuts"
	cfg.TagAuthority, cfg.TagDate = "example.org", "2026-01-01"
	cfg.Limit = 5 // archive pages from the first scan
	cfg.Hubs = []string{"https://hub.example.net/"}
	cfg.PublishS3 = "s3://bucket/site"
	cfg.Workers = 2
	// A topic feed goes through the same paths as the others.
	cfg.Topics = []config.Topic{{Name: "Japan", Match: []string{"Japan", "Sri Lanka"}}}
	return cfg
}

// runScan scans with out as the output and the database at dbPath. cut,
// if not nil, is told of each write (n from 1) and each file read.
func runScan(ctx context.Context, t *testing.T, cfg config.Config, dbPath string, out *crashfs.FS, now time.Time, progress func(scan.ProgressEvent)) error {
	t.Helper()
	cfg.DBPath = dbPath
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = scan.Run(ctx, db, scan.Options{Config: cfg, Now: func() time.Time { return now }, FS: out, Progress: progress})
	return err
}

// fullDump is the database dump the crash harness compares, plus the
// bookkeeping a power cut must not lose: uploads owed to object storage
// and WebSub pings owed to hubs.
func fullDump(t *testing.T, path string) string {
	t.Helper()
	d, err := dumpDB(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var extra strings.Builder
	err = db.View(func(tx *store.Tx) error {
		ups := tx.Uploads()
		slices.Sort(ups)
		fmt.Fprintf(&extra, "\nuploads %q", ups)
		pings, err := tx.Pings()
		for _, p := range pings {
			fmt.Fprintf(&extra, "\nping %s %s", p.Hub, p.Topic)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d + extra.String()
}

// localLink finds the URLs a document links to: href and src attributes,
// RSS links, sitemap locations and JSON Feed URLs.
var localLink = regexp.MustCompile(`(?:href|src)="([^"]+)"|<link>([^<]+)</link>|<loc>([^<]+)</loc>|"(?:url|next_url|feed_url|home_page_url)": "([^"]+)"`)

// links returns the output paths the document at rel links to, less
// those of rel="next-archive" (an archive page links to the next one
// before it exists, so that its bytes never change).
func links(base, rel string, data []byte) []string {
	var out []string
	for _, m := range localLink.FindAllSubmatchIndex(data, -1) {
		var u string
		for i := 2; i < len(m); i += 2 {
			if m[i] >= 0 {
				u = string(data[m[i]:m[i+1]])
			}
		}
		// The whole tag: rel may come after href.
		start := bytes.LastIndexByte(data[:m[0]], '<')
		end := bytes.IndexByte(data[m[1]:], '>')
		if start >= 0 && end >= 0 && bytes.Contains(data[start:m[1]+end], []byte("next-archive")) {
			continue
		}
		u = strings.ReplaceAll(u, "&amp;", "&")
		p, ok := strings.CutPrefix(u, base)
		if !ok {
			continue // elsewhere, or a fragment
		}
		p, _, _ = strings.Cut(p, "#")
		if p == "" || strings.HasSuffix(p, "/") {
			p += "index.html"
		}
		out = append(out, p)
	}
	return out
}

// tier is the place of a file in the order a scan publishes in (item
// pages, archive pages, subscription documents and feed pages, then the
// index, OPML list and sitemap index), as upload.Tiers sorts them.
func tier(rel string) int {
	for i, t := range upload.Tiers([]string{rel}) {
		if len(t) > 0 {
			return i
		}
	}
	return -1
}

// readerChecks returns what a reader of the output would find wrong: a
// published file empty or cut short (its precompressed variants
// decompressed first), or a link to a file that is not there. Documents
// link both ways (a feed to its items and archive pages, an item page to
// its feeds, an archive page to its feed's current document, each
// rendition to the others), so a scan publishing a feed for the first
// time cannot make every file appear at once: a link to a file published
// in the same tier or a later one may wait for it while that file is new
// (absent from before). A link down to an earlier tier, or to a file
// that existed before, must always resolve.
func readerChecks(base string, files, before map[string][]byte, broken map[string]bool) (torn, dangling []string) {
	for rel, data := range files {
		if strings.HasPrefix(path.Base(rel), publish.TempPrefix) {
			continue // not published: servers never serve them
		}
		name := rel
		switch {
		case strings.HasSuffix(rel, ".gz"):
			name = strings.TrimSuffix(rel, ".gz")
			r, err := gzip.NewReader(bytes.NewReader(data))
			if err == nil {
				data, err = io.ReadAll(r)
			}
			if err != nil {
				torn = append(torn, rel+": "+err.Error())
				continue
			}
		case strings.HasSuffix(rel, ".br"):
			name = strings.TrimSuffix(rel, ".br")
			var err error
			if data, err = io.ReadAll(brotli.NewReader(bytes.NewReader(data))); err != nil {
				torn = append(torn, rel+": "+err.Error())
				continue
			}
		}
		if err := checkDocument(name, data); err != nil {
			torn = append(torn, rel+": "+err.Error())
			continue
		}
		if name != rel {
			continue
		}
		for _, l := range links(base, rel, data) {
			if _, ok := files[l]; ok || broken[rel+" -> "+l] {
				continue
			}
			if _, existed := before[l]; !existed && tier(l) >= tier(rel) {
				continue
			}
			dangling = append(dangling, rel+" -> "+l)
		}
	}
	slices.Sort(torn)
	slices.Sort(dangling)
	return torn, dangling
}

// phase names the part of a scan a write belongs to, from its path.
func phase(op, name string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(name, outRoot), "/")
	switch {
	case op == "syncfs":
		return "sync"
	case strings.HasPrefix(rel, "item/"):
		return "item pages"
	case strings.Contains(rel, "/archive/"):
		return "archive pages"
	case strings.Contains(rel, "sitemap"):
		return "sitemap"
	case !strings.Contains(rel, "/"):
		return "index and OPML"
	default:
		return "subscription documents"
	}
}

func TestPowerLoss(t *testing.T) {
	cuts := 20 // scripts/test runs 60 more, the full run 300 (docs/development.md)
	if testing.Short() || raceDetector {
		cuts = 4
	}
	if n, err := strconv.Atoi(os.Getenv("FEEDPUB_POWER_CUTS")); err == nil && n > 0 {
		cuts = n
	}
	dir := t.TempDir()
	first, both := filepath.Join(dir, "first"), filepath.Join(dir, "both")
	g := gen.New(gen.Params{Files: 12, ItemsPerFile: 6, Shared: 0.15, Seed: 16})
	if _, err := g.Write(first); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(both, os.DirFS(first)); err != nil {
		t.Fatal(err)
	}
	g2 := gen.New(gen.Params{Files: 6, ItemsPerFile: 6, Shared: 0.3, Seed: 17, Start: 12})
	if _, err := g2.Write(both); err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)

	// The uncut runs: a first scan, then a scan that adds files.
	ctx := context.Background()
	reference := func(s *powerScenario) {
		dbPath := filepath.Join(dir, s.name+"-ref.db")
		if s.db != "" {
			copyFile(t, s.db, dbPath)
		}
		out := s.out.Durable(false)
		reads := 0
		s.phases = map[string][]int{}
		var writes []string
		out.BeforeWrite = func(n int, op, name string) error {
			writes = append(writes, phase(op, name))
			return nil
		}
		err := runScan(ctx, t, powerConfig(s.listings), dbPath, out, s.now, func(e scan.ProgressEvent) {
			if e.Phase == scan.PhaseRead && e.Done > 0 {
				reads++
				s.phases["ingest"] = append(s.phases["ingest"], reads)
			}
		})
		out.BeforeWrite = nil
		for i, p := range writes {
			s.phases[p] = append(s.phases[p], reads+i+1)
		}
		if err != nil {
			t.Fatalf("%s: uncut scan: %v", s.name, err)
		}
		s.wantDB, s.wantOut = fullDump(t, dbPath), out.Files(outRoot)
		s.reads, s.events = reads, reads+out.Writes()
		_, dangling := readerChecks(powerConfig(s.listings).BaseURL, s.wantOut, nil, nil)
		s.broken = map[string]bool{}
		for _, d := range dangling {
			s.broken[d] = true
		}
	}
	firstScan := &powerScenario{name: "first scan", listings: first, now: t1, out: crashfs.New(outRoot)}
	reference(firstScan)
	// The state the second scenario starts from: the first scan's, made
	// durable (its last act is a syncfs).
	startDB := filepath.Join(dir, "first-ref.db")
	copyFile(t, filepath.Join(dir, "first scan-ref.db"), startDB)
	firstOut := crashfs.New(outRoot)
	{
		out := crashfs.New(outRoot)
		if err := runScan(ctx, t, powerConfig(first), filepath.Join(dir, "first-again.db"), out, t1, nil); err != nil {
			t.Fatal(err)
		}
		firstOut = out.Durable(false)
		if !filesEqual(firstOut.Files(outRoot), firstScan.wantOut) {
			t.Fatal("the first scan's durable output differs from what it published")
		}
	}
	secondScan := &powerScenario{name: "new files", listings: both, now: t2, db: startDB, out: firstOut}
	reference(secondScan)
	t.Logf("uncut: first scan %d files read, %d writes; new files %d read, %d writes; %d files published",
		firstScan.reads, firstScan.events-firstScan.reads, secondScan.reads, secondScan.events-secondScan.reads, len(secondScan.wantOut))

	rng := rand.New(rand.NewPCG(16, uint64(time.Now().UnixNano())))
	byPhase := map[string]int{}
	var mismatches, tornSeen, danglingSeen int
	for i := range cuts {
		s := firstScan
		if i%2 == 1 {
			s = secondScan
		}
		// A phase, then an event of it: every phase gets its share of
		// cuts, however few writes it makes.
		names := slices.Sorted(maps.Keys(s.phases))
		events := s.phases[names[rng.IntN(len(names))]]
		at := events[rng.IntN(len(events))]
		journaled := rng.IntN(2) == 0
		res := cutOnce(ctx, t, dir, i, s, at, journaled)
		byPhase[res.phase]++
		if len(res.torn) > 0 || len(res.dangling) > 0 {
			tornSeen += len(res.torn)
			danglingSeen += len(res.dangling)
			t.Errorf("cut %d (%s, %s, event %d/%d, journaled %t): after the cut, torn %q, dangling %q",
				i, s.name, res.phase, at, s.events, journaled, first3(res.torn), first3(res.dangling))
		}
		if res.mismatch != "" {
			mismatches++
			t.Errorf("cut %d (%s, %s, event %d/%d, journaled %t): after a clean scan: %s", i, s.name, res.phase, at, s.events, journaled, res.mismatch)
		}
	}
	var phases []string
	for p, n := range byPhase {
		phases = append(phases, fmt.Sprintf("%s %d", p, n))
	}
	slices.Sort(phases)
	t.Logf("power-loss harness: %d cuts (%s); %d mismatches; %d torn and %d dangling files seen after a cut",
		cuts, strings.Join(phases, ", "), mismatches, tornSeen, danglingSeen)
}

func first3(s []string) []string { return s[:min(3, len(s))] }

func filesEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

type cutResult struct {
	phase          string
	torn, dangling []string
	mismatch       string
}

// cutOnce runs scenario s, cuts the power at event at, reboots, checks
// the output as it came back, scans once more, and compares.
func cutOnce(ctx context.Context, t *testing.T, dir string, i int, s *powerScenario, at int, journaled bool) cutResult {
	t.Helper()
	dbPath := filepath.Join(dir, fmt.Sprintf("cut-%d.db", i))
	snap := dbPath + ".at-cut"
	if s.db != "" {
		copyFile(t, s.db, dbPath)
	}
	cfg := powerConfig(s.listings)
	out := s.out.Durable(false)
	var res cutResult
	var db *store.DB
	cutCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cut := func(where string) error {
		// The database as of its last commit: what a cut leaves of it.
		if _, err := db.Backup(snap); err != nil {
			return fmt.Errorf("snapshot at the cut: %w", err)
		}
		res.phase = where
		cancel()
		return crashfs.ErrPowerCut
	}
	reads := 0
	var cutErr error
	out.BeforeWrite = func(n int, op, name string) error {
		if s.reads+n != at {
			return nil
		}
		err := cut(phase(op, name))
		cutErr = err
		out.PowerCutLocked()
		return err
	}
	cfg.DBPath = dbPath
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var err error
	db, err = store.Open(dbPath, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = scan.Run(cutCtx, db, scan.Options{Config: cfg, Now: func() time.Time { return s.now }, FS: out, Progress: func(e scan.ProgressEvent) {
		if e.Phase != scan.PhaseRead || e.Done == 0 {
			return
		}
		if reads++; reads == at {
			cutErr = cut("ingest")
			out.PowerCut()
		}
	}})
	db.Close()
	if res.phase == "" {
		t.Fatalf("cut %d: event %d never came (scan: %v)", i, at, err)
	}
	if cutErr != nil && !errors.Is(cutErr, crashfs.ErrPowerCut) {
		t.Fatal(cutErr)
	}
	if err == nil {
		// A cut at the very last write may find the scan done already.
		t.Logf("cut %d: the scan finished despite the cut at %s", i, res.phase)
	}

	// Reboot: the durable output, the database as of the cut.
	back := out.Durable(journaled)
	res.torn, res.dangling = readerChecks(cfg.BaseURL, back.Files(outRoot), s.out.Files(outRoot), s.broken)
	if err := runScan(ctx, t, cfg, snap, back, s.now, nil); err != nil {
		res.mismatch = "clean scan: " + err.Error()
		return res
	}
	if got := fullDump(t, snap); got != s.wantDB {
		res.mismatch = "database: " + firstDiff(got, s.wantDB)
		return res
	}
	got := back.Files(outRoot)
	var diffs []string
	for _, name := range crashfs.Names(s.wantOut) {
		if g, ok := got[name]; !ok {
			diffs = append(diffs, "missing "+name)
		} else if !bytes.Equal(g, s.wantOut[name]) {
			diffs = append(diffs, "differs "+name)
		}
	}
	for _, name := range crashfs.Names(got) {
		if _, ok := s.wantOut[name]; !ok {
			diffs = append(diffs, "extra "+name)
		}
	}
	if len(diffs) > 0 {
		res.mismatch = fmt.Sprintf("%d output files: %q", len(diffs), first3(diffs))
	}
	os.Remove(dbPath)
	os.Remove(snap)
	return res
}
