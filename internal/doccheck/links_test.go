package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// [text](target) and ![alt](target), the target up to a space or ")".
	mdLink  = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	heading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	fence   = regexp.MustCompile("^\\s*(```|~~~)")
	code    = regexp.MustCompile("`[^`]*`")
	// What GitHub drops from a heading when it makes its anchor.
	notAnchor = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
)

// prose returns a Markdown file's lines outside fenced code blocks, with
// inline code blanked: links in code are examples, not links.
func prose(text string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		if fence.MatchString(l) {
			in = !in
			out = append(out, "")
			continue
		}
		if in {
			out = append(out, "")
			continue
		}
		out = append(out, code.ReplaceAllString(l, "``"))
	}
	return out
}

// anchors returns the anchors GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces as hyphens, "-1", "-2" on
// repeats.
func anchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	in := false
	for _, l := range strings.Split(text, "\n") {
		if fence.MatchString(l) {
			in = !in
			continue
		}
		m := heading.FindStringSubmatch(l)
		if in || m == nil {
			continue
		}
		a := strings.ReplaceAll(notAnchor.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if n := seen[a]; n > 0 {
			out[a+"-"+string(rune('0'+n))] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

func TestEveryRelativeLinkAndAnchorResolves(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"))
	if len(files) < 7 {
		t.Fatalf("found only %d Markdown files", len(files))
	}
	links := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range prose(string(data)) {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue // not ours to check offline
				}
				links++
				p, frag, _ := strings.Cut(target, "#")
				dest := file
				if p != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(p))
				}
				rel, _ := filepath.Rel(root, file)
				body, err := os.ReadFile(dest)
				if err != nil && !isDir(dest) {
					t.Errorf("%s:%d: link to %s: no such file", rel, n+1, target)
					continue
				}
				if frag != "" && !anchors(string(body))[frag] {
					t.Errorf("%s:%d: link to %s: no heading makes the anchor #%s", rel, n+1, target, frag)
				}
			}
		}
	}
	if links < 20 {
		t.Errorf("checked only %d relative links", links)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func TestAnchorsAreGitHubs(t *testing.T) {
	t.Parallel()
	got := anchors("# Serving: `feedpub serve`\n## Exit status\n## Exit status\n```\n# not a heading\n```\n### Backups and damaged databases\n")
	for _, want := range []string{"serving-feedpub-serve", "exit-status", "exit-status-1", "backups-and-damaged-databases"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("a line in a code block made an anchor")
	}
}
