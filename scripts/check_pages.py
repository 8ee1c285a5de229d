#!/usr/bin/env python3
"""Opens every page of docs/ in headless Chromium, offline, and checks that it reads.

    check_pages.py [PAGE.html ...]

For each page, a copy with a small probe script is loaded with the network disabled (every host
resolves to nothing). After MathJax has typeset the page, the probe records how many images there
are and how many loaded, how many formulas MathJax rendered and how many it flagged as errors, and
whether TeX source is left unrendered in the text. The page fails if an image did not load or has
no alt text (nbconvert's placeholder "No description has been provided" counts as none), if it has
TeX but no rendered formula, or if any formula failed. It also fails if the page refers to anything
on another host that a browser loads by itself (a script, style, image or frame; a URL in an inline
script or style), or if the browser asked for anything but files and data: URIs: the course must
read offline and tell no third party who reads it. Needs Debian's `chromium`.
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PROBE = """<script>
window.addEventListener('load', function () {
  function report() {
    var imgs = Array.prototype.slice.call(document.images);
    var loaded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
    var text = document.body.innerText;
    var d = document.createElement('div');
    d.id = 'page-probe';
    d.setAttribute('data-images', imgs.length);
    d.setAttribute('data-loaded', loaded);
    d.setAttribute('data-no-alt', imgs.filter(function (i) {
      var alt = (i.alt || '').trim();
      return !alt || /^No description has been provided/.test(alt);
    }).length);
    d.setAttribute('data-math', document.querySelectorAll('mjx-container').length);
    d.setAttribute('data-math-errors', document.querySelectorAll('mjx-merror, [data-mjx-error]').length);
    d.setAttribute('data-raw-tex', (text.match(/\\\\frac|\\\\mathcal|\\$\\$/g) || []).length);
    // Every resource the page asked for, loaded or not: only files of docs/ (and data: URIs) may be.
    d.setAttribute('data-fetched', performance.getEntriesByType('resource').map(function (e) { return e.name; })
      .filter(function (u) { return !/^(file|data|blob):/.test(u); }).join(' '));
    document.body.appendChild(d);
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(report, report);
  } else {
    report();
  }
});
</script>
"""


class ProbeParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.probe = None

    def handle_starttag(self, tag, attrs):
        if tag == "div" and dict(attrs).get("id") == "page-probe":
            self.probe = {k: (v if k == "data-fetched" else int(v)) for k, v in attrs if k.startswith("data-")}


EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
# Tags whose src, href or data a browser fetches by itself (an <a href> waits for a click).
FETCHING = {"script", "img", "iframe", "link", "source", "video", "audio", "embed", "object", "input", "track"}
SCRIPT_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'`)]*", re.I)
STYLE_URL = re.compile(r"(?:url\(|@import)\s*['\"]?((?:https?:)?//[^'\")\s]+)", re.I)


class ReferenceParser(html.parser.HTMLParser):
    """Collects what a page would fetch from another host: the URLs of fetching tags, URLs in inline
    scripts (imports, fetches, strings) and url()/@import in inline styles."""

    def __init__(self):
        super().__init__()
        self.external, self.inside = [], None

    def handle_starttag(self, tag, attrs):
        if tag in FETCHING:
            for name, value in attrs:
                if name in ("src", "href", "data", "poster", "srcset") and value and EXTERNAL.match(value):
                    self.external.append(f"<{tag} {name}={value}>")
        self.inside = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self.inside = None

    def handle_data(self, data):
        if self.inside == "script":
            # XML namespace and DTD names (w3.org) identify, they are not fetched.
            self.external += [f"{u} (in a script)" for u in SCRIPT_URL.findall(data) if "//www.w3.org/" not in u]
        elif self.inside == "style":
            self.external += [f"{u} (in a style)" for u in STYLE_URL.findall(data)]


def external_references(source):
    """What the HTML source would load from another host; empty for a page that reads offline."""
    parser = ReferenceParser()
    parser.feed(source)
    return parser.external


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return name
    sys.exit("check_pages: Debian's `chromium` is not installed (apt-get install chromium)")


def check(page, browser):
    """Returns a list of problems with page (a docs/ HTML file)."""
    source = page.read_text(encoding="utf-8")
    has_tex = "$$" in source or "\\frac" in source
    # The probe copy sits next to the page, so that relative links (MathJax) resolve alike.
    fd, tmp = tempfile.mkstemp(dir=page.parent, prefix=".probe-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(source.replace("</body>", PROBE + "</body>", 1))
    with tempfile.TemporaryDirectory() as profile:
        try:
            out = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
                 "--virtual-time-budget=30000", "--dump-dom", Path(tmp).as_uri()],
                capture_output=True, text=True, timeout=180)
        finally:
            os.unlink(tmp)
    parser = ProbeParser()
    parser.feed(out.stdout)
    p = parser.probe
    if p is None:
        return [f"the page did not finish loading (chromium exit {out.returncode}): {out.stderr[-500:]}"]
    problems = [f"it loads {ref} from another host" for ref in external_references(source)]
    problems += [f"it requested {url} (offline it fails; online a third party learns of the reader)"
                 for url in p["data-fetched"].split()]
    if p["data-no-alt"]:
        problems.append(f"{p['data-no-alt']} of {p['data-images']} images have no alt text (what the figure shows, in words)")
    if p["data-loaded"] != p["data-images"]:
        problems.append(f"{p['data-images'] - p['data-loaded']} of {p['data-images']} images did not load")
    if has_tex and p["data-math"] == 0:
        problems.append("no formula was rendered by MathJax")
    if p["data-math-errors"]:
        problems.append(f"{p['data-math-errors']} formulas failed to render")
    if p["data-raw-tex"]:
        problems.append(f"{p['data-raw-tex']} pieces of TeX source left in the text")
    print(f"  {page.relative_to(ROOT)}: {p['data-images']} images, {p['data-loaded']} loaded; "
          f"{p['data-math']} formulas rendered, {p['data-math-errors']} errors", flush=True)
    return problems


def main():
    pages = [Path(a).resolve() for a in sys.argv[1:]] or sorted(DOCS.glob("*.html"))
    if not pages:
        sys.exit("check_pages: no pages in docs/ (run `make course`)")
    browser = chromium()
    failures = []
    for page in pages:
        for problem in check(page, browser):
            failures.append(f"{page.relative_to(ROOT)}: {problem}")
    if failures:
        print("\nPage failures:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"{len(pages)} pages read offline in headless Chromium")


if __name__ == "__main__":
    main()
