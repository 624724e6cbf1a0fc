package topic

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedpub/feedpub/internal/identity"
)

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Sri Lanka’s fisheries":          "sri lanka s fisheries",
		"Côte d’Ivoire":                  "cote d ivoire",
		"CHILD–LABOUR, in Agriculture!":  "child labour in agriculture",
		"Straße":                         "strasse",
		"ＩＬＯ ﬁsheries":                   "ilo fisheries",
		"ILOのプロジェクト":                     "ilo のプロジェクト",
		"2017年の協同組合":                     "2017 年の協同組合",
		"コーヒー協同組合":                       "コーヒー協同組合",
		"कमी और कम":                      "कमी और कम",
		"  ...  ":                        "",
		"My.Coop":                        "my coop",
		"\u00ADsoft\u200Bhyphen\u2060ed": "softhyphened",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Text that identity takes for one title (same NFC form, typographic
// quotes, dashes, case, invisible characters, spacing) folds alike, and
// folding twice changes nothing.
func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"Free from debt and bonded labour in Sri Lanka's fisheries (2017) -- `ILO`",
		"Sri Lanka’s “fisheries” – soft\u00ADhyphen\u00A0and…more",
		"Côte d’Ivoire", "Straße ẞ ΣΊΣΥΦΟΣ ς", "İstanbul ǅ ﬁ ＩＬＯ", "ILOのプロジェクト", "コーヒー協同組合", "कमी और कम",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		folded := Fold(s)
		if again := Fold(folded); again != folded {
			t.Fatalf("Fold(%q) = %q, folded again %q", s, folded, again)
		}
		if n := Fold(identity.NormalizeTitle(s)); n != folded {
			t.Fatalf("Fold(%q) = %q, but Fold(NormalizeTitle) = %q", s, folded, n)
		}
	})
}

func TestMatch(t *testing.T) {
	t.Parallel()
	both := func(r Rules) Rules { r.Title, r.Description = true, true; return r }
	rules := []Rules{
		both(Rules{Match: []string{"Japan"}, Exclude: []string{"Japan Times"}}), // 0
		both(Rules{Match: []string{"child labour", "child labor"}}),             // 1
		both(Rules{Match: []string{"cooperatives"}}),                            // 2
		{Match: []string{"ILO"}, Title: true},                                   // 3: titles only
		both(Rules{Match: []string{"協同組合"}}),                                    // 4
		both(Rules{Match: []string{"Côte d’Ivoire"}}),                           // 5
		both(Rules{Match: []string{"Japanese"}, Exclude: []string{"..."}}),      // 6: an exclusion of punctuation never matches
	}
	m := Compile(rules)
	for _, c := range []struct {
		title, description string
		want               []int
	}{
		{"Rokin Labour Banks: Financial cooperatives for workers in Japan", "", []int{0, 2}},
		{"Japan’s National Gathering", "", []int{0}},
		{"Japanese cooperatives", "", []int{2, 6}},
		{"Japan cooperatives", "", []int{0, 2}}, // neighbours share the space between them
		{"Japan Times on Japan", "", nil},       // excluded, wherever the match was
		{"A note", "as the JAPAN TIMES says", nil},
		{"Tackling CHILD-LABOUR", "", []int{1}},
		{"Tackling child–labor", "", []int{1}},
		{"childlabour", "", nil},
		{"News", "ILO helps", nil}, // topic 3 looks in titles only
		{"ILO's project", "", []int{3}},
		{"ILOのプロジェクト", "", []int{3}},
		{"日本の協同組合について", "", []int{4}},
		{"Cooperatives in Cote d'Ivoire", "", []int{2, 5}},
		{"", "", nil},
	} {
		if got := m.Match(c.title, c.description); !slices.Equal(got, c.want) {
			t.Errorf("Match(%q, %q) = %v, want %v", c.title, c.description, got, c.want)
		}
	}
	if got := Compile(nil).Match("Japan", ""); got != nil {
		t.Errorf("no topics: %v", got)
	}
}

// naive matches one topic at a time, with strings.Contains: what the
// automaton must agree with.
func naive(rules []Rules, title, description string) []int {
	var out []int
	texts := func(r Rules) []string {
		var ts []string
		if r.Title {
			ts = append(ts, " "+Fold(title)+" ")
		}
		if r.Description {
			ts = append(ts, " "+Fold(description)+" ")
		}
		return ts
	}
	has := func(r Rules, phrases []string) bool {
		for _, p := range phrases {
			for _, text := range texts(r) {
				if pat := pattern(p); pat != "" && strings.Contains(text, pat) {
					return true
				}
			}
		}
		return false
	}
	for i, r := range rules {
		if has(r, r.Match) && !has(r, r.Exclude) {
			out = append(out, i)
		}
	}
	return out
}

func TestMatchAgreesWithOneTopicAtATime(t *testing.T) {
	t.Parallel()
	words := strings.Fields("japan japanese coop cooperative labour child banks ILO 協同 組合 d’ivoire côte news the of")
	rng := rand.New(rand.NewPCG(1, 2))
	phrase := func() string {
		n := 1 + rng.IntN(3)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(ws, []string{" ", "-", ", ", ""}[rng.IntN(4)])
	}
	var rules []Rules
	for range 300 {
		r := Rules{Title: rng.IntN(3) > 0, Description: rng.IntN(3) > 0}
		for range 1 + rng.IntN(4) {
			r.Match = append(r.Match, phrase())
		}
		for range rng.IntN(2) {
			r.Exclude = append(r.Exclude, phrase())
		}
		rules = append(rules, r)
	}
	m := Compile(rules)
	matched := 0
	for i := range 600 {
		var title, desc []string
		for range 2 + rng.IntN(8) {
			title = append(title, phrase())
		}
		for range rng.IntN(12) {
			desc = append(desc, phrase())
		}
		tt, dd := strings.Join(title, " "), strings.Join(desc, ". ")
		got, want := m.Match(tt, dd), naive(rules, tt, dd)
		if !slices.Equal(got, want) {
			t.Fatalf("item %d %q / %q: Match = %v, one at a time = %v", i, tt, dd, got, want)
		}
		matched += len(got)
	}
	if matched == 0 {
		t.Fatal("no item matched any topic: the test proves nothing")
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, topics := range []int{0, 1000} {
		b.Run(fmt.Sprintf("topics=%d", topics), func(b *testing.B) {
			rules := make([]Rules, topics)
			for i := range rules {
				rules[i] = Rules{Title: true, Description: true}
				for j := range 5 {
					rules[i].Match = append(rules[i].Match, fmt.Sprintf("phrase%d word%d", i, j))
				}
			}
			m := Compile(rules)
			title := "Trade unions and producer organizations join forces to tackle child labour in agriculture"
			desc := "In September 2017 over 20 representatives of rural workers’ trade unions, national trade union centres, and small producers’ organizations met."
			b.ReportAllocs()
			for b.Loop() {
				m.Match(title, desc)
			}
		})
	}
}
