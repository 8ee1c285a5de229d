#!/usr/bin/env python3
"""Renders the measurement and reference pages of the site, docs/<name>.md → docs/<name>.html.

    pages.py render     write every page's HTML (atomically), then docs/index.html
    pages.py check      fail if a page's HTML is not the rendering of its Markdown, if a page does not
                        begin with its conclusion and the command that reproduces it, if the index
                        misses a page, or if README.md is longer than its limit or links to nothing

The Markdown files are the sources (GitHub shows them too); links in them are relative to docs/. Each
page begins with a title, one paragraph that states the current conclusion, and a fenced block with the
command that reproduces it; the history of what was tried goes below. The HTML is offline like the
course's pages: MathJax from docs/mathjax, no other host (scripts/check_pages.py opens them).
"""
import html
import re
import sys
from pathlib import Path

from nbconvert.filters.markdown_mistune import markdown2html_mistune  # keeps $…$ TeX for MathJax

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 250
STYLE = """<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.5}
table{border-collapse:collapse;margin:1em 0} th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto} code{font-size:92%} img{max-width:100%}
nav{font-size:90%;margin-bottom:1em} .conclusion{font-size:105%}</style>"""


def sources():
    """The pages' Markdown files, in the order of the index."""
    return sorted(p for p in DOCS.glob("*.md"))


def title_and_conclusion(md):
    """The page's title (its first line, '# …') and its first paragraph, the conclusion."""
    lines = md.lstrip().splitlines()
    if not lines or not lines[0].startswith("# "):
        return None, None
    blocks = "\n".join(lines[1:]).strip().split("\n\n")
    return lines[0][2:].strip(), blocks[0] if blocks and blocks[0] else None


def has_tex(md):
    """Whether the page has $…$ TeX outside code (a $VARIABLE in a command is not math)."""
    prose = re.sub(r"```.*?```", "", md, flags=re.S)
    return "$" in re.sub(r"`[^`]*`", "", prose)


def render(path):
    """The HTML of one page, with the notebooks' pages' MathJax (notebooks.py imports this module, so it
    is imported here, once both are loaded)."""
    from notebooks import MATHJAX_CONFIG, MATHJAX_URL
    md = path.read_text(encoding="utf-8")
    title, _ = title_and_conclusion(md)
    body = markdown2html_mistune(md)
    # A link to another page's source reads as that page on the site.
    body = re.sub(r'href="([a-z0-9-]+)\.md(#[^"]*)?"', lambda m: f'href="{m[1]}.html{m[2] or ""}"', body)
    math = MATHJAX_CONFIG + f'<script src="{MATHJAX_URL}" id="MathJax-script"></script>\n' if has_tex(md) else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title or path.stem)}</title>
{math}{STYLE}</head>
<body><nav><a href="index.html">The course and its measurements</a> · source: <code>docs/{path.name}</code></nav>
{body}
</body></html>
"""


def html_path(path):
    return path.with_suffix(".html")


def problems_of(path):
    """What is wrong with one page's source, as a list of strings."""
    md = path.read_text(encoding="utf-8")
    title, conclusion = title_and_conclusion(md)
    if title is None:
        return [f"{path.name}: must begin with a '# ' title"]
    out = []
    head = md.split("\n## ", 1)[0]
    if conclusion is None or conclusion.lstrip().startswith(("```", "|", "!", "-", "#")):
        out.append(f"{path.name}: the title must be followed by a paragraph that states the conclusion")
    if "\n```" not in head:
        out.append(f"{path.name}: the command that reproduces the conclusion (a fenced block) must come before the first '## '")
    prose = re.sub(r"\n```.*?\n```", "", md, flags=re.S)  # code is not links: `[float32](xt)` is Go
    for target in re.findall(r"\]\(([^)#\s]+)", prose):
        if not re.match(r"^[a-z]+:", target) and not (DOCS / target).exists():
            out.append(f"{path.name}: link to {target}, which is not in docs/")
    return out


def readme_problems():
    text = README.read_text(encoding="utf-8")
    out = []
    if (n := len(text.splitlines())) > README_MAX_LINES:
        out.append(f"README.md has {n} lines; the front door keeps to {README_MAX_LINES} (move detail to a page of docs/)")
    for target in re.findall(r"\]\(([^)#\s]+)", re.sub(r"\n```.*?\n```", "", text, flags=re.S)):
        if not re.match(r"^[a-z]+:", target) and not (ROOT / target).exists():
            out.append(f"README.md: link to {target}, which does not exist")
    for page in sources():
        if f"docs/{page.name}" not in text and f"docs/{html_path(page).name}" not in text:
            out.append(f"README.md does not link the page docs/{page.name}")
    return out


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("render", "check"):
        sys.exit(__doc__)
    pages = sources()
    problems = [p for page in pages for p in problems_of(page)]
    if sys.argv[1] == "render":
        if problems:
            sys.exit("\n".join(problems))
        import notebooks  # scripts/, beside this file: the index lists the notebooks and these pages
        for page in pages:
            notebooks.write_atomic(html_path(page), render(page))
        notebooks.render_index([])
        print(f"rendered {len(pages)} page(s) and the index into {DOCS.relative_to(ROOT)}/")
        return
    index = (DOCS / "index.html").read_text(encoding="utf-8") if (DOCS / "index.html").exists() else ""
    for page in pages:
        out = html_path(page)
        if not out.exists() or out.read_text(encoding="utf-8") != render(page):
            problems.append(f"docs/{out.name} is not the rendering of docs/{page.name}: run `make course` (or scripts/pages.py render)")
        if f'href="{out.name}"' not in index:
            problems.append(f"docs/index.html does not link {out.name}: run scripts/pages.py render")
    stray = sorted(p.name for p in DOCS.glob("*.html") if p.name != "index.html" and not re.match(r"\d\d-", p.name)
                   and not p.with_suffix(".md").exists())
    problems += [f"docs/{name} has no Markdown source" for name in stray]
    problems += readme_problems()
    if problems:
        print("Page source failures:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"{len(pages)} pages are the rendering of their Markdown; README.md has {len(README.read_text().splitlines())} lines")


if __name__ == "__main__":
    main()
