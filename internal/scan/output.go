package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/render"
	"github.com/feedpub/feedpub/internal/store"
)

// renderVersion changes whenever the same data renders to different bytes,
// so that an upgrade regenerates every feed once.
const renderVersion = "1"

// renderKey identifies everything besides items that shapes the output.
// When it changes (base URL, title, limit, zone, a new feedpub), every feed
// is regenerated; unchanged bytes are still not rewritten.
func (s *scanner) renderKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d",
		renderVersion, s.site.BaseURL, s.site.Title, s.site.Description, s.site.AuthorName,
		s.site.AuthorEmail, s.site.Language, s.loc, s.cfg.Limit)
	return hex.EncodeToString(h.Sum(nil))
}

var formats = []struct {
	file string
	fn   func(*render.Site, *render.Doc) ([]byte, error)
}{
	{render.RSSFile, render.RSS},
	{render.AtomFile, render.Atom},
	{render.JSONFile, render.JSON},
}

// publishFeeds regenerates the dirty feeds, then the index and OPML list,
// then clears the dirty set. Killed half way, it leaves the set in place
// and the next scan redoes it; files already written compare equal and are
// not touched again.
func (s *scanner) publishFeeds(ctx context.Context) error {
	var feeds []*model.Feed
	var dirty []string
	var storedKey string
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		feeds, err = tx.Feeds()
		dirty, storedKey = tx.Dirty(), tx.Meta("render")
		return err
	})
	if err != nil {
		return err
	}
	key := s.renderKey()
	byPath := make(map[string]*model.Feed, len(feeds))
	todo := map[string]bool{}
	for _, p := range dirty {
		todo[p] = true
	}
	for _, f := range feeds {
		byPath[f.Path] = f
		if s.opts.Rebuild || storedKey != key || !s.complete(f.Path) {
			todo[f.Path] = true
		}
	}
	if len(todo) == 0 && s.out.Exists(render.IndexFile) && s.out.Exists(render.OPMLFile) {
		return nil
	}

	for _, p := range sortedKeys(todo) {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := byPath[p]
		if f == nil {
			continue // dirty mark of a feed that no longer exists: just clear it
		}
		doc, err := s.doc(f, byPath)
		if err != nil {
			return err
		}
		for _, fm := range formats {
			data, err := fm.fn(s.site, doc)
			if err != nil {
				return fmt.Errorf("scan: render %s/%s: %w", f.Path, fm.file, err)
			}
			if err := s.write(path.Join(f.Path, fm.file), data); err != nil {
				return err
			}
		}
		s.sum.FeedsRegenerated++
	}
	if err := s.writeIndex(feeds); err != nil {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error {
		if err := tx.ClearDirty(sortedKeys(todo)); err != nil {
			return err
		}
		if storedKey != key {
			return tx.SetMeta("render", key)
		}
		return nil
	})
}

// complete reports whether every format of the feed at p exists.
func (s *scanner) complete(p string) bool {
	for _, fm := range formats {
		if !s.out.Exists(path.Join(p, fm.file)) {
			return false
		}
	}
	return true
}

func (s *scanner) write(rel string, data []byte) error {
	changed, err := s.out.Write(rel, data)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if changed {
		s.sum.FilesWritten++
	}
	return nil
}

// name is a feed's shown name.
func (s *scanner) name(f *model.Feed) string { return f.Name() }

// doc loads the newest items of f and resolves their categories and
// listings to names.
func (s *scanner) doc(f *model.Feed, byPath map[string]*model.Feed) (*render.Doc, error) {
	doc := &render.Doc{Feed: f, Name: s.name(f)}
	ref := func(p string) render.Ref {
		r := render.Ref{Path: p, Name: p}
		if g := byPath[p]; g != nil {
			r.Kind, r.Name = g.Kind, s.name(g)
		}
		return r
	}
	err := s.db.View(func(tx *store.Tx) error {
		seqs, err := tx.Newest(f.Path, s.cfg.Limit)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			it, err := tx.Item(seq)
			if err != nil {
				return err
			}
			e := render.Entry{Item: it}
			for _, p := range it.Categories {
				e.Categories = append(e.Categories, ref(p))
			}
			for _, p := range it.Listings {
				e.Listings = append(e.Listings, ref(p))
			}
			doc.Entries = append(doc.Entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	render.SortEntries(doc.Entries)
	return doc, nil
}

func (s *scanner) writeIndex(feeds []*model.Feed) error {
	listed := make([]render.Listed, 0, len(feeds))
	for _, f := range feeds {
		if f.Items == 0 {
			continue
		}
		listed = append(listed, render.Listed{Feed: f, Name: s.name(f), Updated: f.Updated})
	}
	render.SortListed(listed)
	index, err := render.Index(s.site, listed)
	if err != nil {
		return err
	}
	if err := s.write(render.IndexFile, index); err != nil {
		return err
	}
	opml, err := render.OPML(s.site, listed)
	if err != nil {
		return err
	}
	return s.write(render.OPMLFile, opml)
}
