package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/publish"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// renderVersion changes whenever the same data renders to different bytes
// or different files go beside them, so that an upgrade regenerates every
// document once. 4: pages link the stylesheet instead of inlining it (the
// server's CSP no longer allows inline style), archive pages lose their
// variants.
const renderVersion = "4"

// renderKey identifies everything besides items that shapes the output.
// When it changes (base URL, title, limit, zone, a new feedpub), every
// document is regenerated; unchanged bytes are still not rewritten.
func (s *scanner) renderKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d",
		renderVersion, s.site.BaseURL, s.site.Title, s.site.Description, s.site.AuthorName,
		s.site.AuthorEmail, s.site.Language, s.loc, s.cfg.Limit)
	fmt.Fprintf(h, "\x00%s", s.conf.key) // names, descriptions, merges, formats
	// No hubs: the key stays what it was before hubs existed.
	if len(s.cfg.Hubs) > 0 {
		fmt.Fprintf(h, "\x00hubs\x00%s", strings.Join(s.cfg.Hubs, "\x00"))
	}
	// Precompression turned on gives every file its variants.
	fmt.Fprintf(h, "\x00%t", s.cfg.Precompress)
	return hex.EncodeToString(h.Sum(nil))
}

// formats are the renditions of every feed document, each checked before
// it is published.
var formats = []struct {
	file  string
	check feedcheck.Format
	fn    func(*render.Site, *render.Doc) ([]byte, error)
}{
	{render.RSSFile, feedcheck.RSS, render.RSS},
	{render.AtomFile, feedcheck.Atom, render.Atom},
	{render.JSONFile, feedcheck.JSON, render.JSON},
	{render.HTMLFile, feedcheck.HTML, render.HTML},
}

// pageBatch bounds the item pages published per batch, and so the work a
// killed scan redoes.
const pageBatch = 4096

// publishFeeds regenerates what the dirty sets name, in an order that
// never publishes a link to a file not yet written: item pages, then
// archive pages, then subscription documents, then the index and OPML
// list. Marks are cleared only after their files are written, so a scan
// killed half way leaves the rest to the next one; files already written
// compare equal and are not touched again.
func (s *scanner) publishFeeds(ctx context.Context) error {
	var feeds []*model.Feed
	var storedKey string
	var renamed bool
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		feeds, err = tx.Feeds()
		storedKey = tx.Meta(metaRender)
		renamed = tx.Meta(metaRenamed) != ""
		return err
	})
	if err != nil {
		return err
	}
	s.byPath = make(map[string]*model.Feed, len(feeds))
	for _, f := range feeds {
		s.byPath[f.Path] = f
	}
	s.resolveMerged(feeds)
	// When what every document shows changes (the settings, a new
	// feedpub, --rebuild), every document and page is marked in one
	// transaction with the new render key: the work then drains through
	// the marks like any other, and a killed scan resumes where it
	// stopped. A database published for the first time was marked whole
	// by its ingest already.
	//
	// A shown name that changed while ingesting (a spelling became the
	// most common) is on every subscription document and item page, so
	// those are marked, in the transaction that clears the record of it.
	// Full archive pages keep the names they were written with.
	key := s.renderKey()
	if rekey := s.opts.Rebuild || storedKey != key; rekey || renamed {
		err := s.db.Update(func(tx *store.Tx) error {
			if storedKey != "" || s.opts.Rebuild {
				var docs []string
				for _, f := range feeds {
					docs = append(docs, f.Path)
					for k := uint64(1); rekey && k <= uint64(f.Items)/s.pageSize; k++ {
						docs = append(docs, model.ArchiveDir(f.Path, k))
					}
				}
				if err := tx.MarkDirty(docs...); err != nil {
					return err
				}
				if err := tx.MarkAllPages(); err != nil {
					return err
				}
			}
			if renamed {
				if err := tx.SetMeta(metaRenamed, ""); err != nil {
					return err
				}
			}
			return tx.SetMeta(metaRender, key)
		})
		if err != nil {
			return err
		}
	}
	var dirty []string
	var pendingPages int
	s.db.View(func(tx *store.Tx) error {
		dirty, pendingPages = tx.Dirty(), tx.PendingPages()
		return nil
	})
	todo := map[string]bool{}
	indexOwed := false
	for _, d := range dirty {
		switch {
		case d == indexMark:
			indexOwed = true
		case !isSitemapMark(d):
			todo[d] = true
		}
	}
	// A full scan also restores documents removed from the output. A
	// scan of named files (from the watcher) leaves that to the next full
	// one: with thousands of feeds, a stat per document was a large part
	// of the cost of adding one listing file.
	if s.opts.Paths == nil {
		for _, f := range feeds {
			if !s.complete(f.Path) {
				todo[f.Path] = true
			}
		}
	}
	// The stylesheet every page links to, before any page.
	if err := s.publishStylesheet(); err != nil {
		return err
	}
	s.progress.start(PhasePages, pendingPages)
	if err := s.publishPages(ctx); err != nil {
		return err
	}
	// The sitemap parts of the pages just written, and of pages a killed
	// scan wrote.
	s.db.View(func(tx *store.Tx) error {
		dirty = tx.Dirty()
		return nil
	})
	if err := s.publishSitemapItems(ctx, dirty); err != nil {
		return err
	}
	s.progress.start(PhaseFeeds, len(todo))
	if len(todo) == 0 && !indexOwed && s.out.Exists(render.IndexFile) && s.out.Exists(render.OPMLFile) && s.out.Exists(render.SitemapFile) {
		return nil
	}
	// The index, OPML list and sitemap list what the documents publish:
	// owed from before the first document is replaced until they are
	// written, or a scan dying between the two would leave a next scan
	// with no document marked, and nothing to make it write them.
	if !indexOwed {
		if err := s.db.Update(func(tx *store.Tx) error { return tx.MarkDirty(indexMark) }); err != nil {
			return err
		}
	}

	// Archive pages before the subscription documents that link to them.
	var archives, subs []string
	for _, d := range sortedKeys(todo) {
		if _, _, ok := model.SplitArchiveDir(d); ok {
			archives = append(archives, d)
		} else {
			subs = append(subs, d)
		}
	}
	// The index page and OPML list are rendered, checked and staged while
	// the documents they list are published, and committed after them:
	// with thousands of feeds the index is the largest file a small scan
	// writes (2.6 MB for 2,000 listings), and preparing it took most of the
	// time of a scan adding one listing file.
	var index, sitemap *publish.Batch
	indexDone := make(chan error, 1)
	go func() {
		var err error
		index, sitemap, err = s.stageIndex(feeds)
		indexDone <- err
	}()
	err = s.publishAllDocs(ctx, archives, subs)
	if ierr := <-indexDone; err == nil {
		err = ierr
	}
	if err != nil {
		return err
	}
	// The sitemap's parts list the archive pages just published, and its
	// index, committed with the index page, lists the parts.
	if err := s.commit(sitemap); err != nil {
		return err
	}
	return s.commitIndex(index)
}

// publishAllDocs publishes the archive pages, then the subscription
// documents, a batch at a time.
func (s *scanner) publishAllDocs(ctx context.Context, archives, subs []string) error {
	for _, docs := range [][]string{archives, subs} {
		for len(docs) > 0 {
			n := min(len(docs), docBatch)
			if err := s.publishDocs(ctx, docs[:n]); err != nil {
				return err
			}
			docs = docs[n:]
		}
	}
	return nil
}

// docBatch bounds the documents published per batch, and so the work a
// killed scan redoes.
const docBatch = 256

// publishDocs publishes the documents at dirs in one batch, rendered on
// every core, then clears their marks.
func (s *scanner) publishDocs(ctx context.Context, dirs []string) error {
	b := s.out.NewBatch()
	ok := make([]bool, len(dirs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.workers())
	for i, d := range dirs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var err error
			ok[i], err = s.publishDoc(b, d)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := s.recordPings(); err != nil {
		return err
	}
	if err := s.commit(b); err != nil {
		return err
	}
	s.progress.add(len(dirs), 0)
	var done []string
	for i, d := range dirs {
		if ok[i] {
			done = append(done, d)
		}
	}
	return s.db.Update(func(tx *store.Tx) error { return tx.ClearDirty(done) })
}

// workers is how many documents render at once.
func (s *scanner) workers() int {
	if s.opts.Workers > 0 {
		return s.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// commit publishes batch b. With object storage to publish to, the files
// it changes are first recorded for upload: recorded after, a crash
// between the two would leave files that the next scan finds unchanged
// and never uploads.
func (s *scanner) commit(b *publish.Batch) error {
	if changes := b.Changes(); s.cfg.PublishS3 != "" && len(changes) > 0 {
		if err := s.db.Update(func(tx *store.Tx) error { return tx.AddUploads(changes...) }); err != nil {
			return err
		}
	}
	n, err := b.Commit()
	s.sum.FilesWritten += n
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}

// publishDoc renders every format of the document at dir and stages it
// in b. It reports false when a format failed its check: that file keeps
// its last good version and the document stays marked for the next scan.
func (s *scanner) publishDoc(b *publish.Batch, dir string) (bool, error) {
	feedPath, page, _ := model.SplitArchiveDir(dir)
	f := s.byPath[feedPath]
	if f == nil {
		return true, nil // mark of a feed that no longer exists: just clear it
	}
	doc, err := s.doc(f, page)
	if err != nil {
		return false, err
	}
	ok := true
	for _, fm := range formats {
		if !s.writes(feedPath, fm.file) {
			continue
		}
		data, err := fm.fn(s.site, doc)
		if err != nil {
			return false, fmt.Errorf("scan: render %s/%s: %w", dir, fm.file, err)
		}
		written, err := s.checkedWrite(b, path.Join(dir, fm.file), fm.check, data)
		if err != nil {
			return false, err
		}
		ok = ok && written
	}
	if ok {
		s.mu.Lock()
		s.sum.FeedsRegenerated++
		s.mu.Unlock()
	}
	return ok, nil
}

// checkedWrite stages data for rel in b if it passes its check, made only
// when data would replace the published file. A failed check is recorded
// in the summary and leaves the published file alone.
func (s *scanner) checkedWrite(b *publish.Batch, rel string, f feedcheck.Format, data []byte) (bool, error) {
	changed, err := b.WriteChecked(rel, data, func() error { return s.check(f, data) })
	if invalid := (*publish.CheckError)(nil); errors.As(err, &invalid) {
		s.mu.Lock()
		s.sum.OutputErrors = append(s.sum.OutputErrors, fmt.Errorf("%s: %w", rel, invalid.Err))
		s.mu.Unlock()
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("scan: %w", err)
	}
	if changed {
		s.noteChanged(rel)
	}
	return true, nil
}

// complete reports whether every format written of the feed at p exists.
func (s *scanner) complete(p string) bool {
	for _, fm := range formats {
		if s.writes(p, fm.file) && !s.out.Exists(path.Join(p, fm.file)) {
			return false
		}
	}
	return true
}

// entry resolves an item's categories and listings to names.
func (s *scanner) entry(it *model.Item) render.Entry {
	ref := func(p string) render.Ref {
		r := render.Ref{Path: p, Name: p}
		if g := s.byPath[p]; g != nil {
			g = s.shownAs(g)
			r.Kind, r.Path, r.Name = g.Kind, g.Path, s.name(g)
		}
		return r
	}
	e := render.Entry{Item: it}
	for _, p := range it.Categories {
		r := ref(p)
		if !slices.ContainsFunc(e.Categories, func(c render.Ref) bool { return c.Path == r.Path }) {
			e.Categories = append(e.Categories, r)
		}
	}
	for _, p := range it.Listings {
		e.Listings = append(e.Listings, ref(p))
	}
	return e
}

// doc loads a document of f: archive page k, or for k = 0 the subscription
// document, which holds the items most recently added or changed and
// every item not yet in a full archive page, so that walking the archive
// links reaches every item.
func (s *scanner) doc(f *model.Feed, k uint64) (*render.Doc, error) {
	archived := uint64(f.Items) / s.pageSize
	doc := &render.Doc{Feed: f, Name: s.name(f), Page: k, Archived: archived, About: s.about(f)}
	err := s.db.View(func(tx *store.Tx) error {
		var seqs []uint64
		if k > 0 {
			members, err := tx.Members(f.Path, (k-1)*s.pageSize+1, int(s.pageSize))
			if err != nil {
				return err
			}
			seqs = members
		} else {
			recent, err := tx.Newest(f.Path, s.cfg.Limit)
			if err != nil {
				return err
			}
			tail, err := tx.Members(f.Path, archived*s.pageSize+1, int(s.pageSize))
			if err != nil {
				return err
			}
			seqs = union(recent, tail)
		}
		for _, seq := range seqs {
			it, err := tx.Item(seq)
			if err != nil {
				return err
			}
			doc.Entries = append(doc.Entries, s.entry(it))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	render.SortEntries(doc.Entries)
	return doc, nil
}

func union(a, b []uint64) []uint64 {
	seen := make(map[uint64]bool, len(a)+len(b))
	out := make([]uint64, 0, len(a)+len(b))
	for _, s := range append(a, b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// publishStylesheet writes the pages' stylesheet under its hashed name
// unless it is there already. A new feedpub with another stylesheet
// writes a new file: the old one stays for pages cached with it.
func (s *scanner) publishStylesheet() error {
	name, data := render.Stylesheet()
	b := s.out.NewBatch()
	if _, err := b.Write(name, data); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return s.commit(b)
}

// publishPages regenerates the item pages marked dirty, or all of them,
// a batch at a time, rendered on every core; marks are cleared once their
// batch is durable.
func (s *scanner) publishPages(ctx context.Context) error {
	for after := uint64(0); ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var items []*model.Item
		err := s.db.View(func(tx *store.Tx) error {
			for _, seq := range tx.DirtyPages(after, pageBatch) {
				it, err := tx.Item(seq)
				if err != nil {
					return err
				}
				items = append(items, it)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		// Item pages get no precompressed variants (filetype.Polled).
		b := s.out.NewBatch()
		ok := make([]bool, len(items))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(s.workers())
		for i, it := range items {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				var err error
				ok[i], err = s.publishPage(b, it)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if err := s.commit(b); err != nil {
			return err
		}
		s.progress.add(len(items), 0)
		var done []uint64
		for i, it := range items {
			if ok[i] {
				done = append(done, it.Seq)
			}
		}
		// The sitemap parts listing these pages are marked as the pages'
		// marks are cleared, and published after the pages.
		err = s.db.Update(func(tx *store.Tx) error {
			if err := tx.MarkDirty(s.sitemapMarks(done)...); err != nil {
				return err
			}
			return tx.ClearPages(done)
		})
		if err != nil {
			return err
		}
		after = items[len(items)-1].Seq
	}
	return nil
}

func (s *scanner) publishPage(b *publish.Batch, it *model.Item) (bool, error) {
	data, err := render.ItemPage(s.site, s.entry(it))
	if err != nil {
		return false, err
	}
	return s.checkedWrite(b, it.Page, feedcheck.HTML, data)
}

// stageIndex renders and checks the index page, the OPML list of feeds
// and the sitemap index, side by side, and stages them in a batch of their
// own; the sitemap's parts for feed and archive pages go in another, to be
// committed first.
func (s *scanner) stageIndex(feeds []*model.Feed) (index, sitemap *publish.Batch, err error) {
	listed := make([]render.Listed, 0, len(feeds))
	for _, f := range feeds {
		if f.Items == 0 || s.conf.unlisted(f) {
			continue
		}
		listed = append(listed, render.Listed{Feed: f, Name: s.name(f), Updated: f.Updated})
	}
	render.SortListed(listed)
	b := s.out.NewBatch()
	sitemap = s.out.NewBatch()
	var g errgroup.Group
	g.Go(func() error { return s.stageSitemap(sitemap, b, listed) })
	for _, l := range []struct {
		file  string
		check feedcheck.Format
		fn    func(*render.Site, []render.Listed) ([]byte, error)
	}{
		{render.IndexFile, feedcheck.HTML, render.Index},
		{render.OPMLFile, feedcheck.OPML, render.OPML},
	} {
		g.Go(func() error {
			data, err := l.fn(s.site, listed)
			if err != nil {
				return err
			}
			_, err = s.checkedWrite(b, l.file, l.check, data)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return b, sitemap, nil
}

// commitIndex publishes the index batch, after every document it links
// to, then clears the mark that owed it.
func (s *scanner) commitIndex(b *publish.Batch) error {
	if err := s.commit(b); err != nil {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error { return tx.ClearDirty([]string{indexMark}) })
}

// indexMark is the dirty mark held from before the documents of a scan
// are published until the index, OPML list and sitemap index are. It
// names no feed.
const indexMark = render.IndexFile
