// Command feedpub-gen writes realistic listing files for benchmarks and
// load tests, deterministic from a seed.
//
//	feedpub-gen -files 10000 -items 10 -out /tmp/listings
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/feedpub/feedpub/internal/gen"
)

func main() {
	var p gen.Params
	out := flag.String("out", "", "directory to write the listing files into (required)")
	flag.IntVar(&p.Files, "files", 1000, "listing files to write")
	flag.IntVar(&p.ItemsPerFile, "items", 10, "items per file")
	flag.IntVar(&p.Listings, "listings", 0, "distinct listing titles (default files/50+1)")
	flag.Float64Var(&p.Shared, "shared", 0.1, "fraction of items repeated from earlier files")
	flag.Uint64Var(&p.Seed, "seed", 1, "random seed: the same seed writes the same files")
	flag.IntVar(&p.Start, "start", 0, "number of the first file, to add files to an existing set")
	flag.Parse()
	if *out == "" || p.Files < 0 || p.ItemsPerFile < 1 || p.Shared < 0 || p.Shared > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := gen.New(p).Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "feedpub-gen:", err)
		os.Exit(1)
	}
}
