package cli

import (
	"strings"
	"testing"
)

// -ldflags -X sets version and commit for builds without VCS stamping.
func TestLinkerSetVersionAndCommitWin(t *testing.T) {
	version, commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	defer func() { version, commit = "", "" }()
	b := readBuildInfo()
	if b.Version != "v1.2.3" || b.Commit != commit || b.Modified {
		t.Errorf("build info = %+v", b)
	}
	if s := b.String(); !strings.HasPrefix(s, "feedpub v1.2.3 (commit 0123456789ab) go") {
		t.Errorf("String() = %q", s)
	}
}
