#!/usr/bin/env python3
"""Give every cell slide metadata, derived from the notebook's structure.

    python3 tools/slides.py notebooks/*.ipynb     (course.py refresh does this for you)

Instructors present with jupyterlab-slideshow (the notebook toolbar's "Toggle Deck" button):
the live notebook becomes slides inside JupyterLab, so widgets keep working. The metadata is
the standard `metadata.slideshow.slide_type` that RISE and nbconvert read too.

Rules, so an instructor can present any notebook with one idea per slide:
- a Markdown cell starting with `#` or `##` (title, numbered section) opens a new slide;
- a `###` heading, or a Markdown cell that follows a code cell (the next idea), opens a sub-slide;
- other cells continue the current slide ("-"), written as *no* slideshow metadata:
  nbformat's default, while jupyterlab-slideshow hides a cell marked "-";
- the setup cell (`import helpers` / `helpers.start(...)`) is skipped, so the title slide
  holds the title and objectives only and fits a 1280x800 projector;
- code cells tagged `heavy` (more than a few seconds) or `solution` are skipped: run the
  notebook before class so their results are there, and keep solutions off the screen.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def slide_type(cell: dict, previous: dict | None) -> str:
    tags = cell.get("metadata", {}).get("tags", [])
    source = cell.get("source", "")
    text = ("".join(source) if isinstance(source, list) else source).lstrip()
    if cell.get("cell_type") == "markdown":
        if text.startswith("# ") or text.startswith("## "):
            return "slide"
        after_code = previous is not None and previous.get("cell_type") == "code"
        if text.startswith("### ") or after_code:
            return "subslide"
        return "-"
    if "heavy" in tags or "solution" in tags or is_setup_cell(cell):
        return "skip"
    return "-"


def is_setup_cell(cell: dict) -> bool:
    """The standard first code cell of every notebook (CONTRIBUTING.md): imports and start()."""
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    lines = text.lstrip().splitlines()
    return (cell.get("cell_type") == "code" and lines[:1] == ["import helpers"]
            and len(lines) > 1 and lines[1].startswith("helpers.start("))


def apply(nb: dict) -> bool:
    """Set ``metadata.slideshow`` on every cell (none for "-"); return True if anything changed."""
    changed, previous = False, None
    for cell in nb.get("cells", []):
        kind = slide_type(cell, previous)
        wanted = None if kind == "-" else {"slide_type": kind}
        meta = cell.setdefault("metadata", {})
        if meta.get("slideshow") != wanted:
            if wanted is None:
                del meta["slideshow"]
            else:
                meta["slideshow"] = wanted
            changed = True
        previous = cell
    return changed


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        nb = json.loads(path.read_text(encoding="utf-8"))
        if apply(nb):
            text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            path.write_text(text, encoding="utf-8")
            print(f"{path.name}: slide metadata updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
