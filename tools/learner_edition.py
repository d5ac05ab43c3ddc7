#!/usr/bin/env python3
"""Write the learner edition: the course notebooks with exercise solutions taken out.

    python3 course.py learner                 # writes learner/
    python3 course.py learner --out DIR       # somewhere else
    python3 course.py learner --force         # replace notebooks a learner may have edited

In every cell tagged ``solution``, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION``
are replaced by ``raise NotImplementedError("Exercise NN.k: <hint>")`` at the same
indentation, and the cell's outputs are cleared. Everything else (prose, code, the stored
outputs learners read before running) is kept. A notebook that already exists in the
output folder and differs from what would be written is never overwritten without
``--force``: it may hold a learner's work.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

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


def build(src: Path, out: Path, force: bool) -> list[str]:
    from helpers.exercises import registry

    hints = {ex_id: ex.hint for ex_id, ex in registry().items()}
    books = sorted(src.glob("*.ipynb"))
    if not books:
        raise EditionError(f"no notebooks in {src}")
    if out.resolve() == src.resolve():
        raise EditionError(
            "the learner edition must go to another folder than the instructor notebooks"
        )
    planned = {}
    for book in books:
        nb = json.loads(book.read_text(encoding="utf-8"))
        learner = learner_notebook(nb, book.name, hints)
        planned[out / book.name] = json.dumps(learner, indent=1, sort_keys=True,
                                              ensure_ascii=False) + "\n"
    clashes = [p for p, text in planned.items()
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
    for path, text in planned.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the learner edition of the course notebooks.")
    parser.add_argument("--src", type=Path, default=ROOT / "notebooks",
                        help="instructor notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=ROOT / "learner",
                        help="output folder (default: learner/)")
    parser.add_argument("--force", action="store_true",
                        help="replace notebooks in --out even if they were edited")
    args = parser.parse_args(argv)
    try:
        written = build(args.src, args.out, args.force)
    except EditionError as exc:
        print(f"learner edition: {exc}", file=sys.stderr)
        return 1
    print(f"learner edition in {args.out}: {len(written)} notebook(s) written"
          + (f" ({', '.join(written)})" if written else " (all already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
