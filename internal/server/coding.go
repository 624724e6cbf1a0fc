package server

// coding is a content coding the server can send.
type coding uint8

const (
	codingIdentity coding = iota
	codingGzip
	codingBrotli
	numCodings
)

func (c coding) String() string {
	return [...]string{"identity", "gzip", "br"}[c]
}

// negotiate picks the coding for an Accept-Encoding field, its lines
// joined (RFC 9110 section 12.5.3): brotli when acceptable at least as
// much as gzip, else gzip, else identity. "*" stands for the codings not
// named; q=0 refuses. When even identity is refused, identity is sent
// anyway, as the RFC allows. It does not allocate.
func negotiate(s string) coding {
	if s == "" {
		return codingIdentity
	}
	qGzip, qBr, qAny := -1, -1, -1
	for s != "" {
		var elem string
		elem, s = cutByte(s, ',')
		name, params := cutByte(elem, ';')
		name = trimSpace(name)
		q := 1000
		for params != "" {
			var p string
			p, params = cutByte(params, ';')
			p = trimSpace(p)
			if len(p) >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
				q = parseQ(trimSpace(p[2:]))
			}
		}
		switch {
		case equalFold(name, "br"):
			qBr = q
		case equalFold(name, "gzip"), equalFold(name, "x-gzip"):
			qGzip = q
		case name == "*":
			qAny = q
		}
	}
	if qBr < 0 {
		qBr = qAny
	}
	if qGzip < 0 {
		qGzip = qAny
	}
	switch {
	case qBr > 0 && qBr >= qGzip:
		return codingBrotli
	case qGzip > 0:
		return codingGzip
	}
	return codingIdentity
}

// parseQ reads a qvalue ("1", "0.8", "0.125") as thousandths; a malformed
// one counts as 1, as if absent.
func parseQ(s string) int {
	if s == "" {
		return 1000
	}
	switch s[0] {
	case '1':
		for _, c := range s[1:] {
			if c != '.' && c != '0' {
				return 1000
			}
		}
		return 1000
	case '0':
		q, scale := 0, 100
		if len(s) > 1 {
			if s[1] != '.' {
				return 1000
			}
			for _, c := range s[2:] {
				if c < '0' || c > '9' || scale == 0 {
					return 1000
				}
				q += int(c-'0') * scale
				scale /= 10
			}
		}
		return q
	}
	return 1000
}

func cutByte(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// equalFold compares ASCII case-insensitively; lower is lower case.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
