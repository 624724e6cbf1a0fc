// Command feedpub publishes RSS, Atom and JSON feeds from a folder of
// plain-text listing files. See README.md, or run feedpub --help.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // time zones work on machines without /usr/share/zoneinfo

	"github.com/feedpub/feedpub/internal/cli"
)

func main() {
	env := cli.OSEnv()
	// FEEDPUB_NOW (RFC 3339) fixes the clock, so that two runs of a test
	// write the same bytes. It is for tests only and deliberately not
	// documented in --help.
	if v, ok := os.LookupEnv("FEEDPUB_NOW"); ok {
		now, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "feedpub: FEEDPUB_NOW=%q: %v\n", v, err)
			os.Exit(cli.ExitFatal)
		}
		env.Now = func() time.Time { return now }
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], env))
}
