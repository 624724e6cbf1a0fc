package listing_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/feedpub/feedpub/internal/gen"
	"github.com/feedpub/feedpub/internal/listing"
)

// BenchmarkParse parses the five shipped listings, and a large listing
// made of them, reporting throughput in bytes per second.
func BenchmarkParse(b *testing.B) {
	names, err := filepath.Glob("../../data/listings/*.txt")
	if err != nil || len(names) != 5 {
		b.Fatalf("shipped listings: %v %v", names, err)
	}
	var files [][]byte
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	b.Run("shipped", func(b *testing.B) {
		total := 0
		for _, f := range files {
			total += len(f)
		}
		b.SetBytes(int64(total))
		for b.Loop() {
			for _, f := range files {
				if l, errs := listing.ParseBytes("bench.txt", f); l == nil || listing.HasErrors(errs) {
					b.Fatalf("parse failed: %v", errs)
				}
			}
		}
	})
	b.Run("1000-items", func(b *testing.B) {
		data := []byte(gen.New(gen.Params{Files: 1, ItemsPerFile: 1000, Seed: 1}).File(0))
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if l, errs := listing.ParseBytes("big.txt", data); l == nil || len(l.Items) != 1000 {
				b.Fatalf("parse failed: %v", errs)
			}
		}
	})
}
