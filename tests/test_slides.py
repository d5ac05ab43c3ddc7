"""Every notebook can be presented with RISE: slide metadata on every cell, from tools/slides.py."""
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
def test_slide_metadata_is_present_and_current(book):
    nb = json.loads(book.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        assert "slideshow" in cell["metadata"], (
            f"cell {index} has no slide metadata: run python3 course.py refresh")
    assert not slides.apply(copy.deepcopy(nb)), (
        "slide metadata is stale: run python3 tools/slides.py on it")
    types = [c["metadata"]["slideshow"]["slide_type"] for c in nb["cells"]]
    assert types[0] == "slide"
    for cell, kind in zip(nb["cells"], types, strict=True):
        if {"heavy", "solution"} & set(cell["metadata"].get("tags", [])):
            assert kind == "skip"


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


def test_rise_is_installed_with_the_course():
    assert "jupyterlab-rise==" in (ROOT / "requirements.txt").read_text()
