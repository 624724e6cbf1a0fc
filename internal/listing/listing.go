// Package listing parses plain-text listing files: a title line followed by
// numbered items, each with an optional label (its category), a title, a
// date and an optional description. It reads values, never paths, and
// reports every problem as an *Error naming the file and line.
package listing

import (
	"fmt"

	"github.com/feedpub/feedpub/internal/model"
)

// Listing is one parsed listing file.
type Listing struct {
	File      string // name given to Parse, used in errors
	Title     string // first non-blank line
	TitleLine int
	Items     []Item // accepted items in file order; rejected ones are in the errors
}

// Item is one numbered entry of a listing.
type Item struct {
	Line        int    // line of the numbered header
	Number      int    // the number as written; may repeat or skip
	Label       string // category as spelled here; empty in listings without labels
	Title       string
	Date        model.Date
	DateLine    int
	Description string // paragraphs joined by a blank line; may be empty
}

// Error is one problem found in a listing file. Warnings do not reject
// anything; errors reject the item (or the whole file when Line points at
// the file's start and the Listing is nil).
type Error struct {
	File    string
	Line    int // 1-based; the parser always sets it, 0 means the whole file (I/O problems)
	Msg     string
	Warning bool
}

func (e *Error) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Warning {
		return where + ": warning: " + e.Msg
	}
	return where + ": " + e.Msg
}

// HasErrors reports whether errs holds anything but warnings.
func HasErrors(errs []*Error) bool {
	for _, e := range errs {
		if !e.Warning {
			return true
		}
	}
	return false
}
