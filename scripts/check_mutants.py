#!/usr/bin/env python3
"""Shows that the notebooks' checks can fail: one mutant per notebook.

Each mutant puts a plausible mistake (a wrong variance, a forgotten term, the wrong β) into one check
cell of a notebook. The notebook is cut down to its declaration cells and that cell, run once as
written and once mutated: the cell as written must pass, and the mutated one must fail on the named
claim (course.Check panics with "CHECK FAILED: <claim> (<detail>)"). A mutation whose text is no longer in the
cell is an error, so editing a notebook cannot silently turn its mutant into a no-op.

    check_mutants.py [NOTEBOOK ...]     (default: every notebook)
"""
import copy
import sys
from pathlib import Path

import nbformat
from notebooks import BUILD, NOTEBOOKS, ROOT, cell_failure, run_cells  # scripts/, beside this file

# notebook: (cell id, text as written, mutated text, the claim that must then fail)
MUTANTS = {
    "01-forward-process.ipynb": (
        "75bc13ca", "f(500)/f(0)", "f(500)",  # the cosine schedule's ᾱ_t not normalised by f(0)
        "cosine: ᾱ_500, the product of the schedule's 1 − β_t, follows the closed form"),
    "02-markov-chain.ipynb": (
        "b3952780", "beta := sched.Beta[s+1]", "beta := 1 - sched.AlphaBar[s+1]",  # one step's variance taken for q(x_t | x_0)'s
        "the next state's variance is β_{t+1}"),
    "03-reverse-process.ipynb": (
        "a3c9e1f0", "variance := sched.PosteriorVariance[t]", "variance := sched.Beta[t]",  # β_t for β̃_t
        "is constant in x_{t−1}"),
    "04-training.ipynb": (
        "d58e2b31", "eq5 := lT + lSum + l0", "eq5 := lT + lSum",  # Eq. 5 without L_0
        "Eq. 3 estimated by sampling chains = Eq. 5 in closed form"),
    "05-sampling.ipynb": (
        "9d442757", "graph.Mul(graph.Sqrt(ddpm.Coef(sched.Beta, tt, xt)), z)", "graph.Mul(ddpm.Coef(sched.Beta, tt, xt), z)",  # σ_t = β_t
        "the formula by hand equals the library's ReverseStep"),
    "06-evaluation.ipynb": (
        "e1346b5d", "res.Prior+sum+res.Decoder()", "res.Prior+sum",  # the total without L_0
        "the mean of the per-digit bounds equals L_T + Σ L_{t−1} + L_0"),
    "07-fewer-steps-and-guidance.ipynb": (
        "a7c1e005", "prevAlphaBar = sched.AlphaBar[t]", "prevAlphaBar = sched.AlphaBar[t-1]",  # off by one: ᾱ of the step before t_k
        "β'_k by hand equals the library's Respace"),
    "08-inside-the-noise-predictor.ipynb": (
        "b8a00006", "ours := timeEmbedding(t, dim)", "ours := timeEmbedding(graph.AddScalar(t, 1), dim)",  # t off by one
        "our embedding equals ddpm.TimestepEmbedding"),
    "09-scores-and-langevin.ipynb": (
        "c9a00007", "x[0] + beta*(s[0]+x[0]/2)", "x[0] + beta*s[0]",  # the expansion without the x_t/2 drift
        "halving β divides the error of the expansion by 4"),
}


def mutant_notebook(path, cell_id, original, mutated):
    """The notebook's declaration cells, then the check cell as written, then mutated."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    target = next((c for c in cells if c.get("id") == cell_id), None)
    if target is None:
        raise ValueError(f"{path.name}: no code cell with id {cell_id}")
    if target.source.count(original) != 1:
        raise ValueError(f"{path.name}, cell {cell_id}: {original!r} occurs {target.source.count(original)} times, want once")
    wrong = copy.deepcopy(target)
    wrong.source = target.source.replace(original, mutated)
    wrong.id = cell_id + "-mutant"
    nb.cells = [c for c in cells if not c.source.lstrip().startswith("%%")] + [target, wrong]
    return nb


def check(path):
    """Returns what is wrong with path's mutant, or None."""
    cell_id, original, mutated, claim = MUTANTS[path.name]
    nb = mutant_notebook(path, cell_id, original, mutated)
    log_path = BUILD / "mutants" / (path.stem + ".kernel.log")
    elapsed = run_cells(nb, path.parent, log_path)
    nbformat.write(nb, BUILD / "mutants" / path.name)
    as_written, wrong = nb.cells[-2], nb.cells[-1]
    print(f"  {path.name}: {elapsed:.1f} s", flush=True)
    if why := cell_failure(as_written):
        return f"{path.name}, cell {cell_id} as written failed (kernel log {log_path.relative_to(ROOT)}):\n{why}"
    why = cell_failure(wrong)
    if why is None:
        return f"{path.name}, cell {cell_id}: with {original!r} → {mutated!r} every check still passed"
    if not any(line.startswith("panic: CHECK FAILED: ") and claim in line for line in why.splitlines()):
        return f"{path.name}, cell {cell_id}: the mutant failed, but not on {claim!r}:\n{why}"
    return None


def main():
    paths = [Path(n).resolve() for n in sys.argv[1:]] or [NOTEBOOKS / name for name in MUTANTS]
    missing = sorted({p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")} - set(MUTANTS))
    if missing:
        sys.exit(f"notebooks without a mutant in {Path(__file__).name}: {', '.join(missing)}")
    problems = []
    for path in paths:
        if path.name not in MUTANTS:
            sys.exit(f"{path.name}: no mutant in {Path(__file__).name}")
        print(f"mutating {path.relative_to(ROOT)} ...", flush=True)
        try:
            if problem := check(path):
                problems.append(problem)
        except ValueError as e:
            problems.append(str(e))
    if problems:
        print("\nMutant failures:\n\n" + "\n\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"{len(paths)} mutant(s) caught: each notebook's check fails on a wrong number")


if __name__ == "__main__":
    main()
