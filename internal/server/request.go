package server

import (
	"net/url"
	"strings"
	"time"
	"unsafe"
)

// request is what the server reads of a request, whichever engine parsed
// it. Its strings may point into the engine's buffers: they are valid only
// while the request is being answered, and nothing may keep them.
type request struct {
	method string
	// target is the request-target as sent: "/path?query", or the
	// absolute form "http://host/path?query". The path is decoded here,
	// by the same rules for every engine.
	target string
	// now is when the request arrived, by the engine's clock.
	now time.Time

	acceptEncoding, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince field
}

// field is a request header field: its lines joined with ", ", which for a
// list field means the same (RFC 9110 section 5.3), and how many lines
// there were. A date field with more than one line is ignored.
type field struct {
	v string
	n int
}

func (f *field) add(v string) {
	if f.n == 0 {
		f.v = v
	} else {
		f.v = f.v + ", " + v // rare: a copy, never a view
	}
	f.n++
}

// parsedTarget is a request-target split and decoded.
type parsedTarget struct {
	path  string // decoded, "/..."
	query string // raw, without the "?"
	// encodedSeparator: the path held %2F or %5C, which could smuggle a
	// separator past the path checks; such paths name nothing here.
	encodedSeparator bool
}

// parseTarget splits a request-target into its decoded path and raw
// query. It reports false for a target that is no path (400): bad percent
// escapes, or neither origin nor absolute form. A path without escapes is
// returned as it is, without a copy.
func parseTarget(t string) (parsedTarget, bool) {
	var p parsedTarget
	if t == "" || t[0] != '/' {
		// The absolute form (RFC 9112 section 3.2.2): drop the scheme and
		// authority; an empty path is "/".
		rest, ok := cutScheme(t)
		if !ok {
			return p, false
		}
		i := strings.IndexAny(rest, "/?")
		switch {
		case i < 0:
			t = "/"
		case rest[i] == '?':
			t = "/" + rest[i:]
		default:
			t = rest[i:]
		}
	}
	raw := t
	if i := strings.IndexByte(t, '?'); i >= 0 {
		raw, p.query = t[:i], t[i+1:]
	}
	if strings.IndexByte(raw, '%') < 0 {
		p.path = raw
		return p, true
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
			return p, false
		}
		c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
		if c == '/' || c == '\\' {
			p.encodedSeparator = true
		}
		b = append(b, c)
		i += 2
	}
	p.path = string(b)
	return p, true
}

// cutScheme strips "http://host" or "https://host" (any case) from an
// absolute-form target.
func cutScheme(t string) (string, bool) {
	for _, scheme := range [...]string{"http://", "https://"} {
		if len(t) >= len(scheme) && equalFold(t[:len(scheme)], scheme) {
			return t[len(scheme):], true
		}
	}
	return "", false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// escapePath escapes a decoded path for a Location header.
func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// b2s views b as a string without a copy. The string is valid only as long
// as b's bytes are not changed: while one request is answered.
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
