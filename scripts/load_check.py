#!/usr/bin/env python3
"""Helpers of scripts/test-load, standard library only.

  load_check.py sample BASE PATHS SECONDS
      GETs random paths of PATHS (one per line) from BASE for SECONDS, half
      of them asking for gzip, and parses every body: XML strictly, JSON
      Feed, HTML pages whole. Prints one summary line; exits 1 if any
      response was not 200/304 or any body was malformed.

  load_check.py published BASE TITLES
      Walks the combined feed from BASE/all/feed.json through every archive
      page (next_url) and checks that every title of TITLES (one per line)
      was published exactly once: one id per title, no id twice on one
      page, no id on two archive pages. Exits 1 otherwise.
"""
import gzip
import json
import random
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            if resp.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            length = resp.headers.get("Content-Length")
            return resp.status, body, length
    except urllib.error.HTTPError as e:
        return e.code, e.read(), None


def malformed(path, body):
    """Why body is not a whole document of its kind, or None."""
    if not body:
        return "empty"
    try:
        if path.endswith((".xml", ".opml")):
            ET.fromstring(body)
        elif path.endswith(".json"):
            doc = json.loads(body)
            if "version" not in doc or "items" not in doc:
                return "JSON Feed without version or items"
        elif path.endswith(".html") or path.endswith("/"):
            if not body.rstrip().endswith(b"</html>"):
                return "HTML cut short"
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        return "%s: %s" % (type(e).__name__, e)
    return None


def sample(base, paths_file, seconds):
    paths = [p.strip() for p in open(paths_file) if p.strip()]
    deadline = time.time() + float(seconds)
    n, bad, codes = 0, [], {}
    while time.time() < deadline:
        path = random.choice(paths)
        headers = {"Accept-Encoding": "gzip"} if random.random() < 0.5 else {}
        try:
            status, body, length = fetch(base.rstrip("/") + path, headers)
        except Exception as e:  # noqa: BLE001
            bad.append("%s: %s" % (path, e))
            continue
        n += 1
        codes[status] = codes.get(status, 0) + 1
        if status != 200:
            bad.append("%s: status %d" % (path, status))
            continue
        why = malformed(path, body)
        if why:
            bad.append("%s: %s (%d bytes)" % (path, why, len(body)))
    print("sampler: %d responses parsed, status codes %s, %d malformed or failed" % (n, codes, len(bad)))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad or n == 0 else 0


def published(base, titles_file):
    want = [t.strip() for t in open(titles_file) if t.strip()]
    url = base + "all/feed.json"
    pages, ids_by_title, archive_of = 0, {}, {}
    problems = []
    while url:
        status, body, _ = fetch(url)
        if status != 200:
            problems.append("%s: status %d" % (url, status))
            break
        doc = json.loads(body)
        pages += 1
        seen = set()
        for it in doc["items"]:
            if it["id"] in seen:
                problems.append("%s lists %s twice" % (url, it["id"]))
            seen.add(it["id"])
            ids_by_title.setdefault(it.get("title", ""), set()).add(it["id"])
            if "/archive/" in url:
                if it["id"] in archive_of and archive_of[it["id"]] != url:
                    problems.append("%s is on two archive pages: %s and %s" % (it["id"], archive_of[it["id"]], url))
                archive_of[it["id"]] = url
        url = doc.get("next_url")
    missing = [t for t in want if t not in ids_by_title]
    twice = [t for t in want if len(ids_by_title.get(t, ())) > 1]
    problems += ["never published: %s" % t for t in missing]
    problems += ["published under %d ids: %s" % (len(ids_by_title[t]), t) for t in twice]
    print("published: %d dropped items checked over %d pages of the combined feed: %d missing, %d duplicated"
          % (len(want), pages, len(missing), len(twice)))
    for p in problems[:20]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "sample" and len(sys.argv) == 5:
        sys.exit(sample(*sys.argv[2:]))
    if cmd == "published" and len(sys.argv) == 4:
        sys.exit(published(*sys.argv[2:]))
    sys.exit(__doc__)
