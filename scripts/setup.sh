#!/usr/bin/env bash
# Sets up everything the project needs, and only what is missing:
#   .venv/   a Python virtualenv with JupyterLab, nbclient, nbconvert and the OpenXLA CPU PJRT plugin
#            (PyPI package xla-cpu-pjrt), pinned in requirements.txt;
#   bin/     GoNB, goimports and gopls, built from the versions pinned as tools in go.mod;
#   the GoNB kernelspec "gonb-ddpm" (kernels/gonb-ddpm), installed into the virtualenv's Jupyter
#   data folder with the environment it needs;
#   MathJax (npm) for docs/, and Debian's chromium for the page test when it is missing.
# Safe to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
export GOMLX_NO_AUTO_INSTALL=1
step() { printf '\n== %s\n' "$*"; }

command -v go >/dev/null || { echo "setup: the go command is not on PATH (Go 1.26.8 or newer is needed)" >&2; exit 1; }

# 1. Python virtualenv: Jupyter and the XLA CPU plugin. ddpm makes it, under the rules its own setup
# keeps (an interpreter that is no script, pip given only its download settings, each file it reads
# checked, nothing of the working folder), and remakes it whole when requirements.txt changes: run in
# bash with the whole environment, pip ran another user's program as root through $PIP_PYTHON.
# PYTHON names the interpreter (default: python3 in $PATH, a pyenv shim passed over).
stamp="$VENV/.requirements.sha256"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "Python virtualenv in .venv (requirements.txt)"
  go build -o bin/ddpm ./cmd/ddpm
  bin/ddpm setup --venv "$VENV" --requirements "$ROOT/requirements.txt" --requires-python 3.11 ${PYTHON:+--python "$PYTHON"}
  echo "$want" >"$stamp"
fi
PLUGIN=$(ls "$VENV"/lib/python3*/site-packages/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so 2>/dev/null | tail -n1 || true)
[ -n "$PLUGIN" ] || { echo "setup: the XLA CPU PJRT plugin (xla_cpu_pjrt.so) is missing from .venv; delete .venv and run again" >&2; exit 1; }

# MathJax, served from docs/ so that the rendered course shows its equations offline.
MATHJAX_VERSION=3.2.2
if [ ! -f "$VENV/npm/node_modules/mathjax/es5/tex-svg-full.js" ] ||
   ! grep -q "\"version\": \"$MATHJAX_VERSION\"" "$VENV/npm/node_modules/mathjax/package.json"; then
  step "MathJax $MATHJAX_VERSION (npm) for docs/"
  command -v npm >/dev/null || { echo "setup: npm is not on PATH; it is needed to fetch MathJax for docs/" >&2; exit 1; }
  npm install --silent --no-audit --no-fund --prefix "$VENV/npm" "mathjax@$MATHJAX_VERSION" >/dev/null
fi

# Headless Chromium (Debian's package), used by scripts/check_pages.py to open docs/ offline.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  step "Chromium (Debian package) for the page test"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null; then
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is not installed and apt-get is not available: install Chromium to run scripts/check_pages.py" >&2
    exit 1
  fi
fi

# 2. Go tools pinned in go.mod. go build is incremental, so this is quick when nothing changed.
step "Go tools in bin/ (gonb, goimports, gopls)"
go build -o bin/ github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls

# 3. The GoNB kernelspec, into the virtualenv's Jupyter data folder (not the user's).
step "Jupyter kernel gonb-ddpm"
KDIR="$VENV/share/jupyter/kernels/gonb-ddpm"
mkdir -p "$KDIR"
GOBIN_DIR=$(dirname "$(command -v go)")
sed -e "s#@ROOT@#$ROOT#g" -e "s#@GOBIN@#$GOBIN_DIR#g" -e "s#@PLUGIN@#$PLUGIN#g" \
  kernels/gonb-ddpm/kernel.json.in >"$KDIR/kernel.json.tmp"
mv "$KDIR/kernel.json.tmp" "$KDIR/kernel.json"
cp kernels/gonb-ddpm/logo-svg.svg "$KDIR/"
"$VENV/bin/jupyter" kernelspec list | grep gonb-ddpm
# The course runs offline: JupyterLab must not fetch its news feed or check PyPI for updates.
# (LabApp reads jupyter_lab_config.json; the .d folders only enable extensions.)
mkdir -p "$VENV/etc/jupyter"
cp jupyter/jupyter_lab_config.json "$VENV/etc/jupyter/jupyter_lab_config.json"

# 4. Prove the backend loads, and say which plugin it is.
step "XLA backend"
go run ./cmd/ddpm info
