package scan_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/filetype"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/scan"
)

// corpusCase is one bad input and the behaviour it must get, from
// testdata/corpus.json: the items it publishes and the problems reported
// for it (each "LINE: message" or "message" for the whole file, a prefix
// of the problem's text). Generated cases are made by the test, because
// they are huge or need a race or a file system trick.
type corpusCase struct {
	File      string   `json:"file"`
	Case      string   `json:"case"`
	Generated string   `json:"generated"`
	Items     []string `json:"items"`
	Problems  []string `json:"problems"`
	Later     []string `json:"later"` // published by the next scan, once the cause is gone
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("testdata/corpus.json: %v", err)
	}
	return cases
}

// childEnv marks the copy of the test binary that runs the corpus as an
// unprivileged user.
const childEnv = "FEEDPUB_TEST_CORPUS_CHILD"

// TestBadInputCorpus scans every file of testdata/corpus plus the
// generated cases in one scan, and checks that each gets its expected
// items and problems (each naming its file and line), that every other
// file's items are published, that every document written parses and
// passes the checks, and that the next scan picks up what a transient
// problem held back.
//
// Root reads a file of mode 000 anyway, so when run as root the test
// copies its binary and the corpus to a world-readable directory and runs
// itself again as the user nobody (uid 65534).
func TestBadInputCorpus(t *testing.T) {
	cases := loadCorpus(t)
	corpusDir := filepath.Join("testdata", "corpus")
	if d := os.Getenv(childEnv); d != "" {
		corpusDir = d
	} else if os.Geteuid() == 0 {
		if runUnprivileged(t, corpusDir) {
			return
		}
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: unreadable.txt is readable to root; its case is not checked")
	}

	e := newEnv(t, false)
	e.cfg.Limit = 1000 // every item in the combined feed
	static, err := filepath.Glob(filepath.Join(corpusDir, "*.txt"))
	if err != nil || len(static) < 20 {
		t.Fatalf("corpus files: %d, %v", len(static), err)
	}
	for _, p := range static {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		e.write(filepath.Base(p), string(data))
	}
	onScan := generateCorpus(t, e)
	byFile := map[string]corpusCase{}
	for _, c := range cases {
		if c.Generated == "" {
			if _, err := os.Stat(filepath.Join(corpusDir, c.File)); err != nil {
				t.Errorf("%s is in corpus.json but not in %s", c.File, corpusDir)
			}
		} else if _, ok := onScan.generated[c.File]; !ok {
			t.Errorf("%s is a generated case the test does not generate", c.File)
		}
		byFile[c.File] = c
	}
	for _, p := range static {
		if _, ok := byFile[filepath.Base(p)]; !ok {
			t.Errorf("%s has no expectation in corpus.json", p)
		}
	}
	skipUnreadable := os.Geteuid() == 0

	// First scan: every case at once.
	sum := e.scan()
	got := problemsByFile(sum.Problems)
	for _, c := range cases {
		if c.File == "unreadable.txt" && skipUnreadable {
			continue
		}
		gotP := got[c.File]
		if len(gotP) != len(c.Problems) {
			t.Errorf("%s (%s): problems %q, want %q", c.File, c.Case+c.Generated, gotP, c.Problems)
			continue
		}
		for i, want := range c.Problems {
			if !strings.HasPrefix(gotP[i], want) {
				t.Errorf("%s: problem %d is %q, want %q", c.File, i, gotP[i], want)
			}
		}
	}
	for f := range got {
		if _, ok := byFile[f]; !ok {
			t.Errorf("problem for unexpected file %s: %q", f, got[f])
		}
	}
	var want []string
	for _, c := range cases {
		want = append(want, c.Items...)
		if c.File == "unreadable.txt" && skipUnreadable {
			want = append(want, c.Later...)
		}
	}
	checkPublished(t, e, want)
	docs := checkOutputs(t, e.cfg.OutDir)
	t.Logf("first scan: %d cases, %d problems reported, %d items published, %d documents valid",
		len(cases), len(sum.Problems), len(want), docs)

	// The causes go away: the next scan publishes what was held back and
	// loses nothing.
	onScan.fix()
	sum = e.scan()
	for _, p := range sum.Problems {
		c := byFile[p.File]
		if len(c.Later) > 0 || c.Generated == "" {
			t.Errorf("second scan: %v (rejected files are recorded, transient problems are gone)", p)
		}
	}
	for _, c := range cases {
		if !(c.File == "unreadable.txt" && skipUnreadable) {
			want = append(want, c.Later...)
		}
	}
	checkPublished(t, e, want)
	checkOutputs(t, e.cfg.OutDir)
}

// runUnprivileged runs TestBadInputCorpus again as nobody, from a copy of
// the test binary and the corpus that nobody can read. It reports false
// when that is impossible (no setuid here), after saying why.
func runUnprivileged(t *testing.T, corpusDir string) bool {
	t.Helper()
	dir, err := os.MkdirTemp("", "feedpub-corpus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, bin, filepath.Join(dir, "scan.test"), 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "testdata", "corpus"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("testdata", "corpus.json"), filepath.Join(dir, "testdata", "corpus.json"), 0o644)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.txt"))
	for _, f := range files {
		copyFile(t, f, filepath.Join(dir, "testdata", "corpus", filepath.Base(f)), 0o644)
	}
	os.Chmod(dir, 0o755)
	args := []string{"-test.run=^TestBadInputCorpus$", "-test.v", "-test.count=1"}
	cmd := exec.Command(filepath.Join(dir, "scan.test"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"="+filepath.Join(dir, "testdata", "corpus"), "TMPDIR="+os.TempDir(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Logf("cannot run the corpus as nobody (%v): running it as root", err)
		return false
	}
	t.Logf("run as nobody (uid 65534):\n%s", out)
	if err != nil {
		t.Fatalf("the corpus run as nobody failed: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestBadInputCorpus")) {
		t.Fatal("the corpus run as nobody did not pass")
	}
	return true
}

func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// corpusScan holds the generated cases and how to fix them for the next
// scan.
type corpusScan struct {
	generated map[string]bool
	fixes     []func()
}

func (c *corpusScan) fix() {
	for _, f := range c.fixes {
		f()
	}
}

// generateCorpus makes the cases that cannot be committed: a 50 MB file,
// files changed or removed while the scan reads them, an unreadable file,
// symlinks and a named pipe.
func generateCorpus(t *testing.T, e *env) *corpusScan {
	t.Helper()
	root := e.cfg.ListingsDir
	path := func(name string) string { return filepath.Join(root, name) }
	cs := &corpusScan{generated: map[string]bool{}}
	gen := func(name string) string { cs.generated[name] = true; return path(name) }

	// 50 MB: a listing repeated, as when pages are concatenated.
	desc := strings.TrimSpace(strings.Repeat("A description that makes the block longer, as real listings have. ", 75))
	var block strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&block, "  %d. News\n\n    Huge file item %d\n\n    %d February 2022\n\n    %s\n\n", i, i, i, desc)
	}
	huge := "Corpus huge listing\n\n" + strings.Repeat(block.String(), 50<<20/block.Len()+1)
	if len(huge) < 50<<20 {
		t.Fatalf("huge file is %d bytes", len(huge))
	}
	e.write(filepath.Base(gen("huge-50mb.txt")), huge)

	// Replaced by rename, and rewritten in place, while being read.
	replaced := gen("replaced-while-read.txt")
	e.write("replaced-while-read.txt", "Corpus replaced\n\n  1. News\n\n    Original item\n\n    1 March 2022\n")
	t.Cleanup(scan.OnRead(replaced, func(point string) {
		if point != "read" {
			return
		}
		tmp := replaced + ".new"
		os.WriteFile(tmp, []byte("Corpus replaced\n\n  1. News\n\n    Replacement item\n\n    2 March 2022\n\n    The new version, renamed over the old.\n"), 0o644)
		if err := os.Rename(tmp, replaced); err != nil {
			t.Error(err)
		}
	}))
	rewritten := gen("rewritten-while-read.txt")
	e.write("rewritten-while-read.txt", "Corpus rewritten\n\n  1. News\n\n    Rewritten item\n\n    3 March 2022\n")
	t.Cleanup(scan.OnRead(rewritten, func(point string) {
		if point == "read" {
			if err := os.WriteFile(rewritten, []byte("Corpus rewritten\n\n  1. News\n\n    Rewritten item, longer\n\n    3 March 2022\n"), 0o644); err != nil {
				t.Error(err)
			}
		}
	}))
	// Gone between the listing and the reading.
	gone := gen("disappears.txt")
	e.write("disappears.txt", "Corpus disappears\n\n  1. News\n\n    Vanishing item\n\n    4 March 2022\n")
	t.Cleanup(scan.OnRead(gone, func(point string) {
		if point == "open" {
			if err := os.Remove(gone); err != nil {
				t.Error(err)
			}
		}
	}))
	// Unreadable (mode 000); readable again for the next scan.
	unreadable := gen("unreadable.txt")
	e.write("unreadable.txt", "Corpus unreadable\n\n  1. News\n\n    Readable at last\n\n    5 March 2022\n")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	cs.fixes = append(cs.fixes, func() {
		if err := os.Chmod(unreadable, 0o644); err != nil {
			t.Error(err)
		}
	})

	// Symlinks: to a file outside the listings (followed), to a
	// directory (not followed), in a loop, to nothing.
	elsewhere := filepath.Join(e.dir, "elsewhere")
	if err := os.MkdirAll(filepath.Join(elsewhere, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(elsewhere, "linked.txt"), []byte("Corpus linked\n\n  1. News\n\n    Linked item\n\n    6 March 2022\n"), 0o644)
	os.WriteFile(filepath.Join(elsewhere, "dir", "behind-link.txt"), []byte("Corpus behind a link\n\n  1. News\n\n    Behind a directory link\n\n    7 March 2022\n"), 0o644)
	for link, target := range map[string]string{
		"link-to-file.txt": filepath.Join(elsewhere, "linked.txt"),
		"link-to-dir":      filepath.Join(elsewhere, "dir"),
		"loop-a.txt":       "loop-b.txt",
		"loop-b.txt":       "loop-a.txt",
		"broken-link.txt":  "no-such-file.txt",
	} {
		if err := os.Symlink(target, gen(link)); err != nil {
			t.Fatal(err)
		}
	}
	// A named pipe: opening it would block the scan for ever.
	if err := syscall.Mkfifo(gen("fifo.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The hooks act on the first scan only.
	for _, p := range []string{replaced, rewritten, gone} {
		cs.fixes = append(cs.fixes, func() { scan.OnRead(p, func(string) {}) })
	}
	return cs
}

// problemsByFile formats each problem as corpus.json writes it.
func problemsByFile(problems []*listing.Error) map[string][]string {
	out := map[string][]string{}
	for _, p := range problems {
		s := p.Msg
		if p.Warning {
			s = "warning: " + s
		}
		if p.Line > 0 {
			s = fmt.Sprintf("%d: %s", p.Line, s)
		}
		out[p.File] = append(out[p.File], s)
	}
	return out
}

// checkPublished asserts the database holds exactly the items titled
// want, once each, and that the combined feed in every format lists each
// once.
func checkPublished(t *testing.T, e *env, want []string) {
	t.Helper()
	var titles []string
	for _, it := range e.items() {
		titles = append(titles, it.Title)
	}
	slices.Sort(titles)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(titles, want) {
		t.Errorf("items stored:\n%q\nwant:\n%q", titles, want)
	}
	for _, rel := range []string{"all/rss.xml", "all/atom.xml", "all/feed.json"} {
		var got []string
		if rel == "all/atom.xml" {
			got = atomTitles(t, filepath.Join(e.cfg.OutDir, rel))
		} else {
			for _, it := range e.parse(rel).Items {
				got = append(got, strings.ReplaceAll(it.Title, "\u2060", "")) // RSS: a word joiner after "<"
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s lists:\n%q\nwant:\n%q", rel, got, want)
		}
	}
}

// atomTitles returns the text of each entry's title as a reader shows it:
// gofeed returns a type="html" title as HTML, so it is read here.
func atomTitles(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		Entries []struct {
			Title struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(data, &feed); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var titles []string
	for _, e := range feed.Entries {
		switch e.Title.Type {
		case "html":
			titles = append(titles, html.UnescapeString(e.Title.Text))
		case "", "text":
			titles = append(titles, e.Title.Text)
		default:
			t.Errorf("%s: title of type %q", path, e.Title.Type)
		}
	}
	return titles
}

// checkOutputs checks every document under dir: XML strictly well-formed,
// feeds parsed by gofeed, everything through feedcheck. It returns how
// many documents it checked.
func checkOutputs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("%s: stray temporary file", p)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			t.Errorf("%s: empty", p)
		}
		if main, _, ok := filetype.SplitVariant(p); ok {
			// A precompressed variant holds exactly its file.
			want, err := os.ReadFile(main)
			if err != nil {
				t.Errorf("%s: variant of no file: %v", p, err)
				return nil
			}
			if got, err := decodeVariant(p, data); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: does not decode to %s (%v)", p, main, err)
			}
			return nil
		}
		var format feedcheck.Format
		switch name := d.Name(); {
		case name == "rss.xml":
			format = feedcheck.RSS
		case name == "atom.xml":
			format = feedcheck.Atom
		case name == "feed.json":
			format = feedcheck.JSON
		case name == "feeds.opml":
			format = feedcheck.OPML
		case name == "sitemap.xml" || strings.Contains(filepath.ToSlash(p), "/sitemap/"):
			format = feedcheck.Sitemap
		case strings.HasPrefix(name, "style.") && strings.HasSuffix(name, ".css"):
			return nil // the pages' stylesheet: constant, checked in render
		case strings.HasSuffix(name, ".html"):
			format = feedcheck.HTML
		default:
			t.Errorf("%s: unexpected file", p)
			return nil
		}
		n++
		if err := feedcheck.Check(format, data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if strings.HasSuffix(p, ".xml") || strings.HasSuffix(p, ".opml") {
			if err := strictXML(data); err != nil {
				t.Errorf("%s: not well-formed: %v", p, err)
			}
		}
		if format == feedcheck.RSS || format == feedcheck.Atom || format == feedcheck.JSON {
			if _, err := gofeed.NewParser().Parse(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: gofeed: %v", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func strictXML(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
