#!/usr/bin/env bash
# Classifier-free guidance on MNIST: for each guidance weight w, how often the samples asked for a
# digit are classified as that digit (overall and per digit), the classifier-FID of the same
# samples against the test set and the confident fraction: the diversity/fidelity trade-off that
# Ho and Salimans (2022) show in their Figure 1 (samples) and measure in their Figure 4 and Table 1. Sample i asks for digit i mod 10.
#   N=1000 MODEL=models/mnist-cond-ema.ddpm STEPS=100 bash scripts/guidance_sweep.sh
# STEPS is the sampler's --steps (empty: all 1000); each w resumes from its own sample store.
# Writes runs/guidance/guidance.csv and the plots guidance-accuracy.png and guidance-fid.png.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
MODEL=${MODEL:-models/mnist-cond-ema.ddpm}
WEIGHTS=${WEIGHTS:-"0 0.25 0.5 1 2 4"}
STEPS=${STEPS-100}
OUT=${OUT:-runs/guidance}
mkdir -p "$OUT" build
go build -o build/ddpm ./cmd/ddpm
csv="$OUT/guidance.csv"
echo "guidance,samples,steps,conditional_accuracy,conditional_accuracy_stderr,classifier_fid,classifier_fid_stderr,confident_fraction,$(seq -s, -f 'accuracy_%g' 0 9)" >"$csv"
for w in $WEIGHTS; do
  build/ddpm eval --ckpt "$MODEL" --nll 0 --fid "$N" --guidance "$w" ${STEPS:+--steps "$STEPS"} \
    --work "$OUT/w$w" --out "$OUT/w$w" >"$OUT/w$w.log" 2>&1
  python3 - "$OUT/w$w/eval.json" >>"$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["fid"]
c = f["conditional"]
print(",".join([f'{r.get("guidance", 0):g}', str(f["samples"]), str(r["steps"]), f'{c["accuracy"]:.4f}', f'{c["accuracy_stderr"]:.4f}',
                 f'{f["classifier_fid"]:.3f}', f'{f["classifier_fid_stderr"]:.3f}', f'{f["confident_fraction"]:.4f}']
                + [f'{a:.3f}' for a in c["per_class_accuracy"]]))
PY
  tail -n1 "$csv"
done
plot() { go run ./scripts/csvplot -x guidance -title "Classifier-free guidance on MNIST ($N samples, ${STEPS:-1000} steps)" \
  -xlabel "guidance weight w" "$@"; }
plot -y conditional_accuracy -yscale 100 -ylabel "classified as the digit asked for (%)" "$csv" "$OUT/guidance-accuracy.png"
plot -y classifier_fid -ylabel "classifier-FID (lower is better)" "$csv" "$OUT/guidance-fid.png"
