package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedpub/feedpub/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden pins every format's exact bytes for a subscription document
// and an archive page: a change that is meant must show in the diff of
// testdata/golden, and one that is not (new settings off) must not.
// Run with -update to rewrite them, then read the diff.
func withHubs(s *render.Site) {
	s.Hubs = []string{"https://hub.example.net/", "https://websub.example.com/hub?x=1&y=2"}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		site func(*render.Site)
		page uint64
	}{
		{"subscription", nil, 0},
		{"archive", nil, 2},
		// Hubs show in subscription documents only.
		{"hubs", withHubs, 0},
		{"hubs-archive", withHubs, 2},
	}
	formats := []struct {
		file string
		fn   func(*render.Site, *render.Doc) ([]byte, error)
	}{{render.RSSFile, render.RSS}, {render.AtomFile, render.Atom}, {render.JSONFile, render.JSON}}
	for _, c := range cases {
		for _, f := range formats {
			t.Run(c.name+"/"+f.file, func(t *testing.T) {
				s, d := site(t), doc()
				if c.site != nil {
					c.site(s)
				}
				d.Page, d.Archived = c.page, 3
				got, err := f.fn(s, d)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", "golden", c.name, f.file), got)
			})
		}
	}
}

// golden compares got with the golden file at path, or with -update
// writes it.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update, then read the diff):\n%s", path, got)
	}
}
