package listing

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Limits on input, so one hostile or corrupt file cannot exhaust memory or
// turn a description into a title.
const (
	MaxFileSize    = 256 << 20 // bytes
	MaxLineLength  = 4 << 20   // bytes; a 100 KB description is fine
	MaxTitleLength = 1000      // runes, for titles, labels and the listing title
	MaxLines       = 8 << 20   // lines of text (not blank) after the title: a few million items
	MaxProblems    = 100       // problems listed per file; one more counts the rest
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a whole listing file from r. name is used only in errors.
// A nil Listing means the file was rejected as a whole (empty, binary, no
// title, too large); otherwise the Listing holds every accepted item and
// the errors list the rejected ones. Parse never panics.
func Parse(name string, r io.Reader) (*Listing, []*Error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, []*Error{{File: name, Line: 1, Msg: fmt.Sprintf("read: %v", err)}}
	}
	return ParseBytes(name, data)
}

// ParseBytes is Parse over bytes already in memory.
func ParseBytes(name string, data []byte) (*Listing, []*Error) {
	p := &parser{file: name}
	return p.parse(data)
}

type parser struct {
	file string
	errs []*Error

	// Problems past MaxProblems are counted, not listed.
	more       int
	moreLine   int  // line of the first of them
	moreErrors bool // some of them are errors, not warnings

	// State of the line stream (see addLine). Lines are never all held
	// at once: blank lines and ignored text cost nothing.
	title        line
	hasTitle     bool
	textLines    int // non-blank lines after the title
	blocks       []*block
	cur          *block
	headerIndent int  // indent of the first numbered line; -1 before it
	blank        bool // a blank line came after the last line of text
	warned       bool // text before the first item was reported
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.report(false, line, format, args...)
}

func (p *parser) warnf(line int, format string, args ...any) {
	p.report(true, line, format, args...)
}

func (p *parser) report(warning bool, line int, format string, args ...any) {
	if len(p.errs) >= MaxProblems {
		if p.more == 0 {
			p.moreLine = line
		}
		p.more++
		p.moreErrors = p.moreErrors || !warning
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...), Warning: warning})
}

// problems returns the problems in line order, then the count of those
// not listed, which is an error if any of them is.
func (p *parser) problems() []*Error {
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if p.more > 0 {
		p.errs = append(p.errs, &Error{
			File: p.file, Line: p.moreLine, Warning: !p.moreErrors,
			Msg: fmt.Sprintf("%d more problem(s) not listed, the first on this line", p.more),
		})
		p.more = 0
	}
	return p.errs
}

// line is one physical line after decoding and cleaning.
type line struct {
	num    int
	indent int    // columns, tabs to the next multiple of 4
	text   string // trimmed, whitespace runs collapsed, control characters removed
}

func (p *parser) parse(data []byte) (*Listing, []*Error) {
	if len(data) > MaxFileSize {
		p.errorf(1, "file is larger than %d MiB; not a listing file", MaxFileSize>>20)
		return nil, p.problems()
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		p.errorf(1, "file is UTF-16 encoded; save it as UTF-8")
		return nil, p.problems()
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if i := bytes.IndexByte(data, 0); i >= 0 {
		if looksUTF16(data) {
			p.errorf(1, "file looks UTF-16 encoded (no byte-order mark); save it as UTF-8")
			return nil, p.problems()
		}
		p.errorf(lineAt(data, i), "binary content (NUL byte); not a listing file")
		return nil, p.problems()
	}
	if i := binaryAt(data); i >= 0 {
		p.errorf(lineAt(data, i), "binary content (control bytes); not a listing file")
		return nil, p.problems()
	}
	p.headerIndent = -1
	if !p.splitLines(data) {
		return nil, p.problems()
	}
	if !p.hasTitle {
		if len(data) == 0 {
			p.errorf(1, "file is empty")
		} else {
			p.errorf(1, "file is empty (blank lines only)")
		}
		return nil, p.problems()
	}
	if len(p.blocks) == 0 {
		p.errorf(p.title.num, "listing %q has no items", p.title.text)
		return nil, p.problems()
	}
	l := &Listing{File: p.file, Title: p.title.text, TitleLine: p.title.num}
	l.Items = p.resolve(p.blocks)
	return l, p.problems()
}

// addLine takes the lines of the file one by one: the title, then the
// items. It returns false when the file is rejected.
func (p *parser) addLine(ln line) bool {
	if ln.text == "" {
		p.blank = true
		return true
	}
	if !p.hasTitle {
		if _, _, isHeader := headerMatch(ln.text); isHeader {
			p.errorf(ln.num, "expected the listing title, found a numbered item")
			return false
		}
		if utf8.RuneCountInString(ln.text) > MaxTitleLength {
			p.errorf(ln.num, "listing title is longer than %d characters", MaxTitleLength)
			return false
		}
		p.title, p.hasTitle = ln, true
		return true
	}
	if p.textLines++; p.textLines > MaxLines {
		p.errorf(ln.num, "more than %d lines of text; not a listing file", MaxLines)
		return false
	}
	p.addItemLine(ln)
	return true
}

// lineAt returns the 1-based line holding byte offset i, counting line
// breaks the way splitLines does: LF, CRLF and a lone CR each end a line.
func lineAt(data []byte, i int) int {
	n := 1
	for j, b := range data[:i] {
		if b == '\n' || (b == '\r' && (j+1 >= len(data) || data[j+1] != '\n')) {
			n++
		}
	}
	return n
}

// looksUTF16 reports whether data, which holds a NUL byte, reads like
// UTF-16 text without a byte-order mark: in its first bytes one byte of
// every pair is almost always zero and the other almost never.
func looksUTF16(data []byte) bool {
	head := data[:min(len(data), 1<<10)&^1]
	pairs := len(head) / 2
	if pairs < 2 {
		return false
	}
	var zeros [2]int
	for i, b := range head {
		if b == 0 {
			zeros[i%2]++
		}
	}
	return (zeros[0]*10 >= pairs*9 && zeros[1]*10 < pairs) || (zeros[1]*10 >= pairs*9 && zeros[0]*10 < pairs)
}

// binaryAt returns the offset of the first control byte if the first 8 KiB
// are more than 10% control bytes (other than tab, newline, CR, form feed),
// which no text file is; otherwise -1.
func binaryAt(data []byte) int {
	head := data[:min(len(data), 8<<10)]
	first, n := -1, 0
	for i, b := range head {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n*10 > len(head) {
		return first
	}
	return -1
}

// splitLines splits on LF, CRLF or a lone CR, decodes each line (UTF-8,
// with bytes that are not UTF-8 read as Windows-1252), cleans it and hands
// it to addLine. It returns false when the file is rejected.
func (p *parser) splitLines(data []byte) bool {
	var recoded []int // the first few lines that were not UTF-8
	nrecoded := 0
	for num := 1; len(data) > 0; num++ {
		end := bytes.IndexAny(data, "\r\n")
		var raw []byte
		if end < 0 {
			raw, data = data, nil
		} else {
			raw = data[:end]
			if data[end] == '\r' && end+1 < len(data) && data[end+1] == '\n' {
				end++
			}
			data = data[end+1:]
		}
		if len(raw) > MaxLineLength {
			p.errorf(num, "line is longer than %d MiB", MaxLineLength>>20)
			return false
		}
		if isBlank(raw) {
			p.addLine(line{num: num})
			continue
		}
		if bytes.IndexByte(raw, 0x1B) >= 0 {
			raw = stripEscapes(raw)
		}
		var s string
		if utf8.Valid(raw) {
			s = string(raw)
		} else {
			if nrecoded++; len(recoded) < maxLineList {
				recoded = append(recoded, num)
			}
			s = decodeMixed(raw)
		}
		indent, text := clean(s)
		if !p.addLine(line{num: num, indent: indent, text: text}) {
			return false
		}
	}
	if nrecoded > 0 {
		p.warnf(recoded[0], "%d line(s) are not valid UTF-8; their non-UTF-8 bytes were read as Windows-1252 (lines %s)", nrecoded, lineList(recoded, nrecoded))
	}
	return true
}

// isBlank reports whether raw is only ASCII spaces and tabs, the common
// blank line, which needs no decoding.
func isBlank(raw []byte) bool {
	for _, c := range raw {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

const maxLineList = 5

// lineList lists the line numbers nums, the first of n.
func lineList(nums []int, n int) string {
	var b strings.Builder
	for i, num := range nums {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, num)
	}
	if n > len(nums) {
		b.WriteString(", …")
	}
	return b.String()
}

// decodeMixed decodes a line that is not valid UTF-8: every byte that is
// not part of a valid UTF-8 sequence is read as Windows-1252, and the valid
// sequences are kept, so a line holding both a UTF-8 "’" and a
// Windows-1252 "é" (text pasted from two sources) comes out right. No
// Windows-1252 text of any likelihood contains a valid multi-byte UTF-8
// sequence ("Ã©" would be one).
func decodeMixed(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/2)
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		if r == utf8.RuneError && size == 1 {
			r = charmap.Windows1252.DecodeByte(raw[0])
		}
		b.WriteRune(r)
		raw = raw[size:]
	}
	return b.String()
}

// stripEscapes removes terminal escape sequences (ESC [ parameters final,
// as in "\x1b[31m"), which text pasted from a terminal carries; clean would
// only remove the ESC and leave "[31m" in a title. A lone ESC is left for
// clean to drop. raw is not modified.
func stripEscapes(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == 0x1B && i+1 < len(raw) && raw[i+1] == '[' {
			j := i + 2
			for j < len(raw) && raw[j] >= 0x30 && raw[j] <= 0x3F { // parameter bytes
				j++
			}
			for j < len(raw) && raw[j] >= 0x20 && raw[j] <= 0x2F { // intermediate bytes
				j++
			}
			if j < len(raw) && raw[j] >= 0x40 && raw[j] <= 0x7E { // final byte
				i = j
				continue
			}
		}
		out = append(out, raw[i])
	}
	return out
}

// clean measures the indentation of s and returns its text trimmed, with
// whitespace runs collapsed to one space and characters that XML or a feed
// reader cannot carry (C0/C1 controls, BOMs, non-characters) removed.
func clean(s string) (indent int, text string) {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ':
			indent++
		case r == '\t':
			indent = indent/4*4 + 4
		case r == '\uFEFF' || (r < 0x20 && r != '\t'):
		case unicode.IsSpace(r):
			indent++
		default:
			return indent, collapse(s[i:])
		}
		i += size
	}
	return indent, ""
}

func collapse(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case dropRune(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII with single spaces and no
// leading or trailing space, the common case that needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || (c == ' ' && (i == 0 || i+1 == len(s) || s[i+1] == ' ')) {
			return false
		}
	}
	return true
}

func dropRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\uFEFF' ||
		(r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// headerMatch recognises "12. text" and "12) text"; the text must not be
// empty.
func headerMatch(text string) (num int, rest string, ok bool) {
	i := 0
	for i < len(text) && i < 9 && text[i] >= '0' && text[i] <= '9' {
		num = num*10 + int(text[i]-'0')
		i++
	}
	if i == 0 || i+2 >= len(text) || (text[i] != '.' && text[i] != ')') || text[i+1] != ' ' {
		return 0, "", false
	}
	return num, text[i+2:], true
}
