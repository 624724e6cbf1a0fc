package feedcheck_test

import (
	"os"
	"testing"

	"github.com/feedpub/feedpub/internal/feedcheck"
)

// BenchmarkCheck checks the combined feed of the shipped listings (45
// items) in each format: every document is checked before it is
// published, archive pages by the thousand on a first scan.
func BenchmarkCheck(b *testing.B) {
	for _, c := range []struct {
		format feedcheck.Format
		file   string
	}{
		{feedcheck.RSS, "all_rss.xml"}, {feedcheck.Atom, "all_atom.xml"}, {feedcheck.JSON, "all_feed.json"},
	} {
		data, err := os.ReadFile("../scan/testdata/golden/" + c.file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(c.format), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := feedcheck.Check(c.format, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
