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
    modules = [
        importlib.import_module(f"helpers.{m.name}")
        for m in pkgutil.iter_modules(helpers.__path__)
        if not m.name.startswith("_") and not m.ispkg
    ]
    modules.append(importlib.import_module("helpers.exercises"))
    for module in modules:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) and (
                issubclass(obj, BaseException) or hasattr(obj, "__dataclass_fields__")
            ):
                continue  # exceptions and plain records are not introduced by a lesson
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield pytest.param(obj, id=f"{module.__name__}.{name}")


@pytest.mark.parametrize("obj", list(public_api()))
def test_public_helpers_say_where_they_are_introduced(obj):
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"Introduced in (\d\d_\w+)", doc)
    assert match, f"{obj.__qualname__} has no 'Introduced in NN_name' line in its docstring"
    assert match.group(1) in NOTEBOOK_STEMS, (
        f"{obj.__qualname__} names {match.group(1)}, which is not a notebook"
    )


def markdown(book):
    return [
        ("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
        for c in json.loads(book.read_text(encoding="utf-8"))["cells"]
        if c["cell_type"] == "markdown"
    ]


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
        assert expected <= links, (
            f"the {where} cell of {book.name} links {sorted(links)}, expected {sorted(expected)}"
        )
    for text in cells:
        for target in re.findall(r"\]\(([0-9][0-9]_\w+\.ipynb)\)", text):
            assert (book.parent / target).is_file(), f"{book.name} links to missing {target}"


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_code_cell_is_the_standard_setup(book):
    cells = json.loads(book.read_text(encoding="utf-8"))["cells"]
    first = next(
        ("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
        for c in cells
        if c["cell_type"] == "code"
    )
    assert first.startswith("import helpers\nhelpers.start(seed=")
    for name in (
        "import numpy as np",
        "import tensorflow as tf",
        "import keras",
        "from helpers.exercises import check",
    ):
        assert name in first, f"{book.name}: the setup cell lacks {name!r}"


def test_every_helper_module_is_reachable_as_an_attribute():
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(helpers.__path__) if not m.name.startswith("_")}
    assert modules <= helpers._SUBMODULES, (
        f"add {sorted(modules - helpers._SUBMODULES)} to helpers._SUBMODULES"
    )
    for name in modules:
        assert getattr(helpers, name).__name__ == f"helpers.{name}"


# --- One structure for every notebook: title, navigation, one heading per section cell ---

HEADING = re.compile(r"^(#{1,6}) (.+)$")
ENDINGS = ["Summary", "What older tutorials get wrong", "Exercises"]


def cells_of(book):
    return [
        (c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
        for c in json.loads(book.read_text(encoding="utf-8"))["cells"]
    ]


def headings(text):
    """Heading lines of a Markdown cell, outside fenced code blocks: (level, title)."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2).strip()))
    return found


def title(book):
    first = cells_of(book)[0][1].splitlines()[0]
    match = re.fullmatch(rf"# {book.name[:2]} · (.+)", first)
    assert match, f"{book.name}: the first line must be '# {book.name[:2]} · Title', not {first!r}"
    return match.group(1)


def expected_navigation(book):
    index = LESSONS.index(book)
    parts = []
    if index > 0:
        previous = LESSONS[index - 1]
        parts.append(f"[← {previous.name[:2]} · {title(previous)}]({previous.name})")
    parts.append("[Course index](00_index.ipynb)")
    if index + 1 < len(LESSONS):
        following = LESSONS[index + 1]
        parts.append(f"[{following.name[:2]} · {title(following)} →]({following.name})")
    return " · ".join(parts)


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_navigation_line_is_the_same_at_both_ends(book):
    cells = cells_of(book)
    navigation = expected_navigation(book)
    assert cells[0][1].rstrip().splitlines()[-1] == navigation, (
        f"{book.name}: title cell must end with {navigation}"
    )
    assert cells[-1] == ("markdown", navigation) or cells[-1] == ("markdown", navigation + "\n"), (
        f"{book.name}: the last cell must be exactly the navigation line {navigation}"
    )


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_a_section_heading_starts_its_own_cell(book):
    """tools/slides.py starts a slide at each ## heading: one heading per such cell."""
    for number, (kind, text) in enumerate(cells_of(book)):
        if kind != "markdown":
            continue
        found = headings(text)
        if any(level <= 2 for level, _ in found):
            assert len(found) == 1, (
                f"{book.name} cell {number}: a ## section cell holds {len(found)} headings: {found}"
            )
            assert HEADING.match(text.splitlines()[0]), (
                f"{book.name} cell {number}: text before the heading"
            )


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_sections_are_numbered_then_the_same_endings(book):
    sections = [
        t
        for kind, text in cells_of(book)
        if kind == "markdown"
        for level, t in headings(text)
        if level == 2
    ]
    numbered = [t for t in sections if re.match(r"\d+\. ", t)]
    numbers = [int(t.split(".")[0]) for t in numbered]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), (
        f"{book.name}: sections {numbers}"
    )
    endings = sections[len(numbered) :]
    assert sections[: len(numbered)] == numbered, (
        f"{book.name}: unnumbered sections among numbered ones: {sections}"
    )
    assert endings in (ENDINGS, [ENDINGS[0], ENDINGS[2]]), (
        f"{book.name}: after the numbered sections expected {ENDINGS} "
        f"(the middle one optional), got {endings}"
    )
    exercises = [
        t
        for kind, text in cells_of(book)
        if kind == "markdown"
        for level, t in headings(text)
        if level == 3 and t.startswith("Exercise ")
    ]
    assert exercises and all(
        re.match(rf"Exercise {book.name[:2]}\.\d: \S", t) for t in exercises
    ), exercises


def readme_study_times():
    rows = re.findall(
        r"^\| \[(\d\d) [^|]*\]\(notebooks/\d\d_\w+\.ipynb\) \|[^|]*\| (\d+) min \| ([^|]+) \|$",
        (ROOT / "README.md").read_text(encoding="utf-8"),
        re.M,
    )
    return {number: int(minutes) for number, minutes, _ in rows}


def test_the_readme_table_lists_every_notebook():
    assert sorted(readme_study_times()) == sorted(nb.name[:2] for nb in NOTEBOOKS)


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_headers_give_the_readme_study_time_and_no_run_time(book):
    header = cells_of(book)[0][1]
    minutes = readme_study_times()[book.name[:2]]
    assert f"**Study time**: about {minutes} minutes." in header, (
        f"{book.name}: header must say {minutes} minutes"
    )
    assert not re.search(r"\d+\s*(s|seconds?)\b|minutes? to run|to run", header), (
        f"{book.name}: run times live in the README's table only"
    )


def test_the_index_map_lists_every_lesson_with_the_readme_study_time():
    index_map = cells_of(NOTEBOOKS[0])[1][1]
    rows = re.findall(
        r"^\| (\d\d) \| \[[^]]+\]\((\d\d_\w+\.ipynb)\) \|[^|]*\| (\d+) min \|$", index_map, re.M
    )
    assert [file for _, file, _ in rows] == [nb.name for nb in LESSONS]
    study = readme_study_times()
    assert {number: int(minutes) for number, _, minutes in rows} == {
        n: m for n, m in study.items() if n != "00"
    }
