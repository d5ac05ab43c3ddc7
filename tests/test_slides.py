"""Every notebook can be presented as slides (jupyterlab-slideshow's "Toggle Deck"): slide
metadata from tools/slides.py. tests/browser/test_slides_fit.py checks the screens in a real
browser (each fits 1280x800; → and ← walk them)."""
import base64
import copy
import json
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def md(text):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def code(lines=1, tags=(), outputs=(), collapsed=False):
    meta = {"tags": list(tags)}
    if collapsed:
        meta["jupyter"] = {"source_hidden": True}
    return {"cell_type": "code", "source": "\n".join(["x = 1"] * lines), "metadata": meta,
            "outputs": list(outputs)}


def stdout(lines):
    return {"output_type": "stream", "name": "stdout", "text": "line\n" * lines}


def png(width, height):
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
    body = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = header + body + struct.pack(">I", zlib.crc32(b"IHDR" + body))
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(raw).decode(), "text/plain": "<Figure>"}}


def plan(*cells):
    return slides.plan({"cells": list(cells)})


SETUP = {"cell_type": "code", "metadata": {}, "outputs": [],
         "source": ["import helpers\n", "helpers.start(seed=42)  # quiet start-up\n"]}
END = md("[← previous](a.ipynb) · [Course index](00_index.ipynb)")


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_slide_metadata_is_current(book):
    nb = json.loads(book.read_text(encoding="utf-8"))
    assert not slides.apply(copy.deepcopy(nb)), (
        "slide metadata is stale: run python3 tools/slides.py on it")
    cells = nb["cells"]
    types = [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in cells]
    assert types[0] == "slide" and types[-1] == "slide"
    assert set(types) <= {"slide", "skip", "-"}  # no sub-slides: → would skip them
    for cell, kind in zip(cells, types, strict=True):
        tags = set(cell["metadata"].get("tags", []))
        layer = cell["metadata"].get(slides.DECK_KEY)
        assert (kind == "-") == (layer == slides.LAYER)
        assert (kind == "skip") == slides.is_skipped(cell)
        if "heavy" in tags and not slides.is_skipped(cell):
            assert kind != "skip"  # its stored result is what the screen is about
    setup = [k for k, c in enumerate(cells) if slides.is_setup_cell(c)]
    assert len(setup) == 1 and types[setup[0]] == "skip"
    # the title slide shows no code: the setup cell and its output would overflow a projector
    on_title_slide = []
    for cell, kind in zip(cells[1:], types[1:], strict=True):
        if kind == "slide":
            break
        if kind != "skip":
            on_title_slide.append(cell["cell_type"])
    assert "code" not in on_title_slide


def test_headings_and_markdown_after_code_open_a_screen_and_every_screen_is_a_slide():
    assert plan(md("# 01 · Title"), md("You will learn"), SETUP, md("**Data.** text"),
                code(), md("## 1. Section"), md("### Exercise 01.1"), md("Task."), END) == [
        "slide", "layer", "skip", "slide", "layer", "slide", "slide", "layer", "slide"]


def test_setup_solutions_and_collapsed_checks_are_skipped_heavy_cells_are_shown():
    assert plan(md("# T"), SETUP, md("## 1. S"), code(), code(collapsed=True),
                code(tags=["heavy"], outputs=[stdout(2)]), code(tags=["solution"]), END) == [
        "slide", "skip", "slide", "layer", "skip", "layer", "skip", "slide"]


def test_a_result_announced_by_a_sentence_is_on_the_screen_of_that_sentence():
    """07: "the answer is whatever this machine says:" then a heavy cell; it showed nothing."""
    kinds = plan(md("## 2. Ladder"), code(), md("So the answer is whatever this machine says:"),
                 code(tags=["heavy", "nbval-ignore-output"], outputs=[stdout(3)]), END)
    assert kinds == ["slide", "layer", "slide", "layer", "slide"]


def test_a_lone_concluding_paragraph_joins_the_screen_before_when_both_fit():
    assert plan(md("## 1. S"), code(5, outputs=[stdout(3)]), md("So it is faster."),
                md("## 2. Next"), END) == ["slide", "layer", "layer", "slide", "slide"]
    # when the screen before is full, the paragraph keeps its own screen
    assert plan(md("## 1. S"), code(36), md("So it is faster."), md("## 2. Next"), END) == [
        "slide", "layer", "slide", "slide", "slide"]
    # a heading is never folded into the screen before
    assert plan(md("## 1. S"), code(), md("### Exercise 01.1"), END)[2] == "slide"
    # nor is a paragraph that opens a screen with more cells after it
    assert plan(md("## 1. S"), code(), md("Next idea."), code(), END)[2] == "slide"


def test_a_screen_that_would_pass_the_projector_is_split_before_the_cell_that_does_not_fit():
    # 20 + 20 code lines with a heading: about 780 px, more than the budget
    assert plan(md("## 1. S"), code(20), code(20), END) == ["slide", "layer", "slide", "slide"]
    assert plan(md("## 1. S"), code(10), code(10), END) == ["slide", "layer", "layer", "slide"]
    # outputs and pictures count: a 500 px figure after 15 code lines does not fit
    assert plan(md("## 1. S"), code(15), code(2, outputs=[png(900, 500)]), END)[2] == "slide"
    assert plan(md("## 1. S"), code(15), code(2, outputs=[stdout(2)]), END)[2] == "layer"


def test_the_height_estimate_grows_with_lines_outputs_and_images():
    assert slides.estimate_height(code(10)) > slides.estimate_height(code(5))
    assert slides.estimate_height(code(5, outputs=[stdout(4)])) > slides.estimate_height(code(5))
    assert slides.estimate_height(md("a\n\nb\n\nc")) > slides.estimate_height(md("a"))
    assert slides.estimate_height(md("x " * 200)) > slides.estimate_height(md("x " * 20))
    assert slides.png_size(png(640, 480)["data"]["image/png"]) == (640, 480)
    # a picture wider than the text column is scaled down to it, keeping its proportions
    narrow = slides.output_height(png(500, 400))
    assert narrow == pytest.approx(slides.PX["image"] + 400)
    wide = slides.output_height(png(2 * slides.TEXT_AREA_WIDTH, 800))
    assert wide == pytest.approx(slides.PX["image"] + 400)


def test_the_last_cell_is_a_screen_of_its_own():
    """The deck shows a layer after the notebook's last slide on the title screen instead."""
    assert plan(md("# T"), md("intro"), md("## 1. S"), md("text"), END)[-1] == "slide"
    assert plan(md("# T"), md("## 1. S"), code())[-1] == "slide"


def test_apply_writes_layers_the_notebook_style_and_rewrites_stale_metadata():
    nb = {"metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "# T", "metadata": {"slideshow": {"slide_type": "-"}}},
        {"cell_type": "code", "source": "x = 1", "outputs": [],
         "metadata": {"slideshow": {"slide_type": "-"}}},
        {"cell_type": "markdown", "source": "Next.", "metadata": {
            "slideshow": {"slide_type": "subslide"}}},
        {"cell_type": "code", "source": "y = 2", "outputs": [],
         "metadata": {"slideshow": {"slide_type": "skip"}, "tags": ["heavy"]}},
        {"cell_type": "markdown", "source": "End.", "metadata": {slides.DECK_KEY: slides.LAYER}},
    ]}
    assert slides.apply(nb)
    assert [(c["metadata"].get("slideshow"), c["metadata"].get(slides.DECK_KEY))
            for c in nb["cells"]] == [
        ({"slide_type": "slide"}, None), (None, slides.LAYER),
        ({"slide_type": "slide"}, None), (None, slides.LAYER),
        ({"slide_type": "slide"}, None)]
    assert nb["metadata"][slides.FONTS_KEY]["styles"] == {
        ".jp-deck-mod-layer": {"position": "static"}}
    assert not slides.apply(nb)


def test_the_slideshow_extension_is_installed_with_the_course():
    assert "jupyterlab-slideshow==" in (ROOT / "requirements.txt").read_text()
