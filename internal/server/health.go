package server

import (
	"encoding/json"
	"net/http"
	"time"
)

// Outcomes of a scan, as Health reports them.
const (
	OutcomeOK       = "ok"       // everything published
	OutcomeRejected = "rejected" // published, but some input was rejected
	OutcomeFailed   = "failed"   // a fatal problem stopped publishing
)

// Health is what the scans report to /healthz.
type Health struct {
	// Last is the last finished scan; nil before the first one finishes.
	Last *ScanReport
	// Running tells whether a scan is under way.
	Running bool
	// Next is when the next scan is due; zero if none.
	Next time.Time
	// LastError and LastErrorAt are the most recent failed scan's error,
	// kept after later scans succeed.
	LastError   string
	LastErrorAt time.Time
}

// ScanReport is one finished scan.
type ScanReport struct {
	Started, Finished time.Time
	Outcome           string // OutcomeOK, OutcomeRejected or OutcomeFailed
	Items, Feeds      int    // held in the database after the scan
	Error             string // why it failed or what was rejected
}

// Status is the HTTP status /healthz answers with: 503 before the first
// scan finishes ("starting": nothing may have been published yet) and
// while the last scan failed fatally; 200 otherwise, rejected input
// included (the feeds were published).
func (h Health) Status() (int, string) {
	switch {
	case h.Last == nil:
		return http.StatusServiceUnavailable, "starting"
	case h.Last.Outcome == OutcomeFailed:
		return http.StatusServiceUnavailable, "failing"
	}
	return http.StatusOK, "ok"
}

type healthJSON struct {
	Status      string    `json:"status"`
	Last        *scanJSON `json:"last_scan"`
	Running     bool      `json:"scan_running"`
	Next        string    `json:"next_scan,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt string    `json:"last_error_at,omitempty"`
}

type scanJSON struct {
	Started  string  `json:"started"`
	Finished string  `json:"finished"`
	Outcome  string  `json:"outcome"`
	Duration float64 `json:"duration_seconds"`
	Items    int     `json:"items"`
	Feeds    int     `json:"feeds"`
	Error    string  `json:"error,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// healthReply reports the scans: 200 or 503 by Health.Status, in JSON.
func (s *Server) healthReply() reply {
	var h Health
	if s.health != nil {
		h = s.health()
	} else {
		h.Last = &ScanReport{Outcome: OutcomeOK} // no scans to wait for
	}
	code, status := h.Status()
	out := healthJSON{Status: status, Running: h.Running, Next: stamp(h.Next),
		LastError: h.LastError, LastErrorAt: stamp(h.LastErrorAt)}
	if l := h.Last; l != nil && !l.Finished.IsZero() {
		out.Last = &scanJSON{Started: stamp(l.Started), Finished: stamp(l.Finished), Outcome: l.Outcome,
			Duration: l.Finished.Sub(l.Started).Seconds(), Items: l.Items, Feeds: l.Feeds, Error: l.Error}
	}
	body, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return s.plain(http.StatusInternalServerError)
	}
	return reply{code: code, fields: s.healthFields, body: append(body, '\n')}
}
