package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type topicJSON struct {
	Items, Stored, Members int
	Published              string
	Newest                 []itemJSON
}

func TestTopicsTestPreviewsATopicWithoutStoring(t *testing.T) {
	t.Parallel()
	dir, flags := scanned(t)
	example := []string{"--config", "../../deploy/feedpub.example.toml"}
	db := filepath.Join(dir, "feedpub.db")
	before, _ := os.ReadFile(db)
	stored := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--json"}, flags...)...))
	count := func(re string, description bool) int {
		n := 0
		for _, it := range stored {
			text := it.Title
			if description {
				text += "\n" + it.Description
			}
			if regexp.MustCompile(re).MatchString(text) {
				n++
			}
		}
		return n
	}

	// A topic of the config file, named in another spelling.
	r := decode[topicJSON](t, feedpub(t, nil, append(append([]string{"topics", "test", "cooperatives in JAPAN", "--json", "--limit", "3"}, example...), flags...)...))
	want := count(`(?i)\bjapan(ese)?\b`, true)
	if r.Items != want || want == 0 || r.Stored != len(stored) || r.Published != "" || len(r.Newest) != min(3, want) {
		t.Errorf("Cooperatives in Japan: %+v, want %d items", r, want)
	}
	for i := 1; i < len(r.Newest); i++ {
		if d, e := r.Newest[i-1].Date, r.Newest[i].Date; d.Year*400+d.Month*31+d.Day < e.Year*400+e.Month*31+e.Day {
			t.Errorf("not newest first: %+v", r.Newest)
		}
	}
	// Rules on the command line.
	r = decode[topicJSON](t, feedpub(t, nil, append([]string{"topics", "test", `match = ["SSE"]; fields = ["title"]`, "--json"}, flags...)...))
	if want := count(`\bSSE\b`, false); r.Items != want || want == 0 {
		t.Errorf("SSE in titles: %d items, want %d", r.Items, want)
	}
	out := feedpub(t, nil, append([]string{"topics", "test", `match = ["child labour"]`}, flags...)...)
	if want := count(`(?i)\bchild labour\b`, true); !strings.HasPrefix(out.stdout, strconv.Itoa(want)+" of "+strconv.Itoa(len(stored))+" stored items match\n") || !strings.Contains(out.stdout, "DATE") {
		t.Errorf("table:\n%s", out.stdout)
	}
	for _, c := range []struct{ arg, want string }{
		{`match = []`, `RULES:1: match: must list at least one word or phrase`},
		{`match = ["Japan"]; fields = ["body"]`, `RULES:2: fields: "body": want title or description`},
		{`exclude = ["x"]`, `RULES: match is missing`},
		{`Nippon`, `no topic "Nippon" in the config file (it has "Cooperatives in Japan", "Child labour", "Social and solidarity economy")`},
	} {
		args := append([]string{"topics", "test", c.arg}, flags...)
		if c.arg == "Nippon" {
			args = append(args, example...)
		}
		if r := feedpub(t, nil, args...); r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("topics test %q: exit %d, stderr %q, want %q", c.arg, r.code, r.stderr, c.want)
		}
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Errorf("feedpub topics test changed the database")
	}

	// Published, the topic shows in feeds, items --topic, stats and show.
	scanFlags := []string{"--data", filepath.Join(dir, "listings"), "--db", db, "--out", filepath.Join(dir, "feeds")}
	if r := feedpub(t, nil, append(append([]string{"scan", "--base-url", "https://example.org/feeds/"}, example...), scanFlags...)...); r.code != 0 {
		t.Fatalf("scan: exit %d %s", r.code, r.stderr)
	}
	r = decode[topicJSON](t, feedpub(t, nil, append(append([]string{"topics", "test", "Cooperatives in Japan", "--json"}, example...), flags...)...))
	if r.Published != "topic/japan" || r.Members != r.Items {
		t.Errorf("published topic: %+v", r)
	}
	feeds := decode[[]feedJSON](t, feedpub(t, nil, append(append([]string{"feeds", "--json"}, example...), flags...)...))
	if len(feeds) < 4 || feeds[1].Path != "topic/child-labour" || feeds[1].Kind != "topic" || feeds[1].Name != "Child labour" {
		t.Errorf("feeds: %+v", feeds[:min(4, len(feeds))])
	}
	if items := decode[[]itemJSON](t, feedpub(t, nil, append([]string{"items", "--topic", "JAPAN", "--json"}, flags...)...)); len(items) != r.Items {
		t.Errorf("items --topic JAPAN: %d items, want %d", len(items), r.Items)
	}
	if s := feedpub(t, nil, append([]string{"stats"}, flags...)...); !strings.Contains(s.stdout, "1 combined, 3 topics, ") {
		t.Errorf("stats:\n%s", s.stdout)
	}
	// Removed from the config, it is marked.
	if f := feedpub(t, nil, append([]string{"feeds"}, flags...)...); !strings.Contains(f.stdout, "Cooperatives in Japan (removed from the config)") {
		t.Errorf("feeds without the config:\n%s", f.stdout)
	}
}
