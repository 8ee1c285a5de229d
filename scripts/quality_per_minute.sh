#!/usr/bin/env bash
# Sample quality against training time for candidate MNIST configurations (issue 12): each candidate
# is trained in chunks (`ddpm train --steps N` resumes exactly), and after each chunk its EMA weights
# are scored: classifier-FID of N samples (STEPS-step ancestral sampler, σ² = β̃) against the test
# digits and the confident fraction. Training minutes are the wall time of the training chunks only.
#   N=1000 STEPS=100 bash scripts/quality_per_minute.sh
# CANDIDATES lists "name|train flags|chunk ends (steps)"; a candidate's run folder resumes, and a
# chunk already trained and scored is not redone. Writes runs/quality/quality.csv and quality.png.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
STEPS=${STEPS:-100}
OUT=${OUT:-runs/quality}
# The defaults are the measurements of docs/models.md (ch 16 is now the command line's default U-Net).
CANDIDATES=${CANDIDATES:-"ch8|--ch 8 --groups 2|2000 4000 8000 16000
ch16|--ch 16 --groups 4|1000 2000 4000 6000 8000 12000 16000 20000 24000 28000 32000 36000 40000"}
mkdir -p "$OUT" build
go build -o build/ddpm ./cmd/ddpm
csv="$OUT/quality.csv"
[ -f "$csv" ] || echo "candidate,steps,train_minutes,samples,classifier_fid,classifier_fid_stderr,confident_fraction" >"$csv"
while IFS='|' read -r name flags ends; do
  [ -z "$name" ] && continue
  run="$OUT/$name"
  for end in $ends; do
    grep -q "^$name,$end," "$csv" && continue
    # shellcheck disable=SC2086
    build/ddpm train $flags --steps "$end" --ckpt "$run" --sample-every 0 --progress=false >>"$OUT/$name.train.log" 2>&1
    build/ddpm export --ckpt "$run" --out "$run-$end.ddpm" >/dev/null
    build/ddpm eval --ckpt "$run-$end.ddpm" --nll 0 --fid "$N" --steps "$STEPS" --work "$OUT/$name-$end" --out "$OUT/$name-$end" \
      >"$OUT/$name-$end.log" 2>&1
    python3 - "$OUT/$name.train.log" "$OUT/$name-$end/eval.json" "$name" "$end" >>"$csv" <<'PY'
import json, re, sys
seconds = 0.0
for m in re.finditer(r"steps \d+ → \d+ in ((?:\d+h)?(?:\d+m)?[\d.]+s)", open(sys.argv[1]).read()):
    h = re.search(r"(\d+)h", m.group(1)); mi = re.search(r"(\d+)m", m.group(1)); s = re.search(r"([\d.]+)s$", m.group(1))
    seconds += (int(h.group(1)) * 3600 if h else 0) + (int(mi.group(1)) * 60 if mi else 0) + float(s.group(1))
f = json.load(open(sys.argv[2]))["fid"]
print(f'{sys.argv[3]},{sys.argv[4]},{seconds / 60:.2f},{f["samples"]},{f["classifier_fid"]:.3f},{f["classifier_fid_stderr"]:.3f},{f["confident_fraction"]:.4f}')
PY
    tail -n1 "$csv"
  done
done <<<"$CANDIDATES"
go run ./scripts/csvplot -x train_minutes -y classifier_fid -group candidate -logx \
  -title "Sample quality against training time (2 CPU cores, $N samples, $STEPS steps)" \
  -xlabel "training minutes" -ylabel "classifier-FID (lower is better)" "$csv" "$OUT/quality.png"
