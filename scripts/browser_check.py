"""Drives Debian's headless Chromium over served feedpub pages at a phone's
and a desktop's width: no script runs (none is present, the hostile item's
markup shows as text), nothing overflows horizontally, and each page is
saved as a screenshot.

Usage: python3 scripts/browser_check.py BASE_URL SCREENSHOT_DIR
Run it with Debian's /usr/bin/python3 (python3-selenium, chromium,
chromium-driver).
"""
import json
import os
import sys
import tempfile
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

HOSTILE = '<script>window.pwned=1</script> AT&T ]]> <img src=x onerror="window.pwned=2">'
SIZES = {"phone": (390, 844, 3, True), "desktop": (1280, 900, 1, False)}


def main():
    base, shots = sys.argv[1], sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    with urllib.request.urlopen(base + "all/feed.json", timeout=10) as r:
        items = json.load(r)["items"]
    hostile = [it["url"] for it in items if it["title"] == HOSTILE]
    if len(hostile) != 1:
        sys.exit("browser_check: the hostile item is not in the combined feed exactly once")
    pages = {
        "index": base + "index.html",
        "category": base + "category/news/index.html",
        "topic": base + "topic/japan/index.html",
        "item": hostile[0],
    }

    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--hide-scrollbars", "--user-data-dir=" + profile]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    failures = []
    try:
        for name, url in pages.items():
            for size, (w, h, scale, mobile) in SIZES.items():
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                       {"width": w, "height": h, "deviceScaleFactor": scale, "mobile": mobile})
                driver.get(url)
                state = driver.execute_script("""
                    const d = document.documentElement;
                    return {
                        pwned: typeof window.pwned,
                        scripts: document.scripts.length,
                        images: document.images.length,
                        csp: !!document.querySelector('meta[http-equiv="Content-Security-Policy"]'),
                        styled: getComputedStyle(document.body).maxWidth !== 'none',
                        scrollWidth: d.scrollWidth, clientWidth: d.clientWidth,
                        h1: (document.querySelector('h1') || {}).textContent || '',
                    };""")
                where = "%s (%s)" % (name, size)
                if state["pwned"] != "undefined" or state["scripts"] or state["images"]:
                    failures.append("%s: a script or injected element exists: %r" % (where, state))
                if not state["csp"]:
                    failures.append("%s: no Content-Security-Policy" % where)
                if not state["styled"]:
                    failures.append("%s: the stylesheet did not apply" % where)
                if state["scrollWidth"] > state["clientWidth"]:
                    failures.append("%s: content overflows: %d > %d px" % (where, state["scrollWidth"], state["clientWidth"]))
                if name == "item" and state["h1"] != HOSTILE:
                    failures.append("%s: title not shown as text: %r" % (where, state["h1"]))
                if name == "topic" and "Cooperatives in Japan" not in state["h1"]:
                    failures.append("%s: the topic's name is not its heading: %r" % (where, state["h1"]))
                errors = [l for l in driver.get_log("browser") if l["level"] == "SEVERE" and "favicon" not in l["message"]]
                if errors:
                    failures.append("%s: console errors: %s" % (where, errors))
                path = os.path.join(shots, "%s-%s.png" % (name, size))
                driver.save_screenshot(path)
                print("browser_check: %s ok, %dpx wide, screenshot %s" % (where, w, path))
    finally:
        driver.quit()
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
