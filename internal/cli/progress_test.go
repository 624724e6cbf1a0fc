package cli_test

import (
	"strings"
	"testing"
)

func TestProgressBarOnlyWhenAskedOrOnATerminal(t *testing.T) {
	t.Parallel()
	_, flags := workdir(t)
	// stderr is a buffer here, as in a pipe or cron: no bar by default.
	r := feedpub(t, nil, append([]string{"scan"}, flags...)...)
	if r.code != 0 || strings.Contains(r.stderr, "reading files") || strings.Contains(r.stderr, "\r") {
		t.Fatalf("bar drawn into a non-terminal (exit %d):\n%q", r.code, r.stderr)
	}
	_, flags = workdir(t)
	r = feedpub(t, nil, append([]string{"scan", "--progress", "always", "--rebuild"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"reading files", "50 items", "(5/5", "files/s", "writing item pages", "(45/45", "pages/s", "writing feeds", "feeds/s"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%q", want, r.stderr)
		}
	}
	// The summary line starts a line of its own, after the bars.
	i := strings.Index(r.stderr, "msg=\"scan finished\"")
	if i < 0 || !strings.HasPrefix(r.stderr[strings.LastIndex(r.stderr[:i], "\n")+1:], "time=") {
		t.Errorf("summary line shares a line with the bar:\n%q", r.stderr)
	}
	if r := feedpub(t, nil, "scan", "--progress", "sometimes"); r.code != 1 || !strings.Contains(r.stderr, "want auto, always or never") {
		t.Errorf("bad --progress: exit %d %q", r.code, r.stderr)
	}
}

func TestQuietLogsOnlyErrorsAndVerboseLogsDebug(t *testing.T) {
	t.Parallel()
	_, flags := workdir(t)
	r := feedpub(t, nil, append([]string{"scan", "-q"}, flags...)...)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("-q: exit %d, stderr %q", r.code, r.stderr)
	}
	r = feedpub(t, map[string]string{"FEEDPUB_LOG_LEVEL": "warn"}, append([]string{"scan", "-v"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "scan finished") || !strings.Contains(r.stderr, `level=DEBUG msg=setting key=paths.database`) {
		t.Errorf("-v: exit %d, stderr %q", r.code, r.stderr)
	}
}
