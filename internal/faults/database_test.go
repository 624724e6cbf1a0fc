package faults_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/feedpub/feedpub/internal/store"
)

// workdir copies the shipped listings into a fresh directory and returns
// it with the flags that point a scan at it.
func workdir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	listings := filepath.Join(dir, "listings")
	if err := os.MkdirAll(listings, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds, _ := filepath.Glob("../../data/listings/*.txt")
	if len(seeds) != 5 {
		t.Fatalf("seed listings: %v", seeds)
	}
	for _, s := range seeds {
		copyFile(t, s, filepath.Join(listings, filepath.Base(s)))
	}
	return dir, []string{"--data", listings, "--db", filepath.Join(dir, "feedpub.db"), "--out", filepath.Join(dir, "feeds"),
		"--base-url", "https://example.org/", "--tag-authority", "example.org", "--tag-date", "2026-01-01"}
}

// fileState is a file's bytes and mtime, to prove nothing wrote it.
func fileState(t *testing.T, path string) string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.IsDir() {
		return "directory " + info.ModTime().String()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x %s", data, info.ModTime())
}

// TestDamagedDatabaseIsReportedAndNeverOverwritten runs scan and backup
// on database files that are not usable: each must exit 1 with a message
// naming the file and the cause, and leave the file exactly as it was.
func TestDamagedDatabaseIsReportedAndNeverOverwritten(t *testing.T) {
	t.Parallel()
	feedpub, _ := binaries(t)
	dir, flags := workdir(t)
	if r := run(t, feedpub, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	good, err := os.ReadFile(filepath.Join(dir, "feedpub.db"))
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name string
		make func(path string)
		want string
	}{
		{"truncated to half", func(p string) { os.WriteFile(p, good[:len(good)/2], 0o644) }, "not a feedpub database: truncated"},
		{"cut to one page", func(p string) { os.WriteFile(p, good[:4096], 0o644) }, "not a feedpub database"},
		{"garbage", func(p string) { os.WriteFile(p, garbage, 0o644) }, "not a feedpub database"},
		{"text", func(p string) { os.WriteFile(p, []byte("this is not a database\n"), 0o644) }, "not a feedpub database"},
		{"newer schema", func(p string) {
			os.WriteFile(p, good, 0o644)
			db, err := bolt.Open(p, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, byte(store.SchemaVersion + 1)})
			})
			db.Close()
		}, "database schema is newer than this feedpub understands"},
		{"another program's bbolt", func(p string) {
			db, err := bolt.Open(p, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("sessions"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte("v"))
			})
			db.Close()
		}, "not a feedpub database: it has no meta bucket"},
		{"a directory", func(p string) { os.Mkdir(p, 0o755) }, "not a feedpub database: it is a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			path := filepath.Join(d, "feedpub.db")
			c.make(path)
			before := fileState(t, path)
			args := append(append([]string{}, flags...), "--db", path, "--out", filepath.Join(d, "feeds"))
			for _, cmd := range [][]string{append([]string{"scan"}, args...), {"backup", "--db", path, filepath.Join(d, "backup.db")}} {
				r := run(t, feedpub, cmd...)
				if r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, path) {
					t.Errorf("%s: exit %d, want 1 and a message naming %s and %q:\n%s", cmd[0], r.code, path, c.want, r.stderr)
				}
				if after := fileState(t, path); after != before {
					t.Errorf("%s changed the damaged database file", cmd[0])
				}
			}
			for _, p := range []string{filepath.Join(d, "feeds"), filepath.Join(d, "backup.db")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was written from a damaged database", p)
				}
			}
		})
	}
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// listing writes a small listing file with n items titled after name.
func listing(t *testing.T, dir, name string, n int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "Dropped listing %s\n\n", name)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  %d. Dropped\n\n    %s item %d\n\n    %d June 2026\n\n", i, name, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBackupBesideServeAndScans takes backups while feedpub serve scans
// every second and cron-style scans run beside it with new listings
// arriving: every backup succeeds, verifies and holds no fewer items than
// the one before, and serving never stops. Then a backup facing a scan
// that holds the database too long gives up after --lock-timeout, and one
// facing a short scan waits for it.
func TestBackupBesideServeAndScans(t *testing.T) {
	t.Parallel()
	feedpub, _ := binaries(t)
	dir, flags := workdir(t)
	listings := filepath.Join(dir, "listings")
	if r := run(t, feedpub, append([]string{"scan"}, flags...)...); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	port := freePort(t)
	serve := exec.Command(feedpub, append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--schedule", "@every 1s", "--lock-timeout", "20s"}, flags...)...)
	var serveLog bytes.Buffer
	serve.Stderr = &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; ; i++ {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 100 {
			t.Fatalf("feedpub serve did not become healthy:\n%s", serveLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // cron: new listings and a scan, again and again
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			listing(t, listings, fmt.Sprintf("drop-%03d", i), 3)
			if r := run(t, feedpub, append([]string{"scan", "--lock-timeout", "20s", "--log-level", "warn"}, flags...)...); r.code != 0 {
				t.Errorf("cron scan: exit %d\n%s", r.code, r.stderr)
			}
		}
	})
	served := 0
	wg.Go(func() { // a poller
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := client.Get(base + "/all/rss.xml")
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("serving while backups run: %v %v", err, resp)
				return
			}
			resp.Body.Close()
			served++
			time.Sleep(20 * time.Millisecond)
		}
	})
	last := 0
	for i := range 10 {
		backup := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		r := run(t, feedpub, "backup", "--db", filepath.Join(dir, "feedpub.db"), "--lock-timeout", "20s", backup)
		if r.code != 0 || !strings.Contains(r.stderr, "backup written") {
			t.Fatalf("backup %d beside serve and scans: exit %d\n%s", i, r.code, r.stderr)
		}
		if err := store.Verify(backup); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		dump, err := dumpDB(backup)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(dump, `"seq":`)
		if n < last {
			t.Errorf("backup %d holds %d items, fewer than the one before (%d)", i, n, last)
		}
		last = n
		time.Sleep(150 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("10 backups beside feedpub serve and cron scans, the last with %d items; %d polls served meanwhile", last, served)
	if last <= 45 {
		t.Errorf("the backups never saw the dropped listings: %d items", last)
	}

	// A scan that holds the database too long: the backup gives up.
	holder, err := store.Open(filepath.Join(dir, "feedpub.db"), store.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	late := filepath.Join(dir, "late.db")
	r := run(t, feedpub, "backup", "--db", filepath.Join(dir, "feedpub.db"), "--lock-timeout", "300ms", late)
	if r.code != 1 || !strings.Contains(r.stderr, "a scan holds") || !strings.Contains(r.stderr, "300ms") {
		t.Errorf("backup facing a held database: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(late); err == nil {
		t.Error("a backup that gave up wrote its file")
	}
	// A short one: the backup waits for it.
	time.AfterFunc(500*time.Millisecond, func() { holder.Close() })
	if r := run(t, feedpub, "backup", "--db", filepath.Join(dir, "feedpub.db"), "--lock-timeout", "20s", late); r.code != 0 {
		t.Errorf("backup waiting for a short scan: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRestoreAfterDamage restores a backup over a damaged database: a
// restore is refused while a scan holds the database and for a bad
// backup, changing nothing; the good one replaces the damaged file (kept
// aside), and a scan --rebuild then gives the same database and feeds as
// before the damage, items added since the backup included.
func TestRestoreAfterDamage(t *testing.T) {
	t.Parallel()
	feedpub, _ := binaries(t)
	dir, flags := workdir(t)
	db := filepath.Join(dir, "feedpub.db")
	scan := func(extra ...string) result {
		return run(t, feedpub, append(append([]string{"scan", "--log-level", "warn"}, flags...), extra...)...)
	}
	if r := scan(); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	backup := filepath.Join(dir, "backup.db")
	if r := run(t, feedpub, "backup", "--db", db, backup); r.code != 0 {
		t.Fatalf("backup: %d %s", r.code, r.stderr)
	}
	// Listings arrive after the backup.
	for i := range 3 {
		listing(t, filepath.Join(dir, "listings"), fmt.Sprintf("later-%d", i), 4)
	}
	if r := scan(); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	wantDump, err := dumpDB(db)
	if err != nil {
		t.Fatal(err)
	}
	wantFeeds := tree(t, filepath.Join(dir, "feeds"))

	// Refused while a scan holds the database.
	holder, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	before := fileState(t, db)
	r := run(t, feedpub, "restore", "--db", db, backup)
	holder.Close()
	if r.code != 1 || !strings.Contains(r.stderr, "another feedpub process") || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("restore while a scan holds the database: exit %d\n%s", r.code, r.stderr)
	}
	// Refused for a bad backup.
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, bytes.Repeat([]byte("junk"), 10000), 0o644)
	r = run(t, feedpub, "restore", "--db", db, bad)
	if r.code != 1 || !strings.Contains(r.stderr, "not a usable backup") || !strings.Contains(r.stderr, "not a feedpub database") {
		t.Errorf("restore from a bad backup: exit %d\n%s", r.code, r.stderr)
	}
	if fileState(t, db) != before {
		t.Error("a refused restore changed the database")
	}

	// The database is damaged: scans fail, the good backup goes back.
	os.WriteFile(db, bytes.Repeat([]byte{0xFF}, 32<<10), 0o644)
	damaged, _ := os.ReadFile(db)
	if r := scan(); r.code != 1 {
		t.Fatalf("scan of a damaged database: exit %d", r.code)
	}
	r = run(t, feedpub, "restore", "--db", db, backup)
	if r.code != 0 || !strings.Contains(r.stderr, "database restored") {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	kept := db + ".before-restore-20261123T093000Z" // FEEDPUB_NOW
	if data, err := os.ReadFile(kept); err != nil || !bytes.Equal(data, damaged) {
		t.Errorf("the replaced database was not kept as %s: %v", kept, err)
	}
	if r := scan("--rebuild"); r.code != 0 {
		t.Fatalf("scan --rebuild after the restore: exit %d\n%s", r.code, r.stderr)
	}
	got, err := dumpDB(db)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantDump {
		t.Errorf("after restore and rescan the database differs from before the damage: %s", firstDiff(got, wantDump))
	}
	if diffs := treeDiffs(tree(t, filepath.Join(dir, "feeds")), wantFeeds); len(diffs) > 0 {
		t.Errorf("after restore and rescan %d feed files differ from before the damage: %q", len(diffs), diffs[:min(10, len(diffs))])
	}
}
