// Package identity decides when two spellings are the same thing: the same
// item (normalized title and date), the same category (folded label) or the
// same listing. It mints the public ids and URL slugs that follow from that.
// Everything here is pure: the same input gives the same output forever,
// and ids already published are stored, never recomputed.
package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/feedpub/feedpub/internal/model"
)

// Key identifies an item: a hash of its normalized title and its date.
type Key [16]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// ItemKey returns the key of an item titled title on date d.
func ItemKey(title string, d model.Date) Key {
	h := sha256.New()
	h.Write([]byte(NormalizeTitle(title)))
	h.Write([]byte{'\n'})
	h.Write([]byte(d.String()))
	var k Key
	copy(k[:], h.Sum(nil))
	return k
}

var folder = cases.Fold()

// typography maps characters that vary between copies of the same text
// (typographic quotes and dashes) to one spelling, and drops invisible
// characters that copying from a web page adds or loses (soft hyphen,
// zero-width space, word joiner, byte-order mark). Non-breaking and other
// spaces are whitespace to NormalizeTitle.
var typography = strings.NewReplacer(
	"\u00AD", "", "\u200B", "", "\u2060", "", "\uFEFF", "",
	"\u2018", "'", "\u2019", "'", "\u201A", "'", "\u201B", "'", "\u2032", "'", "\u00B4", "'", "`", "'",
	"\u201C", `"`, "\u201D", `"`, "\u201E", `"`, "\u201F", `"`, "\u2033", `"`, "\u00AB", `"`, "\u00BB", `"`,
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-", "\u2212", "-",
	"\u2026", "...",
)

// NormalizeTitle returns the form of s used to recognise an item: Unicode
// NFC, typographic quotes and dashes folded, invisible characters dropped,
// case-folded, whitespace collapsed and trimmed.
//
// Item keys, and so the identity of every stored item, depend on this
// function: any change to its output for an existing title makes that item
// new again on the next scan. The tests pin literal ids for that reason.
func NormalizeTitle(s string) string {
	s = norm.NFC.String(s)
	s = typography.Replace(s)
	s = folder.String(s)
	s = norm.NFC.String(s) // folding can denormalize (İ → i̇)
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// FoldName returns the form of a label or listing title used to recognise
// a category or listing: NormalizeTitle, then hyphens and apostrophes inside
// words removed ("Co-operators" = "Cooperators") and other punctuation
// treated as space ("Our impact, Their voices" = "Our impact their voices").
// A name of punctuation only folds to its normalized self, never to "".
func FoldName(s string) string {
	s = NormalizeTitle(s)
	if f := foldPunct(s); f != "" {
		return f
	}
	return s
}

func foldPunct(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, r := range rs {
		if isWordRune(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		if (r == '-' || r == '\'') && i > 0 && i+1 < len(rs) && isWordRune(rs[i-1]) && isWordRune(rs[i+1]) {
			continue // joins a word: co-operators, ilo's
		}
		space = true
	}
	return b.String()
}

// isWordRune reports whether r belongs to a word: a letter, a digit or a
// mark. Marks of every kind count: Indic vowel signs are spacing marks
// (Mc), and treating them as punctuation would fold "कमी" and "कम" together.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) }
