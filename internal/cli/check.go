package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/feedpub/feedpub/internal/listing"
)

func newCheckCommand(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Parse listing files and report problems, without touching the database",
		Long: `check parses each listing file and prints what it found: the listing title and
item count on stdout, and every problem on stderr as file:line: message.
Nothing is stored and no feed is written.

Exit status: 0 when every file parses cleanly (warnings allowed), 2 when
some file or item would be rejected, 1 for usage errors.`,
		Example: `  feedpub check data/listings/*.txt
  feedpub check new-listing.txt && mv new-listing.txt data/listings/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := false
			for _, name := range args {
				l, problems := checkFile(name)
				for _, p := range problems {
					fmt.Fprintln(env.Stderr, p)
				}
				if listing.HasErrors(problems) {
					bad = true
				}
				if l != nil {
					fmt.Fprintf(env.Stdout, "%s: %q, %d item(s)\n", name, l.Title, len(l.Items))
				} else {
					fmt.Fprintf(env.Stdout, "%s: rejected\n", name)
				}
			}
			if bad {
				return errRejected
			}
			return nil
		},
	}
}

func checkFile(name string) (*listing.Listing, []*listing.Error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, []*listing.Error{{File: name, Msg: fmt.Sprintf("cannot read: %v", err)}}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, []*listing.Error{{File: name, Msg: "is a directory"}}
	}
	return listing.Parse(name, f)
}
