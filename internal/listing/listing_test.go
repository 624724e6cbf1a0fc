package listing_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/feedpub/feedpub/internal/listing"
)

// realListings are the copies of data/listings kept as fixtures, by name.
var realListings = []string{"real-000.txt", "real-001.txt", "real-002.txt", "real-003.txt", "real-004.txt"}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "listings", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRealListings checks facts about the five real listings that do not
// depend on the golden files being right.
func TestRealListings(t *testing.T) {
	t.Parallel()
	for _, name := range realListings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, errs := listing.ParseBytes(name, readFixture(t, name))
			if len(errs) > 0 {
				t.Errorf("problems: %v", errs)
			}
			if l == nil {
				t.Fatal("rejected")
			}
			if l.File != name || l.Title == "" || l.TitleLine != 1 {
				t.Errorf("File, Title, TitleLine = %q, %q, %d", l.File, l.Title, l.TitleLine)
			}
			if len(l.Items) != 10 {
				t.Errorf("%d items; want 10", len(l.Items))
			}
			wantLabels := name != "real-004.txt"
			for i, it := range l.Items {
				if it.Line <= 0 || it.DateLine <= it.Line {
					t.Errorf("item %d: Line %d, DateLine %d", i, it.Line, it.DateLine)
				}
				if it.Date.IsZero() {
					t.Errorf("item %d (%q) has a zero date", i, it.Title)
				}
				if it.Number != i+1 {
					t.Errorf("item %d numbered %d", i, it.Number)
				}
				if it.Title == "" {
					t.Errorf("item %d has no title", i)
				}
				if hasLabel := it.Label != ""; hasLabel != wantLabels {
					t.Errorf("item %d (%q): label %q; want a label: %v", i, it.Title, it.Label, wantLabels)
				}
				if i > 0 && l.Items[i-1].Date.Before(it.Date) {
					t.Errorf("item %d (%s) is newer than the item before it (%s); the listings are newest first", i, it.Date, l.Items[i-1].Date)
				}
			}
		})
	}
}

// TestRealListingsMatchData keeps the fixtures in step with data/listings,
// the example data the program ships.
func TestRealListingsMatchData(t *testing.T) {
	t.Parallel()
	for _, name := range realListings {
		prefix := strings.TrimSuffix(strings.TrimPrefix(name, "real-"), ".txt") + "_"
		matches, err := filepath.Glob(filepath.Join("..", "..", "data", "listings", prefix+"*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if len(matches) != 1 {
			t.Errorf("data/listings/%s*.txt: %d files; want 1", prefix, len(matches))
			continue
		}
		data, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, readFixture(t, name)) {
			t.Errorf("testdata/listings/%s differs from %s; copy it again and rerun with -update", name, matches[0])
		}
	}
}

// TestLabelSpellingsKeptAsWritten: folding label variants into one category
// is the scanner's job; the parser reports each spelling as written.
func TestLabelSpellingsKeptAsWritten(t *testing.T) {
	t.Parallel()
	labels := map[string]bool{}
	for _, name := range realListings {
		l, _ := listing.ParseBytes(name, readFixture(t, name))
		for _, it := range l.Items {
			labels[it.Label] = true
		}
	}
	for _, want := range []string{
		"Spotlight Interviews with Cooperators", "Spotlight Interviews with Co-operators",
		"Our impact, Their voices", "Our impact, their voices",
	} {
		if !labels[want] {
			t.Errorf("label %q not found", want)
		}
	}
}

// TestReshapedRealListingsParseTheSame re-encodes the real listings the way
// other editors save them and expects the same items.
func TestReshapedRealListingsParseTheSame(t *testing.T) {
	t.Parallel()
	variants := map[string]func([]byte) []byte{
		"crlf":          func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) },
		"cr":            func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r")) },
		"bom":           func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), b...) },
		"tabs":          func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("  "), []byte("\t")) },
		"final newline": func(b []byte) []byte { return append(bytes.Clone(b), '\n') },
		"trailing spaces": func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("\n"), []byte("  \t\n"))
		},
		"extra blank lines": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n\n\n\n")) },
		"no blank lines":    func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n")) },
	}
	for _, name := range realListings {
		data := readFixture(t, name)
		want, _ := listing.ParseBytes(name, data)
		for vname, f := range variants {
			t.Run(name+"/"+vname, func(t *testing.T) {
				t.Parallel()
				got, errs := listing.ParseBytes(name, f(data))
				if len(errs) > 0 {
					t.Errorf("problems: %v", errs)
				}
				if got == nil {
					t.Fatal("rejected")
				}
				if got.Title != want.Title || len(got.Items) != len(want.Items) {
					t.Fatalf("title %q, %d items; want %q, %d", got.Title, len(got.Items), want.Title, len(want.Items))
				}
				for i := range want.Items {
					g, w := got.Items[i], want.Items[i]
					// Line numbers move with blank lines; the content must not.
					if g.Number != w.Number || g.Label != w.Label || g.Title != w.Title || g.Date != w.Date || g.Description != w.Description {
						t.Errorf("item %d = %+v; want %+v", i, g, w)
					}
				}
			})
		}
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  listing.Error
		want string
	}{
		{listing.Error{File: "a.txt", Line: 3, Msg: "bad"}, "a.txt:3: bad"},
		{listing.Error{File: "a.txt", Line: 3, Msg: "odd", Warning: true}, "a.txt:3: warning: odd"},
		{listing.Error{File: "dir/a.txt", Msg: "cannot read"}, "dir/a.txt: cannot read"},
		{listing.Error{File: "a.txt", Msg: "odd", Warning: true}, "a.txt: warning: odd"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.err, got, tt.want)
		}
	}
	var err error = &listing.Error{File: "a.txt", Line: 1, Msg: "x"}
	var le *listing.Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &le) || le.Line != 1 {
		t.Errorf("errors.As does not find the *Error")
	}
}

func TestHasErrors(t *testing.T) {
	t.Parallel()
	warn := &listing.Error{File: "a", Line: 1, Msg: "w", Warning: true}
	bad := &listing.Error{File: "a", Line: 2, Msg: "e"}
	tests := []struct {
		errs []*listing.Error
		want bool
	}{
		{nil, false},
		{[]*listing.Error{}, false},
		{[]*listing.Error{warn}, false},
		{[]*listing.Error{warn, warn}, false},
		{[]*listing.Error{bad}, true},
		{[]*listing.Error{warn, bad}, true},
	}
	for i, tt := range tests {
		if got := listing.HasErrors(tt.errs); got != tt.want {
			t.Errorf("case %d: HasErrors = %v; want %v", i, got, tt.want)
		}
	}
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	r := iotest.TimeoutReader(strings.NewReader("Title\n\n  1. News\n"))
	// TimeoutReader returns the data, then an error on the second read.
	l, errs := listing.Parse("broken.txt", r)
	if l != nil {
		t.Errorf("a listing from a failed read: %+v", l)
	}
	if len(errs) != 1 || errs[0].Warning || errs[0].File != "broken.txt" || errs[0].Line != 1 ||
		!strings.Contains(errs[0].Msg, "read") {
		t.Errorf("errors = %v", errs)
	}
}

func TestParseRejectsHugeLines(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("Title\n\n  1. News\n\n    ")
	b.Write(bytes.Repeat([]byte("x"), listing.MaxLineLength+1))
	b.WriteString("\n\n    01 November 2017\n")
	l, errs := listing.ParseBytes("huge.txt", b.Bytes())
	if l != nil || len(errs) != 1 || errs[0].Line != 5 || !strings.Contains(errs[0].Msg, "longer than") {
		t.Errorf("listing %v, errors %v; want the file rejected at line 5", l, errs)
	}
}

func TestParseAcceptsLongDescriptions(t *testing.T) {
	t.Parallel()
	desc := strings.Repeat("A long description. ", 5000) // 100 KB on one line
	data := "Title\n\n  1. News\n\n    Item\n\n    01 November 2017\n\n    " + desc + "\n"
	l, errs := listing.ParseBytes("long.txt", []byte(data))
	if len(errs) > 0 || l == nil || len(l.Items) != 1 || l.Items[0].Description != strings.TrimSpace(desc) {
		t.Errorf("a 100 KB description was not kept: %v", errs)
	}
}

func TestParseRejectsLongListingTitle(t *testing.T) {
	t.Parallel()
	data := strings.Repeat("T", listing.MaxTitleLength+1) + "\n\n  1. News\n\n    Item\n\n    01 November 2017\n"
	l, errs := listing.ParseBytes("t.txt", []byte(data))
	if l != nil || len(errs) != 1 || errs[0].Line != 1 || errs[0].Warning {
		t.Errorf("listing %v, errors %v; want the file rejected at line 1", l, errs)
	}
}

func TestParseBinaryBeyondFirstLine(t *testing.T) {
	t.Parallel()
	// Dense control bytes on line 3: binary, reported where they start.
	data := "Title\n\n" + strings.Repeat("\x01\x02\x03\x04", 20) + "\n"
	l, errs := listing.ParseBytes("b.txt", []byte(data))
	if l != nil || len(errs) != 1 || errs[0].Line != 3 || !strings.Contains(errs[0].Msg, "binary") {
		t.Errorf("listing %v, errors %v; want binary content at line 3", l, errs)
	}
}

func TestParseDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"real-000.txt", "windows-1252.txt", "control-characters.txt", "bom.txt", "mixed-line-endings.txt"} {
		data := readFixture(t, name)
		orig := bytes.Clone(data)
		listing.ParseBytes(name, data)
		if !bytes.Equal(data, orig) {
			t.Errorf("ParseBytes modified its input %s", name)
		}
	}
}

// TestParseOnlyReportsItsFile: every problem names the file as given, even
// a path, and the listing records it.
func TestParseOnlyReportsItsFile(t *testing.T) {
	t.Parallel()
	const name = "sub dir/odd name.txt"
	l, errs := listing.ParseBytes(name, readFixture(t, "missing-date.txt"))
	if l == nil || l.File != name {
		t.Fatalf("listing %+v", l)
	}
	if len(errs) != 1 || errs[0].File != name || !strings.HasPrefix(errs[0].Error(), name+":9: item 2") {
		t.Errorf("errors %v", errs)
	}
}

func TestParseListsAtMostMaxProblems(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Many undated items\n\n")
	const undated = listing.MaxProblems + 50
	for i := 1; i <= undated; i++ {
		fmt.Fprintf(&b, "  %d. News\n\n    Undated item %d\n\n", i, i)
	}
	b.WriteString("  0. News\n\n    The one dated item\n\n    01 November 2017\n")
	l, errs := listing.ParseBytes("many.txt", []byte(b.String()))
	if l == nil || len(l.Items) != 1 || l.Items[0].Title != "The one dated item" {
		t.Fatalf("listing %+v", l)
	}
	if len(errs) != listing.MaxProblems+1 {
		t.Fatalf("%d problems; want %d listed and one that counts the rest", len(errs), listing.MaxProblems)
	}
	for i, e := range errs[:listing.MaxProblems] {
		if want := fmt.Sprintf("many.txt:%d: item %d ", 3+4*i, i+1); !strings.HasPrefix(e.Error(), want) {
			t.Fatalf("problem %d = %q; want it to start %q", i, e, want)
		}
	}
	last := errs[len(errs)-1]
	if want := fmt.Sprintf("many.txt:%d: 50 more problem(s) not listed, the first on this line", 3+4*listing.MaxProblems); last.Error() != want || last.Warning {
		t.Errorf("last problem = %q (warning %v); want the error %q", last, last.Warning, want)
	}
}

func TestParseCountsUnlistedWarningsAsWarnings(t *testing.T) {
	t.Parallel()
	// One lost title per item in a labelled file: warnings only, so the
	// count of those not listed is a warning too.
	var b strings.Builder
	b.WriteString("Labelled\n\n  1. News\n\n    A title\n\n    01 November 2017\n\n  2. News\n\n    Another\n\n    01 November 2017\n\n")
	for i := 0; i < listing.MaxProblems+1; i++ {
		// Each of these is unlabeled, so labelled ones must stay the majority.
		fmt.Fprintf(&b, "  %d. Lost title\n\n    02 November 2017\n\n  %d. News\n\n    Title %d\n\n    03 November 2017\n\n", 3+2*i, 4+2*i, i)
	}
	l, errs := listing.ParseBytes("w.txt", []byte(b.String()))
	if l == nil || listing.HasErrors(errs) || len(errs) != listing.MaxProblems+1 {
		t.Fatalf("listing %v, %d problems, HasErrors %v", l != nil, len(errs), listing.HasErrors(errs))
	}
	if last := errs[len(errs)-1]; !last.Warning || !strings.Contains(last.Msg, "1 more problem(s) not listed") {
		t.Errorf("last problem %q, warning %v", last, last.Warning)
	}
}

func TestParseProblemsAreInLineOrder(t *testing.T) {
	t.Parallel()
	// classify reports the missing date of item 3 before build reports the
	// impossible date of item 1; the caller sees them in line order.
	data := "Order\n\n  1. News\n\n    Impossible\n\n    30 February 2017\n\n  2. News\n\n    Fine\n\n    01 March 2017\n\n  3. News\n\n    Undated\n"
	_, errs := listing.ParseBytes("o.txt", []byte(data))
	if len(errs) != 2 || errs[0].Line != 7 || errs[1].Line != 15 {
		t.Errorf("problems %v; want line 7 then line 15", errs)
	}
}

func TestParseRejectsTooManyLines(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a 16 MiB file")
	}
	// Text before the first item is counted but not kept, so this stays cheap.
	data := append([]byte("Title\n"), bytes.Repeat([]byte("x\n"), listing.MaxLines+1)...)
	l, errs := listing.ParseBytes("lines.txt", data)
	if l != nil || !listing.HasErrors(errs) {
		t.Fatalf("listing %v, problems %v; want the file rejected", l != nil, errs)
	}
	if last := errs[len(errs)-1]; last.Line != listing.MaxLines+2 || !strings.Contains(last.Msg, "lines of text") {
		t.Errorf("problems %v", errs)
	}
}
