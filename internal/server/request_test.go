package server

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		target, path, query string
		sep, ok             bool
	}{
		{"/all/rss.xml", "/all/rss.xml", "", false, true},
		{"/all/rss.xml?x=1&y", "/all/rss.xml", "x=1&y", false, true},
		{"/%61ll/rss.xml", "/all/rss.xml", "", false, true},
		{"/%2e%2e/x", "/../x", "", false, true},
		{"/all%2Frss.xml", "/all/rss.xml", "", true, true},
		{"/..%5cx", `/..\x`, "", true, true},
		{"/a%3Fb?c", "/a?b", "c", false, true},
		{"http://localhost/all/rss.xml?x", "/all/rss.xml", "x", false, true},
		{"HTTPS://h", "/", "", false, true},
		{"http://h?q", "/", "q", false, true},
		{"/x%zz", "", "", false, false},
		{"/x%4", "", "", false, false},
		{"*", "", "", false, false},
		{"rss.xml", "", "", false, false},
		{"", "", "", false, false},
	} {
		p, ok := parseTarget(c.target)
		if ok != c.ok || ok && (p.path != c.path || p.query != c.query || p.encodedSeparator != c.sep) {
			t.Errorf("%q: %+v %v, want %q %q %v %v", c.target, p, ok, c.path, c.query, c.sep, c.ok)
		}
	}
}

// FuzzTarget checks the request-target rules every engine goes through:
// what net/url decodes, parseTarget decodes the same; and a path that
// passes cleanPath names a plain file under the root, never a dotfile, a
// parent or another root.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{
		"/all/rss.xml", "/", "/category/news/", "/../x", "/%2e%2e/%2e%2e/x", "/..%2fx", "/all%2Frss.xml",
		"/..%5cx", `/..\x`, "//etc/passwd", "/%00", "/.hidden", "/%2ehidden", "/./a", "/a/./b",
		"http://localhost/../x", "/a?b=%2F", "/caf%C3%A9", "/x%zz", "*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		p, ok := parseTarget(target)
		if !ok {
			return
		}
		if strings.HasPrefix(target, "/") {
			if u, err := url.ParseRequestURI(target); err == nil && u.Path != p.path {
				t.Errorf("%q: path %q, net/url says %q", target, p.path, u.Path)
			}
		}
		rel, ok := cleanPath(p.path)
		if !ok {
			return
		}
		if strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\\\x00") {
			t.Errorf("%q: %q is not relative", target, rel)
		}
		for seg := range strings.SplitSeq(rel, "/") {
			if seg == "" || seg[0] == '.' {
				t.Errorf("%q: %q has segment %q", target, rel, seg)
			}
		}
	})
}
