package faults_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size bytes on dir until the test ends.
func mountTmpfs(t *testing.T, dir string, size int) error {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=755", size)); err != nil {
		return fmt.Errorf("mount a tmpfs on %s: %w", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return nil
}

// remount makes the tmpfs on dir read-only or read-write again.
func remount(t *testing.T, dir string, size int, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, fmt.Sprintf("size=%d,mode=755", size)); err != nil {
		t.Fatalf("remount %s (read-only %v): %v", dir, readOnly, err)
	}
}

// fill writes dir/.filler until the file system is full, leaving about
// leave bytes free, and returns its path.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, ".filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for written := int64(0); written < free-leave; written += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	return path
}

// state is every file under a directory: its bytes and mtime.
type state map[string]struct {
	data  string
	mtime time.Time
}

func snapshot(t *testing.T, dir string) state {
	t.Helper()
	out := state{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".filler" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = struct {
			data  string
			mtime time.Time
		}{string(data), info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// size is the space the files take on a tmpfs: whole 4 KiB pages.
func (s state) size() int64 {
	var n int64
	for _, f := range s {
		n += (int64(len(f.data)) + 4095) &^ 4095
	}
	return n
}

// untouched reports every file of before that is not exactly as it was,
// and every file that appeared, staged temporary files included.
func untouched(before, after state) []string {
	var diffs []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			diffs = append(diffs, "removed "+p)
		case a.data != b.data:
			diffs = append(diffs, "rewritten "+p)
		case !a.mtime.Equal(b.mtime):
			diffs = append(diffs, "touched "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			diffs = append(diffs, "new "+p)
		}
	}
	return diffs
}

// TestFullDiskAndReadOnlyOutput runs feedpub scan with its output on a
// read-only file system and on a full one (a small tmpfs), and with its
// database on a full one too: the scan must exit 1 with a message naming
// the cause, leave every published file as it was (or, when the disk
// fills half way, each file whole: its old version or its new one), keep
// the database consistent, and the next scan once the cause is gone must
// publish exactly what a scan that never failed publishes.
//
// It needs root to mount tmpfs file systems, and skips otherwise.
func TestFullDiskAndReadOnlyOutput(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount tmpfs file systems (scripts/test runs as root in CI)")
	}
	probe := filepath.Join(t.TempDir(), "probe")
	if err := mountTmpfs(t, probe, 1<<20); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	feedpub, gen := binaries(t)
	work := t.TempDir()
	listings := filepath.Join(work, "listings")
	seeds, _ := filepath.Glob("../../data/listings/*.txt")
	if len(seeds) != 5 {
		t.Fatalf("seed listings: %v", seeds)
	}
	if err := os.MkdirAll(listings, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		copyFile(t, s, filepath.Join(listings, filepath.Base(s)))
	}
	flags := func(db, out string) []string {
		return []string{"scan", "--data", listings, "--db", db, "--out", out, "--limit", "20",
			"--base-url", "https://example.org/", "--tag-authority", "example.org", "--tag-date", "2026-01-01", "--log-level", "warn"}
	}
	scan := func(db, out string) result { return run(t, feedpub, flags(db, out)...) }

	// Every case starts from the shipped listings scanned once; then new
	// listings arrive. The reference never fails.
	type setup struct{ db, out string }
	var halfWay int64 // free space left in the "fills half way" case
	cases := []struct {
		name string
		// prepare places the database and output and returns how to
		// break and then mend them once the first scan is done.
		prepare func(t *testing.T, dir string) (s setup, fault, mend func())
		want    string // in the failed scan's message
		partial bool   // some files may be published whole before the disk fills
	}{
		{name: "read-only output", want: "read-only file system", prepare: func(t *testing.T, dir string) (setup, func(), func()) {
			s := setup{filepath.Join(dir, "feedpub.db"), filepath.Join(dir, "feeds")}
			const size = 32 << 20
			if err := mountTmpfs(t, s.out, size); err != nil {
				t.Fatal(err)
			}
			return s, func() { remount(t, s.out, size, true) }, func() { remount(t, s.out, size, false) }
		}},
		{name: "output disk full", want: "no space left on device", prepare: func(t *testing.T, dir string) (setup, func(), func()) {
			s := setup{filepath.Join(dir, "feedpub.db"), filepath.Join(dir, "feeds")}
			if err := mountTmpfs(t, s.out, 32<<20); err != nil {
				t.Fatal(err)
			}
			var filler string
			return s, func() { filler = fill(t, s.out, 0) }, func() { os.Remove(filler) }
		}},
		{name: "output disk fills half way", want: "no space left on device", partial: true, prepare: func(t *testing.T, dir string) (setup, func(), func()) {
			s := setup{filepath.Join(dir, "feedpub.db"), filepath.Join(dir, "feeds")}
			if err := mountTmpfs(t, s.out, 32<<20); err != nil {
				t.Fatal(err)
			}
			var filler string
			return s, func() { filler = fill(t, s.out, halfWay) }, func() { os.Remove(filler) }
		}},
		{name: "database and output disk full", want: "no space left on device", prepare: func(t *testing.T, dir string) (setup, func(), func()) {
			disk := filepath.Join(dir, "disk")
			if err := mountTmpfs(t, disk, 32<<20); err != nil {
				t.Fatal(err)
			}
			s := setup{filepath.Join(disk, "feedpub.db"), filepath.Join(disk, "feeds")}
			var filler string
			return s, func() { filler = fill(t, disk, 0) }, func() { os.Remove(filler) }
		}},
	}

	// The first scan of each, then new listings: 40 generated files
	// (about 200 items) and the hostile titles; the reference scans them.
	ref := setup{filepath.Join(work, "ref", "feedpub.db"), filepath.Join(work, "ref", "feeds")}
	runOK := func(t *testing.T, what string, s setup) {
		t.Helper()
		if r := scan(s.db, s.out); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, r.code, r.stderr)
		}
	}
	runOK(t, "reference, first scan", ref)
	type prepared struct {
		s           setup
		fault, mend func()
	}
	var preps []prepared
	for _, c := range cases {
		dir := filepath.Join(work, strings.ReplaceAll(c.name, " ", "-"))
		s, fault, mend := c.prepare(t, dir)
		runOK(t, c.name+": first scan", s)
		preps = append(preps, prepared{s, fault, mend})
	}
	if r := run(t, gen, "-files", "40", "-items", "5", "-seed", "3", "-out", listings); r.code != 0 {
		t.Fatalf("feedpub-gen: %s", r.stderr)
	}
	copyFile(t, "../../testdata/listings/hostile.txt", filepath.Join(listings, "hostile.txt"))
	runOK(t, "reference, second scan", ref)
	refDump, err := dumpDB(ref.db)
	if err != nil {
		t.Fatal(err)
	}
	refFiles := snapshot(t, ref.out)
	// Half way: room for about half of what the second scan adds.
	halfWay = (refFiles.size() - snapshot(t, preps[0].s.out).size()) / 2
	t.Logf("the second scan adds %d KiB of output; half way leaves %d KiB free", 2*halfWay>>10, halfWay>>10)

	for i, c := range cases {
		p := preps[i]
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, p.s.out)
			dbBefore, err := dumpDB(p.s.db)
			if err != nil {
				t.Fatal(err)
			}
			p.fault()
			r := scan(p.s.db, p.s.out)
			if r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("scan: exit %d, want 1 and a message with %q:\n%s", r.code, c.want, r.stderr)
			}
			t.Logf("the failed scan said: %s", strings.TrimSpace(r.stderr))
			after := snapshot(t, p.s.out)
			if !c.partial {
				if diffs := untouched(before, after); len(diffs) > 0 {
					t.Errorf("published files changed by the failed scan: %q", diffs[:min(10, len(diffs))])
				}
			} else {
				changed := 0
				for path, a := range after {
					switch {
					case strings.HasPrefix(filepath.Base(path), ".tmp-"):
						// Staged, never renamed: the next scan reuses it.
					case a.data == before[path].data:
					case a.data == refFiles[path].data:
						changed++
					default:
						t.Errorf("%s is neither its old version nor its new one", path)
					}
					if err := checkDocument(path, []byte(a.data)); err != nil && !strings.HasPrefix(filepath.Base(path), ".tmp-") {
						t.Errorf("%s: %v", path, err)
					}
				}
				t.Logf("%d files published whole before the disk filled; the others as they were", changed)
			}
			// The database is consistent, and holds nothing half done.
			dbAfter, err := dumpDB(p.s.db)
			if err != nil {
				t.Fatalf("the database after the failed scan: %v", err)
			}
			if c.name == "database and output disk full" && dbAfter != dbBefore {
				t.Errorf("a scan that could not commit changed the database: %s", firstDiff(dbAfter, dbBefore))
			}

			// Space returns: the next scan publishes everything.
			p.mend()
			if r := scan(p.s.db, p.s.out); r.code != 0 {
				t.Fatalf("scan after the fault was mended: exit %d\n%s", r.code, r.stderr)
			}
			got, err := dumpDB(p.s.db)
			if err != nil {
				t.Fatal(err)
			}
			if got != refDump {
				t.Errorf("database differs from a scan that never failed: %s", firstDiff(got, refDump))
			}
			final := snapshot(t, p.s.out)
			for path, w := range refFiles {
				if final[path].data != w.data {
					t.Errorf("%s differs from a scan that never failed", path)
				}
			}
			for path := range final {
				if _, ok := refFiles[path]; !ok {
					t.Errorf("%s: left over", path)
				}
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
