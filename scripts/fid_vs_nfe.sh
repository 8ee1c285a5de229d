#!/usr/bin/env bash
# Classifier-FID against the number of network evaluations (NFE) for every sampler, on one model
# (default the shipped one), 2 000 samples each, and the paper's 1 000-step ancestral sampler as the
# reference:
#   N=2000 MODEL=models/mnist-ema.ddpm bash scripts/fid_vs_nfe.sh
# Writes runs/fid-vs-nfe/fid-vs-nfe.csv and its plot fid-vs-nfe.png (copied to docs/sampling by hand).
# Each (sampler, steps) keeps its own sample store under runs/fid-vs-nfe, so an interrupted sweep
# resumes; SAMPLERS="ancestral ddim" runs some of them only (the CSV then has just those rows).
# Heun evaluates the network twice per step but once on the last, so K steps cost 2K − 1 evaluations:
# its K are chosen for NFE 5, 9, 15, 19 and 49. DPM-Solver++ at 100 steps is the ODE solved closely,
# the limit its few-step runs approach; the churn rows are Karras et al.'s stochastic sampler.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
MODEL=${MODEL:-models/mnist-ema.ddpm}
OUT=${OUT:-runs/fid-vs-nfe}
SAMPLERS=${SAMPLERS:-"reference ancestral ddim dpm++2m euler heun euler-churn heun-churn"}
BIN=${BIN:-build/ddpm}
mkdir -p "$OUT" build
[ "$BIN" != build/ddpm ] || go build -o build/ddpm ./cmd/ddpm
csv=${CSV:-$OUT/fid-vs-nfe.csv}
echo "sampler,steps,nfe,samples,classifier_fid,classifier_fid_stderr,confident_fraction,seconds_per_image" >"$csv"
for s in $SAMPLERS; do
  churn=0
  case $s in
    reference) runs="1000"; flags=(--sampler ancestral --variance beta); label="ancestral σ²=β T=1000 (reference)" ;;
    ancestral) runs="5 10 15 20 50"; flags=(--sampler ancestral --variance posterior); label="ancestral σ²=β̃" ;;
    ddim) runs="5 10 15 20 50"; flags=(--sampler ddim); label="DDIM η=0" ;;
    dpm++2m) runs="5 10 15 20 50 100"; flags=(--sampler dpm++2m); label="DPM-Solver++(2M)" ;;
    euler) runs="5 10 15 20 50"; flags=(--sampler euler); label="Euler (Karras σ)" ;;
    heun) runs="3 5 8 10 25"; flags=(--sampler heun); label="Heun (Karras σ)" ;;
    # Karras et al.'s churn at its largest, γ = √2 − 1 on every step (S_churn ≥ 0.42 K).
    euler-churn) runs="10 20 50"; flags=(--sampler euler); churn=max; label="Euler with churn γ=√2−1" ;;
    heun-churn) runs="5 10 25"; flags=(--sampler heun); churn=max; label="Heun with churn γ=√2−1" ;;
    *) echo "fid_vs_nfe.sh: unknown sampler $s" >&2; exit 2 ;;
  esac
  for K in $runs; do
    nfe=$K
    case $s in heun*) nfe=$((2 * K - 1)) ;; esac
    name="$s-$K"
    extra=()
    [ "$churn" = max ] && extra=(--churn "$K")
    "$BIN" eval --ckpt "$MODEL" --nll 0 --fid "$N" "${flags[@]}" "${extra[@]}" --steps "$K" \
      --work "$OUT/$name" --out "$OUT/$name" >"$OUT/$name.log" 2>&1 || { tail -n3 "$OUT/$name.log" >&2; exit 1; }
    python3 - "$OUT/$name/eval.json" "$label" "$K" "$nfe" "$OUT/$name.seconds" >>"$csv" <<'PY'
import json, math, os, sys
r = json.load(open(sys.argv[1]))["fid"]
made = r.get("samples_made_this_run", 0)
# Samples already in the store cost nothing this run: their time per image is the one kept when made.
seconds = r["sample_seconds_this_run"] / made if made > 0 else float("nan")
if made == r["samples"]:
    open(sys.argv[5], "w").write(f"{seconds}\n")
elif os.path.exists(sys.argv[5]):
    seconds = float(open(sys.argv[5]).read())
print(f'{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{r["samples"]},{r["classifier_fid"]:.3f},'
      f'{r["classifier_fid_stderr"]:.3f},{r["confident_fraction"]:.4f},{seconds:.4f}')
PY
    tail -n1 "$csv"
  done
done
go run ./scripts/csvplot -x nfe -y classifier_fid -group sampler -logx -logy -points -title "Sample quality against network evaluations" \
  -xlabel "network evaluations (NFE)" -ylabel "classifier-FID (lower is better)" "$csv" "$OUT/fid-vs-nfe.png"
