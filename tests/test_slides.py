"""Every notebook can be presented as slides (jupyterlab-slideshow's "Toggle Deck"): slide
metadata from tools/slides.py. tests/browser/ checks the slides in a real browser."""
import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_slide_metadata_is_current(book):
    nb = json.loads(book.read_text(encoding="utf-8"))
    assert not slides.apply(copy.deepcopy(nb)), (
        "slide metadata is stale: run python3 tools/slides.py on it")
    types = [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in nb["cells"]]
    assert types[0] == "slide"
    assert "-" not in [c["metadata"].get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    for cell, kind in zip(nb["cells"], types, strict=True):
        if {"heavy", "solution"} & set(cell["metadata"].get("tags", [])):
            assert kind == "skip"
    setup = [k for k, c in enumerate(nb["cells"]) if slides.is_setup_cell(c)]
    assert len(setup) == 1 and types[setup[0]] == "skip"
    # the title slide shows no code: the setup cell and its output would overflow a projector
    on_title_slide = []
    for cell, kind in zip(nb["cells"][1:], types[1:], strict=True):
        if kind in ("slide", "subslide"):
            break
        if kind != "skip":
            on_title_slide.append(cell["cell_type"])
    assert "code" not in on_title_slide


def test_rules():
    def md(text):
        return {"cell_type": "markdown", "source": text, "metadata": {}}

    def code(tags=()):
        return {"cell_type": "code", "source": "x = 1", "metadata": {"tags": list(tags)}}

    assert slides.slide_type(md("## 3. Section"), None) == "slide"
    assert slides.slide_type(md("### Exercise"), md("text")) == "subslide"
    assert slides.slide_type(md("Next idea."), code()) == "subslide"
    assert slides.slide_type(md("More of the same idea."), md("text")) == "-"
    assert slides.slide_type(code(["heavy"]), md("x")) == "skip"
    assert slides.slide_type(code(["solution"]), md("x")) == "skip"
    assert slides.slide_type(code(), md("x")) == "-"
    setup = {"cell_type": "code", "metadata": {},
             "source": ["import helpers\n", "helpers.start(seed=42)  # quiet start-up\n"]}
    assert slides.slide_type(setup, md("# 01 · Title")) == "skip"
    assert slides.slide_type(code(), md("# 01 · Title")) == "-"


def test_continuing_cells_carry_no_metadata_and_stale_metadata_is_rewritten():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# T", "metadata": {"slideshow": {"slide_type": "-"}}},
        {"cell_type": "code", "source": "x = 1", "metadata": {"slideshow": {"slide_type": "-"}}},
        {"cell_type": "markdown", "source": "Next.", "metadata": {}},
    ]}
    assert slides.apply(nb)
    assert [c["metadata"].get("slideshow") for c in nb["cells"]] == [
        {"slide_type": "slide"}, None, {"slide_type": "subslide"}]
    assert not slides.apply(nb)


def test_the_slideshow_extension_is_installed_with_the_course():
    assert "jupyterlab-slideshow==" in (ROOT / "requirements.txt").read_text()
