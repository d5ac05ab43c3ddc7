#!/usr/bin/env python3
"""Study time of each notebook, estimated from a stated basis instead of guessed.

    python3 tools/study_time.py            # the table: words, code lines, exercises, minutes
    python3 tools/study_time.py --write    # set the minutes in each title cell, the README's
                                           # table and the course map (00_index)

The basis (CONTRIBUTING.md, "Study time"):

- prose: every word of the Markdown cells (link targets and HTML left out) at
  WORDS_PER_MINUTE, the pace of careful reading of technical text, well below the 200-250
  words a minute of ordinary reading;
- code: the non-blank lines of the code a learner reads and runs, at LINES_PER_MINUTE (five
  seconds a line: read it, run the cell, compare the output). Collapsed proof cells
  (metadata ``jupyter.source_hidden``) and exercise solutions are not read; fenced code
  inside Markdown is read as code, not counted as words;
- exercises: MINUTES_PER_EXERCISE for each ``### Exercise NN.k`` (read the task, write a few
  lines, run ``check`` until it passes);
- the sum rounded to the nearest 5 minutes. Waiting for cells to run is not included: the
  README gives the run time beside it.

Standard library only, so it runs with any python3.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

WORDS_PER_MINUTE = 120
LINES_PER_MINUTE = 12
MINUTES_PER_EXERCISE = 10
ROUND_TO = 5

STUDY_LINE = re.compile(r"\*\*Study time\*\*: about (\d+) minutes\.")
README_ROW = re.compile(
    r"^(\| \[(\d\d) [^|]*\]\(notebooks/\d\d_\w+\.ipynb\) \|[^|]*\| )(\d+) min( \|[^|]*\|)$", re.M
)
MAP_ROW = re.compile(r"^(\| (\d\d) \| \[[^]]+\]\(\d\d_\w+\.ipynb\) \|[^|]*\| )(\d+) min( \|)$",
                     re.M)


@dataclass(frozen=True)
class Load:
    """What a learner reads and does in one notebook."""

    words: int
    code_lines: int
    exercises: int

    @property
    def exact_minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_lines / LINES_PER_MINUTE
                + self.exercises * MINUTES_PER_EXERCISE)

    @property
    def minutes(self) -> int:
        return max(ROUND_TO, ROUND_TO * round(self.exact_minutes / ROUND_TO))


def source(cell: dict) -> str:
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def split_markdown(text: str) -> tuple[str, int]:
    """(prose, non-blank lines of fenced code) of a Markdown cell."""
    prose, code, fenced = [], 0, False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            code += bool(line.strip())
        else:
            prose.append(line)
    return "\n".join(prose), code


def words(prose: str) -> int:
    prose = re.sub(r"\]\([^)]*\)", "]", prose)  # a link's target is not read
    prose = re.sub(r"<[^>]+>", " ", prose)  # nor HTML tags
    return sum(1 for token in prose.split() if re.search(r"\w", token))  # not "|", "-", "→"


def load(path: Path) -> Load:
    n_words = n_code = n_exercises = 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        text = source(cell)
        meta = cell.get("metadata", {})
        if cell["cell_type"] == "markdown":
            prose, code = split_markdown(text)
            n_words += words(prose)
            n_code += code
            n_exercises += len(re.findall(r"^### Exercise \d\d\.\d+", text, re.M))
        elif cell["cell_type"] == "code":
            if "solution" in meta.get("tags", []):
                continue
            if meta.get("jupyter", {}).get("source_hidden", False):
                continue
            n_code += sum(1 for line in text.splitlines() if line.strip())
    return Load(n_words, n_code, n_exercises)


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def estimates() -> dict[str, int]:
    """Study minutes by notebook number ("00", "01", ...)."""
    return {path.name[:2]: load(path).minutes for path in notebooks()}


def table() -> str:
    rows = [f"{'notebook':<28} {'words':>6} {'code':>5} {'ex.':>4} {'exact':>6} {'minutes':>7}"]
    for path in notebooks():
        got = load(path)
        rows.append(f"{path.stem:<28} {got.words:>6} {got.code_lines:>5} {got.exercises:>4} "
                    f"{got.exact_minutes:>6.1f} {got.minutes:>7}")
    rows.append(f"basis: {WORDS_PER_MINUTE} words/min of prose, {LINES_PER_MINUTE} lines/min of "
                f"visible code, {MINUTES_PER_EXERCISE} min per exercise, rounded to {ROUND_TO} min")
    return "\n".join(rows)


def dump(nb: dict) -> str:
    """A notebook's JSON text as nbformat writes it."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def set_title_cell(path: Path, minutes: int) -> bool:
    """Set the study time in a lesson's title cell; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    title = nb["cells"][0]
    old = source(title)
    if not STUDY_LINE.search(old):
        raise SystemExit(f"{path.name}: the title cell has no '**Study time**: about N minutes.'")
    new = STUDY_LINE.sub(f"**Study time**: about {minutes} minutes.", old, count=1)
    if new == old:
        return False
    title["source"] = new.splitlines(keepends=True)
    path.write_text(dump(nb), encoding="utf-8")
    return True


def set_rows(text: str, pattern: re.Pattern, minutes: dict[str, int]) -> str:
    return pattern.sub(lambda m: f"{m.group(1)}{minutes[m.group(2)]} min{m.group(4)}", text)


def write(minutes: dict[str, int]) -> list[str]:
    changed = []
    for path in notebooks():
        if not path.name.startswith("00_") and set_title_cell(path, minutes[path.name[:2]]):
            changed.append(path.relative_to(ROOT).as_posix())
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = set_rows(text, README_ROW, minutes)
    if new != text:
        readme.write_text(new, encoding="utf-8")
        changed.append("README.md")
    index = NOTEBOOKS / "00_index.ipynb"
    nb_text = index.read_text(encoding="utf-8")
    nb = json.loads(nb_text)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and MAP_ROW.search(source(cell)):
            cell["source"] = set_rows(source(cell), MAP_ROW, minutes).splitlines(keepends=True)
    new_text = dump(nb)
    if json.loads(new_text) != json.loads(nb_text):
        index.write_text(new_text, encoding="utf-8")
        changed.append(index.relative_to(ROOT).as_posix())
    return changed


def main(argv: list[str]) -> int:
    if argv not in ([], ["--write"]):
        print(__doc__, file=sys.stderr)
        return 2
    print(table())
    if argv == ["--write"]:
        changed = write(estimates())
        print("updated: " + (", ".join(changed) if changed else "nothing (all agree)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
