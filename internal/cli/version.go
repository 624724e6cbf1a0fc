package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time, for builds without VCS stamping (GOFLAGS=-buildvcs=false,
// a tarball, a Docker context without .git):
//
//	go build -ldflags "-X github.com/feedpub/feedpub/internal/cli.version=v1.2.0 \
//	  -X github.com/feedpub/feedpub/internal/cli.commit=$(git rev-parse HEAD)" ./cmd/feedpub
//
// They win over what the Go toolchain recorded.
var (
	version string
	commit  string
)

// buildInfo is what `feedpub version` reports.
type buildInfo struct {
	Version  string `json:"version"`            // module version, "(devel)" for a local build
	Commit   string `json:"commit,omitempty"`   // VCS revision
	Time     string `json:"time,omitempty"`     // commit time
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" {
			b.Version = v // "v1.2.0" from go install module@v1.2.0
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		b.Version = version
	}
	if commit != "" {
		b.Commit, b.Modified = commit, false
	}
	return b
}

func (b buildInfo) String() string {
	s := "feedpub " + b.Version
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + b.Go + " " + b.Platform
}

func newVersionCommand(env Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print feedpub's version and the commit it was built from",
		Long: `version prints the module version (v1.2.0 when installed with
'go install github.com/feedpub/feedpub/cmd/feedpub@v1.2.0', "(devel)" for a
build from a checkout), the commit and whether the tree had uncommitted
changes (recorded by the Go toolchain from git, unless built with
-buildvcs=false), the Go version and the platform. A build can set the
version and commit with -ldflags -X; see docs/operations.md.`,
		Example: `  feedpub version
  feedpub version --json | jq -r .commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := readBuildInfo()
			if asJSON {
				return writeJSON(env.Stdout, b)
			}
			_, err := fmt.Fprintln(env.Stdout, b)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return cmd
}
