package publish

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/feedpub/feedpub/internal/filetype"
)

// MinPrecompressSize is the smallest file given precompressed variants:
// below it a compressed copy saves less than a packet, and nginx's
// gzip_min_length and CDNs do not compress such files either.
const MinPrecompressSize = 256

// precompressible reports whether the file at rel, of n bytes, gets
// precompressed variants: text worth compressing, not too small.
func precompressible(rel string, n int) bool {
	_, ok := filetype.Of(rel)
	return ok && n >= MinPrecompressSize
}

// The levels of the variants. Measured on the documents of 10,000
// generated items (2,200 feed documents and archive pages, 17 KB on
// average): brotli quality 11 makes files 10% smaller than 6 but costs 70
// times the time (40 ms a file); 9 is no smaller than 6, and below 5
// brotli is no better than gzip. gzip level 9 makes files 4% smaller than
// level 6 for 3.4 times the time (0.49 ms a file against 0.14 ms), and a
// first scan compresses every archive page: level 6, gzip's own default.
const (
	brotliLevel = 6
	gzipLevel   = 6
)

// Writers are pooled: each holds hundreds of kilobytes of state, and a
// first scan compresses tens of thousands of files.
var (
	gzipPool   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzipLevel); return w }}
	brotliPool = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, brotliLevel) }}
)

// parallelBytes is the size from which a file's variants are compressed
// at the same time: a large index page (2.6 MB for 2,000 listings) took
// 50 ms to compress one coding after the other, most of a small scan.
const parallelBytes = 64 << 10

// compressAll returns data in each of codings, compressed side by side
// when data is large.
func compressAll(codings []filetype.Coding, data []byte) ([][]byte, error) {
	out := make([][]byte, len(codings))
	var g errgroup.Group
	if len(data) < parallelBytes {
		g.SetLimit(1)
	}
	for i, c := range codings {
		g.Go(func() error {
			z, err := compress(c, data)
			out[i] = z
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// compress returns data in coding c. The output depends on data alone (no
// name, no time in the gzip header), so the same file always makes the
// same variant and an unchanged file never gets a new one.
func compress(c filetype.Coding, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 64)
	var err error
	switch c.Name {
	case "gzip":
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(&buf)
		if _, err = zw.Write(data); err == nil {
			err = zw.Close()
		}
		gzipPool.Put(zw)
	case "br":
		bw := brotliPool.Get().(*brotli.Writer)
		bw.Reset(&buf)
		if _, err = bw.Write(data); err == nil {
			err = bw.Close()
		}
		brotliPool.Put(bw)
	default:
		return nil, fmt.Errorf("publish: unknown coding %q", c.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("publish: %s: %w", c.Name, err)
	}
	return buf.Bytes(), nil
}
