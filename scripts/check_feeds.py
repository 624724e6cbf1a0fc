"""Checks every document feedpub wrote under a directory with independent,
real parsers: feedparser for RSS and Atom (no bozo flag; every entry has an
id, a title and a parsed date; ids unique per document; every title, the
feed's and each entry's, reads as the JSON Feed document of the same feed
says, which leaves no doubt about the text), a JSON Schema of JSON Feed 1.1
for feed.json, and html5lib in strict mode for HTML pages.

Usage: python3 scripts/check_feeds.py FEEDS_DIR SCHEMA_JSON
Run it with Debian's /usr/bin/python3 (python3-feedparser, python3-jsonschema,
python3-html5lib).
"""
import html
import json
import os
import sys

import feedparser
import html5lib
import jsonschema


def shown(detail):
    """A title as a reader using feedparser shows it: HTML unescaped when
    feedparser says it is HTML, word joiners (invisible) dropped."""
    text = detail.value
    if detail.type == "text/html":
        text = html.unescape(text)
    return text.replace("\u2060", "")


def check_titles(d, path):
    """Compares feedparser's titles with the feed.json beside the document."""
    problems = []
    sibling = os.path.join(os.path.dirname(path), "feed.json")
    if not os.path.exists(sibling):
        return problems
    with open(sibling, "rb") as f:
        ref = json.load(f)
    if shown(d.feed.title_detail) != ref["title"]:
        problems.append("feed title reads %r, want %r" % (shown(d.feed.title_detail), ref["title"]))
    want = {it["id"]: it["title"] for it in ref["items"]}
    for e in d.entries:
        if e.get("id") in want and shown(e.title_detail) != want[e.id]:
            problems.append("title of %s reads %r, want %r" % (e.id, shown(e.title_detail), want[e.id]))
    return problems


def check_feed(path, data, want_version):
    problems = []
    d = feedparser.parse(data)
    problems += check_titles(d, path)
    if d.bozo:
        problems.append("bozo: %r" % (d.bozo_exception,))
    if d.version != want_version:
        problems.append("version %r, want %r" % (d.version, want_version))
    if not any(l.get("rel") == "self" for l in d.feed.get("links", [])):
        problems.append("no self link")
    seen = set()
    for i, e in enumerate(d.entries):
        if not e.get("id"):
            problems.append("entry %d has no id" % i)
        elif e.id in seen:
            problems.append("entry %d repeats id %s" % (i, e.id))
        seen.add(e.get("id"))
        if not e.get("title"):
            problems.append("entry %d has no title" % i)
        if not (e.get("published_parsed") or e.get("updated_parsed")):
            problems.append("entry %d has no parsed date" % i)
    return problems, len(d.entries)


def check_json(data, validator):
    doc = json.loads(data)
    problems = [e.message for e in validator.iter_errors(doc)][:5]
    ids = [it.get("id") for it in doc.get("items", [])]
    if len(ids) != len(set(ids)):
        problems.append("repeated item ids")
    return problems, len(ids)


def check_html(data):
    try:
        html5lib.HTMLParser(strict=True).parse(data)
    except Exception as e:  # html5lib raises ParseError with the position
        return ["not valid HTML: %s" % e], 0
    return [], 0


def main():
    root, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    counts = {}
    entries = 0
    failed = 0
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                data = f.read()
            if name == "rss.xml":
                problems, n = check_feed(path, data, "rss20")
            elif name == "atom.xml":
                problems, n = check_feed(path, data, "atom10")
            elif name == "feed.json":
                problems, n = check_json(data, validator)
            elif name.endswith(".html"):
                problems, n = check_html(data)
            else:
                continue
            kind = os.path.splitext(name)[1] if name.endswith(".html") else name
            counts[kind] = counts.get(kind, 0) + 1
            entries += n
            if problems:
                failed += 1
                print("%s:" % os.path.relpath(path, root))
                for p in problems:
                    print("  " + p)
    summary = ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()))
    print("check_feeds: %s; %d entries; %d document(s) with problems" % (summary, entries, failed))
    if failed or not counts:
        sys.exit(1)


if __name__ == "__main__":
    main()
