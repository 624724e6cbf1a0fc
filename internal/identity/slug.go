package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxSlugLength keeps URLs readable; longer names are cut at a hyphen.
const MaxSlugLength = 60

// letters that do not decompose into a base letter plus marks.
var latin = strings.NewReplacer(
	"ø", "o", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i", "ß", "ss",
)

// Slug returns a lowercase ASCII slug for name ("Our impact, Their
// voices" → "our-impact-their-voices"). Accents are dropped; a name with no
// Latin letters or digits gets "x-" and a short hash, so every name has a
// non-empty, URL-safe slug. Callers store the slug once chosen: this
// function may improve, published URLs must not move.
func Slug(name string) string {
	s := latin.Replace(FoldName(name))
	s = norm.NFD.String(s)
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		default:
			dash = true
		}
	}
	slug := b.String()
	if len(slug) > MaxSlugLength {
		slug = slug[:MaxSlugLength]
		if i := strings.LastIndexByte(slug, '-'); i > MaxSlugLength/2 {
			slug = slug[:i]
		}
		slug = strings.TrimRight(slug, "-")
	}
	if slug == "" {
		sum := sha256.Sum256([]byte(FoldName(name)))
		slug = "x-" + hex.EncodeToString(sum[:4])
	}
	return slug
}
