"""The course's conventions, checked: helpers say where they are introduced, notebooks link
their neighbours and start with the standard setup cell."""

import importlib
import inspect
import io
import json
import pkgutil
import re
import sys
import tokenize
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


# --- Study times come from tools/study_time.py; run times from notebooks/run_times.json ---

sys.path.insert(0, str(ROOT / "tools"))
import refresh_outputs  # noqa: E402
import study_time  # noqa: E402

ESTIMATES = study_time.estimates()
WRITE = "run `python3 tools/study_time.py --write`"


def test_the_study_time_estimate_follows_its_basis():
    """The basis stated in CONTRIBUTING: 120 words, 12 code lines a minute, 10 per exercise."""
    load = study_time.Load(words=1200, code_lines=120, exercises=3)
    assert load.exact_minutes == 10 + 10 + 30 and load.minutes == 50
    assert study_time.Load(words=0, code_lines=0, exercises=0).minutes == 5  # never 0
    assert study_time.Load(words=1260, code_lines=0, exercises=0).minutes == 10  # 10.5 -> 10
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for stated in (f"prose at {study_time.WORDS_PER_MINUTE} words a minute",
                   f"code at {study_time.LINES_PER_MINUTE} lines a minute",
                   f"{study_time.MINUTES_PER_EXERCISE} minutes per exercise"):
        assert stated in contributing, f"CONTRIBUTING.md must state the basis: {stated!r}"


def test_the_study_time_counts_what_a_learner_reads(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {},
         "source": "one two [three](http://x.org/a b) | --- |\n```\ncode line\n```"},
        {"cell_type": "markdown", "metadata": {}, "source": "### Exercise 09.1: four five"},
        {"cell_type": "code", "metadata": {}, "source": "a = 1\n\nb = 2\n"},
        {"cell_type": "code", "metadata": {"jupyter": {"source_hidden": True}},
         "source": "assert a == 1\n"},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "x = 1\ny = 2\n"},
    ]
    book = tmp_path / "09_x.ipynb"
    book.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    got = study_time.load(book)
    assert (got.words, got.code_lines, got.exercises) == (3 + 4, 2 + 1, 1), got


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_headers_give_the_tools_study_time_and_no_run_time(book):
    header = cells_of(book)[0][1]
    minutes = ESTIMATES[book.name[:2]]
    assert f"**Study time**: about {minutes} minutes." in header, (
        f"{book.name}: the tool estimates {minutes} minutes: {WRITE}"
    )
    assert not re.search(r"\d+\s*(s|seconds?)\b|minutes? to run|to run", header), (
        f"{book.name}: run times live in the README's table only"
    )


def test_the_readme_gives_the_tools_study_times():
    assert readme_study_times() == ESTIMATES, WRITE


TITLE_FIELDS = [
    (r"^\*\*You will learn\*\*\n\n?(- .+\n(  .+\n)*){2,}", "a '**You will learn**' list"),
    (r"^\*\*Prerequisites(:\*\*|\*\*:) \S", "'**Prerequisites:**'"),
    (r"^\*\*Study time\*\*: about \d+ minutes\.$", "'**Study time**: about N minutes.'"),
]


@pytest.mark.parametrize("book", LESSONS, ids=lambda p: p.name)
def test_the_title_cell_has_every_field(book):
    header = cells_of(book)[0][1] + "\n"
    title(book)  # `# NN · Title` on the first line
    for pattern, what in TITLE_FIELDS:
        assert re.search(pattern, header, re.M), f"{book.name}: the title cell lacks {what}"
    learn = header.index("**You will learn**")
    assert learn < header.index("**Prerequisites") < header.index("**Study time**"), (
        f"{book.name}: the fields come in the order You will learn, Prerequisites, Study time"
    )


def test_the_readme_run_times_agree_with_the_run_times_file():
    recorded = json.loads((ROOT / "notebooks" / "run_times.json").read_text(encoding="utf-8"))
    entries = recorded["notebooks"]
    shown = refresh_outputs.readme_run_times((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sorted(shown) == sorted(entries) == [nb.stem for nb in NOTEBOOKS], (
        "every notebook needs a README row and a run time (python3 course.py refresh)"
    )
    for stem, entry in entries.items():
        assert {"seconds", "date", "cpu", "cores"} <= set(entry), stem
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", entry["date"]), stem
        accepted = refresh_outputs.accepted_labels(entry["seconds"])
        assert shown[stem] in accepted, (
            f"README.md gives {stem} {shown[stem]!r}, the recorded {entry['seconds']} s is "
            f"{' or '.join(sorted(accepted))}"
        )


def test_the_run_time_bands_and_their_slack():
    label, accepted = refresh_outputs.run_time_label, refresh_outputs.accepted_labels
    assert [label(s) for s in (3, 20, 60, 120, 300, 600, 900)] == [
        "under 15 s", "15-45 s", "45-90 s", "1.5-3 min", "3-6 min", "6-12 min", "over 12 min"]
    assert accepted(30) == {"15-45 s"}  # far from an edge: one label only
    assert accepted(40) == {"15-45 s", "45-90 s"}  # within 20 % of 45 s
    assert "45-90 s" not in accepted(20)


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 120, f"README.md has {len(lines)} lines; move detail to CONTRIBUTING.md"


# --- The course map ---


def test_the_index_opens_with_the_map_not_a_check():
    cells = cells_of(NOTEBOOKS[0])
    assert cells[0][0] == "markdown" and cells[0][1].startswith("# ")
    assert cells[1][0] == "markdown" and cells[1][1].startswith("## The course map")
    first_code = next(i for i, (kind, _) in enumerate(cells) if kind == "code")
    cheat = next(i for i, (kind, text) in enumerate(cells)
                 if kind == "markdown" and text.startswith("## Cheat sheet"))
    assert [i for i, (kind, _) in enumerate(cells[:cheat]) if kind == "code"] == [first_code], (
        "before the cheat sheet the index holds only the setup cell: checks go at the end"
    )


def test_the_index_map_lists_every_lesson_with_the_tools_study_time():
    index_map = cells_of(NOTEBOOKS[0])[1][1]
    rows = re.findall(
        r"^\| (\d\d) \| \[([^]]+)\]\((\d\d_\w+\.ipynb)\) \|[^|]*\| (\d+) min \|$", index_map, re.M
    )
    assert [file for _, _, file, _ in rows] == [nb.name for nb in LESSONS]
    for number, name, file, _ in rows:
        assert number == file[:2] and name == title(NOTEBOOKS[0].parent / file).replace(
            "`model.fit()`", "`fit()`").split(":")[0], (number, name, file)
    assert {number: int(minutes) for number, _, _, minutes in rows} == {
        n: m for n, m in ESTIMATES.items() if n != "00"
    }, WRITE


# --- One vocabulary (CONTRIBUTING.md, "Standard names") ---

FORBIDDEN = {
    r"\bgrads\b": "gradients",
    r"\bBATCH_SIZE\b": "batch_size",
    r"\bdef get_model\b": "def make_model",
    r"\bdef build_mlp\b": "def make_model",
    r"\bloss_object\b": "loss_fn",
    r"\btrain_dataset\b": "train_ds",
    r"\bval_dataset\b": "val_ds",
}
EPOCH_FROM_ZERO = re.compile(r"\bepoch 0(?![.,]?\d)|count(ing|ed) from 0\b", re.I)


def without_strings(code: str) -> str:
    """A code cell's text with its string literals blanked: a check may quote Keras's source
    (`"self.optimizer.apply_gradients(..."`) without the course using that spelling."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line
             for line in code.splitlines()]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return code
    return tokenize.untokenize(t._replace(string="''") if t.type == tokenize.STRING else t
                               for t in tokens)


def code_and_outputs(book):
    for number, cell in enumerate(json.loads(book.read_text(encoding="utf-8"))["cells"]):
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        outputs = "".join(
            "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
            for o in cell.get("outputs", [])
        )
        yield number, cell["cell_type"], text, outputs


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_code_uses_the_standard_names(book):
    apply_gradients = []
    for number, kind, text, _ in code_and_outputs(book):
        if kind != "code":
            continue
        text = without_strings(text)
        for pattern, instead in FORBIDDEN.items():
            found = re.search(pattern, text)
            assert not found, f"{book.name} cell {number}: {found.group()!r}, write {instead}"
        apply_gradients += [number] * text.count("apply_gradients(")
    allowed = 1 if book.name.startswith("03_") else 0  # 03 explains the older spelling, once
    assert len(apply_gradients) <= allowed, (
        f"{book.name}: apply_gradients( in code cells {apply_gradients}; "
        "write optimizer.apply(gradients, variables)"
    )


def test_the_names_check_reads_code_not_strings():
    code = 'gradients = tape.gradient(loss, w)\nsource = "optimizer.apply_gradients(zip(grads, v))"'
    assert "apply_gradients" not in without_strings(code) and "grads" not in without_strings(code)
    assert re.search(r"\bgrads\b", without_strings("grads = tape.gradient(loss, w)  # x\n"))
    assert without_strings("x = 1\nopt.apply_gradients(zip(g, v))\n").count("apply_gradients(") == 1


@pytest.mark.parametrize("book", NOTEBOOKS, ids=lambda p: p.name)
def test_epochs_a_learner_reads_count_from_one(book):
    for number, kind, text, outputs in code_and_outputs(book):
        read = text if kind == "markdown" else outputs
        found = EPOCH_FROM_ZERO.search(read)
        assert not found, f"{book.name} cell {number}: {found.group()!r}: count epochs from 1"
