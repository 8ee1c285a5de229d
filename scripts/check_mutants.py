#!/usr/bin/env python3
"""Shows that every check of the notebooks can fail.

notebooks/mutants.json names, for each check (course.Check, course.Near), the wrong implementation it
catches, as a mutant: the check's cell with that mistake put in (a wrong variance, a dropped √, an
off-by-one ᾱ, a forgotten L_0, a wrong sign…). course.Check refuses a ✓ whose claim has no entry, so the
notebooks' own run (notebooks.py check, which must come first: its executed copies in build/notebooks/ say
which ✓ lines each cell printed) already shows that every ✓ has one. This script runs each mutant with
COURSE_MUTANT set, under which course.Check prints "CHECK FAILED: <claim> (<detail>)" and goes on, and
requires every ✓ line of the cell that the mutant answers for (the lines whose claim contains its Claim,
the longest match, as course.Check picks it) to fail: at every t of a loop, not only the first.

For each notebook one kernel runs the declaration cells, then every mutant of that notebook. A mutant
with "Shrink" (fewer samples or steps, to keep make test short) runs its shrunk cell as written first,
which must pass. A mutant with "In" puts its mistake into that declaration cell (a function the check
cell calls) instead of the check cell. A replacement whose text is not in the cell exactly once is an
error, so editing a notebook cannot silently turn a mutant into a no-op.

A notebook whose every input (its mutants included) is unchanged since its mutants last all failed is not
run again (scripts/passed.py; FRESH=1 runs it).

    check_mutants.py [-k TEXT] [NOTEBOOK ...]     (default: every notebook; -k: only the mutants whose
                                                 claim contains TEXT)
"""
import copy
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import passed  # scripts/, beside this file
from notebooks import BUILD, NOTEBOOKS, ROOT, cell_failure, execute, run_cells

MUTANTS = NOTEBOOKS / "mutants.json"
MUTANT_ENV = "COURSE_MUTANT"  # course.MutantEnv


def edited(cell, pairs, what):
    """cell's source with each (old, new) of pairs replaced; old must occur exactly once."""
    source = cell.source
    for old, new in pairs:
        if source.count(old) != 1:
            raise ValueError(f"cell {cell.get('id')}: {what} text {old!r} occurs {source.count(old)} times, want once")
        source = source.replace(old, new)
    return source


def mutant_notebook(path, mutants):
    """The notebook's declaration cells, then each mutant: its shrunk cell as written first when it has a
    Shrink (once per cell and Shrink), then the mutant. A mutant whose Replace is in a declaration cell
    ("In") runs that cell's mutated declarations together with the check cell, and the declarations as
    written are run again after it. Returns the notebook and, per mutant, the indices of its cells."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    by_id = {c.get("id"): c for c in cells}

    def cell(cell_id, m):
        if cell_id not in by_id:
            raise ValueError(f"{path.name}: no code cell with id {cell_id} (mutant for {m['Claim']!r})")
        return by_id[cell_id]

    runs = [c for c in cells if not c.source.lstrip().startswith("%%")]
    slots, written_at = [], {}
    for k, m in enumerate(mutants):
        target = cell(m["Cell"], m)
        written = copy.deepcopy(target)
        written.source = edited(target, m.get("Shrink", []), "Shrink")
        written.id = f"{m['Cell']}-written-{k}"
        wrong = copy.deepcopy(written)
        slot = {}
        if m.get("Shrink"):
            key = (m["Cell"], written.source)
            if key not in written_at:
                written_at[key] = len(runs)
                runs.append(written)
            slot["written"] = written_at[key]
        declarations = cell(m["In"], m) if m.get("In", m["Cell"]) != m["Cell"] else None
        if declarations is None:
            wrong.source = edited(written, m["Replace"], "Replace")
        else:
            wrong.source = edited(declarations, m["Replace"], "Replace") + "\n\n" + written.source
        wrong.id = f"{m['Cell']}-mutant-{k}"
        slot["wrong"] = len(runs)
        runs.append(wrong)
        if declarations is not None:
            restore = copy.deepcopy(declarations)
            restore.id = f"{m['In']}-restored-{k}"
            runs.append(restore)
        slots.append(slot)
    nb.cells = runs
    return nb, slots


def stdout_lines(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout").splitlines()


def owner(line, mutants):
    """The mutant whose claim is the longest part of a ✓ line (as course.Check picks the mistake to print)."""
    matching = [m for m in mutants if m["Claim"] in line]
    return max(matching, key=lambda m: len(m["Claim"])) if matching else None


def borrowed(as_run, everything, name):
    """The ✓ lines (of each cell as run, by cell id) whose mutant is another cell's: course.Check finds
    the mutant by its claim alone, so a check whose words contained another cell's claim got that
    mutant's ✓, and no mutant ever ran against it (fifty-sixth probe)."""
    problems = []
    for cell_id, lines in as_run.items():
        for line in lines:
            if not line.startswith("✓ "):
                continue
            if (m := owner(line, everything)) is None:  # course.Check found one in another notebook's list
                problems.append(f"{name}, cell {cell_id}: {line!r} has no mutant of this notebook: give it one of its own cell")
            elif m["Cell"] != cell_id:
                problems.append(f"{name}, cell {cell_id}: {line!r} borrows the mutant of cell {m['Cell']} "
                                f"({m['Claim']!r}): give it a mutant of its own cell")
    return problems


# borrowed's own check: a ✓ of cell b whose words hold cell a's claim is named, and one whose claim
# is no mutant's of the notebook; a ✓ of its own cell's mutant is not.
assert borrowed({"a": ["✓ x is y — would fail if"], "b": ["✓ also x is y here", "✓ z — would fail if"]},
                [{"Cell": "a", "Claim": "x is y"}], "t") == [
    "t, cell b: '✓ also x is y here' borrows the mutant of cell a ('x is y'): give it a mutant of its own cell",
    "t, cell b: '✓ z — would fail if' has no mutant of this notebook: give it one of its own cell"]


def check(path, mutants, everything):
    """Returns what is wrong with path's mutants (a list of strings). everything: all of the notebook's
    mutants, which share out its ✓ lines."""
    executed = BUILD / path.name
    key_file = BUILD / (path.stem + ".key")
    current = key_file.exists() and executed.exists() and key_file.read_text() == passed.key(path)
    if not current:  # notebooks.py check found it unchanged since it passed, or ran it on other inputs
        print(f"  {path.name}: executing it first, for the ✓ lines each cell prints", flush=True)
        _, _, failures = execute(path)
        if failures:
            return failures
    as_run = {c.get("id"): stdout_lines(c) for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"}
    if lent := borrowed(as_run, everything, path.name):
        return lent
    nb, slots = mutant_notebook(path, mutants)
    log_path = BUILD / "mutants" / (path.stem + ".kernel.log")
    elapsed = run_cells(nb, path.parent, log_path)
    nbformat.write(nb, BUILD / "mutants" / path.name)
    print(f"  {path.name}: {len(mutants)} mutants, {elapsed:.0f} s", flush=True)
    problems = []
    for m, slot in zip(mutants, slots):
        where = f"{path.name}, cell {m['Cell']}, mutant for {m['Claim']!r} ({m['Wrong']})"
        written = as_run.get(m["Cell"], [])
        if "written" in slot:
            cell = nb.cells[slot["written"]]
            written = stdout_lines(cell)
            if (why := cell_failure(cell)) or any(line.startswith("CHECK FAILED: ") for line in written):
                problems.append(f"{where}: the shrunk cell as written failed (kernel log {log_path.relative_to(ROOT)}):\n"
                                + (why or "\n".join(written)))
                continue
        # The checks this mutant answers for: the ✓ lines of its cell whose claim is its own.
        keys = [line[2:line.index(m["Claim"]) + len(m["Claim"])] for line in written
                if line.startswith("✓ ") and owner(line, everything) is m]
        if not keys:
            problems.append(f"{where}: no ✓ line of the cell as run has this claim")
            continue
        wrong = nb.cells[slot["wrong"]]
        failed = [line for line in stdout_lines(wrong) if line.startswith("CHECK FAILED: ")]
        survivors = [key for key in keys if not any(line.startswith("CHECK FAILED: " + key) for line in failed)]
        if survivors:
            why = cell_failure(wrong)
            problems.append(f"{where}: these checks still passed:\n  " + "\n  ".join(survivors)
                            + (f"\n(the cell failed: {why})" if why else ""))
    return problems


def main():
    registry = json.loads(MUTANTS.read_text())
    os.environ[MUTANT_ENV] = "1"  # the kernels inherit it: a failed check prints and the cell goes on
    args, only = sys.argv[1:], ""
    if args[:1] == ["-k"]:
        only, args = args[1], args[2:]
    paths = [Path(n).resolve() for n in args] or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    problems, ran, skipped = [], 0, 0
    for path in paths:
        everything = registry.get(path.name, [])
        mutants = [m for m in everything if only in m["Claim"]]
        if not mutants:
            continue
        key = passed.key(path, mutants=everything)
        if not only and (entry := passed.passed(path, "mutants", key)):
            print(passed.skipped(path, "mutants", entry), flush=True)
            skipped += len(mutants)
            continue
        ran += len(mutants)
        print(f"mutating {path.relative_to(ROOT)} ...", flush=True)
        start = time.monotonic()
        try:
            found = check(path, mutants, everything)
        except ValueError as e:
            found = [str(e)]
        problems += found
        if not found and not only:
            passed.record(path, "mutants", key, time.monotonic() - start)
    unknown = sorted(set(registry) - {p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")})
    problems += [f"{MUTANTS.name}: no notebook {name}" for name in unknown]
    if problems:
        print(f"\n{len(problems)} mutant failure(s):\n\n" + "\n\n".join(problems), file=sys.stderr)
        sys.exit(1)
    caught = f"{ran} mutants caught: every check fails on the wrong implementation it names" if ran else "no mutant run"
    print(caught + (f"; {skipped} not run again: they passed with these very inputs" if skipped else ""))


if __name__ == "__main__":
    main()
