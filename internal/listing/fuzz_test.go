package listing_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/feedpub/feedpub/internal/listing"
	"github.com/feedpub/feedpub/internal/model"
)

// FuzzParse checks the parser's promises on arbitrary input:
//
//	go test ./internal/listing -run '^$' -fuzz FuzzParse -fuzztime 3m
func FuzzParse(f *testing.F) {
	win1252 := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder())
	for _, name := range realListings {
		data := readFixture(f, name)
		f.Add(data)
		f.Add(bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
		f.Add(bytes.ReplaceAll(data, []byte("\n"), []byte("\r")))
		f.Add(append([]byte("\xEF\xBB\xBF"), data...))
		f.Add(bytes.ReplaceAll(data, []byte("  "), []byte("\t")))
		f.Add(bytes.ReplaceAll(data, []byte("\n\n"), []byte("\n")))
		if enc, err := win1252.Bytes(data); err == nil {
			f.Add(enc)
		} else {
			f.Fatalf("encode %s as Windows-1252: %v", name, err)
		}
	}
	fixtures, err := filepath.Glob(filepath.Join("testdata", "listings", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range fixtures {
		if strings.HasPrefix(filepath.Base(path), "real-") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 4<<10 {
			f.Add(data)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.txt"
		orig := bytes.Clone(data)
		l, errs := listing.ParseBytes(name, data)
		if !bytes.Equal(data, orig) {
			t.Fatal("ParseBytes modified its input")
		}
		checkParse(t, name, data, l, errs)

		// Parse over a reader and a second ParseBytes give the same answer.
		l2, errs2 := listing.Parse(name, bytes.NewReader(data))
		if !reflect.DeepEqual(l, l2) || !reflect.DeepEqual(errs, errs2) {
			t.Fatalf("Parse and ParseBytes disagree:\n%+v %v\n%+v %v", l, errs, l2, errs2)
		}
	})
}

// checkParse asserts the properties every parse must have.
func checkParse(t *testing.T, name string, data []byte, l *listing.Listing, errs []*listing.Error) {
	t.Helper()
	lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r"))
	for _, e := range errs {
		if e == nil {
			t.Fatal("nil *Error")
		}
		if e.Line < 1 || e.Line > lines {
			t.Errorf("error line %d outside 1..%d: %v", e.Line, lines, e)
		}
		if e.File != name {
			t.Errorf("error names file %q; want %q", e.File, name)
		}
		if e.Msg == "" || !utf8.ValidString(e.Msg) || strings.ContainsAny(e.Msg, "\r\n") {
			t.Errorf("error message %q is empty, not UTF-8 or not one line", e.Msg)
		}
	}
	if l == nil {
		if !listing.HasErrors(errs) {
			t.Fatalf("nil Listing without an error: %v", errs)
		}
		return
	}
	if l.File != name {
		t.Errorf("Listing.File = %q; want %q", l.File, name)
	}
	checkText(t, "listing title", l.Title, false)
	if l.Title == "" || l.TitleLine < 1 || l.TitleLine > lines {
		t.Errorf("listing title %q at line %d", l.Title, l.TitleLine)
	}
	prev := l.TitleLine
	for i, it := range l.Items {
		if it.Title == "" {
			t.Errorf("item %d has an empty title", i)
		}
		checkText(t, "title", it.Title, false)
		checkText(t, "label", it.Label, false)
		checkText(t, "description", it.Description, true)
		if utf8.RuneCountInString(it.Title) > listing.MaxTitleLength || utf8.RuneCountInString(it.Label) > listing.MaxTitleLength {
			t.Errorf("item %d: title or label longer than %d runes", i, listing.MaxTitleLength)
		}
		if d, err := model.NewDate(it.Date.Year, it.Date.Month, it.Date.Day); err != nil || d != it.Date {
			t.Errorf("item %d: invalid date %+v: %v", i, it.Date, err)
		}
		if it.Line <= prev || it.DateLine <= it.Line || it.DateLine > lines {
			t.Errorf("item %d: line %d, date line %d, after line %d, of %d lines", i, it.Line, it.DateLine, prev, lines)
		}
		prev = it.DateLine
		if it.Number < 0 {
			t.Errorf("item %d: number %d", i, it.Number)
		}
	}
}

// checkText asserts s is valid UTF-8, trimmed, with single spaces and no
// C0 or C1 control characters; a description may hold "\n\n" between
// paragraphs.
func checkText(t *testing.T, what, s string, paragraphs bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s %q is not valid UTF-8", what, s)
		return
	}
	for _, para := range strings.Split(s, "\n\n") {
		if para == "" && s != "" {
			t.Errorf("%s %q has an empty paragraph", what, s)
		}
		if strings.TrimSpace(para) != para || strings.Contains(para, "  ") {
			t.Errorf("%s %q is not trimmed and collapsed", what, s)
		}
		for _, r := range para {
			if r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == '\uFEFF' {
				t.Errorf("%s %q holds control character %U", what, s, r)
			}
		}
		if !paragraphs && para != s {
			t.Errorf("%s %q spans lines", what, s)
		}
	}
}
