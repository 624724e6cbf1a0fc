package listing_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/listing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden is the expected parse of one fixture, as stored in its
// *.golden.json sibling. Rejected is true when Parse returned a nil Listing.
type golden struct {
	Rejected  bool            `json:"rejected,omitempty"`
	Title     string          `json:"title,omitempty"`
	TitleLine int             `json:"title_line,omitempty"`
	Items     []goldenItem    `json:"items"`
	Problems  []goldenProblem `json:"problems"`
}

type goldenItem struct {
	Line        int    `json:"line"`
	Number      int    `json:"number"`
	Label       string `json:"label"`
	Title       string `json:"title"`
	Date        string `json:"date"`
	DateLine    int    `json:"date_line"`
	Description string `json:"description"`
}

type goldenProblem struct {
	Error   string `json:"error"` // "file:line: msg", as Error() prints it
	Warning bool   `json:"warning"`
}

func toGolden(l *listing.Listing, errs []*listing.Error) golden {
	g := golden{Items: []goldenItem{}, Problems: []goldenProblem{}}
	if l == nil {
		g.Rejected = true
	} else {
		g.Title, g.TitleLine = l.Title, l.TitleLine
		for _, it := range l.Items {
			g.Items = append(g.Items, goldenItem{
				Line:        it.Line,
				Number:      it.Number,
				Label:       it.Label,
				Title:       it.Title,
				Date:        it.Date.String(),
				DateLine:    it.DateLine,
				Description: it.Description,
			})
		}
	}
	for _, e := range errs {
		g.Problems = append(g.Problems, goldenProblem{Error: e.Error(), Warning: e.Warning})
	}
	return g
}

func marshalGolden(t *testing.T, g golden) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <script> and & readable in the golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden parses every testdata/listings/*.txt and compares the result
// with its *.golden.json sibling. Run with -update to rewrite them, then
// read the diff: the golden files are the specification.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "listings", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("found only %d fixtures in testdata/listings", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			if !*update {
				t.Parallel()
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			l, errs := listing.Parse(name, bytes.NewReader(data))
			got := marshalGolden(t, toGolden(l, errs))

			// ParseBytes must agree with Parse.
			l2, errs2 := listing.ParseBytes(name, data)
			if got2 := marshalGolden(t, toGolden(l2, errs2)); !bytes.Equal(got, got2) {
				t.Errorf("ParseBytes and Parse disagree:\nParse:\n%s\nParseBytes:\n%s", got, got2)
			}

			goldenPath := strings.TrimSuffix(path, ".txt") + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse of %s differs from %s (run with -update and review the diff):\n--- got\n%s\n--- want\n%s",
					name, filepath.Base(goldenPath), got, want)
			}
		})
	}
}

// TestGoldenFilesHaveFixtures catches golden files left behind when a
// fixture is renamed or removed.
func TestGoldenFilesHaveFixtures(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "listings", "*.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		fixture := strings.TrimSuffix(g, ".golden.json") + ".txt"
		if _, err := os.Stat(fixture); err != nil {
			t.Errorf("%s has no fixture: %v", g, err)
		}
	}
}
