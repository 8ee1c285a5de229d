# The project's commands. `make course` and `make test` set up whatever is missing first.
#   make setup   .venv (Jupyter, XLA CPU PJRT plugin), bin/ (gonb, goimports, gopls), the GoNB kernel
#   make test    go vet, go test on the XLA CPU backend, every notebook executed headless and its
#                mutants (skipped when every input is unchanged since they passed; FRESH=1 runs them),
#                the kernel started through jupyter_client, and docs/ opened offline in headless
#                Chromium; the time of each part at the end (scripts/run_tests.py)
#   make course  every notebook executed and rendered into docs/ (HTML, figures embedded), and the
#                measurement pages docs/*.md rendered beside them
#   make lab     JupyterLab on notebooks/ with the project's GoNB kernel (as root too; no news fetched)
#   make bench   the training and denoising steps of two U-Nets: images/s and compile time
#   make bench-torch  the same side by side with the PyTorch twin (bench/), in its own .venv-torch
#   make diffusers-reference  ddpm/testdata/diffusers/reference.json, the samplers' parity values from
#                diffusers' schedulers (in .venv-torch; the Go tests read the committed file)
SHELL := /bin/bash
PY := .venv/bin/python
export GOMLX_NO_AUTO_INSTALL := 1
# glibc's malloc with transparent huge pages: XLA's CPU steps are 10-40% faster (ddpm/malloc.go).
export GLIBC_TUNABLES := glibc.malloc.hugetlb=1

.PHONY: setup test gotest notebooks kernel pages course lab bench bench-torch diffusers-reference clean

setup:
	@bash scripts/setup.sh

test: setup
	$(PY) scripts/run_tests.py

# The same parts one by one (scripts/run_tests.py names them all).
gotest:
	$(PY) scripts/run_tests.py gotest

notebooks:
	$(PY) scripts/run_tests.py prose prose-notebooks skip-key notebooks mutants

kernel:
	$(PY) scripts/run_tests.py kernel lab

pages:
	$(PY) scripts/run_tests.py page-sources pages

course: setup
	$(PY) scripts/notebooks.py render
	$(PY) scripts/pages.py render

lab: setup
	@bash scripts/lab.sh

bench: setup
	go test ./ddpm -count=1 -run '^$$' -bench '^Benchmark(TrainStep|DenoisingStep)$$' -benchtime 10x

# PyTorch from PyPI (~5 GB) in .venv-torch, installed on first use; then alternating rounds.
bench-torch: setup
	@[ -x .venv-torch/bin/python ] || python3 -m venv .venv-torch
	@.venv-torch/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-torch.txt
	.venv-torch/bin/python bench/compare.py

diffusers-reference:
	@[ -x .venv-torch/bin/python ] || python3 -m venv .venv-torch
	@.venv-torch/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-diffusers.txt
	.venv-torch/bin/python scripts/diffusers_reference.py ddpm/testdata/diffusers/reference.json

clean:
	rm -rf build
