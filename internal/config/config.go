// Package config holds feedpub's settings, their defaults and their
// validation. It reads nothing by itself: the cli package fills a Config
// from flags and the environment and hands it on.
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Config is every setting a scan needs.
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

	// TagAuthority and TagDate fix the RFC 4151 tag URIs of new items.
	// Empty means: use what the database was created with, or, for a new
	// database, the base URL's host and today's date.
	TagAuthority string
	TagDate      string

	LockTimeout time.Duration // bounded wait for another scan's lock
}

// Default returns the settings for a fresh checkout with no configuration.
func Default() Config {
	return Config{
		ListingsDir: "data/listings",
		DBPath:      "data/feedpub.db",
		OutDir:      "feeds",
		BaseURL:     "http://localhost:8080/",
		Title:       "feedpub",
		Description: "Every item from every listing.",
		Language:    "en",
		TimeZone:    "UTC",
		Limit:       50,
		LockTimeout: 30 * time.Second,
	}
}

// MaxLimit caps items per document: feeds are polled all day and a
// reader needs the recent items, not the archive.
const MaxLimit = 1000

// Validate checks every value and normalizes the base URL to end in "/".
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("base URL %q: %w", c.BaseURL, err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("base URL %q: must be an absolute http or https URL", c.BaseURL))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("base URL %q: must not have a query or fragment", c.BaseURL))
	default:
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.BaseURL = u.String()
	}
	if c.Limit < 1 || c.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("limit %d: must be between 1 and %d", c.Limit, MaxLimit))
	}
	if c.ArchivePageSize < 0 || c.ArchivePageSize > MaxLimit {
		errs = append(errs, fmt.Errorf("archive page size %d: must be between 1 and %d, or 0 for the limit", c.ArchivePageSize, MaxLimit))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time zone %q: %w", c.TimeZone, err))
	}
	if strings.TrimSpace(c.Title) == "" {
		errs = append(errs, errors.New("title: must not be empty"))
	}
	if strings.TrimSpace(c.Description) == "" {
		errs = append(errs, errors.New("description: must not be empty"))
	}
	if c.AuthorEmail != "" {
		if a, err := mail.ParseAddress(c.AuthorEmail); err != nil || a.Address != c.AuthorEmail {
			errs = append(errs, fmt.Errorf("author email %q: not a plain email address", c.AuthorEmail))
		}
	}
	for name, v := range map[string]string{"listings dir": c.ListingsDir, "database": c.DBPath, "output dir": c.OutDir} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: must not be empty", name))
		}
	}
	if c.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("lock timeout %s: must not be negative", c.LockTimeout))
	}
	return errors.Join(errs...)
}

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
