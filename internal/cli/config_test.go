package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/cli"
)

// writeConfig writes a config file in dir and returns its path.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "feedpub.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type configJSON struct {
	File     string `json:"file"`
	Settings []struct {
		Key, Value, Flag, Env string
		Source                struct{ Kind, Where string }
	} `json:"settings"`
	Sources map[string]struct{ Kind, Where string } `json:"sources"`
	Topics  []struct{ Name string }                 `json:"topics"`
}

func TestConfigPrecedenceIsFlagThenEnvThenFileThenDefault(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	path := writeConfig(t, dir, `[site]
title = "File title"
items_per_feed = 7
base_url = "https://file.example.org/"
description = "From the file."

[author]
name = "File author"

[categories.News]
name = "Latest news"

[topics.Japan]
match = ["Japan", "Japanese"]
`)
	env := map[string]string{"FEEDPUB_LIMIT": "3", "FEEDPUB_TITLE": "Env title", "FEEDPUB_CONFIG": path}
	r := feedpub(t, env, "config", "--title", "Flag title", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep configJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	want := map[string][3]string{ // value, source kind, where
		"site.title":          {"Flag title", "flag", "--title"},
		"site.items_per_feed": {"3", "env", "FEEDPUB_LIMIT"},
		"site.base_url":       {"https://file.example.org/", "file", path + ":4"},
		"author.name":         {"File author", "file", path + ":8"},
		"site.language":       {"en", "default", ""},
		"serve.max_age":       {"auto", "default", ""},
	}
	seen := 0
	for _, s := range rep.Settings {
		w, ok := want[s.Key]
		if !ok {
			continue
		}
		seen++
		if got := [3]string{s.Value, s.Source.Kind, s.Source.Where}; got != w {
			t.Errorf("%s = %q, want %q", s.Key, got, w)
		}
	}
	if seen != len(want) || rep.File != path {
		t.Errorf("saw %d of %d settings; file %q", seen, len(want), rep.File)
	}
	if src := rep.Sources[`categories.News.name`]; src.Kind != "file" || src.Where != path+":11" {
		t.Errorf("source of the category's name = %+v", src)
	}
	if src := rep.Sources[`topics.Japan.match`]; src.Kind != "file" || src.Where != path+":14" || len(rep.Topics) != 1 || rep.Topics[0].Name != "Japan" {
		t.Errorf("topics %+v, source of the topic's match = %+v", rep.Topics, src)
	}

	// The table says the same, one aligned row per setting.
	r = feedpub(t, env, "config", "--title", "Flag title")
	for _, re := range []string{
		`(?m)^config file: ` + regexp.QuoteMeta(path) + `$`,
		`(?m)^site\.title +Flag title +flag --title$`,
		`(?m)^site\.items_per_feed +3 +env FEEDPUB_LIMIT$`,
		`(?m)^site\.base_url +https://file\.example\.org/ +file ` + regexp.QuoteMeta(path) + `:4$`,
		`(?m)^site\.language +en +default$`,
		`(?m)^categories\.News\.name +Latest news +file ` + regexp.QuoteMeta(path) + `:11$`,
		`(?m)^topics\.Japan\.match +Japan, Japanese +file ` + regexp.QuoteMeta(path) + `:14$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("table lacks %s:\n%s", re, r.stdout)
		}
	}

	// A scan runs with exactly those settings.
	r = feedpub(t, env, append([]string{"scan", "--title", "Flag title"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("scan exit %d: %s", r.code, r.stderr)
	}
	rss := filepath.Join(dir, "feeds", "all", "rss.xml")
	if n := items(t, rss); n != 3 {
		t.Errorf("combined feed has %d items, want FEEDPUB_LIMIT's 3", n)
	}
	data, _ := os.ReadFile(rss)
	for _, want := range []string{"<title>Flag title</title>", "https://file.example.org/all/rss.xml"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("rss.xml lacks %q", want)
		}
	}
	news, _ := os.ReadFile(filepath.Join(dir, "feeds", "category", "news", "rss.xml"))
	if !strings.Contains(string(news), "<title>Latest news — Flag title</title>") {
		t.Errorf("the category's configured name is not its title")
	}
}

func TestConfigErrorsNameTheKeyAndWhereTheValueCameFrom(t *testing.T) {
	t.Parallel()
	dir, flags := workdir(t)
	for _, c := range []struct {
		file string
		env  map[string]string
		args []string
		want []string
	}{
		{file: "[site]\ntitel = \"typo\"\n", want: []string{"feedpub.toml:2: site.titel: unknown key (did you mean site.title?)"}},
		{file: "[site]\ntitle = \"ok\"\nitems_per_feed = 0\ntime_zone = \"Mars/Olympus\"\n", want: []string{
			"feedpub.toml:3: site.items_per_feed: 0: must be between 1 and 1000",
			`feedpub.toml:4: site.time_zone: "Mars/Olympus": not an IANA time zone`,
		}},
		{file: "[serve]\nschedule = \"every day\"\n", want: []string{`feedpub.toml:2: serve.schedule: "every day"`}},
		{file: "[scan]\nlock_timeout = \"soon\"\n", want: []string{`feedpub.toml:2: scan.lock_timeout: "soon" is not a duration`}},
		{file: "[categories.News]\nslug = \"News!\"\n", want: []string{`feedpub.toml:2: categories.News.slug: "News!": want lowercase letters`}},
		{env: map[string]string{"FEEDPUB_LIMIT": "0"}, want: []string{"FEEDPUB_LIMIT (site.items_per_feed): 0: must be between 1 and 1000"}},
		{env: map[string]string{"FEEDPUB_LIMIT": "many"}, want: []string{`FEEDPUB_LIMIT="many": "many" is not an integer`}},
		{args: []string{"--formats", "rss,gopher"}, want: []string{`--formats "rss,gopher": unknown format "gopher"`}},
		{args: []string{"--formats", ""}, want: []string{"--formats (site.formats): at least one of rss, atom and json must be on"}},
		{file: "[websub]\nhubs = [\"https://hub.example.org/\", \"hub.example.net\"]\n", want: []string{`feedpub.toml:2: websub.hubs: "hub.example.net": must be an absolute http or https URL`}},
		{file: "[websub]\nhubs = \"https://hub.example.org/\"\n", want: []string{`feedpub.toml:2: websub.hubs: want a list of strings, got the string`}},
		{env: map[string]string{"FEEDPUB_HUBS": "ftp://hub.example.org/"}, want: []string{`FEEDPUB_HUBS (websub.hubs): "ftp://hub.example.org/": must be an absolute http or https URL`}},
		{args: []string{"--hub", "https://ok.example/", "--hub", "/relative"}, want: []string{`--hub (websub.hubs): "/relative": must be an absolute`}},
		{args: []string{"--hub-attempts", "0"}, want: []string{"--hub-attempts (websub.attempts): 0: must be between 1 and 10"}},
		{file: "[publish]\ns3 = \"https://bucket.example.org/\"\n", want: []string{`feedpub.toml:2: publish.s3: "https://bucket.example.org/": want s3://bucket/prefix`}},
		{env: map[string]string{"FEEDPUB_PUBLISH": "s3://Bad_Bucket/feeds"}, want: []string{`FEEDPUB_PUBLISH (publish.s3): "s3://Bad_Bucket/feeds": "Bad_Bucket" is not a bucket name`}},
		{args: []string{"--publish", "s3://feeds/a//b"}, want: []string{`--publish (publish.s3): "s3://feeds/a//b": the prefix must be plain names`}},
		{args: []string{"--s3-endpoint", "127.0.0.1:9000"}, want: []string{`--s3-endpoint (publish.s3_endpoint): "127.0.0.1:9000": want http://host:port`}},
		{file: "[publish]\nprecompress = \"yes\"\n", want: []string{`feedpub.toml:2: publish.precompress`}},
	} {
		args := []string{"scan"}
		if c.file != "" {
			args = append(args, "--config", writeConfig(t, t.TempDir(), c.file))
		}
		r := feedpub(t, c.env, append(append(args, flags...), c.args...)...)
		if r.code != cli.ExitFatal {
			t.Errorf("%q %v: exit %d", c.file, c.args, r.code)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%q %v %v: stderr lacks %q:\n%s", c.file, c.env, c.args, w, r.stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "feedpub.db")); err == nil {
		t.Errorf("a scan with bad settings created the database")
	}
}

// The hub list is one setting from every source: a TOML array, a comma
// list in FEEDPUB_HUBS, a repeated or comma-separated --hub.
func TestHubsFromEverySource(t *testing.T) {
	t.Parallel()
	dir, _ := workdir(t)
	path := writeConfig(t, dir, "[websub]\nhubs = [\"https://a.example/hub\", \"https://b.example/\"]\nwait = \"5s\"\n")
	hubs := func(env map[string]string, args ...string) [3]string {
		t.Helper()
		env["FEEDPUB_CONFIG"] = path
		r := feedpub(t, env, append([]string{"config", "--json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var rep configJSON
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Settings {
			if s.Key == "websub.hubs" {
				if s.Env != "FEEDPUB_HUBS" || s.Flag != "--hub" {
					t.Errorf("hubs: env %s, flag %s", s.Env, s.Flag)
				}
				return [3]string{s.Value, s.Source.Kind, s.Source.Where}
			}
		}
		t.Fatal("no websub.hubs in feedpub config")
		return [3]string{}
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want [3]string
	}{
		{map[string]string{}, nil, [3]string{"https://a.example/hub,https://b.example/", "file", path + ":2"}},
		{map[string]string{"FEEDPUB_HUBS": "https://c.example/, https://d.example/"}, nil, [3]string{"https://c.example/,https://d.example/", "env", "FEEDPUB_HUBS"}},
		{map[string]string{"FEEDPUB_HUBS": "https://c.example/"}, []string{"--hub", "https://e.example/", "--hub", "https://f.example/,https://g.example/"},
			[3]string{"https://e.example/,https://f.example/,https://g.example/", "flag", "--hub"}},
	} {
		if got := hubs(c.env, c.args...); got != c.want {
			t.Errorf("%v %v: %q, want %q", c.env, c.args, got, c.want)
		}
	}
}

func TestANamedConfigFileMustExist(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.toml")
	for _, r := range []run{
		feedpub(t, nil, "config", "--config", missing),
		feedpub(t, map[string]string{"FEEDPUB_CONFIG": missing}, "config"),
	} {
		if r.code != cli.ExitFatal || !strings.Contains(r.stderr, missing) {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	}
}

// The publishing settings follow the same precedence; credentials are
// never settings, so never shown.
func TestPublishSettingsPrecedence(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, t.TempDir(), `[publish]
s3 = "s3://file-bucket/site"
s3_region = "eu-west-1"
precompress = false
`)
	env := map[string]string{"FEEDPUB_CONFIG": path, "FEEDPUB_S3_ENDPOINT": "http://127.0.0.1:9000",
		"AWS_SECRET_ACCESS_KEY": "very-secret"}
	r := feedpub(t, env, "config", "--json", "--publish", "s3://flag-bucket/feeds/")
	var rep configJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d %v:\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	want := map[string][3]string{
		"publish.s3":          {"s3://flag-bucket/feeds/", "flag", "--publish"},
		"publish.s3_endpoint": {"http://127.0.0.1:9000", "env", "FEEDPUB_S3_ENDPOINT"},
		"publish.s3_region":   {"eu-west-1", "file", path + ":3"},
		"publish.precompress": {"false", "file", path + ":4"},
	}
	for _, s := range rep.Settings {
		if w, ok := want[s.Key]; ok {
			delete(want, s.Key)
			if got := [3]string{s.Value, s.Source.Kind, s.Source.Where}; got != w {
				t.Errorf("%s = %q, want %q", s.Key, got, w)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("not shown: %v", want)
	}
	if strings.Contains(r.stdout, "very-secret") {
		t.Error("config shows a credential")
	}
}
