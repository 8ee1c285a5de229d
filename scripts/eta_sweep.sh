#!/usr/bin/env bash
# Classifier-FID of DDIM against its noise η, between the deterministic sampler (η = 0, the
# probability-flow ODE's Euler step) and Algorithm 2 with σ² = β̃′ (η = 1), on one model (default the
# shipped one), 2 000 samples each from the same seed (so the same x_T in every row), at K = 10 and 50
# steps, with x̂_0 clipped and, at K = 50, without:
#   N=2000 MODEL=models/mnist-ema.ddpm bash scripts/eta_sweep.sh
# Writes runs/eta-sweep/eta-sweep.csv (copied to docs/sampling by hand; notebook 10 reads it). Each
# row keeps its own sample store under runs/eta-sweep, so an interrupted sweep resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
MODEL=${MODEL:-models/mnist-ema.ddpm}
OUT=${OUT:-runs/eta-sweep}
BIN=${BIN:-build/ddpm}
mkdir -p "$OUT" build
[ "$BIN" != build/ddpm ] || go build -o build/ddpm ./cmd/ddpm
csv=$OUT/eta-sweep.csv
echo "steps,eta,clip,samples,classifier_fid,classifier_fid_stderr,confident_fraction" >"$csv"
run() { # K η clip
  local name="k$1-eta$2-clip$3"
  "$BIN" eval --ckpt "$MODEL" --nll 0 --fid "$N" --sampler ddim --eta "$2" --clip="$3" --steps "$1" \
    --work "$OUT/$name" --out "$OUT/$name" >"$OUT/$name.log" 2>&1 || { tail -n3 "$OUT/$name.log" >&2; exit 1; }
  python3 - "$OUT/$name/eval.json" "$1" "$2" "$3" >>"$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["fid"]
print(f'{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{r["samples"]},{r["classifier_fid"]:.3f},'
      f'{r["classifier_fid_stderr"]:.3f},{r["confident_fraction"]:.4f}')
PY
  tail -n1 "$csv"
}
for K in 10 50; do
  for eta in 0 0.25 0.5 0.75 1; do run "$K" "$eta" true; done
done
for eta in 0 1; do run 50 "$eta" false; done
