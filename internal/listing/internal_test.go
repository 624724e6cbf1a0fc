package listing

// Tests of unexported helpers. Everything observable through Parse is
// tested from package listing_test (golden_test.go and friends).

import (
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

func TestParseDateAccepts(t *testing.T) {
	t.Parallel()
	nov1 := model.Date{Year: 2017, Month: time.November, Day: 1}
	tests := []struct {
		in   string
		want model.Date
	}{
		{"01 November 2017", nov1},
		{"1 November 2017", nov1},
		{"1 Nov 2017", nov1},
		{"1 Nov. 2017", nov1},
		{"1 November, 2017", nov1},
		{"1st November 2017", nov1},
		{"1ST November 2017", nov1},
		{"1 NOVEMBER 2017", nov1},
		{"1 november 2017", nov1},
		{"2017-11-01", nov1},
		{"2017-11-1", nov1},
		{"November 1, 2017", nov1},
		{"November 1 2017", nov1},
		{"Nov 1 2017", nov1},
		{"Nov. 1, 2017", nov1},
		{"November 1st, 2017", nov1},
		{"Wednesday, 1 November 2017", nov1},
		{"Wednesday 1 November 2017", nov1},
		{"Wed, 1 Nov 2017", nov1},
		{"Wednesday, November 1, 2017", nov1},
		{"2nd May 2019", model.Date{Year: 2019, Month: time.May, Day: 2}},
		{"23rd May 2019", model.Date{Year: 2019, Month: time.May, Day: 23}},
		{"4th July 2017", model.Date{Year: 2017, Month: time.July, Day: 4}},
		{"1 Sept 2017", model.Date{Year: 2017, Month: time.September, Day: 1}},
		{"Sept. 1, 2017", model.Date{Year: 2017, Month: time.September, Day: 1}},
		{"29 February 2016", model.Date{Year: 2016, Month: time.February, Day: 29}},
		{"29 February 2000", model.Date{Year: 2000, Month: time.February, Day: 29}},
		{"31 December 1900", model.Date{Year: 1900, Month: time.December, Day: 31}},
		{"1 January 2999", model.Date{Year: 2999, Month: time.January, Day: 1}},
		{"31 October 2017", model.Date{Year: 2017, Month: time.October, Day: 31}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, isDate, err := parseDate(tt.in)
			if !isDate || err != nil || d != tt.want {
				t.Errorf("parseDate(%q) = %v, %v, %v; want %v, true, nil", tt.in, d, isDate, err, tt.want)
			}
		})
	}
}

func TestParseDateRejectsNonDates(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"",
		"2017",
		"November 2017",
		"Nov 2017",
		"News 1 November 2017",
		"3 Ways 2019",
		"Top 10 Tips 2019",
		"In 1 Nov 2017",
		"Mayday 1 May 2017",
		"1 November 2017 update",
		"1 November 2017.",
		"1 Movember 2017",
		"1 November 17",
		"1 November 20170",
		"111 November 2017",
		"2017/11/01",
		"01/11/2017",
		"20171101",
		"2017-11-01T10:00",
		"17-11-01",
		"ILO COOP eNewsUpdate No. 9, October 2017",
		"Cooperatives and the 2030 Agenda 2017",
		"١ November ٢٠١٧",
		"1\u00a0November\u00a02017 and a much longer tail of words 2017",
		strings.Repeat("1 November 2017 ", 4) + "2017",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			d, isDate, err := parseDate(in)
			if isDate || err != nil || !d.IsZero() {
				t.Errorf("parseDate(%q) = %v, %v, %v; want a non-date", in, d, isDate, err)
			}
		})
	}
}

func TestParseDateFlagsImpossibleDates(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, msg string }{
		{"31 February 2017", `impossible date "31 February 2017": February 2017 has no day 31`},
		{"29 February 2017", "February 2017 has no day 29"},
		{"29 February 1900", "February 1900 has no day 29"},
		{"30 Feb 2016", "February 2016 has no day 30"},
		{"February 30, 2017", "February 2017 has no day 30"},
		{"0 November 2017", "November 2017 has no day 0"},
		{"32 October 2017", "October 2017 has no day 32"},
		{"31 April 2017", "April 2017 has no day 31"},
		{"Friday, 31 June 2017", "June 2017 has no day 31"},
		{"2017-13-01", "month 13 does not exist"},
		{"2017-00-10", "month 0 does not exist"},
		{"2017-02-30", "February 2017 has no day 30"},
		{"2017-11-00", "November 2017 has no day 0"},
		{"1 November 1899", "year 1899 is out of range 1900-2999"},
		{"1 November 3000", "year 3000 is out of range 1900-2999"},
		{"0000-01-01", "year 0 is out of range 1900-2999"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, isDate, err := parseDate(tt.in)
			if !isDate || err == nil || !d.IsZero() {
				t.Fatalf("parseDate(%q) = %v, %v, %v; want a date-shaped line with an error", tt.in, d, isDate, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("parseDate(%q) error %q; want it to quote the line and say %q", tt.in, err, tt.msg)
			}
		})
	}
}

func TestHeaderMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		num  int
		rest string
		ok   bool
	}{
		{"1. News", 1, "News", true},
		{"12. Spotlight Interviews with Cooperators", 12, "Spotlight Interviews with Cooperators", true},
		{"3) Parenthesis style", 3, "Parenthesis style", true},
		{"007. Leading zeros", 7, "Leading zeros", true},
		{"0. Zero", 0, "Zero", true},
		{"123456789. Nine digits", 123456789, "Nine digits", true},
		{"2017. A year in review", 2017, "A year in review", true},
		{"1. 1 November 2017", 1, "1 November 2017", true},
		{"1. x", 1, "x", true},
		{"1234567890. Ten digits is not an item number", 0, "", false},
		{"1.News", 0, "", false},
		{"1 News", 0, "", false},
		{"1: News", 0, "", false},
		{"1.", 0, "", false},
		{"1. ", 0, "", false},
		{"1) ", 0, "", false},
		{"1", 0, "", false},
		{"", 0, "", false},
		{". News", 0, "", false},
		{"a1. News", 0, "", false},
		{"-1. News", 0, "", false},
		{"1.. News", 0, "", false},
		{"1.5 million members", 0, "", false},
		{"１. Fullwidth digit", 0, "", false},
		{"News", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			num, rest, ok := headerMatch(tt.in)
			if num != tt.num || rest != tt.rest || ok != tt.ok {
				t.Errorf("headerMatch(%q) = %d, %q, %v; want %d, %q, %v", tt.in, num, rest, ok, tt.num, tt.rest, tt.ok)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		indent   int
		text     string
	}{
		{"empty", "", 0, ""},
		{"spaces only", "    ", 4, ""},
		{"tabs and spaces only", " \t \t", 8, ""},
		{"plain", "News", 0, "News"},
		{"two spaces", "  1. News", 2, "1. News"},
		{"four spaces", "    Title", 4, "Title"},
		{"tab", "\tTitle", 4, "Title"},
		{"two tabs", "\t\tTitle", 8, "Title"},
		{"spaces then tab to the next stop", "  \tTitle", 4, "Title"},
		{"four spaces then tab", "    \tTitle", 8, "Title"},
		{"tab then space", "\t Title", 5, "Title"},
		{"no-break space counts one column", "\u00a0Title", 1, "Title"},
		{"BOM takes no column", "\ufeff  Title", 2, "Title"},
		{"leading control takes no column", "\x01  Title", 2, "Title"},
		{"trailing spaces", "  Title   ", 2, "Title"},
		{"trailing tab and CR", "Title\t\r", 0, "Title"},
		{"inner runs", "a  b\t\tc \u00a0 d", 0, "a b c d"},
		{"C0 controls removed", "a\x00b\x07c\x1bd", 0, "abcd"},
		{"DEL and C1 controls removed", "a\x7fb\u0080c\u009fd", 0, "abcd"},
		{"NEL is a line break, read as space", "a\u0085b", 0, "a b"},
		{"line and paragraph separators are spaces", "a\u2028b\u2029c", 0, "a b c"},
		{"control between spaces leaves one space", "a \x07 b", 0, "a b"},
		{"BOM inside removed", "a\ufeffb", 0, "ab"},
		{"non-characters removed", "a\ufffeb\uffffc\ufdd0d\U0010FFFFe\U0001FFFEf", 0, "abcdef"},
		{"only controls", "  \x01\x02\u0081", 2, ""},
		{"RLM kept", "\u200fשלום\u200f", 0, "\u200fשלום\u200f"},
		{"ZWJ and ZWSP kept", "a\u200db\u200bc", 0, "a\u200db\u200bc"},
		{"replacement character kept", "a\ufffdb", 0, "a\ufffdb"},
		{"typographic text kept", "Sri Lanka’s “fisheries” – Özge Berber-Agtaş", 0, "Sri Lanka’s “fisheries” – Özge Berber-Agtaş"},
		{"markup kept verbatim", "<script>&amp;]]>", 0, "<script>&amp;]]>"},
		{"emoji kept", "Coop 🐝 honey", 0, "Coop 🐝 honey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			indent, text := clean(tt.in)
			if indent != tt.indent || text != tt.text {
				t.Errorf("clean(%q) = %d, %q; want %d, %q", tt.in, indent, text, tt.indent, tt.text)
			}
		})
	}
}

func TestCollapse(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"a b", "a b"},
		{"a  b", "a b"},
		{"a b ", "a b"},
		{" a", "a"},
		{"  a", "a"},
		{" ", ""},
		{"a\tb", "a b"},
		{"a\nb", "a b"},
		{"a\x01b", "ab"},
		{"a\x7f", "a"},
		{"\x7f", ""},
		{"a\u0090b", "ab"},
		{"a \u00a0 b", "a b"},
		{"café  au lait", "café au lait"},
		{"already plain, printable ASCII.", "already plain, printable ASCII."},
		{"ends in a control\x01", "ends in a control"},
		{"ends in space then control \x01", "ends in space then control"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := collapse(tt.in); got != tt.want {
				t.Errorf("collapse(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLineAtCountsEveryLineEnding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		at   int
		want int
	}{
		{"x", 0, 1},
		{"a\nx", 2, 2},
		{"a\r\nx", 3, 2},
		{"a\rx", 2, 2},
		{"a\r\rx", 3, 3},
		{"a\n\rx", 3, 3},
		{"a\r\n\r\nx", 5, 3},
		{"a\r", 1, 1},
		{"a\r\n", 1, 1},
	}
	for _, tt := range tests {
		if got := lineAt([]byte(tt.data), tt.at); got != tt.want {
			t.Errorf("lineAt(%q, %d) = %d; want %d", tt.data, tt.at, got, tt.want)
		}
	}
}

func TestDecodeMixed(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"caf\xe9", "café"},
		{"\x93quoted\x94 \x96 it\x92s", "“quoted” – it’s"},
		{"Sri Lanka’s caf\xe9", "Sri Lanka’s café"}, // UTF-8 and Windows-1252 on one line
		{"\xe2\x80", "â€"},                  // a truncated UTF-8 sequence is two Windows-1252 bytes
		{"na\xefve \xc9t\xe9", "naïve Été"}, // lead bytes followed by ASCII
		{"\x80\x85\x9f\xff", "€…Ÿÿ"},        // the C1 range is printable in Windows-1252
		{"undefined \x81\x8d\x8f\x90\x9d", "undefined \ufffd\ufffd\ufffd\ufffd\ufffd"}, // bytes Windows-1252 leaves undefined
	}
	for _, tt := range tests {
		if got := decodeMixed([]byte(tt.in)); got != tt.want {
			t.Errorf("decodeMixed(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b[1;32mbold green\x1b[m", "bold green"},
		{"a\x1b[2Kb", "ab"},
		{"lone \x1b escape", "lone \x1b escape"},
		{"ends in ESC\x1b", "ends in ESC\x1b"},
		{"unfinished \x1b[12;", "unfinished \x1b[12;"},
		{"\x1b]0;title\x07", "\x1b]0;title\x07"}, // not a CSI sequence; clean drops the controls
	}
	for _, tt := range tests {
		in := []byte(tt.in)
		if got := string(stripEscapes(in)); got != tt.want {
			t.Errorf("stripEscapes(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if string(in) != tt.in {
			t.Errorf("stripEscapes modified its input %q", tt.in)
		}
	}
}

func TestLooksUTF16(t *testing.T) {
	t.Parallel()
	le := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	be := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r>>8), byte(r))
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"UTF-16LE", le("Title\r\n\r\n  1. News\r\n"), true},
		{"UTF-16BE", be("Title\r\n\r\n  1. News\r\n"), true},
		{"UTF-16LE, some non-ASCII", le("Caf\u00e9 \u2019 cooperatives and more text"), true},
		{"zip header", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), false},
		{"one NUL in text", []byte("Title\n\n  1. News\x00\n"), false},
		{"all NUL", make([]byte, 64), false},
		{"too short", []byte("A\x00"), false},
	}
	for _, tt := range tests {
		if got := looksUTF16(tt.data); got != tt.want {
			t.Errorf("%s: looksUTF16 = %v; want %v", tt.name, got, tt.want)
		}
	}
}
