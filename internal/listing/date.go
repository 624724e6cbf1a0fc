package listing

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

var (
	// 1 November 2017, 01 Nov 2017, 1st Nov. 2017, Wednesday, 1 November 2017
	dayMonthYear = regexp.MustCompile(`^(?:([A-Za-z]+),?\s+)?(\d{1,2})(?i:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$`)
	// November 1, 2017 and Nov 1 2017
	monthDayYear = regexp.MustCompile(`^(?:([A-Za-z]+),?\s+)?([A-Za-z]+)\.?\s+(\d{1,2})(?i:st|nd|rd|th)?,?\s+(\d{4})$`)
	// 2017-11-01
	isoDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
)

var months = map[string]time.Month{}

var weekdays = map[string]bool{}

func init() {
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		months[name] = m
		months[name[:3]] = m
	}
	months["sept"] = time.September
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		weekdays[name] = true
		weekdays[name[:3]] = true
	}
}

// Years outside this range are typos, not dates anyone publishes.
const minYear, maxYear = 1900, 2999

// parseDate reports whether s is shaped like a date line and, if it is,
// the date it names. A date-shaped line naming a day that does not exist
// ("31 February 2017") returns isDate true and a non-nil error, so the
// caller can reject the item with a precise message instead of reading the
// line as a title.
func parseDate(s string) (d model.Date, isDate bool, err error) {
	// Cheap gate: every accepted shape ends with a digit. Most title and
	// description lines do not, and this runs on every line of every file.
	if len(s) < 8 || len(s) > 40 || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return model.Date{}, false, nil
	}
	var y, day int
	var m time.Month
	if g := isoDate.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		mm, _ := strconv.Atoi(g[2])
		day, _ = strconv.Atoi(g[3])
		m = time.Month(mm)
	} else if g := dayMonthYear.FindStringSubmatch(s); g != nil && isWeekday(g[1]) && isMonth(g[3]) {
		day, _ = strconv.Atoi(g[2])
		m = months[strings.ToLower(g[3])]
		y, _ = strconv.Atoi(g[4])
	} else if g := monthDayYear.FindStringSubmatch(s); g != nil && isWeekday(g[1]) && isMonth(g[2]) {
		m = months[strings.ToLower(g[2])]
		day, _ = strconv.Atoi(g[3])
		y, _ = strconv.Atoi(g[4])
	} else {
		return model.Date{}, false, nil
	}
	if y < minYear || y > maxYear {
		return model.Date{}, true, fmt.Errorf("date %q: year %d is out of range %d-%d", s, y, minYear, maxYear)
	}
	d, err = model.NewDate(y, m, day)
	if err != nil {
		return model.Date{}, true, fmt.Errorf("impossible date %q: %w", s, err)
	}
	return d, true, nil
}

func isMonth(s string) bool {
	_, ok := months[strings.ToLower(s)]
	return ok
}

// isWeekday accepts an absent weekday prefix or a real weekday name, so
// "News 1 November 2017" stays a title.
func isWeekday(s string) bool {
	return s == "" || weekdays[strings.ToLower(s)]
}
