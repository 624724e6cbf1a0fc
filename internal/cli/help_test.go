package cli_test

import (
	"encoding/json"
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
