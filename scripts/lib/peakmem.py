"""Runs a command and reports its wall time, peak resident set and peak
anonymous memory: VmRSS and RssAnon from /proc/PID/status, sampled every
5 ms. RssAnon is what the kernel cannot take back (heap, stacks); the rest
of the resident set is clean file-backed pages, such as bbolt's read-only
mapping of the database, which the kernel reclaims under pressure.

Usage: python3 scripts/lib/peakmem.py OUT_FILE CMD [ARG...]
Writes "WALL_SECONDS PEAK_RSS_KB PEAK_ANON_KB" to OUT_FILE and exits with
the command's status.
"""
import subprocess
import sys
import time


def sample(pid):
    rss = anon = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return rss, anon


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    p = subprocess.Popen(cmd)
    peak_rss = peak_anon = 0
    while p.poll() is None:
        rss, anon = sample(p.pid)
        peak_rss, peak_anon = max(peak_rss, rss), max(peak_anon, anon)
        time.sleep(0.005)
    wall = time.monotonic() - start
    with open(out, "w") as f:
        f.write("%.2f %d %d\n" % (wall, peak_rss, peak_anon))
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
