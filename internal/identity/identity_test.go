package identity_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/model"
)

func date(t testing.TB, s string) model.Date {
	t.Helper()
	d, err := model.ParseISODate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The ids feeds have published. Readers key items by them: if this test
// fails, every reader sees every item as new. Do not update the literals;
// fix the change that moved them.
func TestItemIDsArePinned(t *testing.T) {
	t.Parallel()
	scheme := identity.TagScheme{Authority: "example.org", Date: "2026-01-01"}
	if err := scheme.Validate(); err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^tag:example\.org,2026-01-01:item/\d{4}-\d{2}-\d{2}/[0-9a-f]{20}$`)
	for _, c := range []struct {
		title, date, id string
	}{
		{"Rokin Labour Banks: Financial cooperatives for workers in Japan", "2017-10-31",
			"tag:example.org,2026-01-01:item/2017-10-31/467a7cce8a11c75598bb"},
		{"Özge Berber-Agtaş, ILO Office for Turkey in Ankara", "2017-07-06",
			"tag:example.org,2026-01-01:item/2017-07-06/851d962f54fbcf6703fc"},
		{"Honey and cheese cooperatives created in Cahul district in Moldova, with ILO’s support", "2020-10-27",
			"tag:example.org,2026-01-01:item/2020-10-27/bd383dee1accf12e6b59"},
		// Spellings of the third title that must stay the same item.
		{"Honey and cheese cooperatives created in Cahul district in Moldova, with ILO's support", "2020-10-27",
			"tag:example.org,2026-01-01:item/2020-10-27/bd383dee1accf12e6b59"},
		{"  HONEY and cheese cooperatives created in Cahul district\u00a0in Moldova,  with ILO‘s support\n", "2020-10-27",
			"tag:example.org,2026-01-01:item/2020-10-27/bd383dee1accf12e6b59"},
		// And of the second: decomposed accents, typographic hyphen.
		{norm.NFD.String("Özge Berber‐Agtaş, ILO Office for Turkey in Ankara"), "2017-07-06",
			"tag:example.org,2026-01-01:item/2017-07-06/851d962f54fbcf6703fc"},
	} {
		d := date(t, c.date)
		got := scheme.ItemID(identity.ItemKey(c.title, d), d)
		if got != c.id {
			t.Errorf("ItemID(%q, %s)\n got %s\nwant %s", c.title, c.date, got, c.id)
		}
		if !format.MatchString(got) {
			t.Errorf("ItemID %q does not match %s", got, format)
		}
	}
}

func TestFeedID(t *testing.T) {
	t.Parallel()
	scheme := identity.TagScheme{Authority: "user@example.org", Date: "2026"}
	if got, want := scheme.FeedID("category/news"), "tag:user@example.org,2026:feed/category/news"; got != want {
		t.Errorf("FeedID = %q, want %q", got, want)
	}
}

func TestNormalizeTitle(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		a, b string
	}{
		{"NFC and NFD", "Özge Berber-Agtaş", norm.NFD.String("Özge Berber-Agtaş")},
		{"case", "Rokin Labour Banks", "ROKIN labour BANKS"},
		{"sharp s", "Straße", "STRASSE"},
		{"sharp s capital", "STRAẞE", "strasse"},
		{"final sigma", "ΟΔΟΣ", "οδος"},
		{"right single quote", "ILO’s support", "ILO's support"},
		{"left single quote", "ILO‘s support", "ILO's support"},
		{"double quotes", "“Spotlight”", `"Spotlight"`},
		{"low double quote", "„Spotlight“", `"Spotlight"`},
		{"guillemets", "«Spotlight»", `"Spotlight"`},
		{"en dash", "2017–2018", "2017-2018"},
		{"em dash", "Cooperatives — a history", "Cooperatives - a history"},
		{"hyphen", "Co‐operators", "Co-operators"},
		{"non-breaking hyphen", "Co‑operators", "Co-operators"},
		{"ellipsis", "And so on…", "And so on..."},
		{"whitespace runs", "  a \t b\r\n c  ", "a b c"},
		{"no-break space", "a\u00a0b", "a b"},
		{"narrow no-break space", "a\u202fb", "a b"},
		{"ideographic space", "a\u3000b", "a b"},
		{"soft hyphen", "co\u00adoperatives", "cooperatives"},
		{"zero-width space", "co\u200boperatives", "cooperatives"},
		{"byte-order mark", "\ufeffNews", "News"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			na, nb := identity.NormalizeTitle(c.a), identity.NormalizeTitle(c.b)
			if na != nb {
				t.Errorf("NormalizeTitle(%q) = %q, NormalizeTitle(%q) = %q: want equal", c.a, na, c.b, nb)
			}
		})
	}
	for _, c := range []struct{ a, b string }{
		{"News", "Newsletter"},
		{"Co-operators", "Cooperators"}, // titles keep hyphens; only names fold them
		{"ILO’s work", "ILOs work"},
		{"café", "cafe"}, // accents matter in titles
	} {
		if identity.NormalizeTitle(c.a) == identity.NormalizeTitle(c.b) {
			t.Errorf("NormalizeTitle(%q) == NormalizeTitle(%q): want different", c.a, c.b)
		}
	}
}

func TestNormalizeTitleIsValidAndStable(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"İstanbul", "ISTANBUL", "ıi", "Ǆ", "ﬁne", "\xff\xfe broken UTF-8", "", " ", "\u0307", "i\u0307",
		"日本の協同組合", "हिन्दी", "👩‍🌾 farmers",
	} {
		n := identity.NormalizeTitle(s)
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Errorf("NormalizeTitle(%q) = %q: invalid UTF-8", s, n)
		}
		if !norm.NFC.IsNormalString(n) {
			t.Errorf("NormalizeTitle(%q) = %q: not NFC", s, n)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Errorf("NormalizeTitle(%q) = %q: whitespace not collapsed", s, n)
		}
		if again := identity.NormalizeTitle(n); again != n {
			t.Errorf("NormalizeTitle not idempotent on %q: %q then %q", s, n, again)
		}
	}
}

func TestItemKey(t *testing.T) {
	t.Parallel()
	d := date(t, "2020-10-27")
	base := identity.ItemKey("Honey and cheese cooperatives, with ILO’s support", d)
	for _, variant := range []string{
		"Honey and cheese cooperatives, with ILO's support",
		"HONEY AND CHEESE COOPERATIVES, WITH ILO'S SUPPORT",
		" Honey  and cheese\tcooperatives,\u00a0with ILO’s support ",
	} {
		if k := identity.ItemKey(variant, d); k != base {
			t.Errorf("ItemKey(%q) = %s, want %s", variant, k, base)
		}
	}
	for _, other := range []struct {
		title string
		d     model.Date
	}{
		{"Honey and cheese cooperatives, with ILO’s support", date(t, "2020-10-28")},
		{"Honey and cheese cooperatives, with ILO’s support", date(t, "2019-10-27")},
		{"Honey and cheese cooperatives with ILO’s support", d},
		{"Honey and cheese cooperative, with ILO’s support", d},
	} {
		if k := identity.ItemKey(other.title, other.d); k == base {
			t.Errorf("ItemKey(%q, %s) equals the original's", other.title, other.d)
		}
	}
	if s := base.String(); len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" {
		t.Errorf("Key.String() = %q, want 32 lowercase hex digits", s)
	}
}

func TestFoldName(t *testing.T) {
	t.Parallel()
	same := []struct{ a, b string }{
		{"Spotlight Interviews with Cooperators", "Spotlight Interviews with Co-operators"},
		{"Spotlight Interviews with Cooperators", "Spotlight Interviews with Co–operators"},
		{"Our impact, Their voices", "Our impact, their voices"},
		{"Our impact, Their voices", "Our impact their voices"},
		{"Our impact, Their voices", "Our impact — Their voices"},
		{"ILO's work", "ILO’s work"},
		{"ILO's work", "ILOs work"},
		{"News", "news"},
		{"News", " NEWS "},
		{"News", "News."},
		{"News", "“News”"},
		{"Resources on cooperatives", "Resources on cooperatives:"},
		{"Özge", norm.NFD.String("Özge")},
		{"हिन्दी", norm.NFD.String("हिन्दी")},
	}
	for _, c := range same {
		t.Run(c.a+"="+c.b, func(t *testing.T) {
			t.Parallel()
			if fa, fb := identity.FoldName(c.a), identity.FoldName(c.b); fa != fb {
				t.Errorf("FoldName(%q) = %q, FoldName(%q) = %q: want equal", c.a, fa, c.b, fb)
			}
		})
	}
	different := []struct{ a, b string }{
		{"News", "Newsletter"},
		{"ILO's work", "ILO s work"}, // the apostrophe joins a word; a space splits it
		{"Co-operators", "Co operators"},
		{"Spotlight Interviews", "Spotlight Interviews with Cooperators"},
		{"Özge", "Ozge"},
		{"कमी", "कम"}, // differ only by a vowel sign, a spacing mark
		{"!!!", "???"},
	}
	for _, c := range different {
		t.Run(c.a+"≠"+c.b, func(t *testing.T) {
			t.Parallel()
			if fa, fb := identity.FoldName(c.a), identity.FoldName(c.b); fa == fb {
				t.Errorf("FoldName(%q) = FoldName(%q) = %q: want different", c.a, c.b, fa)
			}
		})
	}
	for _, c := range []struct{ in, want string }{
		{"Spotlight Interviews with Co-operators", "spotlight interviews with cooperators"},
		{"Our impact, Their voices", "our impact their voices"},
		{"ILO's work on cooperatives in Asia and the Pacific", "ilos work on cooperatives in asia and the pacific"},
		{"-News-", "news"},
		{"'quoted'", "quoted"},
	} {
		if got := identity.FoldName(c.in); got != c.want {
			t.Errorf("FoldName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, s := range []string{"!!!", "—", "...", "&", "#1"} {
		if identity.FoldName(s) == "" {
			t.Errorf("FoldName(%q) is empty", s)
		}
	}
}

func TestFoldNameKeepsTitleCaseDistinctionsOut(t *testing.T) {
	t.Parallel()
	// Folding a fold changes nothing: stored folds can be compared with
	// folds of new spellings.
	for _, s := range []string{"Spotlight Interviews with Co-operators", "ILO’s work", "!!!", "हिन्दी", "İstanbul"} {
		f := identity.FoldName(s)
		if again := identity.FoldName(f); again != f {
			t.Errorf("FoldName(FoldName(%q)) = %q, want %q", s, again, f)
		}
	}
}

var slugFormat = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestSlug(t *testing.T) {
	t.Parallel()
	// Pinned: feed URLs are public.
	for _, c := range []struct{ name, want string }{
		{"Spotlight Interviews with Co-operators", "spotlight-interviews-with-cooperators"},
		{"Spotlight Interviews with Cooperators", "spotlight-interviews-with-cooperators"},
		{"Our impact, Their voices", "our-impact-their-voices"},
		{"Our impact, their voices", "our-impact-their-voices"},
		{"ILO's work on cooperatives in Asia and the Pacific", "ilos-work-on-cooperatives-in-asia-and-the-pacific"},
		{"ILO’s work on cooperatives in Asia and the Pacific", "ilos-work-on-cooperatives-in-asia-and-the-pacific"},
		{"News", "news"},
		{"News, stories and statements on cooperatives", "news-stories-and-statements-on-cooperatives"},
		{"Özge", "ozge"},
		{"Özge Berber-Agtaş", "ozge-berberagtas"},
		{"Ærø Øst", "aero-ost"},
		{"Łódź", "lodz"},
		{"Straße", "strasse"},
		{"Þingvellir", "thingvellir"},
		{"Ǿrsted", "orsted"},     // a letter that decomposes to ø and a mark
		{"ＩＬＯ News", "ilo-news"}, // full-width letters
		{"ﬁnance", "finance"},    // a ligature
		{"2020 report", "2020-report"},
		{"  --News--  ", "news"},
	} {
		if got := identity.Slug(c.name); got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSlugIsURLSafe(t *testing.T) {
	t.Parallel()
	names := []string{
		"", " ", "!!!", "—", "日本の協同組合", "협동조합", "हिन्दी", "Кооперативы", "👩‍🌾",
		"İstanbul", "a--b", "-a-", "a - b", "C++", "\xff\xfe",
		strings.Repeat("cooperative ", 20),
		strings.Repeat("a", 100),
		strings.Repeat("abcdefghij-", 10),
		strings.Repeat("Ö", 80),
		"An extremely long category name that goes on and on about cooperatives in Asia and the Pacific",
	}
	for _, name := range names {
		s := identity.Slug(name)
		if !slugFormat.MatchString(s) && !regexp.MustCompile(`^x-[0-9a-f]{8}$`).MatchString(s) {
			t.Errorf("Slug(%q) = %q: not [a-z0-9] words joined by single dashes", name, s)
		}
		if len(s) > identity.MaxSlugLength {
			t.Errorf("Slug(%q) = %q: %d bytes, over %d", name, s, len(s), identity.MaxSlugLength)
		}
		if s != identity.Slug(name) {
			t.Errorf("Slug(%q) not stable", name)
		}
	}
	// Names with no Latin letters or digits get a hash slug; different
	// names, different slugs.
	cjk := identity.Slug("日本の協同組合")
	if !strings.HasPrefix(cjk, "x-") || cjk == identity.Slug("韓国の協同組合") {
		t.Errorf("Slug of CJK names: %q, %q", cjk, identity.Slug("韓国の協同組合"))
	}
	if got := identity.Slug("日本の協同組合"); got != "x-62490ad0" {
		t.Errorf("Slug(日本の協同組合) = %q, want x-62490ad0", got)
	}
	// A long name is cut at a word boundary.
	long := identity.Slug("An extremely long category name that goes on and on about cooperatives in Asia and the Pacific")
	if want := "an-extremely-long-category-name-that-goes-on-and-on-about"; long != want {
		t.Errorf("long Slug = %q, want %q", long, want)
	}
	// Pinned as published: the cut drops the word the limit falls after,
	// even when that word ends exactly at the limit.
	exact := identity.Slug(strings.Repeat("abcdefghij ", 5) + "abcde next")
	if want := strings.TrimSuffix(strings.Repeat("abcdefghij-", 5), "-"); exact != want {
		t.Errorf("Slug cut at the limit = %q, want %q", exact, want)
	}
}

func TestItemPage(t *testing.T) {
	t.Parallel()
	d := date(t, "2017-10-31")
	title := "Rokin Labour Banks: Financial cooperatives for workers in Japan"
	k := identity.ItemKey(title, d)
	want := "item/2017/10/31/rokin-labour-banks-financial-cooperatives-for-workers-in-467a7c.html"
	if got := identity.ItemPage(k, d, title); got != want {
		t.Errorf("ItemPage = %q, want %q", got, want)
	}
}

func TestTagSchemeValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		authority, date string
		ok              bool
	}{
		{"example.org", "2026-01-01", true},
		{"user@example.org", "2026", true},
		{"first.last_name-1@mail.example.org", "2026-01", true},
		{"EXAMPLE.org", "2026-01-01", true}, // lowercase is only recommended
		{"localhost", "2026", true},
		{"xn--bcher-kva.example", "2026", true},
		{"example.org", "2024-02-29", true},

		{"example.org", "2026-13-01", false},
		{"example.org", "26-01-01", false},
		{"example.org", "2026-02-30", false},
		{"example.org", "2025-02-29", false},
		{"example.org", "2026-1-1", false},
		{"example.org", "2026-00", false},
		{"example.org", "", false},
		{"example.org", "２０２６", false}, // full-width digits
		{"exa mple.org", "2026", false},
		{"example.org ", "2026", false},
		{"ex_ample.org", "2026", false},
		{"user@ex_ample.org", "2026", false},
		{"user name@example.org", "2026", false},
		{"user+tag@example.org", "2026", false}, // RFC 4151: alphaNum - . _ only
		{"user%x@example.org", "2026", false},
		{"user@example..org", "2026", false},
		{"user@-example.org", "2026", false},
		{"@example.org", "2026", false},
		{"-example.org", "2026", false},
		{"example-.org", "2026", false},
		{"example.org.", "2026", false},
		{"", "2026", false},
		{"example.org,2026", "2026", false},
		{"exämple.org", "2026", false},
		{strings.Repeat("a", 64) + ".org", "2026", false},
	} {
		t.Run(c.authority+","+c.date, func(t *testing.T) {
			t.Parallel()
			err := identity.TagScheme{Authority: c.authority, Date: c.date}.Validate()
			if c.ok && err != nil {
				t.Errorf("Validate: %v", err)
			}
			if !c.ok && !errors.Is(err, identity.ErrTagScheme) {
				t.Errorf("Validate = %v, want ErrTagScheme", err)
			}
		})
	}
}

var sink any

func BenchmarkItemKey(b *testing.B) {
	d := model.Date{Year: 2020, Month: time.October, Day: 27}
	title := "Honey and cheese cooperatives created in Cahul district in Moldova, with ILO’s support"
	b.ReportAllocs()
	for b.Loop() {
		sink = identity.ItemKey(title, d)
	}
}

func BenchmarkFoldName(b *testing.B) {
	name := "Spotlight Interviews with Co‐operators"
	b.ReportAllocs()
	for b.Loop() {
		sink = identity.FoldName(name)
	}
}
