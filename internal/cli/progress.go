package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/feedpub/feedpub/internal/scan"
)

// progressMode is --progress: when a scan draws a progress bar.
type progressMode string

const (
	progressAuto   progressMode = "auto"   // when stderr is a terminal and not -q
	progressAlways progressMode = "always" // even into a pipe or file
	progressNever  progressMode = "never"
)

func (m *progressMode) String() string { return string(*m) }

func (m *progressMode) Set(s string) error {
	switch v := progressMode(s); v {
	case progressAuto, progressAlways, progressNever:
		*m = v
		return nil
	}
	return fmt.Errorf("want auto, always or never")
}

func (m *progressMode) Type() string { return "auto|always|never" }

// isTerminal reports whether w is a terminal. A bar drawn with carriage
// returns into a log file, a pipe or cron's mail is noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// scanProgress draws a scan's progress on stderr: one bar for the files
// read, one for the item pages and one for the feed documents written,
// each with its count, rate and the time left. The bar library throttles its redraws, so each
// event costs next to nothing.
type scanProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	phase scan.Phase
	ended bool // the current bar ended its line
}

// newProgress returns the progress bar for mode, or nil for none.
func newProgress(w io.Writer, mode progressMode, quiet bool) *scanProgress {
	if mode == progressNever || (mode == progressAuto && (quiet || !isTerminal(w))) {
		return nil
	}
	return &scanProgress{w: w}
}

// describe is the text before the bar, the same width in every phase.
func describe(e scan.ProgressEvent) string {
	switch e.Phase {
	case scan.PhaseRead:
		return fmt.Sprintf("reading files   %8d items", e.Items)
	case scan.PhasePages:
		return "writing item pages            "
	case scan.PhaseTopics:
		return "matching new topic rules      "
	}
	return "writing feeds                 "
}

func (p *scanProgress) update(e scan.ProgressEvent) {
	if e.Phase != p.phase {
		p.end()
		p.phase, p.bar, p.ended = e.Phase, nil, false
		if e.Total == 0 {
			return // nothing to do in this phase: no bar
		}
		unit := map[scan.Phase]string{scan.PhaseRead: "files", scan.PhaseTopics: "items", scan.PhasePages: "pages", scan.PhaseFeeds: "feeds"}[e.Phase]
		p.bar = progressbar.NewOptions(e.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(describe(e)),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() {
				fmt.Fprintln(p.w)
				p.ended = true
			}),
		)
	}
	if p.bar == nil {
		return
	}
	if e.Phase == scan.PhaseRead {
		p.bar.Describe(describe(e))
	}
	p.bar.Set(e.Done)
}

// end ends the current bar's line, full or not, so that what follows
// (the next bar, the summary log line) starts on a line of its own.
func (p *scanProgress) end() {
	if p.bar == nil || p.ended {
		return
	}
	p.bar.Exit()
	fmt.Fprintln(p.w)
	p.ended = true
}

// finish is called when the scan ends.
func (p *scanProgress) finish() {
	if p != nil {
		p.end()
	}
}
