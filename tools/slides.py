#!/usr/bin/env python3
"""Give every cell slide metadata, derived from the notebook's structure.

    python3 tools/slides.py notebooks/*.ipynb     (course.py refresh does this for you)

Instructors present with jupyterlab-slideshow (the notebook toolbar's "Toggle Deck" button):
the live notebook becomes slides inside JupyterLab, so widgets keep working. The metadata is
the standard `metadata.slideshow.slide_type` that RISE and nbconvert read too.

Rules, so an instructor can present any notebook with one idea per screen and every screen
fits a 1280x800 projector:

- A screen opens at a Markdown cell starting with a heading (`#`, `##` or `###`: title,
  numbered section, exercise) and at a Markdown cell that follows a code cell (the next
  idea). Every screen is a `slide`, never a `subslide`: jupyterlab-slideshow's → skips
  sub-slides (it goes to the next *slide*, ↓ walks the sub-slides), so with sub-slides an
  instructor pressing → would miss screens. With slides only, → and ← (and Space) walk every
  screen in order.
- The setup cell (`import helpers` / `helpers.start(...)`), exercise solutions (tag
  `solution`) and collapsed code cells (`metadata.jupyter.source_hidden`: checks that only
  prove the prose) are skipped: the title screen holds the title and objectives only, no
  solution is on the screen, and a check is not the lesson.
- Cells tagged `heavy` (more than a few seconds) are *shown*, with their stored outputs. Their
  result is what the screen is about ("the answer is whatever this machine says:"), and the
  deck shows stored outputs without running anything: run the notebook before class and the
  results of this machine are there. Skipping them left screens that were one sentence
  announcing a result that never appeared.
- A screen that would be one Markdown paragraph after code, with no heading (the sentence
  that concludes what the code showed), is folded into the screen before it when both fit.
- A screen whose estimated height (`estimate_height`: Markdown lines, code lines, stored
  output lines and images, calibrated in Chromium against the deck at its default zoom) would
  pass the screen starts a new screen before the cell that would not fit. A single cell
  taller than the screen still does not fit: tests/browser/test_slides_fit.py measures
  every screen and names it, and the fix is in the notebook (shorter output, split cell).
- The last cell (the navigation line that closes every notebook) is a screen of its own.

How the deck shows a screen: jupyterlab-slideshow makes every cell with slide metadata, and
every cell with none, a separate stop of its arrow keys: → first moved the (invisible)
highlight from cell to cell inside a screen, so every other press seemed to do nothing. The
cells after a screen's first cell are therefore marked as the deck's own "layers" with scope
`slide` (`metadata["jupyterlab-slideshow"]["layer"] = "slide"`: shown on the screen they
belong to, until the next slide, and not a stop of the arrow keys), and the notebook's
metadata keeps them in the flow of the page (`LAYER_STYLE`, applied by jupyterlab-fonts,
which jupyterlab-slideshow installs; by default a layer is `position: fixed` and layers would
overlap). Layers must come before the notebook's last slide (the deck shows a layer after the
last slide on the title screen instead), which is why the last cell is a screen of its own.
nbconvert and RISE ignore these keys and read the cells as continuing the slide.
"""
from __future__ import annotations

import base64
import json
import math
import re
import struct
import sys
from pathlib import Path

# px an estimated screen may fill on the 1280x800 projector: what the deck measures was at
# most 5 % above the estimate (tests/browser/test_slides_fit.py measures the real height)
BUDGET = 740

DECK_KEY = "jupyterlab-slideshow"
LAYER = {"layer": "slide"}
FONTS_KEY = "@deathbeds/jupyterlab-fonts"
LAYER_STYLE = {".jp-deck-mod-layer": {"position": "static"}}

# the deck's layout at 1280x800 and the default zoom, measured in Chromium
TEXT_CHARS = 140  # characters of prose per line
CODE_CHARS = 140  # characters of output per line (outputs wrap; code lines are <= 100)
TEXT_AREA_WIDTH = 1110  # px an image may take before it is scaled down
TABLE_CHARS = 200  # characters of a table row per line (its cells wrap in their columns)
PX = {
    "markdown": 0, "line": 21.5, "paragraph": 17, "heading": 58, "item": 2.5, "list": 15,
    "row": 27, "fence_line": 26,
    "code": 22, "code_line": 17.8, "output": 8, "output_line": 17.8, "image": 10,
}


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def is_setup_cell(cell: dict) -> bool:
    """The standard first code cell of every notebook (CONTRIBUTING.md): imports and start()."""
    lines = source(cell).lstrip().splitlines()
    return (cell.get("cell_type") == "code" and lines[:1] == ["import helpers"]
            and len(lines) > 1 and lines[1].startswith("helpers.start("))


def is_collapsed(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


def is_skipped(cell: dict) -> bool:
    """Kept off the slides: the setup cell, solutions, collapsed code (checks of the prose)."""
    if cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    return "solution" in tags or is_setup_cell(cell) or is_collapsed(cell)


def has_heading(cell: dict) -> bool:
    text = source(cell).lstrip()
    return cell.get("cell_type") == "markdown" and re.match(r"#{1,3} ", text) is not None


def opens_screen(cell: dict, previous: dict | None) -> bool:
    """A heading, or Markdown after code (the next idea); the first cell."""
    if previous is None or has_heading(cell):
        return True
    return cell.get("cell_type") == "markdown" and previous.get("cell_type") == "code"


def _wrapped(line: str, width: int) -> int:
    return max(1, math.ceil(len(line) / width))


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """The rendered blocks of Markdown: ("heading" | "para" | "item" | "row" | "fence", text);
    the lines of one paragraph or list item are joined, as the page wraps them."""
    blocks: list[tuple[str, str]] = []
    fenced, joinable = False, False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("```") or fenced:
            fenced = fenced != line.startswith("```")
            blocks.append(("fence", line))
            joinable = False
        elif not line:
            joinable = False
        elif re.match(r"#{1,6} ", line):
            blocks.append(("heading", line))
            joinable = False
        elif line.startswith("|"):
            if not set(line) <= set("|-: "):  # not the row under the header
                blocks.append(("row", line))
            joinable = False
        elif re.match(r"([-*+]|\d+\.) ", line):
            blocks.append(("item", line))
            joinable = True
        elif joinable:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + " " + line)
        else:
            blocks.append(("para", line))
            joinable = True
    return blocks


def markdown_height(text: str) -> float:
    height, previous = PX["markdown"], None
    for kind, line in markdown_blocks(text):
        visible = re.sub(r"`|\*\*|\]\([^)]*\)", "", line)  # code marks, bold, link targets
        if kind == "heading":
            height += PX["heading"]
        elif kind == "para":
            height += PX["paragraph"] + PX["line"] * _wrapped(visible, TEXT_CHARS)
        elif kind == "item":
            height += PX["item"] + PX["line"] * _wrapped(visible, TEXT_CHARS - 4)
            height += PX["list"] if previous != "item" else 0
        elif kind == "row":  # cells wrap inside their columns
            height += PX["row"] + PX["line"] * _wrapped(visible, TABLE_CHARS)
        else:
            height += PX["fence_line"]
        previous = kind
    return height


def png_size(data: str) -> tuple[int, int]:
    raw = base64.b64decode("".join(data.split())[:64])
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def output_height(output: dict) -> float:
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        text = source({"source": output.get("text", "")})
    elif "image/png" in data:
        width, height = png_size(source({"source": data["image/png"]}))
        scale = min(1.0, TEXT_AREA_WIDTH / width) if width else 1.0
        return PX["image"] + height * scale
    elif output.get("output_type") == "error":
        text = "\n".join(output.get("traceback", []))
    else:
        text = source({"source": data.get("text/plain", "")})
    # a carriage return overwrites its line (progress bars)
    lines = sum(_wrapped(line.rsplit("\r", 1)[-1], CODE_CHARS) for line in text.splitlines())
    return PX["output"] + PX["output_line"] * lines


def merged_outputs(outputs: list[dict]) -> list[dict]:
    """JupyterLab shows consecutive stream outputs of one stream as one output."""
    merged: list[dict] = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == output.get("name")):
            text = source({"source": merged[-1]["text"]}) + source({"source": output["text"]})
            merged[-1] = {**merged[-1], "text": text}
        else:
            merged.append(output)
    return merged


def estimate_height(cell: dict) -> float:
    """Estimated px the cell takes on a 1280x800 deck (rendered Markdown, or code and its
    stored outputs)."""
    if cell.get("cell_type") == "markdown":
        return markdown_height(source(cell))
    lines = len(source(cell).splitlines())
    return (PX["code"] + PX["code_line"] * lines
            + sum(output_height(o) for o in merged_outputs(cell.get("outputs", []))))


def screens(nb: dict) -> list[list[int]]:
    """The indexes of the shown cells, grouped by screen, by the rules in the docstring."""
    groups: list[list[int]] = []
    cells, previous = nb.get("cells", []), None
    for index, cell in enumerate(cells):
        if not is_skipped(cell):
            if opens_screen(cell, previous) or not groups:
                groups.append([index])
            else:
                groups[-1].append(index)
        previous = cell
    height = [estimate_height(cell) for cell in cells]

    split: list[list[int]] = []
    for group in groups:
        split.append([group[0]])
        for index in group[1:]:
            if sum(height[k] for k in split[-1]) + height[index] > BUDGET:
                split.append([index])
            else:
                split[-1].append(index)

    folded: list[list[int]] = []
    for group in split:
        lone = (len(group) == 1 and cells[group[0]]["cell_type"] == "markdown"
                and not has_heading(cells[group[0]]))
        if lone and folded and sum(height[k] for k in folded[-1] + group) <= BUDGET:
            folded[-1].extend(group)
        else:
            folded.append(group)

    if folded and len(folded[-1]) > 1:
        folded.append([folded[-1].pop()])
    return folded


def plan(nb: dict) -> list[str]:
    """For each cell: "slide" (opens a screen), "layer" (continues one) or "skip"."""
    kinds = ["skip"] * len(nb.get("cells", []))
    for group in screens(nb):
        kinds[group[0]] = "slide"
        for index in group[1:]:
            kinds[index] = "layer"
    return kinds


def apply(nb: dict) -> bool:
    """Set the slide metadata of every cell and the notebook; return True if anything
    changed."""
    changed = False
    for cell, kind in zip(nb.get("cells", []), plan(nb), strict=True):
        meta = cell.setdefault("metadata", {})
        wanted = {
            "slideshow": None if kind == "layer" else {"slide_type": kind},
            DECK_KEY: LAYER if kind == "layer" else None,
        }
        for key, value in wanted.items():
            if meta.get(key) != value:
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
                changed = True
    fonts = nb.setdefault("metadata", {}).setdefault(FONTS_KEY, {})
    if fonts.get("styles") != LAYER_STYLE:
        fonts["styles"] = LAYER_STYLE
        changed = True
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
