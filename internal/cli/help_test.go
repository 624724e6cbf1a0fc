package cli_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/feedpub/feedpub/internal/cli"
)

// Every command, cobra's own included, has help text and an example, and
// every flag says what it does.
func TestEveryCommandHasAnExampleAndEveryFlagAUsage(t *testing.T) {
	t.Parallel()
	root := cli.NewRootCommand(cli.Env{})
	var walk func(*cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		if strings.TrimSpace(c.Short) == "" || strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q: Short %q, Example %q", c.CommandPath(), c.Short, c.Example)
		}
		check := func(f *pflag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%q: flag --%s has no usage", c.CommandPath(), f.Name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, name := range []string{"scan", "serve", "check", "config", "feeds", "items", "show", "stats", "version", "completion"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("no command %s", name)
		}
	}
	if n < 15 {
		t.Errorf("walked only %d commands", n)
	}
}

func TestCompletionScriptsForEachShell(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{"bash": "__start_feedpub", "zsh": "#compdef feedpub", "fish": "complete -c feedpub"} {
		r := feedpub(t, nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: exit %d, lacks %q", shell, r.code, want)
		}
	}
}

func TestVersionNamesTheBuild(t *testing.T) {
	t.Parallel()
	r := feedpub(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "feedpub ") || !strings.Contains(r.stdout, " go1.") {
		t.Errorf("version: %+v", r)
	}
	var b struct{ Version, Go, Platform string }
	if err := json.Unmarshal([]byte(feedpub(t, nil, "version", "--json").stdout), &b); err != nil || b.Version == "" || b.Go == "" || b.Platform == "" {
		t.Errorf("version --json: %+v %v", b, err)
	}
}

// TestDocumentedFlagsMatchTheCLI reads the table of commands and flags in
// docs/configuration.md and compares it with the commands' own flag
// sets, both ways: a flag added without its line, or a line left for a
// flag removed, fails.
func TestDocumentedFlagsMatchTheCLI(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `feedpub ?([a-z]*)[^`]*`([^|]*)\\| (.*) \\|$")
	flag := regexp.MustCompile("`--([a-z0-9-]+)`")
	documented := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		if strings.Contains(m[2], "every command") {
			name = "(global)"
		}
		flags := []string{}
		for _, f := range flag.FindAllStringSubmatch(m[3], -1) {
			flags = append(flags, f[1])
		}
		slices.Sort(flags)
		documented[name] = flags
	}

	root := cli.NewRootCommand(cli.Env{})
	actual := map[string][]string{}
	names := func(fs *pflag.FlagSet) []string {
		out := []string{}
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				out = append(out, f.Name)
			}
		})
		slices.Sort(out)
		return out
	}
	actual["(global)"] = names(root.PersistentFlags())
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		flags := names(c.LocalFlags())
		for _, sub := range c.Commands() { // completion's shells share their flags
			flags = slices.Compact(slices.Sorted(slices.Values(append(flags, names(sub.LocalFlags())...))))
		}
		actual[c.Name()] = flags
	}
	if len(documented) < 10 {
		t.Fatalf("found only %d commands in docs/configuration.md's table", len(documented))
	}
	for name, flags := range actual {
		if doc, ok := documented[name]; !ok {
			t.Errorf("command %q is not in docs/configuration.md's table", name)
		} else if !slices.Equal(doc, flags) {
			t.Errorf("command %q: docs/configuration.md lists %v, the CLI has %v", name, doc, flags)
		}
	}
	for name := range documented {
		if _, ok := actual[name]; !ok {
			t.Errorf("docs/configuration.md lists a command %q the CLI does not have", name)
		}
	}
}
