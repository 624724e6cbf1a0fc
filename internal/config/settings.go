package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keys of the scalar settings in the config file, "table.key". The flag of
// each is in Settings; its environment variable is FEEDPUB_ and the flag's
// name in capitals.
const (
	KeyListingsDir     = "paths.listings"
	KeyDBPath          = "paths.database"
	KeyOutDir          = "paths.output"
	KeyBaseURL         = "site.base_url"
	KeyTitle           = "site.title"
	KeyDescription     = "site.description"
	KeyLanguage        = "site.language"
	KeyTimeZone        = "site.time_zone"
	KeyLimit           = "site.items_per_feed"
	KeyArchivePageSize = "site.archive_page_size"
	KeyFormats         = "site.formats"
	KeyAuthorName      = "author.name"
	KeyAuthorEmail     = "author.email"
	KeyTagAuthority    = "tag.authority"
	KeyTagDate         = "tag.date"
	KeyLockTimeout     = "scan.lock_timeout"
	KeyWorkers         = "scan.workers"
	KeyListen          = "serve.listen"
	KeySchedule        = "serve.schedule"
	KeyMaxAge          = "serve.max_age"
	KeyAccessLog       = "serve.access_log"
	KeyDrainTimeout    = "serve.drain_timeout"
	KeyScanGrace       = "serve.scan_grace"
	KeyWatch           = "serve.watch"
	KeyHubs            = "websub.hubs"
	KeyHubAttempts     = "websub.attempts"
	KeyHubWait         = "websub.wait"
)

// Tables of per-category and per-listing settings in the config file:
// [categories."Some label"] and [listings."Some listing title"].
const (
	CategoriesTable = "categories"
	ListingsTable   = "listings"
	TopicsTable     = "topics"
)

// CategoryFields and ListingFields are the keys of those tables.
var (
	CategoryFields = []string{"name", "slug", "description", "merge"}
	ListingFields  = []string{"name", "slug", "description", "default_category"}
	TopicFields    = []string{"match", "exclude", "fields", "categories", "listings", "description", "slug"}
)

// CategoryKey and ListingKey name a field of one category's or listing's
// table, as errors show it: categories."Some label".name.
func CategoryKey(label, field string) string {
	return KeyName(CategoriesTable, label, field)
}

// ListingKey: see CategoryKey.
func ListingKey(title, field string) string {
	return KeyName(ListingsTable, title, field)
}

// TopicKey: see CategoryKey.
func TopicKey(name, field string) string {
	return KeyName(TopicsTable, name, field)
}

// KeyName shows a TOML key path as TOML writes it: parts joined with
// dots, each part that is not a bare key quoted.
func KeyName(parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p
		if p == "" || strings.IndexFunc(p, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 {
			out[i] = strconv.Quote(p)
		}
	}
	return strings.Join(out, ".")
}

// Kind is the type of a setting's value.
type Kind int

const (
	String   Kind = iota
	Int           // a whole number
	Bool          // true or false
	Duration      // "30s", "5m"
	List          // strings; comma-separated on the command line
)

func (k Kind) String() string {
	return [...]string{"a string", "an integer", "true or false", "a duration", "a list of strings"}[k]
}

// Setting is one scalar setting: where it lives in each source, and how
// to read and show it.
type Setting struct {
	Key   string // in the config file: "site.title"
	Flag  string // on the command line, without dashes: "title"
	Kind  Kind
	Usage string
	// Env is the environment variable, when it is not FEEDPUB_ and the
	// flag's name in capitals: a list read better plural (FEEDPUB_HUBS)
	// than its repeatable flag (--hub).
	Env string
	Get func(*Config) string        // the value as Set reads it
	Set func(*Config, string) error // parse and store; range checks are Validate's
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

func integer(p func(*Config) *int) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.Itoa(*p(c)) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			*p(c) = n
			return nil
		}
}

func boolean(p func(*Config) *bool) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.FormatBool(*p(c)) },
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*p(c) = b
			return nil
		}
}

func duration(p func(*Config) *time.Duration) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return p(c).String() },
		func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (like 30s or 5m)", v)
			}
			*p(c) = d
			return nil
		}
}

func setting(key, flag string, kind Kind, usage string, get func(*Config) string, set func(*Config, string) error) Setting {
	return Setting{Key: key, Flag: flag, Kind: kind, Usage: usage, Get: get, Set: set}
}

// Settings lists every scalar setting, in the order `feedpub config`
// shows them.
var Settings = func() []Setting {
	s := func(key, flag, usage string, p func(*Config) *string) Setting {
		g, st := str(p)
		return setting(key, flag, String, usage, g, st)
	}
	i := func(key, flag, usage string, p func(*Config) *int) Setting {
		g, st := integer(p)
		return setting(key, flag, Int, usage, g, st)
	}
	b := func(key, flag, usage string, p func(*Config) *bool) Setting {
		g, st := boolean(p)
		return setting(key, flag, Bool, usage, g, st)
	}
	d := func(key, flag, usage string, p func(*Config) *time.Duration) Setting {
		g, st := duration(p)
		return setting(key, flag, Duration, usage, g, st)
	}
	return []Setting{
		s(KeyListingsDir, "data", "directory of listing files (*.txt, read recursively)", func(c *Config) *string { return &c.ListingsDir }),
		s(KeyDBPath, "db", "database file", func(c *Config) *string { return &c.DBPath }),
		s(KeyOutDir, "out", "output directory for the feeds", func(c *Config) *string { return &c.OutDir }),
		s(KeyBaseURL, "base-url", "absolute URL the output directory is served at", func(c *Config) *string { return &c.BaseURL }),
		s(KeyTitle, "title", "site title, the combined feed's title", func(c *Config) *string { return &c.Title }),
		s(KeyDescription, "description", "site description", func(c *Config) *string { return &c.Description }),
		s(KeyLanguage, "language", "language of the feeds (RFC 5646 tag: en, fr, pt-BR)", func(c *Config) *string { return &c.Language }),
		s(KeyTimeZone, "time-zone", "IANA time zone of the listing dates", func(c *Config) *string { return &c.TimeZone }),
		i(KeyLimit, "limit", "items per feed document", func(c *Config) *int { return &c.Limit }),
		i(KeyArchivePageSize, "archive-page-size", "items per archive page (RFC 5005); 0 means --limit; fixed by the first scan of a database", func(c *Config) *int { return &c.ArchivePageSize }),
		setting(KeyFormats, "formats", List, "feed formats to publish and advertise: rss, atom, json (comma-separated); a format turned off is still updated where it was already published",
			func(c *Config) string { return c.Formats.String() },
			func(c *Config, v string) error {
				f, err := ParseFormats(v)
				if err == nil {
					c.Formats = f
				}
				return err
			}),
		s(KeyAuthorName, "author", "author name shown in the feeds", func(c *Config) *string { return &c.AuthorName }),
		s(KeyAuthorEmail, "author-email", "author email shown in the feeds", func(c *Config) *string { return &c.AuthorEmail }),
		s(KeyTagAuthority, "tag-authority", "domain or email for new items' tag: URIs (default: fixed at the first scan from the base URL's host)", func(c *Config) *string { return &c.TagAuthority }),
		s(KeyTagDate, "tag-date", "date for new items' tag: URIs, YYYY-MM-DD (default: fixed at the first scan)", func(c *Config) *string { return &c.TagDate }),
		d(KeyLockTimeout, "lock-timeout", "how long to wait for another process to release the database", func(c *Config) *time.Duration { return &c.LockTimeout }),
		i(KeyWorkers, "workers", "files read and parsed in parallel (default: one per CPU)", func(c *Config) *int { return &c.Workers }),
		s(KeyListen, "addr", "address to listen on; ':8080' for every interface", func(c *Config) *string { return &c.Listen }),
		s(KeySchedule, "schedule", "when to scan: a cron spec (5 fields, local time, or CRON_TZ=Zone first) or @every DURATION, @hourly...", func(c *Config) *string { return &c.Schedule }),
		setting(KeyMaxAge, "max-age", Duration, "Cache-Control max-age of the files: a duration, or auto for the time between scans (at most 1h)",
			func(c *Config) string {
				if c.MaxAge == MaxAgeAuto {
					return "auto"
				}
				return c.MaxAge.String()
			},
			func(c *Config, v string) error {
				if strings.TrimSpace(v) == "auto" {
					c.MaxAge = MaxAgeAuto
					return nil
				}
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < 0 {
					return fmt.Errorf("%q: want auto or a duration of at least 0s, like 5m", v)
				}
				c.MaxAge = d
				return nil
			}),
		b(KeyAccessLog, "access-log", "log one line per request", func(c *Config) *bool { return &c.AccessLog }),
		d(KeyDrainTimeout, "drain-timeout", "at shutdown, how long requests under way may take to finish", func(c *Config) *time.Duration { return &c.DrainTimeout }),
		d(KeyScanGrace, "scan-grace", "at shutdown, how long a running scan may take to finish before it is cancelled", func(c *Config) *time.Duration { return &c.ScanGrace }),
		b(KeyWatch, "watch", "scan the listing files that change as soon as they change, besides the scheduled full scans", func(c *Config) *bool { return &c.Watch }),
		{
			Key: KeyHubs, Flag: "hub", Env: "FEEDPUB_HUBS", Kind: List,
			Usage: "WebSub hub URL to advertise in every feed and notify of its changes (repeat, or comma-separated)",
			Get:   func(c *Config) string { return strings.Join(c.Hubs, ",") },
			Set: func(c *Config, v string) error {
				c.Hubs = nil
				for _, h := range strings.Split(v, ",") {
					if h = strings.TrimSpace(h); h != "" {
						c.Hubs = append(c.Hubs, h)
					}
				}
				return nil
			},
		},
		i(KeyHubAttempts, "hub-attempts", "tries per hub notification before it is left for the next scan", func(c *Config) *int { return &c.HubAttempts }),
		d(KeyHubWait, "hub-wait", "how long feedpub scan waits for hub notifications; the rest are sent by the next scan (0: leave them all)", func(c *Config) *time.Duration { return &c.HubWait }),
	}
}()

// Lookup returns the setting with file key key.
func Lookup(key string) (Setting, bool) {
	for _, s := range Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// ByFlag returns the setting with flag name flag.
func ByFlag(flag string) (Setting, bool) {
	for _, s := range Settings {
		if s.Flag == flag {
			return s, true
		}
	}
	return Setting{}, false
}
