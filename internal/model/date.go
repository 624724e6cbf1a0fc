// Package model holds the plain values that flow between feedpub's packages:
// calendar dates, stored items, feeds and file records. It imports only the
// standard library.
package model

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time and no zone, as a listing states it.
// The zero Date is invalid.
type Date struct {
	Year  int        `cbor:"1,keyasint"`
	Month time.Month `cbor:"2,keyasint"`
	Day   int        `cbor:"3,keyasint"`
}

// NewDate returns the Date for y-m-d, or an error if that day does not exist
// (31 February, month 13).
func NewDate(y int, m time.Month, d int) (Date, error) {
	if m < time.January || m > time.December {
		return Date{}, fmt.Errorf("month %d does not exist", m)
	}
	if d < 1 || d > daysIn(y, m) {
		return Date{}, fmt.Errorf("%s %d has no day %d", m, y, d)
	}
	return Date{Year: y, Month: m, Day: d}, nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as ISO 8601, 2017-11-01.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns the instant at hh:mm:ss of d in loc.
func (d Date) In(loc *time.Location, hh, mm, ss int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hh, mm, ss, 0, loc)
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// ParseISODate parses 2017-11-01.
func ParseISODate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	return DateOf(t), nil
}
