package faults_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
)

// fixedNow is the clock of every scan these tests run (FEEDPUB_NOW), so
// that two runs write the same bytes.
const fixedNow = "2026-11-23T09:30:00Z"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds cmd/feedpub and cmd/feedpub-gen once per test process
// and returns their paths.
func binaries(t *testing.T) (feedpub, gen string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "feedpub-faults-bin-")
		if buildErr != nil {
			return
		}
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		for _, pkg := range []string{"feedpub", "feedpub-gen"} {
			out, err := exec.Command(goCmd, "build", "-o", filepath.Join(binDir, pkg), "../../cmd/"+pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build cmd/%s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "feedpub"), filepath.Join(binDir, "feedpub-gen")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// result is one finished run of the binary.
type result struct {
	code   int
	stderr string
}

// run runs the binary to its end with the fixed clock.
func run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FEEDPUB_NOW="+fixedNow)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return result{code, stderr.String()}
}

// dump is a database's logical content, read through the store API: what
// must be equal after a crash and a resumed scan, whatever the free pages
// and transaction ids of the file.
type dump struct {
	Meta       map[string]string
	Items      []*model.Item
	Feeds      []*model.Feed
	Members    map[string][]uint64
	Logs       map[string][]uint64
	Files      []*model.FileRecord
	Dirty      []string
	DirtyPages []uint64
}

// dumpDB reads the database at path read-only and returns its dump as
// indented JSON, one value per line, ready to diff.
func dumpDB(path string) (string, error) {
	db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return "", err
	}
	defer db.Close()
	d := dump{Meta: map[string]string{}, Members: map[string][]uint64{}, Logs: map[string][]uint64{}}
	err = db.View(func(tx *store.Tx) error {
		tx.ForEachMeta(func(k, v string) { d.Meta[k] = v })
		if err := tx.ForEachItem(func(it *model.Item) error { d.Items = append(d.Items, it); return nil }); err != nil {
			return err
		}
		feeds, err := tx.Feeds()
		if err != nil {
			return err
		}
		d.Feeds = feeds
		for _, f := range feeds {
			if d.Members[f.Path], err = tx.Members(f.Path, 1, int(tx.MemberCount(f.Path))); err != nil {
				return err
			}
			if d.Logs[f.Path], err = tx.Log(f.Path); err != nil {
				return err
			}
		}
		if err := tx.ForEachFile(func(r *model.FileRecord) error { d.Files = append(d.Files, r); return nil }); err != nil {
			return err
		}
		d.Dirty = tx.Dirty()
		d.DirtyPages = tx.DirtyPages(0, 1<<30)
		return nil
	})
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(d, "", " ")
	return string(b), err
}

// firstDiff shows where two dumps part.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s\n(context: %s)", i+1, x, y, strings.Join(al[lo:i], " | "))
		}
	}
	return ""
}

// tree maps every file under dir (dotfiles included: a stray temporary
// file is a difference) to a hash of its bytes.
func tree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// treeDiffs lists the paths whose bytes differ, or that only one tree has.
func treeDiffs(got, want map[string][32]byte) []string {
	var diffs []string
	for p, h := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != h {
			diffs = append(diffs, "differs "+p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	slices.Sort(diffs)
	return diffs
}

// copyTree copies the files under from to to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkDocument reports why the bytes of a published document are not a
// whole document: empty, not well-formed XML, not JSON, or an HTML page
// cut short.
func checkDocument(name string, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("empty")
	}
	switch {
	case strings.HasSuffix(name, ".xml"), strings.HasSuffix(name, ".opml"):
		dec := xml.NewDecoder(bytes.NewReader(data))
		elements := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("not well-formed XML: %w", err)
			}
			if _, ok := tok.(xml.StartElement); ok {
				elements++
			}
		}
		if elements == 0 {
			return fmt.Errorf("no XML element")
		}
	case strings.HasSuffix(name, ".json"):
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		if v["version"] == nil || v["items"] == nil {
			return fmt.Errorf("JSON Feed without version or items")
		}
	case strings.HasSuffix(name, ".html"):
		if !bytes.HasSuffix(bytes.TrimSpace(data), []byte("</html>")) {
			return fmt.Errorf("HTML page cut short")
		}
	}
	return nil
}
