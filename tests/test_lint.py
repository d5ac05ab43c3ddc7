"""Lint is part of the test run: ruff, configured in pyproject.toml, over the code and notebooks."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
CHECKED = ["helpers", "tools", "tests", "course.py", "conftest.py", "notebooks"]


def ruff(*args: str, cwd: Path = ROOT, config: Path = CONFIG) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "--config", str(config)],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def listed_files(result: subprocess.CompletedProcess, root: Path) -> set[str]:
    """The files `ruff check --show-files` would check, relative to ``root``."""
    return {Path(line.strip()).resolve().relative_to(root.resolve()).as_posix()
            for line in result.stdout.splitlines() if line.strip()}


def test_the_course_passes_ruff():
    result = ruff("check", "--output-format", "concise", *CHECKED)
    assert result.returncode == 0, (
        "ruff found problems; see CONTRIBUTING.md and run "
        "`.venv/bin/python -m ruff check .` (--fix repairs some):\n"
        + result.stdout + result.stderr
    )


def test_ruff_checks_every_notebook():
    files = listed_files(ruff("check", "--show-files", *CHECKED), ROOT)
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks and notebooks <= files
    assert {"course.py", "conftest.py", "tests/test_lint.py"} <= files


def test_ruff_skips_the_virtualenv_and_the_learner_edition(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG.read_text())
    for name in ("course.py", "notebooks/01_x.ipynb", ".venv/lib/x.py", "learner/01_x.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        empty_notebook = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
        (tmp_path / name).write_text(empty_notebook if name.endswith(".ipynb") else "")
    result = ruff("check", "--show-files", ".", cwd=tmp_path, config=tmp_path / "pyproject.toml")
    expected = {"pyproject.toml", "course.py", "notebooks/01_x.ipynb"}
    assert listed_files(result, tmp_path) == expected, result.stderr


def test_ruff_reports_violations_with_the_course_config(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\n"  # unused import
        "\n"
        "X = ['" + "a" * 92 + "']\n"  # 100 characters: allowed
        "Y = ['" + "a" * 93 + "']\n"  # 101 characters: one too many for a slide
    )
    result = ruff("check", "--output-format", "concise", str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    codes = [line.split(": ", 1)[1].split()[0] for line in result.stdout.splitlines()
             if line.startswith(str(bad))]
    assert codes == ["F401", "E501"], result.stdout
    assert f"{bad}:4:101: E501" in result.stdout


def test_a_notebook_may_import_after_its_setup_cell_but_not_leave_imports_unused(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import helpers\nhelpers.start(seed=42)\n\nimport numpy as np"),
        nbformat.v4.new_code_cell("import json\nprint(np.pi)"),
    ]
    book = tmp_path / "book.ipynb"
    nbformat.write(nb, book)
    result = ruff("check", "--output-format", "concise", str(book))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "E402" not in result.stdout  # the setup cell's order is allowed in notebooks
    assert f"{book}:cell 2:1:8: F401" in result.stdout  # json is imported and never used
