package publish_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/internal/publish"
)

var feed = []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>` +
	strings.Repeat("<item><title>Cooperatives in the news</title></item>\n", 30) + "</channel></rss>\n")

func commit(t *testing.T, b *publish.Batch) int {
	t.Helper()
	n, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func decoded(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader
	switch filepath.Ext(path) {
	case ".gz":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	case ".br":
		r = brotli.NewReader(bytes.NewReader(raw))
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func TestPrecompressedVariantsBesideEachFile(t *testing.T) {
	t.Parallel()
	d := publish.Dir{Root: t.TempDir(), Precompress: true}
	b := d.NewBatch()
	if changed, err := b.Write("all/rss.xml", feed); err != nil || !changed {
		t.Fatalf("Write: %v %v", changed, err)
	}
	if _, err := b.Write("tiny.html", []byte("<p>hi</p>")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write("logo.png", bytes.Repeat([]byte{0x89}, 1000)); err != nil {
		t.Fatal(err)
	}
	want := []string{"all/rss.xml.gz", "all/rss.xml.br", "all/rss.xml", "tiny.html", "logo.png"}
	if got := b.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes = %v, want the variants just before their file: %v", got, want)
	}
	if b.Len() != 3 {
		t.Errorf("Len = %d, want 3: variants are not files of their own", b.Len())
	}
	if n := commit(t, b); n != 3 {
		t.Errorf("Commit = %d, want 3", n)
	}
	path := filepath.Join(d.Root, "all", "rss.xml")
	gz, _ := os.ReadFile(path + ".gz")
	br, _ := os.ReadFile(path + ".br")
	if !bytes.Equal(decoded(t, path+".gz"), feed) || !bytes.Equal(decoded(t, path+".br"), feed) {
		t.Fatal("a variant does not decode to its file")
	}
	if len(gz) >= len(feed)/3 || len(br) >= len(gz) {
		t.Errorf("sizes: file %d, gz %d, br %d: expected best compression", len(feed), len(gz), len(br))
	}
	for _, small := range []string{"tiny.html.gz", "logo.png.gz", "logo.png.br"} {
		if _, err := os.Stat(filepath.Join(d.Root, small)); err == nil {
			t.Errorf("%s written: too small or not text", small)
		}
	}

	// The same bytes again stage nothing: the variants are deterministic
	// and not even recompressed.
	b = d.NewBatch()
	if changed, _ := b.Write("all/rss.xml", feed); changed || len(b.Changes()) != 0 {
		t.Errorf("unchanged file staged %v", b.Changes())
	}

	// A variant lost (precompression turned on later, an operator's rm)
	// comes back without touching the file.
	os.Remove(path + ".br")
	info, _ := os.Stat(path)
	b = d.NewBatch()
	if changed, _ := b.Write("all/rss.xml", feed); changed {
		t.Error("unchanged file reported as changed")
	}
	if got := b.Changes(); !slices.Equal(got, []string{"all/rss.xml.br"}) {
		t.Errorf("Changes = %v, want the missing variant", got)
	}
	commit(t, b)
	if again, _ := os.ReadFile(path + ".br"); !bytes.Equal(again, br) {
		t.Error("the same file compressed to different bytes")
	}
	if now, _ := os.Stat(path); !os.SameFile(info, now) {
		t.Error("unchanged file was replaced")
	}
}

func TestVariantsNeverGoStale(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	on := publish.Dir{Root: root, Precompress: true}
	b := on.NewBatch()
	b.Write("all/rss.xml", feed)
	commit(t, b)

	// A new version replaces the variants with it.
	v2 := bytes.ReplaceAll(feed, []byte("news"), []byte("press"))
	b = on.NewBatch()
	b.Write("all/rss.xml", v2)
	commit(t, b)
	path := filepath.Join(root, "all", "rss.xml")
	if !bytes.Equal(decoded(t, path+".gz"), v2) || !bytes.Equal(decoded(t, path+".br"), v2) {
		t.Fatal("variants not replaced with their file")
	}

	// Precompression off: an unchanged file keeps its (right) variants; a
	// changed one loses them, before it is replaced.
	off := publish.Dir{Root: root}
	b = off.NewBatch()
	if changed, _ := b.Write("all/rss.xml", v2); changed || len(b.Changes()) != 0 {
		t.Errorf("unchanged file staged %v", b.Changes())
	}
	b = off.NewBatch()
	b.Write("all/rss.xml", feed)
	if got, want := b.Changes(), []string{"all/rss.xml.gz", "all/rss.xml.br", "all/rss.xml"}; !slices.Equal(got, want) {
		t.Errorf("Changes = %v, want %v", got, want)
	}
	if n := commit(t, b); n != 1 {
		t.Errorf("Commit = %d, want 1", n)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "all"))
	if len(entries) != 1 || entries[0].Name() != "rss.xml" {
		t.Errorf("left in all/: %v, want rss.xml alone", entries)
	}
}

// Only what is polled gets variants; an archive page written by an older
// feedpub, with variants, loses them at its next write even unchanged.
func TestVariantsOnlyForPolledFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	on := publish.Dir{Root: root, Precompress: true}
	b := on.NewBatch()
	for _, rel := range []string{"all/rss.xml", "all/index.html", "all/archive/1/rss.xml", "all/archive/1/index.html", "item/2020/01/02/x-abcdef.html", "sitemap/items-1.xml"} {
		if _, err := b.Write(rel, feed); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, b)
	for rel, want := range map[string]bool{"all/rss.xml": true, "all/index.html": true, "all/archive/1/rss.xml": false,
		"all/archive/1/index.html": false, "item/2020/01/02/x-abcdef.html": false, "sitemap/items-1.xml": false} {
		for _, ext := range []string{".gz", ".br"} {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel+ext))); (err == nil) != want {
				t.Errorf("%s%s exists: %v, want %v", rel, ext, err == nil, want)
			}
		}
	}

	old := filepath.Join(root, "all", "archive", "1", "atom.xml")
	os.WriteFile(old, feed, 0o644)
	os.WriteFile(old+".gz", []byte("stale"), 0o644)
	os.WriteFile(old+".br", []byte("stale"), 0o644)
	b = on.NewBatch()
	if changed, _ := b.Write("all/archive/1/atom.xml", feed); changed {
		t.Error("unchanged archive page reported as changed")
	}
	if got, want := b.Changes(), []string{"all/archive/1/atom.xml.gz", "all/archive/1/atom.xml.br"}; !slices.Equal(got, want) {
		t.Errorf("Changes = %v, want %v", got, want)
	}
	commit(t, b)
	entries, _ := os.ReadDir(filepath.Dir(old))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Contains(names, "atom.xml") || slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "atom.xml.") }) {
		t.Errorf("left beside the archive page: %v", names)
	}
}
