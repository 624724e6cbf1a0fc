// Package scan is feedpub's main job: find listing files that are new or
// changed, parse them, merge their items into the store, and regenerate
// the feeds whose items changed. It is incremental (unchanged files are
// not read, unchanged feeds not rewritten) and resumable (the feeds still
// to regenerate are stored with the items, so a killed scan's work is
// finished by the next one).
package scan

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/feedcheck"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/publish"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// Options configure a scan.
type Options struct {
	Config  config.Config // validated
	Rebuild bool          // regenerate every feed from the database
	// Now is the clock; nil means time.Now. It is read once per scan.
	Now func() time.Time
	// Workers read and parse files in parallel; 0 means one per CPU.
	Workers int
	// Paths, when not nil, are the only listing files (or directories)
	// that may have changed, relative to the listings dir: the scan reads
	// those and does not walk the rest. A watcher of the listings dir
	// gives them; a full scan (nil) catches whatever a watcher missed.
	Paths []string
	// Progress, if not nil, is called as the scan goes: after each file
	// read and each batch of documents published, on the goroutine that
	// called Run. It must return quickly (a progress bar throttles its
	// redraws itself).
	Progress func(ProgressEvent)
	// Check vets each document before it is published; nil means
	// feedcheck.Check. Tests replace it to prove a failed check publishes
	// nothing.
	Check func(feedcheck.Format, []byte) error
	// FS is the file system the output is written to; nil means the
	// real one. The power-loss harness gives one that loses what was not
	// made durable.
	FS publish.FS
	// SitemapSize is the URLs per sitemap file; 0 means 1,000 item pages
	// or the protocol's 50,000 feed and archive pages. Tests lower it to
	// see files split.
	SitemapSize int
	// BackfillChunk is the stored items a new topic rule is applied to
	// per transaction; 0 means 8,192. Tests lower it to see a backfill
	// resume.
	BackfillChunk int
}

// Summary tells what a scan did.
type Summary struct {
	FilesNew, FilesChanged, FilesUnchanged, FilesFailed int
	ItemsNew, ItemsUpdated                              int
	FeedsRegenerated                                    int // feeds whose documents were rendered
	FilesWritten                                        int // output files actually replaced
	TopicsChanged                                       int // subscription documents (per format) replaced: WebSub pings owed to each hub
	Problems                                            []*listing.Error
	// OutputErrors are documents that failed their check before publishing:
	// their last good files stay, and they are retried by the next scan.
	OutputErrors []error
	Duration     time.Duration
}

// Rejected reports whether some input was rejected (not just warned about).
func (s *Summary) Rejected() bool { return listing.HasErrors(s.Problems) }

// Limits on one transaction: big enough that commits (each an fsync and a
// rewrite of the touched pages) are few, small enough that memory stays
// flat. Items land at random places in the identity and date indexes, so
// each one touches pages of its own: with a million items stored, 8,192
// items a transaction held 250 MB of B-tree nodes and mapped 330 MB of
// the file.
const (
	chunkFiles = 256
	chunkItems = 2048
)

// Run scans once. It returns an error only for fatal problems (database,
// output directory); problems with single files are in the Summary.
func Run(ctx context.Context, db *store.DB, opts Options) (*Summary, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	started := now()
	sum := &Summary{}
	s := &scanner{db: db, opts: opts, cfg: &opts.Config, now: started.UTC().Truncate(time.Second), sum: sum}
	s.progress.fn = opts.Progress
	s.loc = s.cfg.Location()
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return sum, fmt.Errorf("scan: base URL: %w", err)
	}
	s.site = &render.Site{
		BaseURL: base, Title: s.cfg.Title, Description: s.cfg.Description,
		AuthorName: s.cfg.AuthorName, AuthorEmail: s.cfg.AuthorEmail,
		Language: s.cfg.Language, Location: s.loc,
	}
	s.site.Hidden = hidden(s.cfg.Formats)
	s.site.Hubs = s.cfg.Hubs
	s.conf = newFeedConfig(s.cfg)
	s.out = publish.Dir{Root: s.cfg.OutDir, Precompress: s.cfg.Precompress, FS: opts.FS}
	s.check = opts.Check
	if s.check == nil {
		s.check = feedcheck.Check
	}
	if err := s.resolveFixed(); err != nil {
		return sum, err
	}
	if err := s.applyFeedConfig(); err != nil {
		return sum, err
	}
	if err := s.planTopics(); err != nil {
		return sum, err
	}
	if err := s.ingestFiles(ctx); err != nil {
		return sum, err
	}
	if err := s.backfillTopics(ctx); err != nil {
		return sum, err
	}
	if err := s.publishFeeds(ctx); err != nil {
		return sum, err
	}
	sum.Duration = now().Sub(started)
	return sum, nil
}

type scanner struct {
	db   *store.DB
	opts Options
	cfg  *config.Config
	now  time.Time // truncated to the second, UTC
	loc  *time.Location
	site *render.Site
	out  publish.Dir
	tag  identity.TagScheme
	// pageSize is the number of members per archive page, fixed at the
	// first scan.
	pageSize uint64
	byPath   map[string]*model.Feed // every feed, while publishing; read-only then
	check    func(feedcheck.Format, []byte) error
	mu       sync.Mutex // guards sum while documents render in parallel
	sum      *Summary
	progress progress
	conf     *feedConfig               // the config's categories and listings
	merged   map[string]*model.Feed    // merged-away category path → the category shown; set with byPath
	topics   []string                  // WebSub topics changed in the current batch, guarded by mu; see websub.go
	backfill map[*topicRule]topicState // topic rules still to apply to items stored before the scan
}

// Keys of the settings fixed in the database at the first scan.
const (
	metaTagAuthority = "tag_authority"
	metaTagDate      = "tag_date"
	metaPageSize     = "archive_page_size"
	metaRender       = "render"      // renderKey of the last complete publish
	metaFeedConfig   = "feed_config" // feedConfig.apply of the merges and default categories applied
	metaRenamed      = "renamed"     // "1": a feed's shown name changed since the last publish started
)

// resolveFixed fixes, on first use, the settings that published URLs and
// ids depend on: the tag URI scheme (the configured one, else the base
// URL's host and the day the database was created) and the archive page
// size. Afterwards the stored ones are used; a configured tag scheme still
// applies to new items.
func (s *scanner) resolveFixed() error {
	// Read first: a write transaction costs an fsync even when it changes
	// nothing, and only the first scan of a database writes here.
	settled := false
	err := s.db.View(func(tx *store.Tx) error {
		settled = tx.Meta(metaTagAuthority) != "" && tx.Meta(metaTagDate) != "" && tx.Meta(metaPageSize) != ""
		return nil
	})
	if err != nil {
		return err
	}
	resolve := s.db.Update
	if settled {
		resolve = s.db.View
	}
	return resolve(func(tx *store.Tx) error {
		first := func(key, configured, fallback string) (string, error) {
			if v := tx.Meta(key); v != "" {
				return v, nil
			}
			v := configured
			if v == "" {
				v = fallback
			}
			return v, tx.SetMeta(key, v)
		}
		var err error
		if s.tag.Authority, err = first(metaTagAuthority, s.cfg.TagAuthority, s.cfg.BaseHost()); err != nil {
			return err
		}
		if s.tag.Date, err = first(metaTagDate, s.cfg.TagDate, s.now.In(s.loc).Format("2006-01-02")); err != nil {
			return err
		}
		pageSize := s.cfg.ArchivePageSize
		if pageSize == 0 {
			pageSize = s.cfg.Limit
		}
		size, err := first(metaPageSize, strconv.Itoa(pageSize), "")
		if err != nil {
			return err
		}
		if s.pageSize, err = strconv.ParseUint(size, 10, 64); err != nil || s.pageSize == 0 {
			return fmt.Errorf("scan: stored archive page size %q is invalid", size)
		}
		if s.cfg.TagAuthority != "" {
			s.tag.Authority = s.cfg.TagAuthority
		}
		if s.cfg.TagDate != "" {
			s.tag.Date = s.cfg.TagDate
		}
		if err := s.tag.Validate(); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		return nil
	})
}

func (s *scanner) ingestFiles(ctx context.Context) error {
	walkAll := func() ([]candidate, []*listing.Error, error) { return walk(s.cfg.ListingsDir) }
	if s.opts.Paths != nil {
		walkAll = func() ([]candidate, []*listing.Error, error) { return walkPaths(s.cfg.ListingsDir, s.opts.Paths) }
	}
	cands, problems, err := walkAll()
	s.sum.Problems = append(s.sum.Problems, problems...)
	if err != nil {
		return err
	}
	known := map[string]store.FileStat{}
	err = s.db.View(func(tx *store.Tx) error {
		if s.opts.Paths != nil {
			for _, c := range cands {
				if st, ok := tx.FileStat(c.rel); ok {
					known[c.rel] = st
				}
			}
			return nil
		}
		tx.FileStats(func(path string, st store.FileStat) { known[path] = st })
		return nil
	})
	if err != nil {
		return err
	}
	var todo []candidate
	for _, c := range cands {
		if st, ok := known[c.rel]; ok && st.Size == c.size && st.ModTime == c.modTime.UnixNano() {
			s.sum.FilesUnchanged++
			continue
		}
		todo = append(todo, c)
	}

	s.progress.start(PhaseRead, len(todo))
	in := newIngester(s.now, s.loc, s.tag, s.pageSize, s.conf, s.sum)
	var chunk []parsed
	items := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := s.db.Update(func(tx *store.Tx) error {
			in.begin(tx)
			for _, p := range chunk {
				if err := s.ingestOne(in, tx, p, known); err != nil {
					return err
				}
			}
			return in.commit()
		})
		chunk, items = chunk[:0], 0
		return err
	}
	for p := range s.parseAll(ctx, todo, known) {
		if p.transient != nil {
			s.progress.add(1, 0)
			// Not read whole: nothing to record, try again next scan.
			s.sum.Problems = append(s.sum.Problems, p.transient)
			if !p.transient.Warning {
				s.sum.FilesFailed++
			}
			continue
		}
		chunk = append(chunk, p)
		n := 0
		if p.listing != nil {
			n = len(p.listing.Items)
			items += n
		}
		s.progress.add(1, n)
		if len(chunk) >= chunkFiles || items >= chunkItems {
			if err := flush(); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return ctx.Err()
}

// ingestOne records one file and merges its items, in the chunk's
// transaction.
func (s *scanner) ingestOne(in *ingester, tx *store.Tx, p parsed, known map[string]store.FileStat) error {
	r := p.read
	rec := &model.FileRecord{Path: r.cand.rel, Size: r.size, ModTime: r.modTime, Hash: r.hash, Scanned: s.now}
	prev, seen := known[r.cand.rel]
	if seen && r.hash != "" && prev.Hash == r.sum {
		// Touched but not changed: remember the new mtime, keep the rest.
		old, err := tx.File(rec.Path)
		if err != nil {
			return err
		}
		if old != nil {
			old.Size, old.ModTime = r.size, r.modTime
			rec = old
		}
		s.sum.FilesUnchanged++
		return tx.PutFile(rec)
	}
	if seen {
		s.sum.FilesChanged++
	} else {
		s.sum.FilesNew++
	}
	s.sum.Problems = append(s.sum.Problems, p.problems...)
	for _, e := range p.problems {
		if !e.Warning {
			rec.Errors = append(rec.Errors, e.Error())
		}
	}
	switch {
	case p.listing == nil:
		rec.Outcome = model.OutcomeRejected
	case len(rec.Errors) > 0:
		rec.Outcome = model.OutcomePartial
	default:
		rec.Outcome = model.OutcomeOK
	}
	if rec.Outcome != model.OutcomeOK {
		s.sum.FilesFailed++
	}
	if p.listing != nil && len(p.listing.Items) > 0 {
		if err := in.listing(p.listing); err != nil {
			return fmt.Errorf("scan: %s: %w", rec.Path, err)
		}
		rec.Items = len(p.listing.Items)
		if path, ok := tx.FeedPath(model.KindListing, identity.FoldName(p.listing.Title)); ok {
			rec.Listing = path
		}
	}
	return tx.PutFile(rec)
}

// parsed is a file read and, if its content changed, parsed.
type parsed struct {
	read      read
	transient *listing.Error // the file could not be read whole
	listing   *listing.Listing
	problems  []*listing.Error
}

// parseAll reads and parses files on several goroutines and yields the
// results in input order, at most a window ahead of the consumer so that
// memory stays bounded.
func (s *scanner) parseAll(ctx context.Context, todo []candidate, known map[string]store.FileStat) iter.Seq[parsed] {
	workers := s.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const window = 64
	return func(yield func(parsed) bool) {
		ring := make([]chan parsed, window)
		for i := range ring {
			ring[i] = make(chan parsed, 1)
		}
		tokens := make(chan struct{}, window)
		jobs := make(chan int)
		done := make(chan struct{})
		var wg sync.WaitGroup
		defer func() {
			close(done)
			wg.Wait()
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(jobs)
			for i := range todo {
				select {
				case tokens <- struct{}{}:
				case <-done:
					return
				}
				select {
				case jobs <- i:
				case <-done:
					return
				}
			}
		}()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					ring[i%window] <- parseOne(todo[i], known)
				}
			}()
		}
		for i := range todo {
			var p parsed
			select {
			case p = <-ring[i%window]:
			case <-ctx.Done():
				return
			}
			<-tokens
			if !yield(p) {
				return
			}
		}
	}
}

func parseOne(c candidate, known map[string]store.FileStat) parsed {
	r, transient := readFile(c)
	p := parsed{read: r, transient: transient}
	if transient != nil {
		return p
	}
	if r.tooLarge {
		p.problems = []*listing.Error{fileError(c.rel, "file is larger than %d MiB; not a listing file", listing.MaxFileSize>>20)}
		return p
	}
	if st, ok := known[c.rel]; ok && st.Hash == r.sum {
		return p // content unchanged: no need to parse
	}
	p.listing, p.problems = listing.ParseBytes(c.rel, r.data)
	p.read.data = nil
	return p
}
