// Command feedpub publishes RSS, Atom and JSON feeds from a folder of
// plain-text listing files. See README.md, or run feedpub --help.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // time zones work on machines without /usr/share/zoneinfo

	"github.com/feedpub/feedpub/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
}
