// Package config holds feedpub's settings, their names, defaults and
// validation. It reads nothing by itself: the cli package fills a Config
// from the config file, the environment and flags, and hands it on. Every
// scalar setting is listed once, in Settings, with its key in the config
// file and its flag, so that each source names it the same way.
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Config is every setting of a scan and of the server.
type Config struct {
	ListingsDir string // where listing files are read from
	DBPath      string // the bbolt database
	OutDir      string // where feeds are written

	BaseURL     string // absolute URL the OutDir is served at, ending in "/"
	Title       string // site title: the combined feed's title
	Description string
	AuthorName  string
	AuthorEmail string
	Language    string // RFC 5646 tag, for RSS <language> and JSON Feed
	TimeZone    string // IANA zone that listing dates are in

	Limit int // items per feed document

	// ArchivePageSize is the number of items per archive page (RFC 5005);
	// 0 means Limit. It is fixed in the database at the first scan, because
	// archive pages are public URLs whose entries never change. Keeping it
	// at most Limit keeps the subscription document at Limit items: it must
	// also hold every item not yet in a full archive page.
	ArchivePageSize int

	// Formats are the feed formats published and advertised. A format
	// turned off is no longer linked or created for new feeds; files of
	// it already published keep being updated, because readers are
	// subscribed to them.
	Formats Formats

	// TagAuthority and TagDate fix the RFC 4151 tag URIs of new items.
	// Empty means: use what the database was created with, or, for a new
	// database, the base URL's host and today's date.
	TagAuthority string
	TagDate      string

	LockTimeout time.Duration // bounded wait for another scan's lock
	Workers     int           // files read and documents rendered in parallel; 0: one per CPU

	// feedpub serve.
	Listen       string        // address to listen on
	Schedule     string        // cron spec of the scheduled scans
	MaxAge       time.Duration // Cache-Control max-age; MaxAgeAuto: the time between scans
	AccessLog    bool          // one log line per request
	DrainTimeout time.Duration // at shutdown, for requests under way
	ScanGrace    time.Duration // at shutdown, for a running scan
	Watch        bool          // scan changed listings at once, from file system notifications

	// WebSub (W3C Recommendation): the hubs every subscription document
	// advertises and that are told of each change to one.
	Hubs        []string      // absolute http(s) URLs
	HubAttempts int           // tries per notification before leaving it for the next scan
	HubWait     time.Duration // how long feedpub scan waits for notifications to be sent
	// Publishing beyond the output directory; see publish.go.
	Precompress bool   // write X.gz and X.br beside each text file
	PublishS3   string // s3://bucket/prefix to upload changed files to; "" for none
	S3Endpoint  string // http(s)://host:port of an S3-compatible server; "" for AWS
	S3Region    string // "" for AWS_REGION, else the endpoint's default

	// Categories and Listings rename, describe, slug and merge the
	// categories and listings found in the listing files. They come from
	// the config file only.
	Categories []Category
	Listings   []Listing
	// Topics are feeds of the items whose text matches rules; they come
	// from the config file only.
	Topics []Topic
}

// MaxAgeAuto is the MaxAge that follows the schedule.
const MaxAgeAuto time.Duration = -1

// Formats says which feed formats are on.
type Formats struct {
	RSS, Atom, JSON bool
}

// FormatNames are the formats' names in settings, in their order.
var FormatNames = []string{"rss", "atom", "json"}

// String lists the formats that are on: "rss,atom,json".
func (f Formats) String() string {
	var on []string
	for i, v := range []bool{f.RSS, f.Atom, f.JSON} {
		if v {
			on = append(on, FormatNames[i])
		}
	}
	return strings.Join(on, ",")
}

// ParseFormats reads a comma-separated list of format names.
func ParseFormats(s string) (Formats, error) {
	var f Formats
	for _, name := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "rss":
			f.RSS = true
		case "atom":
			f.Atom = true
		case "json":
			f.JSON = true
		case "":
		default:
			return f, fmt.Errorf("unknown format %q: want rss, atom or json", strings.TrimSpace(name))
		}
	}
	return f, nil
}

// Category configures one category, the items of one folded label.
type Category struct {
	// Label is a spelling of the label it configures, as in the listing
	// files; spellings that fold alike are the same category.
	Label string `json:"label"`
	// Name is the name shown; "" keeps the most frequent spelling.
	Name string `json:"name,omitempty"`
	// Slug is the URL slug given to the category when it is first
	// published. A published URL never moves: for a category already
	// published, it must be its slug or be left out.
	Slug        string `json:"slug,omitempty"`
	Description string `json:"description,omitempty"`
	// Merge lists other labels whose items belong to this category.
	Merge []string `json:"merge,omitempty"`
}

// Listing configures one listing, the items of one folded listing title.
type Listing struct {
	Title       string `json:"title"`
	Name        string `json:"name,omitempty"`
	Slug        string `json:"slug,omitempty"`
	Description string `json:"description,omitempty"`
	// DefaultCategory is the label given to the listing's items that have
	// none.
	DefaultCategory string `json:"default_category,omitempty"`
}

// Topic configures a topic feed: the items whose title or description
// says one of Match and none of Exclude, optionally only those of some
// categories or listings. Name is its table's name, the name shown; its
// folded form identifies the topic, so renaming a table makes a new topic.
type Topic struct {
	Name    string   `json:"name"`
	Match   []string `json:"match"`
	Exclude []string `json:"exclude,omitempty"`
	// Fields are where to look: "title", "description"; empty means both.
	Fields []string `json:"fields,omitempty"`
	// Categories and Listings, if not empty, keep only items of one of
	// them: labels or listing titles in any spelling.
	Categories  []string `json:"categories,omitempty"`
	Listings    []string `json:"listings,omitempty"`
	Description string   `json:"description,omitempty"`
	Slug        string   `json:"slug,omitempty"`
}

// TopicFieldNames are the item fields a topic can look in.
var TopicFieldNames = []string{"title", "description"}

// Looks reports whether the topic looks in the item field named field.
func (t *Topic) Looks(field string) bool {
	return len(t.Fields) == 0 || slices.Contains(t.Fields, field)
}

// Default returns the settings for a fresh checkout with no configuration.
func Default() Config {
	return Config{
		ListingsDir:  "data/listings",
		DBPath:       "data/feedpub.db",
		OutDir:       "feeds",
		BaseURL:      "http://localhost:8080/",
		Title:        "feedpub",
		Description:  "Every item from every listing.",
		Language:     "en",
		TimeZone:     "UTC",
		Limit:        50,
		Formats:      Formats{RSS: true, Atom: true, JSON: true},
		LockTimeout:  30 * time.Second,
		Listen:       "127.0.0.1:8080",
		Schedule:     "@every 5m",
		Watch:        true,
		MaxAge:       MaxAgeAuto,
		DrainTimeout: 10 * time.Second,
		ScanGrace:    30 * time.Second,
		HubAttempts:  5,
		HubWait:      30 * time.Second,
		Precompress:  true,
	}
}

// MaxLimit caps items per document: feeds are polled all day and a
// reader needs the recent items, not the archive.
const MaxLimit = 1000

// MaxHubAttempts bounds the tries of one hub notification in one run:
// with exponential backoff, more would outlast the time between scans,
// and the next scan tries again anyway.
const MaxHubAttempts = 10

// FieldError is a setting's value that is not valid. Key is the setting's
// key (Setting.Key), so that the caller can say where the value came from.
type FieldError struct {
	Key string
	Err error
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(key, format string, args ...any) error {
	return &FieldError{Key: key, Err: fmt.Errorf(format, args...)}
}

// slugPattern is what a configured slug may be: what identity.Slug makes.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// MaxSlugLength matches identity.MaxSlugLength.
const MaxSlugLength = 60

// ValidSlug reports whether s can be a feed's slug.
func ValidSlug(s string) bool { return len(s) <= MaxSlugLength && slugPattern.MatchString(s) }

// Validate checks every value and normalizes the base URL to end in "/".
// Its errors are *FieldError, joined.
func (c *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, fieldErr(key, format, args...)) }
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil:
		add(KeyBaseURL, "%q: %w", c.BaseURL, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add(KeyBaseURL, "%q: must be an absolute http or https URL", c.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		add(KeyBaseURL, "%q: must not have a query or fragment", c.BaseURL)
	default:
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.BaseURL = u.String()
	}
	if c.Limit < 1 || c.Limit > MaxLimit {
		add(KeyLimit, "%d: must be between 1 and %d", c.Limit, MaxLimit)
	}
	if c.ArchivePageSize < 0 || c.ArchivePageSize > MaxLimit {
		add(KeyArchivePageSize, "%d: must be between 1 and %d, or 0 for the limit", c.ArchivePageSize, MaxLimit)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		add(KeyTimeZone, "%q: not an IANA time zone (like Europe/Paris or UTC)", c.TimeZone)
	}
	if strings.TrimSpace(c.Title) == "" {
		add(KeyTitle, "must not be empty")
	}
	if strings.TrimSpace(c.Description) == "" {
		add(KeyDescription, "must not be empty")
	}
	if c.Language != "" && !languageTag.MatchString(c.Language) {
		add(KeyLanguage, "%q: not a language tag (like en or pt-BR)", c.Language)
	}
	if c.AuthorEmail != "" {
		if a, err := mail.ParseAddress(c.AuthorEmail); err != nil || a.Address != c.AuthorEmail {
			add(KeyAuthorEmail, "%q: not a plain email address", c.AuthorEmail)
		}
	}
	if c.Formats == (Formats{}) {
		add(KeyFormats, "at least one of rss, atom and json must be on")
	}
	for key, v := range map[string]string{KeyListingsDir: c.ListingsDir, KeyDBPath: c.DBPath, KeyOutDir: c.OutDir, KeyListen: c.Listen, KeySchedule: c.Schedule} {
		if v == "" {
			add(key, "must not be empty")
		}
	}
	for key, d := range map[string]time.Duration{KeyLockTimeout: c.LockTimeout, KeyDrainTimeout: c.DrainTimeout, KeyScanGrace: c.ScanGrace} {
		if d < 0 {
			add(key, "%s: must not be negative", d)
		}
	}
	if c.MaxAge < 0 && c.MaxAge != MaxAgeAuto {
		add(KeyMaxAge, "%s: must not be negative", c.MaxAge)
	}
	if c.Workers < 0 {
		add(KeyWorkers, "%d: must not be negative", c.Workers)
	}
	for _, h := range c.Hubs {
		if u, err := url.Parse(h); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			add(KeyHubs, "%q: must be an absolute http or https URL without a fragment", h)
		}
	}
	if c.HubAttempts < 1 || c.HubAttempts > MaxHubAttempts {
		add(KeyHubAttempts, "%d: must be between 1 and %d", c.HubAttempts, MaxHubAttempts)
	}
	if c.HubWait < 0 {
		add(KeyHubWait, "%s: must not be negative", c.HubWait)
	}
	errs = append(errs, c.validatePublish()...)
	for _, cat := range c.Categories {
		if cat.Slug != "" && !ValidSlug(cat.Slug) {
			add(CategoryKey(cat.Label, "slug"), "%q: want lowercase letters, digits and single hyphens, at most %d characters", cat.Slug, MaxSlugLength)
		}
	}
	for _, l := range c.Listings {
		if l.Slug != "" && !ValidSlug(l.Slug) {
			add(ListingKey(l.Title, "slug"), "%q: want lowercase letters, digits and single hyphens, at most %d characters", l.Slug, MaxSlugLength)
		}
	}
	for _, t := range c.Topics {
		if t.Slug != "" && !ValidSlug(t.Slug) {
			add(TopicKey(t.Name, "slug"), "%q: want lowercase letters, digits and single hyphens, at most %d characters", t.Slug, MaxSlugLength)
		}
	}
	return errors.Join(errs...)
}

// languageTag is the shape of an RFC 5646 tag, loosely: en, en-GB, zh-Hant-TW.
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// Location returns the time zone listing dates are in. Call Validate first.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// BaseHost is the base URL's host without port, the default tag authority.
func (c *Config) BaseHost() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
