package configfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/configfile"
)

const good = `# feedpub settings
[site]
title = "Cooperative news"
base_url = "https://example.org/feeds/"
items_per_feed = 20
formats = ["rss", "atom"]

[author]
name = "Editor"
email = "editor@example.org"

[serve]
max_age = "10m"
access_log = true

[categories."Spotlight Interviews with Co-operators"]
name = "Interviews"
slug = "interviews"
description = "Conversations with cooperators."
merge = ["COOP Champions"]

[categories.News]
name = "News and statements"

[listings."Resources on cooperatives"]
default_category = "Resources"
`

func TestParseReadsSettingsCategoriesAndListingsWithLines(t *testing.T) {
	t.Parallel()
	f, err := configfile.Parse("feedpub.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []configfile.Value{
		{Key: "site.title", Text: "Cooperative news", Line: 3},
		{Key: "site.base_url", Text: "https://example.org/feeds/", Line: 4},
		{Key: "site.items_per_feed", Text: "20", Line: 5},
		{Key: "site.formats", Text: "rss,atom", Line: 6},
		{Key: "author.name", Text: "Editor", Line: 9},
		{Key: "author.email", Text: "editor@example.org", Line: 10},
		{Key: "serve.max_age", Text: "10m", Line: 13},
		{Key: "serve.access_log", Text: "true", Line: 14},
	}
	if len(f.Values) != len(want) {
		t.Fatalf("values = %+v", f.Values)
	}
	for i, v := range f.Values {
		if v != want[i] {
			t.Errorf("value %d = %+v, want %+v", i, v, want[i])
		}
	}
	if len(f.Categories) != 2 || len(f.Listings) != 1 {
		t.Fatalf("categories %+v listings %+v", f.Categories, f.Listings)
	}
	var interviews config.Category
	for _, c := range f.Categories {
		if c.Name == "Interviews" {
			interviews = c
		}
	}
	if interviews.Slug != "interviews" || len(interviews.Merge) != 1 || interviews.Merge[0] != "COOP Champions" {
		t.Errorf("category = %+v", interviews)
	}
	if f.Listings[0].DefaultCategory != "Resources" {
		t.Errorf("listing = %+v", f.Listings[0])
	}
	if n := f.Line(config.CategoryKey("Spotlight Interviews with Co-operators", "slug")); n != 18 {
		t.Errorf("line of the slug = %d, want 18", n)
	}
	if n := f.Line(config.CategoryKey("News", "name")); n != 23 {
		t.Errorf("line of News's name = %d, want 23", n)
	}
}

// problems parses text and returns each error's text, in order.
func problems(t *testing.T, text string) []string {
	t.Helper()
	_, err := configfile.Parse("feedpub.toml", []byte(text))
	if err == nil {
		t.Fatalf("no error for:\n%s", text)
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
	} else {
		out = append(out, err.Error())
	}
	for _, e := range out {
		if !strings.HasPrefix(e, "feedpub.toml:") {
			t.Errorf("error does not start with the file and line: %s", e)
		}
	}
	return out
}

func TestUnknownKeysAreErrorsNamingKeyAndLine(t *testing.T) {
	t.Parallel()
	got := problems(t, `[site]
titel = "typo"
title = "ok"

[sitee]
x = 1

limit = 3

[categories.News]
colour = "red"

[listings."A listing"]
merge = ["x"]
`)
	want := []string{
		`feedpub.toml:2: site.titel: unknown key (did you mean site.title?)`,
		`feedpub.toml:5: sitee: unknown key (did you mean [site]?)`,
		`feedpub.toml:11: categories.News.colour: unknown key (want one of name, slug, description, merge)`,
		`feedpub.toml:14: listings."A listing".merge: unknown key (want one of name, slug, description, default_category)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBadValuesAreErrorsNamingKeyAndLine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, want string }{
		{"[site]\n\nitems_per_feed = \"ten\"\n", `feedpub.toml:3: site.items_per_feed: want an integer, got the string "ten"`},
		{"[site]\nformats = \"rss\"\n", `feedpub.toml:2: site.formats: want a list of strings, got the string "rss"`},
		{"[serve]\naccess_log = \"yes\"\n", `feedpub.toml:2: serve.access_log: want true or false, got the string "yes"`},
		{"[scan]\nlock_timeout = 30\n", `feedpub.toml:2: scan.lock_timeout: want a duration, got the integer 30`},
		{"site = 3\n", `feedpub.toml:1: site: want a table ([site]), got the integer 3`},
		{"[categories.News]\nslug = \"Big News!\"\n", `feedpub.toml:2: categories.News.slug: "Big News!": want lowercase letters, digits and single hyphens, at most 60 characters`},
		{"[categories.News]\nmerge = \"Article\"\n", `feedpub.toml:2: categories.News.merge: want a list of strings, got the string "Article"`},
		{"[site]\ntitle = \n", `feedpub.toml:2: column 9: `},
		{"[site]\ntitle = \"a\"\ntitle = \"b\"\n", `feedpub.toml:3: `},
	} {
		got := problems(t, c.text)
		if len(got) != 1 || !strings.HasPrefix(got[0], c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestCategoriesThatFoldAlikeOrMergeTwiceAreErrors(t *testing.T) {
	t.Parallel()
	got := problems(t, `[categories."Our impact, Their voices"]
name = "Voices"

[categories."Our impact, their voices"]
name = "Other"

[categories.News]
merge = ["Article", "news"]

[categories.Stories]
merge = ["article", "Our Impact Their Voices"]
slug = "news"

[categories.Other]
slug = "news"
`)
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		`feedpub.toml:4: categories."Our impact, their voices": the same category as [categories."Our impact, Their voices"] (line 1)`,
		`feedpub.toml:8: categories.News.merge: "news" is this category's own label`,
		`feedpub.toml:11: categories.Stories.merge: "article" is already merged into [categories.News]`,
		`feedpub.toml:11: categories.Stories.merge: "Our Impact Their Voices" has its own table`,
		`feedpub.toml:15: categories.Other.slug: "news" is already the slug of [categories.Stories]`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors lack %q:\n%s", want, joined)
		}
	}
}

func TestParseReadsTopics(t *testing.T) {
	t.Parallel()
	f, err := configfile.Parse("feedpub.toml", []byte(`[topics."Cooperatives in Japan"]
match = ["Japan", "Japanese"]
exclude = ["Japan Times"]
fields = ["title", "description"]
categories = ["News"]
listings = []
description = "News about cooperatives in Japan."
slug = "japan"

[topics."Child labour"]
match = ["child labour", "child labor"]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Topic{
		{Name: "Cooperatives in Japan", Match: []string{"Japan", "Japanese"}, Exclude: []string{"Japan Times"},
			Fields: []string{"title", "description"}, Categories: []string{"News"}, Listings: []string{},
			Description: "News about cooperatives in Japan.", Slug: "japan"},
		{Name: "Child labour", Match: []string{"child labour", "child labor"}},
	}
	if !reflect.DeepEqual(f.Topics, want) {
		t.Errorf("topics = %#v\nwant %#v", f.Topics, want)
	}
	if got := f.Line(config.TopicKey("Child labour", "match")); got != 11 {
		t.Errorf("line of the second topic's match = %d, want 11", got)
	}
}

func TestBadTopicRulesAreErrorsNamingTheKey(t *testing.T) {
	t.Parallel()
	got := problems(t, `[topics.Japan]
match = []

[topics.Labour]
exclude = ["child"]

[topics."Child labour"]
match = ["child labour", "…!"]
exclude = ["--"]
fields = ["title", "body"]
categories = [""]
slug = "japan"
colour = "red"

[topics.Empty]
match = ["x"]
fields = []
slug = "japan"

[topics."child  LABOUR"]
match = ["y"]
`)
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		`feedpub.toml:2: topics.Japan.match: must list at least one word or phrase`,
		`feedpub.toml:4: topics.Labour: match is missing`,
		`feedpub.toml:8: topics."Child labour".match: "…!" has no letter or digit to match`,
		`feedpub.toml:9: topics."Child labour".exclude: "--" has no letter or digit to match`,
		`feedpub.toml:10: topics."Child labour".fields: "body": want title or description`,
		`feedpub.toml:11: topics."Child labour".categories: a name must not be empty`,
		`feedpub.toml:13: topics."Child labour".colour: unknown key (want one of match, exclude, fields, categories, listings, description, slug)`,
		`feedpub.toml:17: topics.Empty.fields: must not be empty`,
		`feedpub.toml:18: topics.Empty.slug: "japan" is already the slug of [topics."Child labour"]`,
		`feedpub.toml:20: topics."child  LABOUR": the same topic as [topics."Child labour"] (line 7)`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors lack %q:\n%s", want, joined)
		}
	}
	if len(got) != 10 {
		t.Errorf("%d errors, want 10:\n%s", len(got), joined)
	}
}

func TestLoadNamesAMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing.toml")
	_, err := configfile.Load(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v", err)
	}
}

// The example config shipped in the repository must stay valid.
func TestShippedExampleIsValid(t *testing.T) {
	t.Parallel()
	f, err := configfile.Load("../../deploy/feedpub.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	for _, v := range f.Values {
		s, _ := config.Lookup(v.Key)
		if err := s.Set(&c, v.Text); err != nil {
			t.Errorf("%s: %v", v.Key, err)
		}
	}
	c.Categories, c.Listings, c.Topics = f.Categories, f.Listings, f.Topics
	if len(c.Topics) == 0 {
		t.Error("the example config shows no topic")
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
