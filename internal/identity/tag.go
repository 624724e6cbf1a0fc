package identity

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

// TagScheme is the authority and date of RFC 4151 tag URIs:
// tag:<authority>,<date>:<specific>. Both are fixed when the database is
// created, so a later change of base URL or config cannot change the ids
// of items minted under them.
type TagScheme struct {
	Authority string // a DNS name or an email address
	Date      string // YYYY, YYYY-MM or YYYY-MM-DD
}

// RFC 4151 section 2.1:
//
//	authorityName = DNSname / emailAddress
//	DNSname = DNScomp *( "."  DNScomp )
//	DNScomp = alphaNum [*(alphaNum /"-") alphaNum]
//	emailAddress = 1*(alphaNum /"-"/"."/"_") "@" DNSname
//	date = year ["-" month ["-" day]]
//
// DNScomp is further held to DNS's 63 characters.
const dnsPattern = `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*`

var (
	dnsName      = regexp.MustCompile(`^` + dnsPattern + `$`)
	emailAddress = regexp.MustCompile(`^[A-Za-z0-9._-]+@` + dnsPattern + `$`)
	tagDate      = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)
)

// ErrTagScheme is returned by Validate for an authority or date that RFC
// 4151 does not allow.
var ErrTagScheme = errors.New("invalid tag URI scheme")

// Validate checks the scheme against RFC 4151's grammar.
func (s TagScheme) Validate() error {
	if !dnsName.MatchString(s.Authority) && !emailAddress.MatchString(s.Authority) {
		return fmt.Errorf("%w: authority %q is not a DNS name or email address", ErrTagScheme, s.Authority)
	}
	if !tagDate.MatchString(s.Date) {
		return fmt.Errorf("%w: date %q is not YYYY, YYYY-MM or YYYY-MM-DD", ErrTagScheme, s.Date)
	}
	layout := map[int]string{4: "2006", 7: "2006-01", 10: "2006-01-02"}[len(s.Date)]
	if _, err := time.Parse(layout, s.Date); err != nil {
		return fmt.Errorf("%w: date %q: %v", ErrTagScheme, s.Date, err)
	}
	return nil
}

func (s TagScheme) prefix() string { return "tag:" + s.Authority + "," + s.Date + ":" }

// ItemID mints the public id of the item with key k dated d:
// tag:example.org,2026-01-01:item/2017-10-31/<20 hex digits of the key>.
// Eighty bits of the key keep ids short; a collision within one day is
// far below any practical risk.
func (s TagScheme) ItemID(k Key, d model.Date) string {
	return s.prefix() + "item/" + d.String() + "/" + k.String()[:20]
}

// FeedID mints the public id of a feed at path ("all",
// "category/news"), used as the Atom feed id.
func (s TagScheme) FeedID(path string) string {
	return s.prefix() + "feed/" + path
}
