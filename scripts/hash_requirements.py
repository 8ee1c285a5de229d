#!/usr/bin/env python3
"""Adds to each pin of a requirements file the SHA-256 digests of every wheel PyPI serves for that version.

`ddpm setup --venv` (make setup) installs only packages pinned by their digest (pip's --require-hashes):
whatever index pip is pointed at, and whoever answers there, the files must be PyPI's. Run after changing a
version in requirements.txt:

    python3 scripts/hash_requirements.py requirements.txt

Every wheel of the version is listed (for every platform), so that the same file serves Linux, macOS and
other architectures. Source archives are not: building one runs its build backend, which pip fetches from
the index without checking any digest (another user's index ran its backend as root; seventy-fourth
probe), so `ddpm setup --venv` installs wheels only (pip's --only-binary :all:), and a version without a
wheel is refused here. The digests come from PyPI's simple index (PEP 691), the one the pins name; only
the standard library is used.
"""

import json
import os
import re
import sys
import tempfile
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

def wheel_digests(project, version, files):
    """The SHA-256 digests of the wheels of project at version among files (PEP 691's list), sorted."""
    found = sorted({f["hashes"]["sha256"] for f in files
                    if f["filename"].endswith(".whl") and file_version(project, f["filename"]) == version and "sha256" in f["hashes"]})
    if not found:
        sys.exit(f"hash_requirements: PyPI serves no wheel of {project} {version}, and `ddpm setup --venv` installs wheels only: pin a version that has one")
    return found

def digests(project, version):
    """The SHA-256 digests of every wheel of project at version on PyPI, sorted."""
    request = urllib.request.Request(f"{INDEX}/{normalize(project)}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return wheel_digests(project, version, json.load(answer)["files"])

def main(path):
    if os.path.islink(path):
        sys.exit(f"hash_requirements: {path} is a symbolic link: give the file itself")
    out = []
    with open(path, encoding="ascii") as f:
        raw = f.read()
    # Continued lines joined as pip's join_lines joins them: a line ending in "\\" loses its backslashes
    # at both ends and is joined to the next with nothing between (a space added here read a pin and a
    # digest that pip reads as one word as two). A comment ending in "\\", which pip does not continue,
    # is refused, as `ddpm setup --venv` refuses it (joined, the pin after it was lost in the comment).
    comment = re.compile(r"(^|\s+)#.*$")
    lines, continued = [], False
    for number, line in enumerate(raw.split("\n"), 1):
        if comment.search(line) and line.endswith("\\"):
            sys.exit(f"hash_requirements: {path} line {number}: a comment that ends in \\, which pip does not continue: end it otherwise")
        part = line.strip("\\") if line.endswith("\\") else (" " + line if comment.search(line) and continued else line)
        if continued:
            lines[-1] += part
        else:
            lines.append(part)
        continued = line.endswith("\\")
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
    # A temporary file of its own, made exclusively beside the file (never through a name another user
    # could have planted), with the file's mode, then renamed over it.
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".requirements-", dir=folder)
    try:
        os.fchmod(fd, os.stat(path).st_mode & 0o777)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def self_test():
    """Checks, without the network (files of comments only), what the script must refuse and how it writes."""
    with tempfile.TemporaryDirectory() as folder:
        def refused(text, why, link=False):
            path = os.path.join(folder, "r.txt")
            for name in (path, path + "-target"):
                if os.path.lexists(name):
                    os.unlink(name)
            with open(path + "-target" if link else path, "w", encoding="ascii") as f:
                f.write(text)
            if link:
                os.symlink(path + "-target", path)
            try:
                main(path)
            except SystemExit as e:
                assert why in str(e), f"refused {text!r} with {e}, want {why!r}"
                return
            raise AssertionError(f"{text!r} taken, want a refusal naming {why!r}")

        # A comment ending in "\\" is no continuation to pip: joined, the pin after it was lost.
        refused("# pinned below: see \\\nanyio==4.16.0\n", "line 1: a comment that ends in")
        refused("anyio>=4\n", "is not a pin by name and exact version")
        # Joined as pip joins them, with nothing between: a pin and its digest pip reads as one word.
        refused("anyio==4.16.0\\\n--hash=sha256:" + "0" * 64 + "\n", "is not a pin by name and exact version")
        refused("# only comments\n", "is a symbolic link", link=True)
        # Wheels only: a source archive's digest let pip build it, fetching its build backend unchecked.
        files = [{"filename": "comm-0.2.3.tar.gz", "hashes": {"sha256": "s" * 64}},
                 {"filename": "comm-0.2.3-py3-none-any.whl", "hashes": {"sha256": "w" * 64}},
                 {"filename": "comm-0.2.2-py3-none-any.whl", "hashes": {"sha256": "o" * 64}}]
        assert wheel_digests("comm", "0.2.3", files) == ["w" * 64], wheel_digests("comm", "0.2.3", files)
        try:
            wheel_digests("comm", "0.2.3", files[:1])
            raise AssertionError("a version with a source archive only was taken")
        except SystemExit as e:
            assert "no wheel of comm 0.2.3" in str(e), e
        # Written through a temporary file of its own: a name planted at the old temporary's is not
        # written through, and the file keeps its mode (a link there had root overwrite its target).
        path, planted, victim = (os.path.join(folder, n) for n in ("s.txt", "s.txt.tmp", "victim"))
        with open(victim, "w", encoding="ascii") as f:
            f.write("keep")
        os.symlink(victim, planted)
        with open(path, "w", encoding="ascii") as f:
            f.write("# only comments\n")
        os.chmod(path, 0o640)
        main(path)
        assert open(victim, encoding="ascii").read() == "keep", "the planted link's target was written"
        assert os.stat(path).st_mode & 0o777 == 0o640, f"mode {os.stat(path).st_mode & 0o777:o}, want 640"
        assert not os.path.islink(path) and open(path, encoding="ascii").read() == "# only comments\n"
        leftovers = [n for n in os.listdir(folder) if n.startswith(".requirements-")]
        assert not leftovers, f"temporary files left: {leftovers}"
    print("hash_requirements.py: self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    elif len(sys.argv) != 2:
        sys.exit("usage: hash_requirements.py requirements.txt | --self-test")
    else:
        main(sys.argv[1])
