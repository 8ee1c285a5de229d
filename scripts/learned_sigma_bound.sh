#!/usr/bin/env bash
# The bound in bits/dim, term by term and image by image, of the model with learned variances and of
# the same ch-8 network trained on L_simple alone, each with the variances it can use, on the first N
# test digits with the same noise (so that differences are paired):
#   N=500 bash scripts/learned_sigma_bound.sh
# Writes runs/learned-sigma/<model>-<variance>/ (eval.json, nll-terms.csv, nll-per-image.csv); copy the
# folders to docs/learned/ (notebook 11 reads them). Each run resumes from its own progress folder.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-500}
OUT=${OUT:-runs/learned-sigma}
BIN=${BIN:-build/ddpm}
mkdir -p "$OUT" build
[ "$BIN" != build/ddpm ] || go build -o build/ddpm ./cmd/ddpm
run() { # name checkpoint variance
  "$BIN" eval --ckpt "$2" --nll "$N" --fid 0 --variance "$3" --work "$OUT/$1-$3.work" --out "$OUT/$1-$3" \
    >"$OUT/$1-$3.log" 2>&1 || { tail -c 600 "$OUT/$1-$3.log" >&2; exit 1; }
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["nll"]; print(sys.argv[2], "%.4f ± %.4f bits/dim" % (r["bits_per_dim"], r["std_err"]))' \
    "$OUT/$1-$3/eval.json" "$1 $3"
}
for v in learned posterior beta; do run hybrid models/mnist-learned-sigma-ema.ddpm "$v"; done
for v in posterior beta; do run simple models/mnist-ch8-ema.ddpm "$v"; done
