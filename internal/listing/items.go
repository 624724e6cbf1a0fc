package listing

import (
	"strings"
	"unicode/utf8"
)

// block is the raw text of one numbered item: its header line and the
// non-blank lines under it.
type block struct {
	header        line
	number        int
	head          string // header text after the number
	units         []unit
	contentIndent int // smallest indent of the lines under the header; -1 before the first
}

type unit struct {
	line
	blankBefore bool // a blank line separates it from the previous line of the block
}

// addItemLine groups the lines after the title into items. A numbered
// line starts an item only when it is indented less than the text of the
// item before it, so a description line such as "2. Some point" stays text.
func (p *parser) addItemLine(ln line) {
	blank := p.blank
	p.blank = false
	if n, rest, ok := headerMatch(ln.text); ok && isHeader(p.cur, p.headerIndent, ln.indent) {
		p.cur = &block{header: ln, number: n, head: rest, contentIndent: -1}
		p.blocks = append(p.blocks, p.cur)
		if p.headerIndent < 0 {
			p.headerIndent = ln.indent
		}
		return
	}
	cur := p.cur
	if cur == nil {
		if !p.warned {
			p.warnf(ln.num, "text between the listing title and the first numbered item is ignored")
			p.warned = true
		}
		return
	}
	cur.units = append(cur.units, unit{line: ln, blankBefore: blank})
	if cur.contentIndent < 0 || ln.indent < cur.contentIndent {
		cur.contentIndent = ln.indent
	}
}

func isHeader(cur *block, headerIndent, indent int) bool {
	switch {
	case cur == nil:
		return true
	case cur.contentIndent > headerIndent:
		return indent < cur.contentIndent
	default: // flush text, or no text yet: fall back to the first header's indent
		return indent <= headerIndent
	}
}

type shape int

const (
	shapeBad       shape = iota
	shapeUnlabeled       // number. Title / Date / Description
	shapeLabeled         // number. Label / Title / Date / Description
	shapeEither          // number. X / date-like line / date: label + date-like title, or title + date + date-like description
	shapeWrapped         // number. X / lines right under it, no blank line / date: label + title, or a title wrapped over lines
)

// classify finds where the date falls in b, which tells a labelled item
// from an unlabelled one. It returns the index of the date unit.
func (p *parser) classify(b *block) (shape, int) {
	first := -1
	for i, u := range b.units {
		if _, isDate, _ := parseDate(u.text); isDate {
			first = i
			break
		}
	}
	switch {
	case first < 0:
		p.errorf(b.header.num, "item %d (%q) has no date line", b.number, b.head)
		return shapeBad, -1
	case first == 0:
		if len(b.units) > 1 {
			if _, isDate, _ := parseDate(b.units[1].text); isDate {
				return shapeEither, 0
			}
		}
		return shapeUnlabeled, 0
	}
	// Several lines between label and date: a title wrapped over lines is
	// fine, separate paragraphs mean the date is missing and the text after
	// it belongs to something else.
	for _, u := range b.units[1:first] {
		if u.blankBefore {
			p.errorf(u.num, "item %d (%q): expected a date after the title, found more text", b.number, b.units[0].text)
			return shapeBad, -1
		}
	}
	if !b.units[0].blankBefore {
		// The text runs on from the header line with no blank line: a
		// label with its title under it, or a long title wrapped.
		return shapeWrapped, first
	}
	return shapeLabeled, first
}

// resolve turns blocks into items. An ambiguous block takes the shape most
// items of the file have, labelled when the file gives no hint. An item
// whose shape differs from the file's is kept with a warning: in a labelled
// file, an item with no line between its number and its date has most
// likely lost its title, and its label is being read as the title.
func (p *parser) resolve(blocks []*block) []Item {
	shapes := make([]shape, len(blocks))
	dates := make([]int, len(blocks))
	var count [shapeWrapped + 1]int
	for i, b := range blocks {
		shapes[i], dates[i] = p.classify(b)
		count[shapes[i]]++
	}
	unlabeled := count[shapeUnlabeled]
	fileUnlabeled := unlabeled > count[shapeLabeled] && unlabeled >= count[shapeWrapped]
	items := make([]Item, 0, len(blocks))
	for i, b := range blocks {
		s, d := shapes[i], dates[i]
		switch s {
		case shapeBad:
			continue
		case shapeEither:
			if fileUnlabeled {
				s = shapeUnlabeled
			} else {
				s, d = shapeLabeled, 1
			}
		case shapeWrapped:
			if fileUnlabeled {
				s = shapeUnlabeled
			} else {
				s = shapeLabeled
			}
		case shapeUnlabeled:
			if !fileUnlabeled {
				p.warnf(b.header.num, "item %d: no line between the number and the date, so %q is read as the title, not a label; the other items have labels", b.number, b.head)
			}
		case shapeLabeled:
			if fileUnlabeled {
				p.warnf(b.header.num, "item %d: %q is read as a label, with the title %q; the other items have no labels", b.number, b.head, b.units[0].text)
			}
		}
		if it, ok := p.build(b, s, d); ok {
			items = append(items, it)
		}
	}
	return items
}

// build makes the item of b read as shape s, its date on unit di. An
// unlabeled item with di > 0 has its title wrapped onto the lines under the
// header.
func (p *parser) build(b *block, s shape, di int) (Item, bool) {
	it := Item{Line: b.header.num, Number: b.number}
	texts := make([]string, 0, di+1)
	if s == shapeUnlabeled {
		texts = append(texts, b.head)
	} else {
		it.Label = b.head
	}
	for _, u := range b.units[:di] {
		texts = append(texts, u.text)
	}
	it.Title = strings.Join(texts, " ")
	du := b.units[di]
	d, _, err := parseDate(du.text)
	if err != nil {
		p.errorf(du.num, "item %d (%q): %v", b.number, it.Title, err)
		return Item{}, false
	}
	if utf8.RuneCountInString(it.Title) > MaxTitleLength || utf8.RuneCountInString(it.Label) > MaxTitleLength {
		p.errorf(b.header.num, "item %d: title or label is longer than %d characters", b.number, MaxTitleLength)
		return Item{}, false
	}
	it.Date, it.DateLine = d, du.num
	it.Description = joinParagraphs(b.units[di+1:])
	return it, true
}

// joinParagraphs joins lines of one paragraph with a space and paragraphs
// with a blank line, undoing hard wrapping but keeping paragraph breaks.
func joinParagraphs(units []unit) string {
	switch len(units) {
	case 0:
		return ""
	case 1:
		return units[0].text
	}
	var b strings.Builder
	for i, u := range units {
		if i > 0 {
			if u.blankBefore {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(u.text)
	}
	return b.String()
}
