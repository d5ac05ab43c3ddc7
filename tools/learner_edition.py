#!/usr/bin/env python3
"""Write the learner handout: the course with exercise solutions taken out, runnable alone.

    python3 course.py learner                 # writes learner/ and learner.zip beside it
    python3 course.py learner --out DIR       # somewhere else (DIR and DIR.zip)
    python3 course.py learner --force         # replace notebooks a learner may have edited

The handout is built from the committed files (git HEAD), never from the working copy: a
notebook that JupyterLab autosaved half-way through a run is not handed out. Every notebook
must be a complete top-to-bottom run (its code cells numbered 1, 2, 3, ... in order), or
nothing is written. The handout holds what a learner needs to use the README's two commands
in it: notebooks/ (learner notebooks), helpers/ (with the exercise checkers), data/,
course.py, requirements.txt, constraints.txt, pyproject.toml (its pytest runs the handout's
tests/test_notebooks.py), LICENSE and a README for learners (tools/handout/).

In every cell tagged ``solution``, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION``
are replaced by ``raise NotImplementedError("Exercise NN.k: <hint>")`` at the same
indentation, and the cell's outputs are cleared. Everything else (prose, code, the stored
outputs learners read before running) is kept. A notebook that already exists in the
output folder and differs from what would be written is never overwritten without
``--force``: it may hold a learner's work.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\b.*$")
END = re.compile(r"^[ \t]*# END SOLUTION\b.*$")
CHECK_ID = re.compile(r"""check\(\s*["'](?P<id>\d\d\.\d+)["']""")
BANNER = (
    "> **Learner edition.** The exercises at the end of this notebook are yours to solve: "
    "each one raises `NotImplementedError` with a hint until you replace that line with your "
    "code, and its `check(...)` tells you when you are right. (Instructors: the full notebook "
    "with solutions is in the course repository's `notebooks/` folder.)"
)


class EditionError(ValueError):
    pass


def source_text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def split_solution(cell: dict) -> tuple[list[str], list[str]]:
    """The cell's non-blank lines inside BEGIN/END SOLUTION blocks, and all its other lines
    (the markers themselves in neither)."""
    inside, solution, rest = False, [], []
    for line in source_text(cell).splitlines():
        if "# BEGIN SOLUTION" in line:
            inside = True
        elif "# END SOLUTION" in line:
            inside = False
        elif inside:
            if line.strip():
                solution.append(line)
        else:
            rest.append(line)
    return solution, rest


def exercise_id(cell: dict, where: str) -> str:
    ids = CHECK_ID.findall(source_text(cell))
    if len(ids) != 1:
        raise EditionError(
            f"{where}: a solution cell must call check(\"NN.k\", ...) exactly once, found {ids}"
        )
    return ids[0]


def strip_solution(text: str, hint: str, ex_id: str, where: str) -> str:
    """Replace each BEGIN/END SOLUTION block with a NotImplementedError carrying the hint."""
    out, inside, found = [], False, False
    for line in text.splitlines(keepends=True):
        begin = BEGIN.match(line.rstrip("\n"))
        if begin and not inside:
            inside, found = True, True
            message = f"Exercise {ex_id}: {hint}"
            out.append(f"{begin.group('indent')}raise NotImplementedError({message!r})\n")
            continue
        if inside:
            if END.match(line.rstrip("\n")):
                inside = False
            continue
        out.append(line)
    if inside:
        raise EditionError(f"{where}: '# BEGIN SOLUTION' without a matching '# END SOLUTION'")
    if not found:
        raise EditionError(f"{where}: a cell tagged 'solution' has no '# BEGIN SOLUTION' block")
    return "".join(out)


def learner_notebook(nb: dict, name: str, hints: dict[str, str]) -> dict:
    nb = json.loads(json.dumps(nb))  # deep copy
    for index, cell in enumerate(nb.get("cells", [])):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code":
            continue
        where = f"{name} cell {index}"
        if "solution" in tags:
            ex_id = exercise_id(cell, where)
            if ex_id not in hints:
                raise EditionError(f"{where}: exercise {ex_id} has no checker in helpers/exercises")
            cell["source"] = strip_solution(source_text(cell), hints[ex_id], ex_id, where)
            cell["outputs"] = []
            cell["execution_count"] = None
            cell["metadata"]["tags"] = [t for t in tags if t != "solution"] + ["exercise"]
        elif "# BEGIN SOLUTION" in source_text(cell):
            raise EditionError(f"{where}: has a '# BEGIN SOLUTION' block but no 'solution' tag")
    banner = {"cell_type": "markdown", "id": "learner-banner",
              "metadata": {"tags": ["learner-banner"]}, "source": BANNER}
    cells = nb.get("cells", [])
    nb["cells"] = cells[:1] + [banner] + cells[1:]  # after the title cell
    return nb


def check_complete_run(nb: dict, name: str) -> None:
    """Refuse a notebook that is not one complete top-to-bottom run in a fresh kernel."""
    counts = [cell.get("execution_count") for cell in nb.get("cells", [])
              if cell.get("cell_type") == "code"]
    if counts != list(range(1, len(counts) + 1)):
        bad = next(i for i, n in enumerate(counts) if n != i + 1)
        raise EditionError(
            f"{name} is not a complete top-to-bottom run: code cell {bad + 1} of {len(counts)} "
            f"has execution count {counts[bad]}, expected {bad + 1}. Run it top to bottom in a "
            f"fresh kernel (python3 course.py refresh notebooks/{name}) and commit it.")


class FolderSource:
    """The course's files as they are on disk (the working copy)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.label = str(self.root)

    def files(self, folder: str) -> list[str]:
        base = self.root / folder
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)

    def read(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            raise EditionError(f"{path} is missing from {self.label}") from None


class GitSource:
    """The course's files as committed (``git show REV:path``)."""

    def __init__(self, root: Path, rev: str = "HEAD"):
        self.root, self.rev = Path(root), rev
        self.label = f"the commit {rev}"

    def git(self, *args: str) -> bytes:
        try:
            done = subprocess.run(["git", *args], cwd=self.root, capture_output=True)
        except FileNotFoundError:
            raise EditionError("git is needed to build from the committed files") from None
        if done.returncode != 0:
            raise EditionError(f"git {' '.join(args)} failed: "
                               f"{done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def all_files(self) -> set[str]:
        if not hasattr(self, "_all"):
            names = self.git("ls-tree", "-r", "--name-only", self.rev).decode()
            self._all = {n for n in names.splitlines() if "__pycache__" not in n}
        return self._all

    def files(self, folder: str) -> list[str]:
        return sorted(n for n in self.all_files() if n.startswith(folder.rstrip("/") + "/"))

    def read(self, path: str) -> bytes:
        if path not in self.all_files():
            raise EditionError(f"{path} is not committed in {self.rev}")
        return self.git("show", f"{self.rev}:{path}")


def learner_notebooks(source, hints: dict[str, str] | None = None,
                      folder: str = "notebooks") -> dict[str, str]:
    """Every notebook in ``folder`` of ``source`` as learner-edition JSON text, by file name."""
    if hints is None:
        from helpers.exercises import registry

        hints = {ex_id: ex.hint for ex_id, ex in registry().items()}
    books = [p for p in source.files(folder) if p.endswith(".ipynb")
             and PurePosixPath(p).parent.as_posix() == folder]
    if not books:
        raise EditionError(f"no notebooks in {folder}/ of {source.label}")
    planned = {}
    for path in books:
        name = PurePosixPath(path).name
        nb = json.loads(source.read(path).decode("utf-8"))
        check_complete_run(nb, name)
        learner = learner_notebook(nb, name, hints)
        planned[name] = json.dumps(learner, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return planned


def write_notebooks(planned: dict[str, str], out: Path, force: bool) -> list[str]:
    """Write the planned notebooks into ``out``, never over a learner's edits unless forced."""
    targets = {out / name: text for name, text in planned.items()}
    clashes = [p for p, text in targets.items()
               if p.exists() and p.read_text(encoding="utf-8") != text]
    if clashes and not force:
        names = ", ".join(p.name for p in clashes)
        raise EditionError(
            f"{out} already holds notebooks that differ from a fresh learner edition ({names}); "
            "they may contain a learner's work, so nothing was written. Choose another folder with "
            "--out, or pass --force to replace them."
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in targets.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path.name)
    return written


def build(src: Path, out: Path, force: bool) -> list[str]:
    """The learner notebooks only, from the notebooks in the folder ``src``, into ``out``."""
    if out.resolve() == Path(src).resolve():
        raise EditionError(
            "the learner edition must go to another folder than the instructor notebooks"
        )
    src = Path(src)
    return write_notebooks(learner_notebooks(FolderSource(src.parent), folder=src.name),
                           out, force)


HANDOUT_FILES = ("course.py", "requirements.txt", "constraints.txt", "LICENSE")
HANDOUT_FOLDERS = ("helpers", "data")
HANDOUT_TEMPLATES = {"README.md": "tools/handout/README.md",
                     "tests/test_notebooks.py": "tools/handout/test_notebooks.py"}
HANDOUT_PYTEST = """[tool.pytest.ini_options]
# `python3 course.py test` in the handout: every notebook run top to bottom in a fresh kernel,
# every exercise's check line checked (tests/test_notebooks.py).
testpaths = ["tests"]
addopts = "-p no:cacheprovider"
"""


def handout_pyproject(text: str) -> str:
    """The course's pyproject.toml up to its tool settings (the package and its Python
    range, unchanged), with the handout's own pytest settings."""
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith("[tool.") and line != "[tool.setuptools]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept).rstrip() + "\n\n" + HANDOUT_PYTEST


def handout_files(source) -> dict[str, bytes]:
    """Every file of the handout but its notebooks, by path inside the handout."""
    files = {name: source.read(name) for name in HANDOUT_FILES}
    for folder in HANDOUT_FOLDERS:
        for path in source.files(folder):
            files[path] = source.read(path)
    for name, template in HANDOUT_TEMPLATES.items():
        files[name] = source.read(template)
    files["pyproject.toml"] = handout_pyproject(
        source.read("pyproject.toml").decode("utf-8")).encode("utf-8")
    return files


def hints_of(files: dict[str, bytes]) -> dict[str, str]:
    """The exercise hints of the helpers package in ``files`` (the one handed out, which may
    differ from the working copy's), read by importing it in a separate Python."""
    with tempfile.TemporaryDirectory() as folder:
        for path, data in files.items():
            if path.startswith("helpers/"):
                (Path(folder) / path).parent.mkdir(parents=True, exist_ok=True)
                (Path(folder) / path).write_bytes(data)
        probe = subprocess.run(
            [sys.executable, "-c", "import json, sys; from helpers.exercises import registry; "
             "json.dump({k: e.hint for k, e in registry().items()}, sys.stdout)"],
            cwd=folder, capture_output=True, text=True)
    if probe.returncode != 0:
        raise EditionError(f"the handout's helpers package does not import:\n{probe.stderr}")
    return json.loads(probe.stdout)


def build_handout(out: Path, source=None, force: bool = False,
                  hints: dict[str, str] | None = None) -> tuple[list[str], Path]:
    """Write the handout folder ``out`` and the zip ``out.zip`` beside it (one top folder,
    named like ``out``). Returns the notebooks written and the zip's path."""
    source = source or GitSource(ROOT)
    out = Path(out)
    own = {ROOT.resolve()} | {(ROOT / d).resolve() for d in
                              ("notebooks", "helpers", "data", "tools", "tests")}
    if out.resolve() in own or out.resolve() in ROOT.resolve().parents:
        raise EditionError(f"the learner edition must go to another folder than {out} "
                           "(one of the course's own folders)")
    files = handout_files(source)
    notebooks = learner_notebooks(source, hints if hints is not None else hints_of(files))
    written = write_notebooks(notebooks, out / "notebooks", force)
    for path, data in files.items():
        target = out / path
        if not target.exists() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    archive = out.with_name(out.name + ".zip")
    everything = {**files, **{f"notebooks/{n}": t.encode("utf-8") for n, t in notebooks.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(everything):
            info = zipfile.ZipInfo(f"{out.name}/{path}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path == "course.py" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, everything[path])
    archive.write_bytes(buffer.getvalue())
    return written, archive


def uncommitted(source) -> list[str]:
    """Handout files whose working copy differs from the committed version."""
    if not isinstance(source, GitSource):
        return []
    changed = source.git("status", "--porcelain", "--", "notebooks", "helpers", "data",
                         *HANDOUT_FILES, "pyproject.toml", "tools/handout").decode()
    return [line[3:] for line in changed.splitlines() if line[3:].endswith((".ipynb", ".py",
            ".txt", ".toml", ".md", ".npz", "LICENSE"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the learner handout of the course (solutions removed) and its zip.")
    parser.add_argument("--out", type=Path, default=ROOT / "learner",
                        help="output folder (default: learner/); the zip goes beside it")
    parser.add_argument("--force", action="store_true",
                        help="replace notebooks in --out even if they were edited")
    parser.add_argument("--rev", default="HEAD",
                        help="the commit to build from (default: HEAD)")
    args = parser.parse_args(argv)
    source = GitSource(ROOT, args.rev)
    try:
        written, archive = build_handout(args.out, source, args.force)
        changed = uncommitted(source) if args.rev == "HEAD" else []
    except EditionError as exc:
        print(f"learner edition: {exc}", file=sys.stderr)
        return 1
    if changed:
        print("learner edition: built from the committed files; these have uncommitted changes "
              "that are NOT in it: " + ", ".join(changed), file=sys.stderr)
    print(f"learner handout in {args.out} and {archive.name} (from {source.label}): "
          f"{len(written)} notebook(s) written"
          + (f" ({', '.join(written)})" if written else " (all already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
