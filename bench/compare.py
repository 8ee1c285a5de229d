"""`make bench-torch`: ddpm-go against its PyTorch twin (bench/torch_unet.py), side by side.

It alternates rounds on the same cores: in each round the Go benchmarks (ddpm/bench_test.go:
BenchmarkTrainStep and BenchmarkDenoisingStep, both configurations) run once, then the twin in each
variant (eager, channels_last, torch.compile). Each number in the table is the best of the rounds for
that entry, so a side is not penalised for a round disturbed by something else on the machine. It
prints a Markdown table with the ratio ddpm-go / PyTorch's best variant and writes every round's
numbers to build/bench/results.json.

usage: python bench/compare.py [--rounds 2] [--go-steps 10] [--torch-steps 10] [--variants eager,channels_last,compile]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench")
CONFIGS = ("mnist", "ch32")
STEPS = ("train", "denoise")
GO_NAMES = {"TrainStep": "train", "DenoisingStep": "denoise"}


def run_go(binary, steps):
    """Runs the Go benchmarks once; returns {(config, step): (images/s, compile s)}."""
    cmd = [binary, "-test.run", "^$", "-test.bench", "^Benchmark(TrainStep|DenoisingStep)$", "-test.benchtime", f"{steps}x"]
    out = subprocess.run(cmd, cwd=os.path.join(ROOT, "ddpm"), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    results = {}
    for line in out.stdout.splitlines():
        m = re.match(r"Benchmark(TrainStep|DenoisingStep)/(\w+)-\d+\s+\d+\s+\d+ ns/op(.*)", line)
        if m:
            metrics = {unit: float(v) for v, unit in re.findall(r"([\d.]+) (\S+)", m.group(3))}
            results[(m.group(2), GO_NAMES[m.group(1)])] = (metrics["images/s"], metrics["compile-s"])
    if len(results) != len(CONFIGS) * len(STEPS):
        sys.exit(f"bench: could not read every Go benchmark from:\n{out.stdout}")
    return results


def run_torch(config, variant, steps):
    cmd = [sys.executable, os.path.join(ROOT, "bench", "torch_unet.py"), "--config", config, "--variant", variant,
           "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {(config, s): (r[s]["images_per_s"], r[s]["first_s"]) for s in STEPS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--go-steps", type=int, default=10)
    ap.add_argument("--torch-steps", type=int, default=10)
    ap.add_argument("--variants", default="eager,channels_last,compile")
    args = ap.parse_args()
    variants = args.variants.split(",")
    os.makedirs(OUT, exist_ok=True)
    binary = os.path.join(OUT, "ddpm.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./ddpm"], cwd=ROOT, check=True)

    rounds = []
    for r in range(args.rounds):
        start = time.time()
        rnd = {"go": run_go(binary, args.go_steps)}
        for v in variants:
            for c in CONFIGS:
                rnd.setdefault(v, {}).update(run_torch(c, v, args.torch_steps))
        rounds.append(rnd)
        print(f"round {r + 1}/{args.rounds}: {time.time() - start:.0f} s", file=sys.stderr, flush=True)

    def best(side, key):
        return max(rnd[side][key][0] for rnd in rounds)

    head = "| config | step | ddpm-go (XLA CPU) | " + " | ".join(f"PyTorch {v}" for v in variants) + " | ddpm-go / best |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in CONFIGS:
        for s in STEPS:
            ours = best("go", (c, s))
            theirs = {v: best(v, (c, s)) for v in variants}
            top = max(theirs.values())
            cells = " | ".join(f"{theirs[v]:,.0f}" for v in variants)
            lines.append(f"| {c} | {s} | {ours:,.0f} | {cells} | **{ours / top:.2f}** |")
    print("\nimages/s, best of %d rounds (train: batch 128; denoise: batch 256)\n" % args.rounds)
    print("\n".join(lines))
    print("\nfirst call (compilation) in seconds, round 1: " + ", ".join(
        f"{c} {s}: ddpm-go {rounds[0]['go'][(c, s)][1]:.1f}" +
        "".join(f", {v} {rounds[0][v][(c, s)][1]:.1f}" for v in variants) for c in CONFIGS for s in STEPS))
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump([{side: {f"{c}/{s}": v for (c, s), v in r.items()} for side, r in rnd.items()} for rnd in rounds], f, indent=1)


if __name__ == "__main__":
    main()
