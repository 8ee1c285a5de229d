"""Which notebooks passed, and on exactly what: the record that lets `make test` skip a notebook (or its
mutants) whose every input is unchanged since it last passed.

notebooks/passed.json holds, per notebook and kind ("executed": notebooks.py ran it without a failed cell;
"mutants": check_mutants.py saw every mutant fail), the SHA-256 of everything the run depends on, and
when and how long it ran. The key covers:
  - the notebook file and notebooks/mutants.json (course.Check reads it; for "mutants" the notebook's
    entries are hashed again, harmlessly);
  - every non-test Go file (and embedded file) of this module's packages that the notebook imports,
    transitively, and go.mod and go.sum (the versions of GoMLX, go-xla, GoNB and every other module);
  - the files the notebooks read: models/ and the data under docs/ (CSV, JSON, PNG; not the rendered
    pages);
  - the tools: requirements.txt (the XLA plugin, Jupyter), the kernelspec, the scripts that run the
    notebooks and this file; the Go toolchain's version; the CPU's model name (XLA compiles for it, and
    float results can differ between CPUs).
A change to any of them changes the key, so a stale pass can never be reused; FRESH=1 ignores the record.
"""
import hashlib
import json
import os
import platform
import re
import subprocess
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "notebooks" / "passed.json"
MODULE = "github.com/learn-ddpm/ddpm-go"
TOOLS = ["notebooks/mutants.json", "requirements.txt", "kernels/gonb-ddpm/kernel.json.in", "scripts/notebooks.py", "scripts/check_mutants.py",
         "scripts/passed.py", "go.mod", "go.sum"]
NOT_DATA = {".html", ".md"}  # docs/: the rendered site, not what the notebooks read


def fresh():
    """FRESH=1 in the environment: run everything, trust no record."""
    return os.environ.get("FRESH", "") not in ("", "0")


def _hash_files(h, root, paths):
    for p in sorted(set(paths)):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())


@lru_cache(maxsize=None)
def _go_files(root, packages):
    """The non-test Go and embedded files of this module's packages among packages and their dependencies."""
    out = subprocess.run(["go", "list", "-deps", "-json", *packages], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    files = []
    for pkg in json.loads("[" + re.sub(r"}\s*{", "},{", out.strip()) + "]"):
        if (pkg.get("Module") or {}).get("Path") != MODULE:
            continue
        d = Path(pkg["Dir"])
        for field in ("GoFiles", "CgoFiles", "EmbedFiles", "CFiles", "HFiles"):
            files += [d / f for f in pkg.get(field) or []]
    return tuple(files)


@lru_cache(maxsize=None)
def _environment():
    go = subprocess.run(["go", "version"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    cpu = platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{go}\n{cpu}\n"


def imports(nb_path):
    """This module's packages that a notebook imports."""
    return tuple(sorted({MODULE + "/" + p for p in re.findall(re.escape(MODULE) + r"/([a-z0-9/]+)", nb_path.read_text())}))


def key(nb_path, mutants=None, root=ROOT):
    """The SHA-256 of everything a run of the notebook (with mutants: of its mutants) depends on."""
    h = hashlib.sha256(_environment().encode())
    data = [p for p in (root / "docs").rglob("*") if p.is_file() and p.suffix not in NOT_DATA
            and p.name != "course.json" and "mathjax" not in p.parts]
    data += [p for p in (root / "models").rglob("*") if p.is_file()]
    _hash_files(h, root, [nb_path, *[root / t for t in TOOLS], *_go_files(root, imports(nb_path)), *data])
    if mutants is not None:
        h.update(json.dumps(mutants, sort_keys=True).encode())
    return h.hexdigest()


def _load():
    return json.loads(RECORD.read_text()) if RECORD.exists() else {}


def passed(nb_path, kind, k):
    """The record of an earlier pass with key k, or None (always None with FRESH=1)."""
    entry = _load().get(nb_path.name, {}).get(kind)
    return entry if entry and entry.get("key") == k and not fresh() else None


def record(nb_path, kind, k, seconds):
    """Records that the notebook passed (kind) with key k in seconds; written atomically."""
    data = _load()
    data.setdefault(nb_path.name, {})[kind] = {"key": k, "seconds": round(seconds, 1),
                                               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    tmp = RECORD.with_name(RECORD.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")
    tmp.replace(RECORD)


def skipped(nb_path, kind, entry):
    return (f"  {nb_path.name}: every input unchanged since it passed on {entry['when']} ({entry['seconds']:.0f} s; "
            f"notebooks/passed.json): not run again (FRESH=1 runs it)")


def self_test():
    """Shows on a copy of the tracked files that the key changes with each kind of input it claims to cover,
    and not with what a notebook cannot read (a rendered page, a Go test file)."""
    import shutil
    import tempfile
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for f in filter(None, files):
            if (ROOT / f).is_file():
                (copy / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, copy / f)
        nb = copy / "notebooks" / "06-evaluation.ipynb"
        base = key(nb, root=copy)
        if base != key(ROOT / "notebooks" / nb.name):
            raise SystemExit("passed.py self-test: the key of an identical copy (the files git knows) differs")
        cases = {"the notebook": nb, "a Go file of ddpm": copy / "ddpm" / "schedule.go",
                 "a Go file of quality (imported by notebook 6)": copy / "quality" / "frechet.go",
                 "a CSV the notebooks read": copy / "docs" / "eval" / "nll-terms.csv",
                 "a shipped model": copy / "models" / "mnist-ema.ddpm", "go.sum": copy / "go.sum",
                 "mutants.json": copy / "notebooks" / "mutants.json", "the plugin's pin": copy / "requirements.txt"}
        ignored = {"a rendered page": copy / "docs" / "06-evaluation.html", "a Go test file": copy / "ddpm" / "schedule_test.go",
                   "the command line": copy / "cmd" / "ddpm" / "main.go"}
        failures = []
        for kinds, want_change in ((cases, True), (ignored, False)):
            for what, path in kinds.items():
                saved = path.read_bytes()
                path.write_bytes(saved + b"\n")
                _go_files.cache_clear()
                changed = key(nb, root=copy) != base
                path.write_bytes(saved)
                if changed != want_change:
                    failures.append(f"{what} ({path.relative_to(copy)}): the key {'did not change' if want_change else 'changed'}")
        if failures:
            raise SystemExit("passed.py self-test:\n  " + "\n  ".join(failures))
    print(f"passed.py self-test: the key follows {len(cases)} kinds of input and ignores {len(ignored)} others")


if __name__ == "__main__":
    self_test()
