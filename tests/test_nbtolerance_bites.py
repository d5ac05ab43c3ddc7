"""The comparison still bites: nbval with the tolerance plugin, on temporary copies of the index.

Copy A gets (a) two changed facts in stored outputs, a hook name and an integer in a cell that
has a tolerance, and (b) a trained loss moved by more than its cell's tolerance: those three
cells must fail and every other cell pass. Copy B gets (c) trained numbers moved by less than
their tolerance: every cell must pass. Both copies run for real, in fresh kernels (about 20 s).
"""

import json
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.nbtolerance import KEY, NUMBER, parse_spec

ROOT = Path(__file__).resolve().parent.parent


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def cell_with(nb, text):
    """(nbval's number, cell) of the one code cell whose source contains text."""
    found = [(n, c) for n, c in enumerate(code_cells(nb)) if text in "".join(c["source"])]
    assert len(found) == 1, (
        f"expected one code cell containing {text!r} in the index, found {len(found)}"
    )
    return found[0]


def stdout_of(cell):
    streams = [o for o in cell["outputs"] if o.get("name") == "stdout"]
    assert streams, "the cell has no stored stdout"
    return streams[0]


def replace_in_stdout(cell, old, new):
    out = stdout_of(cell)
    text = "".join(out["text"])
    assert old in text, f"{old!r} is not in the stored output {text!r}"
    out["text"] = text.replace(old, new, 1)


def move_number(cell, label, factor):
    """Move the first number after `label` in the cell's stored stdout by factor × its tolerance.

    Returns (old, new) as printed. The new value keeps the printed number of decimals, and
    the test fails if the printed precision cannot express a move of that size.
    """
    rules = parse_spec(cell["metadata"][KEY])
    out = stdout_of(cell)
    text = "".join(out["text"])
    match = next(m for m in NUMBER.finditer(text) if text[: m.start()].endswith(label))
    rule = next(r for r in rules if r.fits(text, match.start(), match.end()))
    old = match.group()
    decimals = len(old.split(".")[1]) if "." in old else 0
    step = 10.0**-decimals
    allowed = rule.abs + rule.rel * abs(float(old))
    assert step < allowed, (
        f"{old} is printed too coarsely to move it within its tolerance ±{allowed:g}"
    )
    move = (
        max(step, math.floor(factor * allowed / step) * step)
        if factor < 1
        else math.ceil(factor * allowed / step) * step
    )
    new = f"{float(old) + move:.{decimals}f}"
    assert (abs(float(new) - float(old)) <= allowed) == (factor < 1)
    out["text"] = text[: match.start()] + new + text[match.end() :]
    return old, new


def run_nbval(paths, report):
    command = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, paths),
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        "-p",
        "tests.nbtolerance",
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        "-q",
    ]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[(Path(case.get("file", "")).stem, case.get("name"))] = (
            "failed" if failed else "passed"
        )
    return outcomes


def test_facts_and_large_moves_fail_small_moves_pass(tmp_path):
    for book in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(book, tmp_path / book.name)  # the index checks that the lessons are present
    index = json.loads((ROOT / "notebooks" / "00_index.ipynb").read_text(encoding="utf-8"))

    copy_a = json.loads(json.dumps(index))
    hooks_number, hooks = cell_with(copy_a, "class HookRecorder")
    replace_in_stdout(hooks, "→ epoch_begin →", "→ epoch_start →")  # (a) a hook name
    fit_number, fit_cell = cell_with(copy_a, "class MyModel")
    assert KEY in fit_cell["metadata"], "the fit() cell of the index should declare a tolerance"
    replace_in_stdout(
        fit_cell, "epochs: 3", "epochs: 4"
    )  # (a) an integer, in a cell with a tolerance
    step_number, step_cell = cell_with(copy_a, "@tf.function\ndef train_step")
    moved_far = move_number(step_cell, "→ ", factor=3)  # (b) beyond the tolerance

    copy_b = json.loads(json.dumps(index))
    _, step_cell_b = cell_with(copy_b, "@tf.function\ndef train_step")
    moved_near = move_number(step_cell_b, "→ ", factor=0.5)  # (c) within the tolerance
    _, fit_cell_b = cell_with(copy_b, "class MyModel")
    moved_near_fit = move_number(fit_cell_b, "[", factor=0.5)

    (tmp_path / "copy_a.ipynb").write_text(json.dumps(copy_a), encoding="utf-8")
    (tmp_path / "copy_b.ipynb").write_text(json.dumps(copy_b), encoding="utf-8")
    outcomes = run_nbval(
        [tmp_path / "copy_a.ipynb", tmp_path / "copy_b.ipynb"], tmp_path / "report.xml"
    )

    def results(stem):
        return {
            int(re.search(r"\d+", name).group()): outcome
            for (file, name), outcome in outcomes.items()
            if file == stem
        }

    a, b = results("copy_a"), results("copy_b")
    assert len(a) == len(b) == len(code_cells(index)), f"nbval did not run every cell: {outcomes}"
    assert {n for n, outcome in a.items() if outcome == "failed"} == {
        hooks_number,
        fit_number,
        step_number,
    }, (
        f"copy A: expected cells {hooks_number} (hook name), {fit_number} (integer) and "
        f"{step_number} "
        f"(loss {moved_far[0]} → {moved_far[1]}) to fail, got {a}"
    )
    assert set(b.values()) == {"passed"}, (
        f"copy B: loss {moved_near} and {moved_near_fit} are within tolerance and must pass, "
        f"got {b}"
    )
