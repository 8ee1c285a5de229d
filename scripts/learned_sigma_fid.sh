#!/usr/bin/env bash
# Classifier-FID against the number of sampling steps K for the model with learned variances, sampled
# with its Σ_θ and with the fixed σ² = β̃ (the same network, the same seeds, so the same x_T and noise
# in both rows), N samples each:
#   N=1000 STEPS="10 20 50 100 250 1000" bash scripts/learned_sigma_fid.sh   (about 30 minutes on 2 cores)
# Writes runs/learned-sigma-fid/fid-vs-steps.csv (copied to docs/learned by hand; notebook 11 reads it).
# Each row keeps its own sample store, so an interrupted run resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
MODEL=${MODEL:-models/mnist-learned-sigma-ema.ddpm}
STEPS=${STEPS:-"10 20 50 100 250 1000"}
OUT=${OUT:-runs/learned-sigma-fid}
BIN=${BIN:-build/ddpm}
mkdir -p "$OUT" build
[ "$BIN" != build/ddpm ] || go build -o build/ddpm ./cmd/ddpm
csv=$OUT/fid-vs-steps.csv
echo "variance,steps,samples,classifier_fid,classifier_fid_stderr,confident_fraction" >"$csv"
for K in $STEPS; do
  for v in learned posterior; do
    name="$v-$K"
    "$BIN" eval --ckpt "$MODEL" --nll 0 --fid "$N" --sampler ancestral --variance "$v" --steps "$K" \
      --work "$OUT/$name" --out "$OUT/$name" >"$OUT/$name.log" 2>&1 || { tail -n3 "$OUT/$name.log" >&2; exit 1; }
    python3 - "$OUT/$name/eval.json" "$v" "$K" >>"$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["fid"]
print(f'{sys.argv[2]},{sys.argv[3]},{r["samples"]},{r["classifier_fid"]:.3f},'
      f'{r["classifier_fid_stderr"]:.3f},{r["confident_fraction"]:.4f}')
PY
    tail -n1 "$csv"
  done
done
