package scan_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/gen"
	"github.com/feedpub/feedpub/internal/scan"
	"github.com/feedpub/feedpub/internal/store"
)

var benchFiles = flag.Int("bench-files", 1000, "listing files the scan benchmarks generate (10 items each)")

// benchData generates the listing files once per benchmark.
func benchData(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "listings")
	if _, err := gen.New(gen.Params{Files: *benchFiles, ItemsPerFile: 10, Shared: 0.1, Seed: 1}).Write(dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchOpen returns the settings of a benchmark's scan of listings into
// root, with topics, and its database, closed when the benchmark ends.
func benchOpen(b *testing.B, listings, root string, topics []config.Topic) (config.Config, *store.DB) {
	b.Helper()
	cfg := config.Default()
	cfg.ListingsDir, cfg.DBPath, cfg.OutDir = listings, filepath.Join(root, "feedpub.db"), filepath.Join(root, "feeds")
	cfg.Topics = topics
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath, store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	return cfg, db
}

func benchScan(b *testing.B, listings, root string) *scan.Summary {
	b.Helper()
	cfg, db := benchOpen(b, listings, root, nil)
	defer db.Close()
	sum, err := scan.Run(context.Background(), db, scan.Options{Config: cfg, Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	return sum
}

// BenchmarkFullScan measures a first scan: parse every file, store every
// item, write every feed in three formats.
func BenchmarkFullScan(b *testing.B) {
	listings := benchData(b)
	var items int
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		root := b.TempDir()
		b.StartTimer()
		items = benchScan(b, listings, root).ItemsNew
	}
	b.ReportMetric(float64(items), "items")
	b.ReportMetric(float64(items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkRescan measures a scan that finds nothing new.
func BenchmarkRescan(b *testing.B) {
	listings := benchData(b)
	root := b.TempDir()
	benchScan(b, listings, root)
	for b.Loop() {
		if sum := benchScan(b, listings, root); sum.FilesWritten != 0 || sum.FilesUnchanged != *benchFiles {
			b.Fatalf("rescan did work: %+v", sum)
		}
	}
}

// BenchmarkOneNewFile measures adding one listing file to a populated
// database: its cost should not grow with what is already stored.
func BenchmarkOneNewFile(b *testing.B) {
	listings := benchData(b)
	root := b.TempDir()
	benchScan(b, listings, root)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		g := gen.New(gen.Params{Files: 1, ItemsPerFile: 10, Seed: uint64(1000 + i), Start: *benchFiles + i})
		if _, err := g.Write(listings); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if sum := benchScan(b, listings, root); sum.FilesNew != 1 {
			b.Fatalf("summary %+v", sum)
		}
	}
}
