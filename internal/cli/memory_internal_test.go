package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

// The scan's heap limit applies unless the operator set GOMEMLIMIT, and
// every command run from the process's own environment gets it.
func TestScanMemoryLimitYieldsToGOMEMLIMIT(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	if OSEnv().LimitMemory == nil {
		t.Fatal("OSEnv sets no memory limit for scans")
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	limitScanMemory()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set, the limit became %d", got)
	}

	os.Unsetenv("GOMEMLIMIT")
	limitScanMemory()
	if got := debug.SetMemoryLimit(-1); got != scanMemoryLimit {
		t.Errorf("limit = %d, want %d", got, scanMemoryLimit)
	}
}
