# The project's commands. `make course` and `make test` set up whatever is missing first.
#   make setup   .venv (Jupyter, XLA CPU PJRT plugin), bin/ (gonb, goimports, gopls), the GoNB kernel
#   make test    go vet, go test on the XLA CPU backend, and every notebook executed headless
#   make course  every notebook executed and rendered into docs/ (HTML, figures embedded)
#   make lab     JupyterLab on notebooks/ with the project's GoNB kernel
SHELL := /bin/bash
PY := .venv/bin/python
export GOMLX_NO_AUTO_INSTALL := 1

.PHONY: setup test gotest notebooks course lab clean

setup:
	@bash scripts/setup.sh

test: setup
	go vet ./...
	$(MAKE) --no-print-directory gotest notebooks

gotest:
	go test -count=1 ./...

notebooks:
	$(PY) scripts/notebooks.py check

course: setup
	$(PY) scripts/notebooks.py render

lab: setup
	.venv/bin/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf build
