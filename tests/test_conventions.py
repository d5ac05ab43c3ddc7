"""The course's conventions, checked: helpers say where they are introduced, notebooks link
their neighbours and start with the standard setup cell."""
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [nb for nb in NOTEBOOKS if not nb.name.startswith("00_")]
NOTEBOOK_STEMS = {nb.stem for nb in NOTEBOOKS}


def public_api():
    modules = [importlib.import_module(f"helpers.{m.name}") for m in pkgutil.iter_modules(helpers.__path__)
               if not m.name.startswith("_") and not m.ispkg]
    modules.append(importlib.import_module("helpers.exercises"))
    for module in modules:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) and (issubclass(obj, BaseException) or hasattr(obj, "__dataclass_fields__")):
                continue  # exceptions and plain records are not introduced by a lesson
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield pytest.param(obj, id=f"{module.__name__}.{name}")


@pytest.mark.parametrize("obj", list(public_api()))
def test_public_helpers_say_where_they_are_introduced(obj):
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"Introduced in (\d\d_\w+)", doc)
    assert match, f"{obj.__qualname__} has no 'Introduced in NN_name' line in its docstring"
    assert match.group(1) in NOTEBOOK_STEMS, f"{obj.__qualname__} names {match.group(1)}, which is not a notebook"


def markdown(book):
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in json.loads(book.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_lessons_link_the_index_and_their_neighbours_at_both_ends(book):
    index = LESSONS.index(book)
    expected = {"00_index.ipynb"}
    if index > 0:
        expected.add(LESSONS[index - 1].name)
    if index + 1 < len(LESSONS):
        expected.add(LESSONS[index + 1].name)
    cells = markdown(book)
    for where, text in (("first", cells[0]), ("last", cells[-1])):
        links = set(re.findall(r"\]\(([0-9][0-9]_\w+\.ipynb)\)", text))
        assert expected <= links, f"the {where} cell of {book.name} links {sorted(links)}, expected {sorted(expected)}"
    for text in cells:
        for target in re.findall(r"\]\(([0-9][0-9]_\w+\.ipynb)\)", text):
            assert (book.parent / target).is_file(), f"{book.name} links to missing {target}"


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_code_cell_is_the_standard_setup(book):
    cells = json.loads(book.read_text(encoding="utf-8"))["cells"]
    first = next(("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                 for c in cells if c["cell_type"] == "code")
    assert first.startswith("import helpers\nhelpers.start(seed=")
    for name in ("import numpy as np", "import tensorflow as tf", "import keras", "from helpers.exercises import check"):
        assert name in first, f"{book.name}: the setup cell lacks {name!r}"


def test_every_helper_module_is_reachable_as_an_attribute():
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(helpers.__path__) if not m.name.startswith("_")}
    assert modules <= helpers._SUBMODULES, f"add {sorted(modules - helpers._SUBMODULES)} to helpers._SUBMODULES"
    for name in modules:
        assert getattr(helpers, name).__name__ == f"helpers.{name}"
