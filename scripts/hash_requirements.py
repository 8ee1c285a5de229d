#!/usr/bin/env python3
"""Adds to each pin of a requirements file the SHA-256 digests of every file PyPI serves for that version.

`ddpm setup --venv` (make setup) installs only packages pinned by their digest (pip's --require-hashes):
whatever index pip is pointed at, and whoever answers there, the files must be PyPI's. Run after changing a
version in requirements.txt:

    python3 scripts/hash_requirements.py requirements.txt

Every file of the version is listed (wheels for every platform and the source archive), so that the same
file serves Linux, macOS and other architectures. The digests come from PyPI's simple index (PEP 691), the
one the pins name; only the standard library is used.
"""

import json
import os
import re
import sys
import urllib.request

INDEX = "https://pypi.org/simple"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([A-Za-z0-9.+!_-]+)\s*(;.*)?$")

def normalize(name):
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()

def file_version(project, filename):
    """The version a distribution file's name holds, or None where it is not one of project's."""
    stem = normalize(project).replace("-", "_")
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 5 and normalize(parts[0]).replace("-", "_") == stem else None
    for ext in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(ext):
            name, _, version = filename[: -len(ext)].rpartition("-")
            return version if normalize(name).replace("-", "_") == stem else None
    return None

def digests(project, version):
    """The SHA-256 digests of every file of project at version on PyPI, sorted."""
    request = urllib.request.Request(f"{INDEX}/{normalize(project)}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    found = sorted({f["hashes"]["sha256"] for f in files if file_version(project, f["filename"]) == version and "sha256" in f["hashes"]})
    if not found:
        sys.exit(f"hash_requirements: PyPI serves no file of {project} {version}")
    return found

def main(path):
    out = []
    with open(path, encoding="ascii") as f:
        lines = f.read().replace("\\\n", " ").split("\n")  # continued lines joined, as pip joins them
    for line in lines:
        spec = re.sub(r"\s--hash=\S+", "", line).strip()
        m = PIN.match(spec)
        if not m:
            if spec and not spec.startswith("#"):
                sys.exit(f"hash_requirements: {path}: {line!r} is not a pin by name and exact version")
            out.append(line)
            continue
        hashes = digests(m.group(1), m.group(3))
        out.append(" \\\n".join([spec] + [f"    --hash=sha256:{h}" for h in hashes]))
    text = "\n".join(out).rstrip("\n") + "\n"
    with open(path + ".tmp", "w", encoding="ascii") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: hash_requirements.py requirements.txt")
    main(sys.argv[1])
