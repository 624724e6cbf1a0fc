// Package topic decides which topic feeds an item's text belongs to. A
// topic lists words and phrases to match and to exclude; matching folds
// case, accents, typographic quotes and dashes the way package identity
// does, and matches whole words and phrases, except in scripts written
// without spaces between words (Chinese, Japanese, Thai...), where a
// phrase matches wherever it stands.
//
// Every phrase of every topic goes into one Aho–Corasick automaton
// (github.com/petar-dambovaliev/aho-corasick), so matching an item costs
// one pass over its folded text whatever the number of topics.
package topic

import (
	"slices"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
	"golang.org/x/text/unicode/norm"
)

// Rules are one topic's text rules.
type Rules struct {
	Match   []string // any of these words or phrases
	Exclude []string // none of these
	// Title and Description say where to look, for both lists.
	Title, Description bool
}

// Matcher matches items against many topics at once. It is safe for
// concurrent use.
type Matcher struct {
	ac     ahocorasick.AhoCorasick
	uses   [][]use // per pattern of ac: the topics that use it
	fields []field // per topic: where it looks
	n      int
}

type field uint8

const (
	inTitle field = 1 << iota
	inDescription
)

type use struct {
	topic   int
	exclude bool
}

// Compile builds the matcher of rules; topics are numbered as in rules.
// A phrase that folds to nothing (punctuation only) never matches: the
// config file refuses those (see Fold).
func Compile(rules []Rules) *Matcher {
	m := &Matcher{n: len(rules), fields: make([]field, len(rules))}
	index := map[string]int{}
	var patterns []string
	add := func(phrase string, u use) {
		p := pattern(phrase)
		if p == "" {
			return
		}
		i, ok := index[p]
		if !ok {
			i = len(patterns)
			index[p] = i
			patterns = append(patterns, p)
			m.uses = append(m.uses, nil)
		}
		if !slices.Contains(m.uses[i], u) {
			m.uses[i] = append(m.uses[i], u)
		}
	}
	for t, r := range rules {
		if r.Title {
			m.fields[t] |= inTitle
		}
		if r.Description {
			m.fields[t] |= inDescription
		}
		for _, p := range r.Match {
			add(p, use{topic: t})
		}
		for _, p := range r.Exclude {
			add(p, use{topic: t, exclude: true})
		}
	}
	// Standard semantics report overlapping matches: " japan " and
	// " japan times " both, and neighbouring words that share the space
	// between them.
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
	m.ac = b.Build(patterns)
	return m
}

// Match returns, in ascending order, the topics whose text rules an item
// with this title and description meets: one of its phrases is in a field
// it looks in, and none of its exclusions is.
func (m *Matcher) Match(title, description string) []int {
	if m.n == 0 || len(m.uses) == 0 {
		return nil
	}
	// One haystack, one pass: each field padded with spaces, so that
	// whole-word patterns match at its edges, and apart, so that no
	// pattern spans both.
	ft, fd := Fold(title), Fold(description)
	text := make([]byte, 0, len(ft)+len(fd)+5)
	text = append(append(append(text, ' '), ft...), ' ')
	split := len(text)
	text = append(append(append(append(text, '\n'), ' '), fd...), ' ')
	var hits, excluded []int
	it := m.ac.IterOverlappingByte(text)
	for hit := it.Next(); hit != nil; hit = it.Next() {
		where := inDescription
		if hit.End() <= split {
			where = inTitle
		}
		for _, u := range m.uses[hit.Pattern()] {
			if m.fields[u.topic]&where == 0 {
				continue
			}
			if u.exclude {
				excluded = append(excluded, u.topic)
			} else {
				hits = append(hits, u.topic)
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	slices.Sort(hits)
	hits = slices.Compact(hits)
	if len(excluded) > 0 {
		hits = slices.DeleteFunc(hits, func(t int) bool { return slices.Contains(excluded, t) })
	}
	return hits
}

// pattern is the folded form of a phrase as the automaton looks for it:
// padded with a space on each side that must be a word boundary.
func pattern(phrase string) string {
	f := Fold(phrase)
	if f == "" {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(f)
	last := lastBase(f)
	if spaced(first) {
		f = " " + f
	}
	if spaced(last) {
		f += " "
	}
	return f
}

// lastBase is the last rune of s that is not a combining mark.
func lastBase(s string) rune {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !unicode.IsMark(r) {
			return r
		}
		s = s[:len(s)-n]
	}
	return utf8.RuneError
}

// combining are the combining diacritical marks (U+0300–U+036F) that
// decomposition splits off Latin, Greek and Cyrillic letters: accents.
// Marks of other blocks stay: in Indic scripts they are parts of letters.
func combining(r rune) bool { return 0x0300 <= r && r <= 0x036F }

// Fold returns the form of text that topics match against: case folded,
// accents removed, compatibility forms spelled plainly ("ＩＬＯ", "ﬁ"),
// the invisible characters identity.NormalizeTitle drops dropped, and
// every run of other characters that are not letters, digits or marks
// (spaces, punctuation, typographic quotes and dashes) made one space.
// Where a script written without spaces meets one written with them
// ("ILOの"), a space goes between, so that "ILO" is a whole word there
// too. Fold of a phrase of punctuation only is "".
//
// It is one pass over the text, without the allocations of the Unicode
// normalization forms: every item is folded as it is ingested. Text that
// identity takes for one title folds alike (see FuzzFold).
func Fold(s string) string {
	b := make([]byte, 0, len(s))
	gap := false
	prev := rune(-1) // last word rune written
	kept := false    // a mark was kept: recompose at the end
	emit := func(r rune) {
		if len(b) > 0 && (gap || boundary(prev, r)) {
			b = append(b, ' ')
		}
		gap = false
		b = utf8.AppendRune(b, r)
		prev = r
	}
	var one [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			default:
				gap = true
				continue
			}
			if prev >= utf8.RuneSelf {
				emit(rune(c))
				continue
			}
			// ASCII after ASCII, the common case: no boundary to find.
			if gap && len(b) > 0 {
				b = append(b, ' ')
			}
			gap = false
			b = append(b, c)
			prev = rune(c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case invisible(r):
			continue
		case r == 'ß' || r == 'ẞ':
			emit('s')
			emit('s')
			continue
		}
		d := norm.NFKD.Properties(one[:utf8.EncodeRune(one[:], r)]).Decomposition()
		if d == nil {
			d = one[:utf8.RuneLen(r)]
		}
		for len(d) > 0 {
			r, n := utf8.DecodeRune(d)
			d = d[n:]
			// Case first: the Greek ypogegrammeni (U+0345) is a combining
			// mark whose case folding is the letter iota.
			r = unicode.ToLower(unicode.ToUpper(r))
			switch {
			case combining(r):
			case !word(r):
				gap = true
			default:
				if unicode.IsMark(r) {
					kept = true
				}
				emit(r)
			}
		}
	}
	if kept {
		return norm.NFC.String(string(b))
	}
	return string(b)
}

// invisible are the characters identity.NormalizeTitle drops.
func invisible(r rune) bool { return r == 0x00AD || r == 0x200B || r == 0x2060 || r == 0xFEFF }

// word reports whether r belongs to a word: a letter, a digit or a mark,
// as identity counts them.
func word(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// unspaced are the scripts written without spaces between words.
var unspaced = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar}

// spaced reports whether r is a letter or digit of a script written with
// spaces between words. Marks and letters shared by scripts (the
// Japanese prolonged sound mark ー) are neither spaced nor unspaced.
func spaced(r rune) bool {
	if r < utf8.RuneSelf {
		return word(r)
	}
	if unicode.IsNumber(r) {
		return true
	}
	return unicode.IsLetter(r) && !unicode.Is(unicode.Common, r) && !isUnspaced(r)
}

// isUnspaced reports whether r is of a script written without spaces;
// the first of them, Thai, starts at U+0E00.
func isUnspaced(r rune) bool { return r >= 0x0E00 && unicode.In(r, unspaced...) }

// boundary reports whether a word boundary lies between the word runes a
// and b: where a script written without spaces meets one written with.
func boundary(a, b rune) bool {
	switch ua, ub := isUnspaced(a), isUnspaced(b); {
	case ua == ub:
		return false
	case ua:
		return spaced(b)
	}
	return spaced(a)
}
