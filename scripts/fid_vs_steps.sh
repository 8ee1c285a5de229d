#!/usr/bin/env bash
# Classifier-FID and the confident fraction against the number of sampling steps K, for the ancestral
# sampler with σ² = β and σ² = β̃ and for DDIM with η = 0, on one model (default the shipped one).
#   N=1000 MODEL=models/mnist-ema.ddpm bash scripts/fid_vs_steps.sh
# Writes runs/fid-vs-steps/fid-vs-steps.csv; each (sampler, K) resumes from its own sample store.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
MODEL=${MODEL:-models/mnist-ema.ddpm}
STEPS=${STEPS:-"10 20 50 100 250 1000"}
OUT=${OUT:-runs/fid-vs-steps}
mkdir -p "$OUT" build
go build -o build/ddpm ./cmd/ddpm
csv="$OUT/fid-vs-steps.csv"
echo "sampler,steps,samples,classifier_fid,confident_fraction,seconds_per_image" >"$csv"
for K in $STEPS; do
  for s in "ancestral beta" "ancestral posterior" "ddim beta"; do
    set -- $s
    name="$1-$2-$K"
    [ "$1" = ddim ] && name="ddim-eta0-$K"
    build/ddpm eval --ckpt "$MODEL" --nll 0 --fid "$N" --sampler "$1" --variance "$2" --steps "$K" \
      --work "$OUT/$name" --out "$OUT/$name" >"$OUT/$name.log" 2>&1
    label="$1 σ²=$2"
    [ "$1" = ddim ] && label="DDIM η=0"
    python3 - "$OUT/$name/eval.json" "$label" "$K" >>"$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["fid"]
print(f'{sys.argv[2]},{sys.argv[3]},{r["samples"]},{r["classifier_fid"]:.3f},{r["confident_fraction"]:.4f},{r["sample_seconds_this_run"] / r["samples"]:.4f}')
PY
    tail -n1 "$csv"
  done
done
