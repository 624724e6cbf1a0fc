package scan_test

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/render"
)

// Every page, the index, feed pages, archive pages and item pages, links
// the one stylesheet (by a URL relative to itself, which 'self' in the
// policy allows wherever the site is served) and holds no style of its
// own; the stylesheet is published once, under its hashed name.
func TestEveryPageLinksTheOneStylesheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.cfg.Limit = 5 // archive pages too
	e.scan()
	name, css := render.Stylesheet()
	if got, err := os.ReadFile(filepath.Join(e.cfg.OutDir, name)); err != nil || string(got) != string(css) {
		t.Fatalf("stylesheet %s: %v", name, err)
	}
	link := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
	kinds := map[string]int{}
	for rel, st := range e.outputs() {
		if !strings.HasSuffix(rel, ".html") {
			continue
		}
		m := link.FindAllStringSubmatch(st.data, -1)
		if len(m) != 1 {
			t.Errorf("%s: %d stylesheet links, want 1", rel, len(m))
			continue
		}
		if got := path.Join(path.Dir(rel), m[0][1]); got != name {
			t.Errorf("%s: stylesheet %q resolves to %s, want %s", rel, m[0][1], got, name)
		}
		if strings.Contains(st.data, "<style") || strings.Contains(st.data, "style=") || strings.Contains(st.data, "unsafe-inline") {
			t.Errorf("%s: inline style", rel)
		}
		switch {
		case strings.HasPrefix(rel, "item/"):
			kinds["item"]++
			if n := strings.Count(st.data, `<link rel="alternate"`); n != 3 {
				t.Errorf("%s autodiscovers %d feeds, want the combined feed's 3 formats", rel, n)
			}
		case strings.Contains(rel, "/archive/"):
			kinds["archive"]++
		default:
			kinds["feed"]++
		}
	}
	if kinds["item"] != 45 || kinds["archive"] == 0 || kinds["feed"] < 12 {
		t.Errorf("pages checked: %v", kinds)
	}
}
