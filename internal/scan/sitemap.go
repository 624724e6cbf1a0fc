package scan

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/publish"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// The sitemap (sitemaps.org 0.9) lists every HTML page in files of at
// most sitemapSize URLs, under one index, sitemap.xml:
//
//   - sitemap/items-N.xml: the item pages of items (N-1)*1000+1 to
//     N*1000, in the order first seen. New items land in the last part, a
//     changed item rewrites only its own part, so a scan costs the parts
//     it touched, whatever the number of items. The protocol allows
//     50,000 URLs to a file, but a part of 50,000 read and rewritten for
//     one new item made adding a listing file at 100,000 items cost 1.3 s
//     instead of 0.1 s. A part is marked dirty in the
//     transaction that clears its pages' marks, and published after the
//     pages: a killed scan leaves the mark for the next one.
//   - sitemap/feeds-N.xml: the index page, every feed's page and its
//     archive pages. Rewritten with the index page and OPML list, which
//     already cost one pass over the feeds.
//
// lastmod comes from the data: an item's updated instant, a feed's newest
// item, the newest feed for the index page. Archive pages have none: their
// entries are fixed when they fill, and finding the newest would read
// every member.

const sitemapItemsPrefix = render.SitemapDir + "/items-"

// sitemapItemsPerFile is the item pages listed per sitemap part.
const sitemapItemsPerFile = 1000

// sitemapSize is the item pages per sitemap part.
func (s *scanner) sitemapSize() uint64 {
	if s.opts.SitemapSize > 0 {
		return uint64(s.opts.SitemapSize)
	}
	return sitemapItemsPerFile
}

// sitemapFeedsSize is the feed and archive pages per sitemap part: they
// are rewritten together, with the index page, so as few files as the
// protocol allows.
func (s *scanner) sitemapFeedsSize() int {
	if s.opts.SitemapSize > 0 {
		return s.opts.SitemapSize
	}
	return render.SitemapMaxURLs
}

// sitemapItemsFile names the part listing the page of item seq.
func (s *scanner) sitemapItemsFile(seq uint64) string {
	return sitemapItemsPrefix + strconv.FormatUint((seq-1)/s.sitemapSize()+1, 10) + ".xml"
}

// isSitemapMark reports whether a dirty mark names a sitemap part rather
// than a feed.
func isSitemapMark(mark string) bool { return strings.HasPrefix(mark, sitemapItemsPrefix) }

// sitemapMarks returns the parts listing the pages of seqs, once each.
func (s *scanner) sitemapMarks(seqs []uint64) []string {
	var marks []string
	for _, seq := range seqs {
		if m := s.sitemapItemsFile(seq); len(marks) == 0 || marks[len(marks)-1] != m {
			marks = append(marks, m)
		}
	}
	return marks
}

// publishSitemapItems writes the item parts marked dirty, then clears
// their marks.
func (s *scanner) publishSitemapItems(ctx context.Context, dirty []string) error {
	var marks []string
	for _, d := range dirty {
		if isSitemapMark(d) {
			marks = append(marks, d)
		}
	}
	if len(marks) == 0 {
		return nil
	}
	b := s.out.NewBatch()
	size := s.sitemapSize()
	for _, m := range marks {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(m, sitemapItemsPrefix), ".xml"), 10, 64)
		if err != nil || n == 0 {
			continue // not ours: cleared below
		}
		var urls []render.SitemapURL
		err = s.db.View(func(tx *store.Tx) error {
			last := min(n*size, tx.ItemCount())
			for seq := (n-1)*size + 1; seq <= last; seq++ {
				it, err := tx.Item(seq)
				if err != nil {
					return err
				}
				urls = append(urls, render.SitemapURL{Loc: s.site.ItemURL(it), Modified: it.Updated})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.writeSitemap(b, m, render.Sitemap, urls); err != nil {
			return err
		}
	}
	if err := s.commit(b); err != nil {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error { return tx.ClearDirty(marks) })
}

// stageSitemap renders the parts listing the index, feed and archive
// pages of the listed feeds into parts, and the sitemap index into index.
func (s *scanner) stageSitemap(parts, index *publish.Batch, listed []render.Listed) error {
	var newest time.Time
	for _, l := range listed {
		if l.Updated.After(newest) {
			newest = l.Updated
		}
	}
	urls := []render.SitemapURL{{Loc: s.site.HomeURL(), Modified: newest}}
	for _, l := range listed {
		urls = append(urls, render.SitemapURL{Loc: s.site.PageURL(l.Feed.Path), Modified: l.Updated})
		for k := uint64(1); k <= uint64(l.Feed.Items)/s.pageSize; k++ {
			urls = append(urls, render.SitemapURL{Loc: s.site.PageURL(model.ArchiveDir(l.Feed.Path, k))})
		}
	}
	var files []render.SitemapURL
	size := s.sitemapFeedsSize()
	for i := 0; len(urls) > 0; i++ {
		n := min(len(urls), size)
		rel := path.Join(render.SitemapDir, fmt.Sprintf("feeds-%d.xml", i+1))
		if err := s.writeSitemap(parts, rel, render.Sitemap, urls[:n]); err != nil {
			return err
		}
		files = append(files, render.SitemapURL{Loc: s.site.URL(rel)})
		urls = urls[n:]
	}
	var items uint64
	s.db.View(func(tx *store.Tx) error {
		items = tx.ItemCount()
		return nil
	})
	for seq := uint64(1); seq <= items; seq += s.sitemapSize() {
		files = append(files, render.SitemapURL{Loc: s.site.URL(s.sitemapItemsFile(seq))})
	}
	return s.writeSitemap(index, render.SitemapFile, render.SitemapIndex, files)
}

func (s *scanner) writeSitemap(b *publish.Batch, rel string, fn func([]render.SitemapURL) ([]byte, error), urls []render.SitemapURL) error {
	data, err := fn(urls)
	if err != nil {
		return fmt.Errorf("scan: %s: %w", rel, err)
	}
	_, err = s.checkedWrite(b, rel, feedcheck.Sitemap, data)
	return err
}
