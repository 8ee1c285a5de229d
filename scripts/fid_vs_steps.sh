#!/usr/bin/env bash
# Classifier-FID and the confident fraction against the number of sampling steps K, for the ancestral
# sampler with σ² = β and σ² = β̃ and for DDIM with η = 0, on one model (default the shipped one),
# and, when LEARNED names a model trained with --learn-sigma, for its learned variances Σ_θ.
#   N=1000 MODEL=models/mnist-ema.ddpm LEARNED=models/mnist-learned-sigma-ema.ddpm bash scripts/fid_vs_steps.sh
# Writes runs/fid-vs-steps/fid-vs-steps.csv and its plot fid-vs-steps.png; each (model, sampler, K)
# resumes from its own sample store.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
MODEL=${MODEL:-models/mnist-ema.ddpm}
STEPS=${STEPS:-"10 20 50 100 250 1000"}
OUT=${OUT:-runs/fid-vs-steps}
mkdir -p "$OUT" build
go build -o build/ddpm ./cmd/ddpm
csv="$OUT/fid-vs-steps.csv"
# Samples already in a store cost nothing this run: their time per image comes from the last CSV.
[ -f "$csv" ] && cp "$csv" "$csv.prev"
echo "sampler,steps,samples,classifier_fid,classifier_fid_stderr,confident_fraction,seconds_per_image" >"$csv"
samplers=("ancestral beta" "ancestral posterior" "ddim beta")
[ -n "${LEARNED:-}" ] && samplers+=("ancestral learned")
for K in $STEPS; do
  for s in "${samplers[@]}"; do
    set -- $s
    name="$1-$2-$K"
    [ "$1" = ddim ] && name="ddim-eta0-$K"
    model="$MODEL"
    [ "$2" = learned ] && model="$LEARNED"
    build/ddpm eval --ckpt "$model" --nll 0 --fid "$N" --sampler "$1" --variance "$2" --steps "$K" \
      --work "$OUT/$name" --out "$OUT/$name" >"$OUT/$name.log" 2>&1
    label="$1 σ²=$2"
    [ "$1" = ddim ] && label="DDIM η=0"
    [ "$2" = learned ] && label="learned variances (hybrid-loss model)"
    python3 - "$OUT/$name/eval.json" "$label" "$K" "$csv.prev" >>"$csv" <<'PY'
import csv, json, os, sys
r = json.load(open(sys.argv[1]))["fid"]
made = r.get("samples_made_this_run", r["samples"])
seconds = r["sample_seconds_this_run"] / made if made > 0 else float("nan")
if made == 0 and os.path.exists(sys.argv[4]):
    for row in csv.DictReader(open(sys.argv[4])):
        if row["sampler"] == sys.argv[2] and row["steps"] == sys.argv[3]:
            seconds = float(row["seconds_per_image"])
print(f'{sys.argv[2]},{sys.argv[3]},{r["samples"]},{r["classifier_fid"]:.3f},{r.get("classifier_fid_stderr", float("nan")):.3f},'
      f'{r["confident_fraction"]:.4f},{seconds:.4f}')
PY
    tail -n1 "$csv"
  done
done
go run ./scripts/csvplot -x steps -y classifier_fid -group sampler -logx -title "Sample quality against sampling steps" \
  -xlabel "sampling steps K" -ylabel "classifier-FID (lower is better)" "$csv" "$OUT/fid-vs-steps.png"
