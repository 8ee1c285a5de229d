#!/usr/bin/env bash
# JupyterLab on notebooks/ with the project's GoNB kernel (`make lab`); extra arguments go to
# jupyter lab. As root (a container, a CI box) JupyterLab refuses to start unless told
# --allow-root: it is added, and said.
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--notebook-dir=notebooks)
if [ "$(id -u)" = 0 ]; then
  echo "running as root: starting JupyterLab with --allow-root" >&2
  args+=(--allow-root)
fi
exec .venv/bin/jupyter lab "${args[@]}" "$@"
