#!/usr/bin/env python3
"""Runs the parts of `make test` in order, stops at the first that fails, and prints each part's time.

    run_tests.py [PART ...]     (default: every part, in the order below)

The notebooks and their mutants are not run again when every input is unchanged since they last passed
(scripts/passed.py; FRESH=1 runs them all): the table says how many ran.
"""
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PARTS = {
    "vet": (["go", "vet", "./..."], "go vet"),
    "gotest": (["go", "test", "-count=1", "-timeout", "30m", "./..."], "go test on the XLA CPU backend"),
    # No number typed into a notebook's prose that the code computes (the rule's own self-test first).
    "prose": ([PY, "scripts/check_prose.py", "--self-test"], "the prose rule's self-test"),
    "prose-notebooks": ([PY, "scripts/check_prose.py"], "no typed number in the notebooks' prose"),
    # The maintainer's script that pins requirements.txt by digest: its refusals and its writing.
    "hashes": ([PY, "scripts/hash_requirements.py", "--self-test"], "the requirements hasher's self-test"),
    # A notebook is skipped only when the key of everything it reads is unchanged: shown on a copy first.
    "skip-key": ([PY, "scripts/passed.py"], "the skip record's key follows every input"),
    "notebooks": ([PY, "scripts/notebooks.py", "check"], "every notebook executed (unless unchanged)"),
    # Every check's mutant (notebooks/mutants.json: the mistake it names, put into its cell) must fail.
    "mutants": ([PY, "scripts/check_mutants.py"], "every check fails on its mutant (unless unchanged)"),
    # The GoNB kernel started as JupyterLab starts it, then `make lab`'s server through its REST API.
    "kernel": ([PY, "scripts/check_kernel.py"], "the GoNB kernel through jupyter_client"),
    "lab": ([PY, "scripts/check_lab.py"], "JupyterLab serves a notebook"),
    # The measurement pages are the rendering of their Markdown; README within its limit.
    "page-sources": ([PY, "scripts/pages.py", "check"], "pages rendered from their sources, README"),
    # Every page of docs/ opened offline in headless Chromium: figures loaded, math rendered.
    "pages": ([PY, "scripts/check_pages.py"], "every page offline in Chromium"),
}


def main():
    names = sys.argv[1:] or list(PARTS)
    if unknown := [n for n in names if n not in PARTS]:
        sys.exit(f"run_tests.py: unknown part(s) {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    times, failed = [], None
    for name in names:
        cmd, what = PARTS[name]
        print(f"\n== {name}: {what}\n$ {' '.join(cmd)}", flush=True)
        start = time.monotonic()
        rc = subprocess.call(cmd, cwd=ROOT)
        times.append((name, what, time.monotonic() - start, rc))
        if rc != 0:
            failed = name
            break
    print("\n== time of each part")
    for name, what, seconds, rc in times:
        print(f"  {name:16} {seconds / 60:6.1f} min  {'ok' if rc == 0 else 'FAILED'}  {what}")
    print(f"  {'total':16} {sum(t[2] for t in times) / 60:6.1f} min")
    if failed:
        sys.exit(f"make test: the part {failed!r} failed")


if __name__ == "__main__":
    main()
