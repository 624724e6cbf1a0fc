package model

import (
	"strconv"
	"strings"
	"time"
)

// Item is an item as stored: one per distinct normalized title and date,
// whatever listings and files it was seen in. The cbor keys are the stored
// format: never reuse or renumber one, only add new ones.
type Item struct {
	Seq         uint64    `json:"seq" cbor:"1,keyasint"`  // internal number, in order of first sight
	Key         []byte    `json:"key" cbor:"2,keyasint"`  // identity.Key: normalized title + date
	ID          string    `json:"id" cbor:"3,keyasint"`   // public id (tag URI), minted once, never recomputed
	Page        string    `json:"page" cbor:"4,keyasint"` // path of its HTML page under the output dir, minted once
	Title       string    `json:"title" cbor:"5,keyasint"`
	Date        Date      `json:"date" cbor:"6,keyasint"`
	Description string    `json:"description,omitempty" cbor:"7,keyasint,omitempty"`
	Published   time.Time `json:"published" cbor:"8,keyasint"` // date plus a time that keeps listing order; never changes
	Updated     time.Time `json:"updated" cbor:"9,keyasint"`   // moves when the title or description really changes
	FirstSeen   time.Time `json:"first_seen" cbor:"10,keyasint"`
	Changed     time.Time `json:"changed" cbor:"11,keyasint"`                        // wall clock of the last change
	Categories  []string  `json:"categories,omitempty" cbor:"12,keyasint,omitempty"` // feed paths, "category/news"
	Listings    []string  `json:"listings,omitempty" cbor:"13,keyasint,omitempty"`   // feed paths, "listing/resources-on-cooperatives"
	Labels      []string  `json:"labels,omitempty" cbor:"14,keyasint,omitempty"`     // label spellings seen for this item
	Sources     []string  `json:"sources,omitempty" cbor:"15,keyasint,omitempty"`    // listing title spellings seen for this item
	Topics      []string  `json:"topics,omitempty" cbor:"16,keyasint,omitempty"`     // feed paths, "topic/japan"
}

// Spelling is one way a feed's name was written and how many items were
// seen under it.
type Spelling struct {
	Text  string `json:"text" cbor:"1,keyasint"`
	Count int    `json:"count,omitempty" cbor:"2,keyasint,omitempty"`
}

// FeedKind says what a feed collects.
type FeedKind string

const (
	KindAll      FeedKind = "all"      // every item
	KindCategory FeedKind = "category" // items with one (folded) label
	KindListing  FeedKind = "listing"  // items from one listing title
	KindTopic    FeedKind = "topic"    // items whose text matches a configured topic
)

// AllPath is the path of the combined feed.
const AllPath = "all"

// Feed is a stored feed: what it collects, and the public names fixed
// when it was first created.
type Feed struct {
	Path      string     `json:"path" cbor:"1,keyasint"` // under the output dir and base URL: "all", "category/news"; never changes
	Kind      FeedKind   `json:"kind" cbor:"2,keyasint"`
	Fold      string     `json:"fold,omitempty" cbor:"3,keyasint,omitempty"` // folded name it collects
	ID        string     `json:"id" cbor:"4,keyasint"`                       // public id (tag URI), minted once
	Spellings []Spelling `json:"spellings,omitempty" cbor:"5,keyasint,omitempty"`
	Items     int        `json:"items" cbor:"6,keyasint"`   // distinct items
	Updated   time.Time  `json:"updated" cbor:"7,keyasint"` // newest published or updated instant among its items
	Created   time.Time  `json:"created" cbor:"8,keyasint"` // wall clock
}

// Name is the feed's shown name: the most frequent spelling, ties going to
// the first seen. Config renames apply on top of it.
func (f *Feed) Name() string {
	best := -1
	for i, s := range f.Spellings {
		if best < 0 || s.Count > f.Spellings[best].Count {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return f.Spellings[best].Text
}

// FileRecord is what the last scan learnt about one listing file.
type FileRecord struct {
	Path    string    `json:"path" cbor:"1,keyasint"` // relative to the listings dir, slash-separated
	Size    int64     `json:"size" cbor:"2,keyasint"`
	ModTime time.Time `json:"mtime" cbor:"3,keyasint"`
	Hash    string    `json:"sha256" cbor:"4,keyasint"`
	Outcome Outcome   `json:"outcome" cbor:"5,keyasint"`
	Errors  []string  `json:"errors,omitempty" cbor:"6,keyasint,omitempty"` // "file:line: message"
	Listing string    `json:"listing,omitempty" cbor:"7,keyasint,omitempty"`
	Items   int       `json:"items" cbor:"8,keyasint"` // items accepted from it
	Scanned time.Time `json:"scanned" cbor:"9,keyasint"`
}

// Outcome is how a listing file fared.
type Outcome string

const (
	OutcomeOK       Outcome = "ok"       // every item accepted
	OutcomePartial  Outcome = "partial"  // some items rejected
	OutcomeRejected Outcome = "rejected" // the whole file rejected
)

// ArchiveDir is the path of archive page k (1-based) of the feed at path.
func ArchiveDir(path string, k uint64) string {
	return path + "/archive/" + strconv.FormatUint(k, 10)
}

// SplitArchiveDir undoes ArchiveDir; ok is false for a feed's own path.
func SplitArchiveDir(dir string) (path string, k uint64, ok bool) {
	i := strings.LastIndex(dir, "/archive/")
	if i < 0 {
		return dir, 0, false
	}
	k, err := strconv.ParseUint(dir[i+len("/archive/"):], 10, 64)
	if err != nil || k == 0 {
		return dir, 0, false
	}
	return dir[:i], k, true
}
