#!/usr/bin/env python3
"""Starts `make lab`'s server (scripts/lab.sh) as the current user, root included, and opens a
notebook through its REST API; checks that it fetches no news and checks for no updates (the course
runs offline, jupyter/jupyter_lab_config.json)."""
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01-forward-process.ipynb"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base, path, token, timeout=10, raw=False):
    req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode() if raw else json.load(r)


def page_config(html):
    """The JSON that JupyterLab's page carries in <script id="jupyter-config-data">."""
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1)) if m else {}


def main():
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = ROOT / "build" / "check_lab.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "w") as out:
        server = subprocess.Popen(
            ["bash", "scripts/lab.sh", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={token}"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                sys.exit(f"check_lab: `make lab`'s server exited with {server.returncode}:\n{log.read_text()}")
            try:
                get(base, "/api/status", token, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"check_lab: the server did not answer within 90 s:\n{log.read_text()}")
                time.sleep(0.5)
        nb = get(base, f"/api/contents/{NOTEBOOK}?content=1", token)
        cells = nb.get("content", {}).get("cells", [])
        if nb.get("type") != "notebook" or not cells:
            sys.exit(f"check_lab: {NOTEBOOK} did not open as a notebook: type {nb.get('type')}, {len(cells)} cells")
        kernel = nb["content"].get("metadata", {}).get("kernelspec", {}).get("name")
        specs = get(base, "/api/kernelspecs", token)["kernelspecs"]
        if kernel not in specs:
            sys.exit(f"check_lab: {NOTEBOOK} asks for kernel {kernel!r}, the server offers {sorted(specs)}")
        # The page tells the front end that news are off; the server's config (jupyter/jupyter_lab_config.json,
        # which `make setup` installs) is what turns off both the news feed and the update check.
        config = page_config(get(base, "/lab", token, raw=True))
        if config.get("news", {}).get("disabled") is not True:
            sys.exit(f"check_lab: JupyterLab would fetch its news feed: page config news = {config.get('news')}")
        offline = json.loads((ROOT / ".venv/etc/jupyter/jupyter_lab_config.json").read_text())
        if offline.get("LabApp", {}).get("check_for_updates_class") != "jupyterlab.NeverCheckForUpdate":
            sys.exit(f"check_lab: the installed Jupyter config does not turn off the update check: {offline}")
        print(f"check_lab: JupyterLab served {NOTEBOOK} ({len(cells)} cells, kernel {kernel}) to this user "
              f"(uid {os.getuid()}); no news, no update check")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
