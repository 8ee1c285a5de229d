#!/usr/bin/env python3
"""Fails on a number typed into a notebook's prose that could drift from what the code computes.

A number the notebook computes, or reads from a file of the repository, must be written into the text
by the code that has it (`course.Markdown` in a code cell, tagged "prose"); then text and data cannot
disagree. The numbers that may be typed by hand are:

- the papers' published figures, in a sentence that cites the table, figure or section they come from
  ("… 3.17 (Ho et al. 2020, Table 1)");
- the parameters of the notebook's own cells: a number that occurs as a literal in the notebook's code
  (the 200 digits of a cell that says `const n = 200`; not an index, x[1000]; a step count given as a
  string, "50"), or in a code span of its text (the flags of a command). Change the code, and the prose
  that still says 200 fails here. This is the rule's weak spot: a number used anywhere in the code passes;
- the deliberate constants of the setting (ALLOWED: T = 1 000, MNIST's sizes, the paper's schedule…),
  shapes (3×3), references (notebook 3, Eq. 5, Algorithm 2), years, list numbers, and the indices,
  exponents and small coefficients of formulas (x_{t−1}, 1 − β_t).

Read: markdown cells; in code cells, the format strings of `course.Markdown` and the alt text of figures
(what a screen reader says is prose too). Numbers in code output are computed, so they are not read.

    check_prose.py [NOTEBOOK ...]     (default: every notebook)
    check_prose.py --self-test        shows that each rule can fail: typed numbers that must be caught
"""
import re
import sys
from pathlib import Path

import nbformat
from notebooks import NOTEBOOKS, PROSE_TAG  # scripts/, beside this file

# The setting's deliberate constants: T, MNIST (28×28 = 784 pixels of 256 grey levels, 60 000 + 10 000
# digits, 10 classes), the paper's linear schedule (10⁻⁴ to 0.02) and Nichol and Dhariwal's cosine one
# (s = 0.008, β capped at 0.999). Small integers are everywhere in formulas and counts of words.
ALLOWED = {0, 1, 2, 3, 4, 10, 784, 28, 255, 256, 0.02, 0.008, 0.999}
# Constants that are only constants in their phrase: T = 1 000 (and the 1 000 steps of Algorithm 2), not
# 1 000 samples; MNIST's 60 000 training and 10 000 test digits, not 10 000 samples.
ALLOWED_PHRASES = re.compile(r"\b(T|K|t)\s*=\s*1(\s|\\,)?000\b|\b1(\s|\\,)?000\s+(steps|time steps|network evaluations)\b|"
                             r"\b(60|10)(\s|\\,)?000\s+(training|test|MNIST)\b")

NUMBER = re.compile(r"(?<![\w.])\d+(?:(?:[.,]|\\,|\u202f|\u2009| (?=\d{3}(?!\d)))\d+)*(?:e-?\d+)?")
CODE_SPAN = re.compile(r"`[^`]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
INDEX = re.compile(r"[_^](\{[^{}]*\}|\\?\w)")  # subscripts and superscripts: x_{t-1}, 10^{-4}
SHAPE = re.compile(r"\d+\s*×\s*\d+")
REFERENCE = re.compile(r"(?i)(§|\b(notebooks?|figures?|fig\.|tables?|eqs?\.|equations?|algorithms?|§|exercises?|"
                       r"sections?|chapters?|issue|notebooks \d+(, \d+)* and|\d+ and|\d+ to|\d+–))\s*\(?$")
CITATION = re.compile(r"(\b(Table|Figure|Fig\.|Eq\.|Algorithm|Appendix)|§)\s*[\dA-Z]")  # no \b before §: not a word character
YEAR = re.compile(r"^(19|20)\d\d$")
LIST_ITEM = re.compile(r"(?m)^(\s*#+\s*|\s*)\d+\.\s")
SPELLED = re.compile(r"(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten|a few|several|a hundred|"
                     r"hundreds of|a thousand|thousands of)\s+(hours?|minutes?|seconds?|days?)\b")
FORMAT_VERB = re.compile(r"%[-+# 0]*(\d+|\*)?(\.(\d+|\*))?[vTtbcdoOqxXUeEfFgGsp%]")
GO_STRING = re.compile(r'`[^`]*`|"(?:[^"\\\n]|\\.)*"')
GO_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
INDEXING = re.compile(r"(?<=[\w\])])\[[^\[\]:]*\]")  # x[1000], not x[:1500]
NUMERIC_STRING = re.compile(r'"(?:ddim)?(\d+)"')  # respaced(tr, "50"): a number of steps given as a string
GO_NUMBER = re.compile(r"(?<![\w.])(\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?)")
# A string literal is prose when it follows one of these (alt text of a figure, the text of a prose cell).
PROSE_ARGUMENT = re.compile(r"(Alt:\s*(fmt\.Sprintf\()?|course\.Markdown\(\s*|course\.Digits\([^()]*(\([^()]*\)[^()]*)*,\s*"
                            r"(fmt\.Sprintf\()?|course\.ShowFile\([^,]*,\s*|\+\s*)$")


def value(token):
    token = token.replace("\\,", "").replace("\u202f", "").replace("\u2009", "").replace(" ", "")
    if "," in token and re.fullmatch(r"\d{1,3}(,\d{3})+", token):
        token = token.replace(",", "")
    try:
        return float(token)
    except ValueError:
        return None


def code_literals(nb):
    """The numeric literals of the notebook's Go code, outside strings and comments, and of the code
    spans of its text (the flags of a command shown in the text)."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            src = GO_COMMENT.sub(" ", GO_STRING.sub('""', cell.source))
            src = INDEXING.sub("[]", src) + " " + " ".join(NUMERIC_STRING.findall(cell.source))
            # tilde[1000] reads a value, it does not set a parameter; "50" steps does
        else:
            src = " ".join(m.group()[1:-1] for m in CODE_SPAN.finditer(cell.source))
        for m in GO_NUMBER.finditer(src):
            if (v := value(m.group(1).replace("_", ""))) is not None:
                found.add(v)
    return found


def prose_strings(source):
    """The string literals of a code cell that are prose: alt text and course.Markdown's format."""
    out, code = [], GO_COMMENT.sub(lambda m: " " * len(m.group()), source)
    for m in GO_STRING.finditer(code):
        before = code[max(0, m.start() - 300):m.start()]
        if PROSE_ARGUMENT.search(before) and (not before.rstrip().endswith("+") or out):
            text = m.group()[1:-1]
            out.append(FORMAT_VERB.sub(" ", text))
    return out


SENTENCE_END = re.compile(r"(?<!\bal)(?<!\bEq)(?<!\bFig)(?<!\be\.g)(?<!\bi\.e)\.\s|\n\n|\n- ")


def sentence_of(text, start, end):
    lefts = [m.end() for m in SENTENCE_END.finditer(text, 0, start)]
    right = SENTENCE_END.search(text, end)
    return text[lefts[-1] if lefts else 0:right.start() if right else len(text)]


def typed_numbers(text, parameters):
    """(number, context) for every number in text that none of the rules allows."""
    found = []
    for m in SPELLED.finditer(text):
        found.append((m.group(), "a duration typed in words: write the measured one from the code"))
    blank = lambda m: " " * len(m.group())
    s = CODE_SPAN.sub(blank, text)
    s = MATH.sub(lambda m: INDEX.sub(blank, m.group()), s)
    s = SHAPE.sub(blank, s)
    s = ALLOWED_PHRASES.sub(blank, s)
    s = LIST_ITEM.sub(blank, s)
    for m in NUMBER.finditer(s):
        v = value(m.group())
        percent = s[m.end():m.end() + 2].lstrip().startswith(("%", "\\%"))
        if v is None or v in ALLOWED or v in parameters or YEAR.match(m.group()) or (percent and round(v / 100, 12) in parameters):
            continue
        if REFERENCE.search(s[max(0, m.start() - 30):m.start()]):
            continue
        sentence = sentence_of(text, m.start(), m.end())
        if CITATION.search(sentence) and re.search(r"\b(19|20)\d\d\b|et al|paper", sentence):
            continue
        found.append((m.group(), " ".join(text[max(0, m.start() - 60):m.end() + 30].split())))
    return found


def check(path):
    nb = nbformat.read(path, as_version=4)
    parameters = code_literals(nb)
    problems = []
    for i, cell in enumerate(nb.cells):
        writes = cell.cell_type == "code" and "course.Markdown(" in cell.source
        if writes != (PROSE_TAG in cell.get("metadata", {}).get("tags", [])):
            problems.append(f"{path.name}, cell {i + 1} ({cell.get('id', '?')}): a cell that calls course.Markdown is tagged "
                            f"{PROSE_TAG!r} (the page shows its text, not its code), and only such a cell")
        texts = [cell.source] if cell.cell_type == "markdown" else prose_strings(cell.source) if cell.cell_type == "code" else []
        for text in texts:
            for number, context in typed_numbers(text, parameters):
                problems.append(f"{path.name}, cell {i + 1} ({cell.get('id', '?')}): {number!r} typed by hand: …{context}…")
    return problems


SELF_TEST = [  # (text, the code's literals, whether a typed number must be found)
    ("FID first improves and then worsens: 3.95 at w = 0.", set(), True),
    ("1 000 samples per weight", {2000.0}, True),
    ("The bound is 3.70 bits/dim (Ho et al. 2020, Table 2).", set(), False),
    ("with λ = 0.001 (Nichol and Dhariwal 2021, §3.1)", set(), False),
    ("with λ = 0.001 (our §3.1)", set(), True),
    ("The bound is 3.70 bits/dim, close to the paper.", set(), True),
    ("trained for two hours", set(), True),
    ("$\\tilde\\beta_2/\\beta_2 = 0.455$", set(), True),
    ("200 digits", {200.0}, False),
    ("90% of them", {0.9}, False),
    ("the paper's §3.2", set(), False),
    ("200 digits", {300.0}, True),
    ("a 3×3 convolution at $t = 500$", {500.0}, False),
    ("$x_{t-1}$ and $\\beta_1 = 10^{-4}$ (notebook 3, Eq. 11)", set(), False),
]


def self_test():
    failures = []
    for text, parameters, want in SELF_TEST:
        got = bool(typed_numbers(text, parameters))
        if got != want:
            failures.append(f"{text!r} with code literals {sorted(parameters)}: {'caught' if got else 'passed'}, want "
                            f"{'caught' if want else 'passed'}")
    code = 'course.Show(viz.Plot{Alt: "FID from about 4 at w = 0 to about 60"})\nfmt.Println("60 is fine here")'
    if prose_strings(code) != ["FID from about 4 at w = 0 to about 60"]:
        failures.append(f"alt text not read as prose: {prose_strings(code)}")
    if failures:
        sys.exit("check_prose.py self-test failed:\n  " + "\n  ".join(failures))
    print(f"check_prose self-test: {len(SELF_TEST)} texts, typed numbers caught where they must be")


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    paths = [Path(n).resolve() for n in sys.argv[1:]] or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    problems = [p for path in paths for p in check(path)]
    if problems:
        print("Numbers typed into the prose (write them from the code with course.Markdown, cite the paper's "
              "table or figure, or use the cell's own parameter):\n\n" + "\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"{len(paths)} notebook(s): every number in the prose is computed, cited or a parameter of the code")


if __name__ == "__main__":
    main()
