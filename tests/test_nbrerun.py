"""The re-run check bites: nbval with tests/nbrerun.py, on small notebooks written here.

One notebook repeats 03's old bug (a cell that reads a message only the first run in a process
produces: IndexError the second time), one writes to stderr only when run again; each must fail
on exactly that cell's re-run and pass its first run. Safe notebooks pass, among them one whose
heavy cell trains what the cell above it builds (the stretch after the heavy cell is re-run
first, so its check still sees the trained model) and one that rebinds a name (re-runs go top
down within a stretch). A cell tagged `heavy` or opting out with a reason is not re-run; a
malformed opt-out is refused; selecting part of a notebook, or --nbval-no-rerun, adds no
re-runs, and an error in the first run skips them. Plain Python kernels, no TensorFlow.
"""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.nbrerun import KEY

ROOT = Path(__file__).resolve().parent.parent

SETUP = "import sys\nimport types"
# Like TensorFlow's retracing warning: something that happens once per process, caught by a cell.
ONCE_PER_PROCESS = """\
state = sys.modules.setdefault("once_per_process", types.SimpleNamespace(happened=False))
messages = []
if not state.happened:
    state.happened = True
    messages.append("it happened")
print(messages[0])"""
# The same lesson, safe to re-run: each run makes its own new state.
SAFE = """\
state = types.SimpleNamespace(happened=False)
messages = []
if not state.happened:
    state.happened = True
    messages.append("it happened")
print(messages[0])"""
STDERR_ON_RERUN = """\
if "ran_before" in globals():
    print("already ran", file=sys.stderr)
ran_before = True"""
LAST = "print('done')"
# A heavy cell trains what the cell before it builds; the cell after it checks the training.
BUILD = 'model = {"trained": False}'
TRAIN = 'model["trained"] = True'
CHECK = 'assert model["trained"]'


def notebook(path, *cells):
    """Write a notebook of unrun code cells (nbval then compares no outputs, only runs them).

    Each cell is a source string or (source, metadata)."""
    nb_cells = []
    for cell in cells:
        source, metadata = cell if isinstance(cell, tuple) else (cell, {})
        nb_cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": metadata,
                "outputs": [],
                "source": source,
            }
        )
    nb = {
        "cells": nb_cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def run_nbval(args, tmp_path):
    report = tmp_path / "report.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, args),
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        "-p",
        "tests.nbrerun",
        "-p",
        "no:xdist",
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        "-q",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if not report.exists():
        return result, {}
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        outcomes[(Path(case.get("file", "")).stem, case.get("name"))] = outcome
    return result, outcomes


def of(outcomes, stem):
    return {name: outcome for (file, name), outcome in outcomes.items() if file == stem}


def test_unsafe_cells_fail_on_rerun_safe_ones_pass(tmp_path):
    once = notebook(tmp_path / "once.ipynb", SETUP, ONCE_PER_PROCESS, LAST)
    stderr = notebook(tmp_path / "stderr.ipynb", SETUP, STDERR_ON_RERUN, LAST)
    to_stdout = STDERR_ON_RERUN.replace("sys.stderr", "sys.stdout")
    safe = notebook(tmp_path / "safe.ipynb", SETUP, SAFE, to_stdout, LAST)
    # not re-run from the top: the check after the skipped heavy cell would see a new model
    heavy = notebook(tmp_path / "heavy.ipynb", BUILD, (TRAIN, {"tags": ["heavy"]}), CHECK, LAST)
    # re-run top down: a name a later cell rebinds is made again before it is used
    rebinds = notebook(tmp_path / "rebinds.ipynb", "v = [1]", "v.append(2)", "v = 'text'", LAST)
    kept_out = notebook(
        tmp_path / "kept_out.ipynb",
        SETUP,
        (ONCE_PER_PROCESS, {"tags": ["heavy"]}),
        (STDERR_ON_RERUN, {KEY: "it stands for a cell that truly cannot be re-run"}),
        LAST,
    )
    books = [once, stderr, safe, kept_out, heavy, rebinds]
    result, outcomes = run_nbval(books, tmp_path)
    first_run = {f"Cell {n}": "passed" for n in range(3)}
    assert of(outcomes, "once") == {
        **first_run,
        "Cell 0 re-run": "passed",
        "Cell 1 re-run": "failed",
        "Cell 2 re-run": "passed",
    }, result.stdout[-3000:]
    assert "IndexError" in result.stdout and "safe to re-run" in result.stdout
    assert of(outcomes, "stderr") == {
        **first_run,
        "Cell 0 re-run": "passed",
        "Cell 1 re-run": "failed",
        "Cell 2 re-run": "passed",
    }, result.stdout[-3000:]
    assert "wrote to stderr" in result.stdout and "already ran" in result.stdout
    assert of(outcomes, "heavy") == {
        **{f"Cell {n}": "passed" for n in range(4)},
        **{f"Cell {n} re-run": "passed" for n in (0, 2, 3)},
    }, result.stdout[-3000:]
    assert set(of(outcomes, "rebinds").values()) == {"passed"}
    assert len(of(outcomes, "rebinds")) == 2 * 4
    assert set(of(outcomes, "safe").values()) == {"passed"}
    assert len(of(outcomes, "safe")) == 2 * 4, of(outcomes, "safe")
    assert of(outcomes, "kept_out") == {
        **{f"Cell {n}": "passed" for n in range(4)},
        "Cell 0 re-run": "passed",
        "Cell 3 re-run": "passed",
    }


def test_no_rerun_for_part_of_a_notebook_or_after_a_first_run_error(tmp_path):
    once = notebook(tmp_path / "once.ipynb", SETUP, ONCE_PER_PROCESS, LAST)
    broken = notebook(tmp_path / "broken.ipynb", SETUP, "raise ValueError('first run')", LAST)
    _, outcomes = run_nbval([f"{once}::Cell 0", f"{once}::Cell 1", broken], tmp_path)
    assert of(outcomes, "once") == {"Cell 0": "passed", "Cell 1": "passed"}
    got = of(outcomes, "broken")
    assert got["Cell 1"] == "failed"
    assert {got[f"Cell {n} re-run"] for n in range(3)} == {"skipped"}, got


def test_no_rerun_when_asked(tmp_path):
    once = notebook(tmp_path / "once.ipynb", SETUP, ONCE_PER_PROCESS, LAST)
    _, outcomes = run_nbval([once, "--nbval-no-rerun"], tmp_path)
    assert of(outcomes, "once") == {f"Cell {n}": "passed" for n in range(3)}


@pytest.mark.parametrize("why", ["", 3])
def test_an_opt_out_needs_a_reason(tmp_path, why):
    book = notebook(tmp_path / "bad.ipynb", SETUP, (LAST, {KEY: why}))
    result, _ = run_nbval([book], tmp_path)
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]  # usage error
    assert KEY in result.stdout + result.stderr
