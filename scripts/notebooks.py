#!/usr/bin/env python3
"""Executes the course notebooks headless with the GoNB kernel and renders them.

    notebooks.py check  [NOTEBOOK ...]   execute; fail on any cell error or failed check (a notebook whose
                                         every input is unchanged since it passed is not run again:
                                         scripts/passed.py; FRESH=1 runs it)
    notebooks.py render [NOTEBOOK ...]   execute, then write docs/<name>.html and docs/index.html
    notebooks.py index                   rewrite docs/index.html only (run times from docs/course.json)

GoNB reports a compile error as a cell error, but a Go program that panics or exits non-zero only
prints "exit status N" on stderr: that is a failure here too (a failed course.Check panics).
Executed copies go to build/notebooks/; HTML is written atomically, so a failed run leaves the
previous docs/ in place.
"""
import argparse
import html
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pages  # scripts/, beside this file
import passed
from check_pages import external_references
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert.filters.markdown_mistune import markdown2html_mistune  # keeps $…$ TeX for MathJax

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DOCS = ROOT / "docs"
BUILD = ROOT / "build" / "notebooks"
MATHJAX_SRC = ROOT / ".venv" / "npm" / "node_modules" / "mathjax" / "es5" / "tex-svg-full.js"
MATHJAX_URL = "mathjax/tex-svg-full.js"  # relative to docs/
TEMPLATES = ROOT / "scripts" / "templates"  # "offline": nbconvert's lab template without its CDN scripts
# MathJax 3 configuration: the notebooks write $...$ and $$...$$, as Jupyter does. The context menu is
# off: its speech and explorer options would fetch the speech-rule engine from a CDN (URLs inside
# tex-svg-full.js), and the pages must load nothing from other hosts.
MATHJAX_CONFIG = """<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
  displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true, processEnvironments: true},
  svg: {fontCache: 'global'}, options: {enableMenu: false}};</script>
"""
CELL_TIMEOUT_S = 900
PROSE_TAG = "prose"
PROGRAM_FAILED = re.compile(r"^(\^C\n)?(exit status \d+|signal: \w+)", re.MULTILINE)


def notebook_paths(names):
    if names:
        return [Path(n).resolve() for n in names]
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def special_command_lines(cell):
    """GoNB reads a line that starts with % as one of its special commands (%% opens a cell's main), even
    inside a Go string: the line is dropped from the program and GoNB prints "unknown or not implemented"
    without failing the cell. Returns such lines other than one %% and GoNB's own commands."""
    lines = [l for l in cell.source.splitlines() if l.startswith("%")]
    mains = [l for l in lines if l.strip() == "%%"]
    if mains:
        lines.remove(mains[0])
    return [l for l in lines if l.split()[0] not in GONB_COMMANDS]


# GoNB's special commands that a notebook may use on purpose (gonb --help lists them all).
GONB_COMMANDS = {"%main", "%args", "%test", "%env", "%goflags", "%with_inputs", "%with_password", "%track",
                 "%untrack", "%goworkfix", "%reset", "%cd"}


def cell_failure(cell):
    """Returns a description of why an executed code cell failed, or None."""
    if special := special_command_lines(cell):
        return f"a line starts with % and GoNB takes it for a special command (reflow the text): {special[0][:80]!r}"
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {out.get('evalue', '')}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr" and PROGRAM_FAILED.search(out.get("text", "")):
            stderr = "".join(o.get("text", "") for o in cell["outputs"] if o.get("name") == "stderr")
            return "the cell's program failed:\n" + stderr[-3000:]
    return None


def run_cells(nb, workdir, log_path):
    """Executes nb in place with its GoNB kernel, started in workdir, and returns the seconds it took;
    a failing cell does not stop the rest (see cell_failure)."""
    kernel = nb.metadata.get("kernelspec", {}).get("name", "gonb-ddpm")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel,
                            resources={"metadata": {"path": str(workdir)}}, allow_errors=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log_path, "w") as log:  # GoNB's own log: kept out of the test output.
        client.execute(stderr=log)
    return time.monotonic() - start


def execute(path):
    nb = nbformat.read(path, as_version=4)
    log_path = BUILD / (path.stem + ".kernel.log")
    elapsed = run_cells(nb, path.parent, log_path)
    failures = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            why = cell_failure(cell)
            if why:
                failures.append(f"{path.name}, cell {i + 1}:\n  " + "\n  ".join(cell.source.splitlines()[:6])
                                + f"\n  -> {why}\n  (kernel log: {log_path.relative_to(ROOT)})")
    nbformat.write(nb, BUILD / path.name)
    # What it ran on (scripts/passed.py), so that check_mutants.py uses this copy only for the same inputs.
    key_file = BUILD / (path.stem + ".key")
    if failures:
        key_file.unlink(missing_ok=True)
    else:
        key_file.write_text(passed.key(path))
    return nb, elapsed, failures


def write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def title_and_summary(nb):
    """The first Markdown heading, and the paragraph that follows it (with the list that follows,
    when the paragraph ends by announcing one, as in "You will learn")."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.strip().splitlines()
            if lines and lines[0].startswith("#"):
                title = lines[0].lstrip("#").strip()
                blocks = "\n".join(lines[1:]).strip().split("\n\n")
                summary = blocks[0]
                if summary.rstrip().endswith(("learn", ":")) and len(blocks) > 1 and blocks[1].lstrip().startswith("- "):
                    summary += "\n\n" + blocks[1]
                return title, summary
    return "(untitled)", ""


def install_mathjax():
    """Copies MathJax (installed by scripts/setup.sh from npm) into docs/, so pages need no CDN."""
    if not MATHJAX_SRC.exists():
        sys.exit(f"MathJax is missing ({MATHJAX_SRC.relative_to(ROOT)}): run `make setup`")
    dest = DOCS / MATHJAX_URL
    if not dest.exists() or dest.read_bytes() != MATHJAX_SRC.read_bytes():
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(dest, MATHJAX_SRC.read_text(encoding="utf-8"))


def render(nb, path):
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    # A cell tagged "prose" writes a paragraph whose numbers it computed (course.Markdown): the page shows
    # the paragraph, not the code (which JupyterLab shows folded).
    config = Config({"TagRemovePreprocessor": {"enabled": True, "remove_input_tags": {PROSE_TAG}}})
    exporter = HTMLExporter(config=config, template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            embed_images=True, mathjax_url=MATHJAX_URL)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    tag = f'<script src="{MATHJAX_URL}">'
    if tag not in body:
        sys.exit(f"rendering {path.name}: the MathJax script tag {tag!r} is not in nbconvert's output")
    body = body.replace(tag, MATHJAX_CONFIG + tag, 1)
    if refs := external_references(body):
        sys.exit(f"rendering {path.name}: the page would load from other hosts: {', '.join(refs)}")
    write_atomic(DOCS / (path.stem + ".html"), body)


def render_index(entries):
    """Writes docs/index.html for every rendered notebook. Run times are kept in docs/course.json, so
    that rendering one notebook keeps the others' in the index; titles and summaries are read from
    the notebooks themselves."""
    meta_path = DOCS / "course.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    for stem, _, _, elapsed in entries:
        meta[stem] = {"seconds": round(elapsed, 1)}
    meta = {stem: {"seconds": m["seconds"]} for stem, m in sorted(meta.items())
            if (DOCS / f"{stem}.html").exists() and (NOTEBOOKS / f"{stem}.ipynb").exists()}
    write_atomic(meta_path, json.dumps(meta, indent=1) + "\n")
    for stem, m in meta.items():
        m["title"], m["summary"] = title_and_summary(nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4))
    items = "\n".join(
        f'<li><a href="{html.escape(stem)}.html">{html.escape(m["title"])}</a>'
        f'{markdown2html_mistune(m["summary"])}<p class="meta">Runs in {m["seconds"]:.0f} s on 2 CPU cores.</p></li>'
        for stem, m in meta.items())
    # The measurement and reference pages (scripts/pages.py), each with its conclusion.
    reference = "\n".join(
        f'<li><a href="{html.escape(p.stem)}.html">{html.escape(title)}</a>{markdown2html_mistune(conclusion)}</li>'
        for p in pages.sources() for title, conclusion in [pages.title_and_conclusion(p.read_text(encoding="utf-8"))])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Denoising Diffusion Probabilistic Models in Go: the course</title>
{MATHJAX_CONFIG}<script src="{MATHJAX_URL}" id="MathJax-script"></script>
<style>body{{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}}
li{{margin-bottom:1.2em}} .meta{{color:#666;font-size:90%;margin:0}} p{{margin:.2em 0}}</style></head>
<body><h1>Denoising Diffusion Probabilistic Models in Go</h1>
<p>A course that walks through Ho, Jain and Abbeel (2020) as executable GoNB notebooks, built on the
<code>ddpm</code> Go package and GoMLX (XLA). Each page is a notebook executed end to end, with its
figures embedded: it reads offline.</p>
<h2>The course</h2>
<ol>
{items}
</ol>
<h2>Measurements and reference</h2>
<p>What the library and the command line do, how well and how fast, each page opening with its current
conclusion and the command that reproduces it.</p>
<ul>
{reference}
</ul></body></html>
"""
    write_atomic(DOCS / "index.html", page)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["check", "render", "index"])
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args()
    if args.mode == "index":
        render_index([])
        print(f"rewrote {(DOCS / 'index.html').relative_to(ROOT)}")
        return
    paths = notebook_paths(args.notebooks)
    if not paths:
        sys.exit(f"no notebooks found in {NOTEBOOKS}")
    all_failures, entries = [], []
    if args.mode == "render":
        install_mathjax()
    for path in paths:
        key = passed.key(path)
        if args.mode == "check" and (entry := passed.passed(path, "executed", key)):
            print(passed.skipped(path, "executed", entry), flush=True)
            continue
        print(f"executing {path.relative_to(ROOT)} ...", flush=True)
        try:
            nb, elapsed, failures = execute(path)
        except CellExecutionError as e:  # Only with allow_errors=False; kept for clarity.
            all_failures.append(f"{path.name}: {e}")
            continue
        except Exception as e:  # Kernel died, timed out, could not start.
            all_failures.append(f"{path.name}: {type(e).__name__}: {e}")
            continue
        print(f"  {path.name}: {elapsed:.1f} s, {'FAILED' if failures else 'ok'}", flush=True)
        all_failures.extend(failures)
        if not failures:
            passed.record(path, "executed", key, elapsed)
        if args.mode == "render" and not failures:
            render(nb, path)
            title, summary = title_and_summary(nb)
            entries.append((path.stem, title, summary, elapsed))
    if all_failures:
        print("\nNotebook failures:\n\n" + "\n\n".join(all_failures), file=sys.stderr)
        sys.exit(1)
    if args.mode == "render":
        render_index(entries)
        print(f"rendered {len(entries)} notebook(s) into {DOCS.relative_to(ROOT)}/")
    print(f"{len(paths)} passed, 0 failed")


if __name__ == "__main__":
    main()
