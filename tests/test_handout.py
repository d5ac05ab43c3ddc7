"""The learner handout (`python3 course.py learner`), as a learner receives it: the zip,
unpacked into a fresh folder, holds everything the README's two commands need and no
solution. (Setting the unpacked handout up and running its own tests takes minutes:
`python3 course.py test --handout`.)"""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import learner_edition  # noqa: E402

COMMITTED = learner_edition.GitSource(ROOT)
NOTEBOOKS = sorted(p for p in COMMITTED.files("notebooks") if p.endswith(".ipynb"))


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    """The handout built from the committed course, unzipped somewhere else."""
    built = tmp_path_factory.mktemp("built") / "inside-the-training-loop"
    written, archive = learner_edition.build_handout(built, COMMITTED)
    assert archive == built.with_name("inside-the-training-loop.zip") and archive.is_file()
    assert written == [p.split("/")[-1] for p in NOTEBOOKS]
    fresh = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(fresh)
    (folder,) = fresh.iterdir()
    assert folder.name == "inside-the-training-loop"
    return folder


def all_files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_the_zip_holds_what_the_two_commands_need(handout):
    files = set(all_files(handout))
    needed = {"README.md", "course.py", "requirements.txt", "constraints.txt", "pyproject.toml",
              "LICENSE", "tests/test_notebooks.py", "data/mnist.npz", "data/README.md",
              "helpers/__init__.py", "helpers/exercises/__init__.py", *NOTEBOOKS}
    assert needed <= files, needed - files
    assert {p for p in COMMITTED.files("helpers")} <= files  # the package and every checker
    assert not any(p.startswith(("tools/", "tests/test_ex", ".ci/")) for p in files)
    assert not any(p.endswith(".egg-info") or "__pycache__" in p for p in files)
    for same in ("course.py", "requirements.txt", "constraints.txt", "data/mnist.npz"):
        assert (handout / same).read_bytes() == COMMITTED.read(same), same
    assert (handout / "README.md").read_bytes() == COMMITTED.read("tools/handout/README.md")


def test_the_zip_and_the_folder_hold_the_same_files(handout, tmp_path):
    built = tmp_path / "inside-the-training-loop"
    learner_edition.build_handout(built, COMMITTED)
    assert all_files(built) == all_files(handout)
    for path in all_files(built):
        assert (built / path).read_bytes() == (handout / path).read_bytes(), path


def test_the_handouts_pyproject_keeps_the_package_and_runs_the_handouts_tests(handout):
    text = (handout / "pyproject.toml").read_text()
    course = (ROOT / "pyproject.toml").read_text()
    for line in course.splitlines():
        if line.startswith(("name =", "requires-python", "packages =", "build-backend")):
            assert line in text.splitlines(), line
    assert 'testpaths = ["tests"]' in text and "--nbval" not in text and "[tool.ruff" not in text


def test_the_readme_tells_a_learner_how_to_start_and_how_exercises_are_checked(handout):
    readme = " ".join((handout / "README.md").read_text().split())
    for needed in ("python3 course.py lab", "python3 course.py test", "00_index.ipynb",
                   "not done yet", 'hint("NN.k", more=True)', "Numbers may differ in the last"
                   " digits", "closing a notebook's tab shuts down its kernel"):
        assert needed in readme, needed


# Solution lines that are ordinary Keras code a checker also needs (checked by hand: the
# line alone gives nothing away).
GENERIC = {"if sample_weight is not None:"}


def code(line):
    """A line of code without indentation and trailing comment: what is compared."""
    return line.split("  #")[0].strip()


def handout_lines(path, text):
    """The lines a learner reads in a handout file: a notebook's cell sources and outputs."""
    if not path.endswith(".ipynb"):
        return {code(line) for line in text.splitlines()}
    lines = set()
    for cell in json.loads(text)["cells"]:
        pieces = [learner_edition.source_text(cell)]
        for output in cell.get("outputs", []):
            pieces += [output.get("text", ""), *output.get("data", {}).values()]
        for piece in pieces:
            piece = "".join(piece) if isinstance(piece, list) else str(piece)
            lines |= {code(line) for line in piece.splitlines()}
    return lines


def solution_lines():
    """Every line between BEGIN and END SOLUTION in the committed instructor notebooks, and
    every line of their text outside those blocks (what the course teaches anyway)."""
    lines, taught = [], set()
    for path in NOTEBOOKS:
        for cell in json.loads(COMMITTED.read(path))["cells"]:
            solution, rest = learner_edition.split_solution(cell)
            lines += [(path, code(line)) for line in solution]
            taught |= {code(line) for line in rest}
    return lines, taught


def test_no_solution_text_anywhere_in_the_handout(handout):
    lines, taught = solution_lines()
    texts = {p: (handout / p).read_text(encoding="utf-8") for p in all_files(handout)
             if not p.endswith(".npz")}
    seen = {p: handout_lines(p, text) for p, text in texts.items()}
    own = [(where, line) for where, line in lines
           if line not in taught and line not in GENERIC and len(line) >= 12]
    assert len(own) >= 20  # the grep below looks for something
    for where, line in own:  # a line only a solution has (not a bare `return x`)
        found = [p for p, lines_there in seen.items() if line in lines_there]
        assert not found, f"a solution line of {where} is in the handout's {found}: {line!r}"
    for path in NOTEBOOKS:
        text = texts[path]
        assert "BEGIN SOLUTION" not in text and '"solution"' not in text, path


def test_the_handout_course_py_offers_the_learner_commands(handout):
    usage = subprocess.run([sys.executable, str(handout / "course.py"), "--help"],
                           capture_output=True, text=True, timeout=60)
    assert [line.split()[2] for line in usage.stdout.splitlines()] == ["lab", "test", "setup"]
