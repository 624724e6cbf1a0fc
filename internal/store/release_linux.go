package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReleaseMemory drops the pages of the database file that this process
// has mapped and read from its resident set. bbolt maps the whole file and
// never lets go of what a long scan reads: writing a million item pages
// reads a million items back, and the resident set grew with the database
// (1.2 GB at a million items). The pages stay in the kernel's page cache,
// clean, and fault back in when read again; dropping them is what memory
// pressure would do anyway, but the scan's peak memory stops depending on
// how much it has stored. The kernel maps 64 KB around each page read
// (fault-around; bbolt's MADV_RANDOM does not stop it), so scattered reads
// grow the resident set sixteen times faster than the data read.
//
// It is safe inside a transaction, with its values in use: the mapping is
// shared and read-only, bbolt never rewrites a page that an open
// transaction can reach, and a dropped page faults back in from the page
// cache with the same bytes. Call it only inside a transaction, or through
// ReleaseEvery: bbolt remaps the file only when no read transaction is
// open and in the goroutine of the write transaction, so a transaction
// keeps the range found in /proc/self/maps from being unmapped, and
// reused by another mapping, before it is dropped.
func (db *DB) ReleaseMemory() error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return fmt.Errorf("store: release memory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil // no procfs: nothing to do
	}
	defer f.Close()
	// Lines: "start-end perms offset dev inode path"; the mapping of our
	// file is the one with its inode.
	inode := strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 6 || string(fields[4]) != inode {
			continue
		}
		lo, hi, ok := strings.Cut(string(fields[0]), "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("store: release memory: madvise: %w", errno)
		}
	}
	return nil
}

// mappedBytes returns how much of the process's resident set is shared
// file pages (/proc/self/statm: the database's mapped pages, and the
// program's own), or false where it cannot tell. Reading it costs a few
// microseconds; dropping pages that are still in use costs their faults.
func mappedBytes() (int64, bool) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
