package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/feedpub/feedpub/internal/model"
)

// MaxSlugLength keeps URLs readable; longer names are cut at a hyphen.
const MaxSlugLength = 60

// latin spells in ASCII the Latin letters that do not decompose into a
// base letter plus marks.
var latin = strings.NewReplacer(
	"ø", "o", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i", "ß", "ss",
)

// Slug returns a lowercase ASCII slug for name ("Our impact, Their
// voices" → "our-impact-their-voices"). Accents are dropped; a name with no
// Latin letters or digits gets "x-" and a short hash, so every name has a
// non-empty, URL-safe slug. Callers store the slug once chosen: this
// function may improve, published URLs must not move.
func Slug(name string) string {
	// Decompose first, compatibility forms included (full-width letters,
	// ligatures), then replace the letters that do not decompose: "Ǿ"
	// decomposes to "ø" and a mark, which must still become "o".
	s := latin.Replace(norm.NFKD.String(FoldName(name)))
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

// ItemPage returns the path of the HTML page of the item with key k,
// titled title, dated d: item/2017/10/31/<slug>-<6 hex digits of k>.html.
// The key's digits keep two items of one day with the same slug apart.
// Callers store the path when the item is first seen.
func ItemPage(k Key, d model.Date, title string) string {
	return fmt.Sprintf("item/%04d/%02d/%02d/%s-%s.html", d.Year, int(d.Month), d.Day, Slug(title), k.String()[:6])
}
