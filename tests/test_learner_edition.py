"""The learner edition: no solution code, solution outputs cleared, learners' work kept."""
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import learner_edition  # noqa: E402

SOURCE = ROOT / "notebooks"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("learner")
    written = learner_edition.build(SOURCE, out, force=False)
    assert written == [p.name for p in sorted(SOURCE.glob("*.ipynb"))]  # into an empty folder
    return out


def solution_lines(cell):
    lines, inside = [], False
    for line in learner_edition.source_text(cell).splitlines():
        if "# BEGIN SOLUTION" in line:
            inside = True
        elif "# END SOLUTION" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def test_every_notebook_is_in_the_edition(edition):
    names = sorted(p.name for p in SOURCE.glob("*.ipynb"))
    assert sorted(p.name for p in edition.glob("*.ipynb")) == names


def test_no_solution_code_and_no_solution_outputs(edition):
    for book in SOURCE.glob("*.ipynb"):
        original = json.loads(book.read_text())["cells"]
        learner = json.loads((edition / book.name).read_text())["cells"]
        learner_code = "\n".join(learner_edition.source_text(c)
                                 for c in learner if c["cell_type"] == "code")
        assert "BEGIN SOLUTION" not in learner_code and "END SOLUTION" not in learner_code
        originals = [c for c in original if "solution" in c.get("metadata", {}).get("tags", [])]
        exercises = [c for c in learner if "exercise" in c.get("metadata", {}).get("tags", [])]
        assert len(originals) == len(exercises)
        for before, after in zip(originals, exercises, strict=True):
            after_source = learner_edition.source_text(after)
            for line in solution_lines(before):
                kept = line in after_source.splitlines()
                assert not kept or line.startswith(("return", "#")), (book.name, line)
            assert "raise NotImplementedError(" in after_source
            assert after["outputs"] == [] and after["execution_count"] is None
        assert not any("solution" in c.get("metadata", {}).get("tags", []) for c in learner)


def test_other_cells_and_outputs_are_kept(edition):
    book = SOURCE / "01_gradient_tape.ipynb"
    original = json.loads(book.read_text())["cells"]
    learner = json.loads((edition / book.name).read_text())["cells"]
    assert "learner-banner" in learner[1]["metadata"]["tags"]
    kept = [c for c in learner if "learner-banner" not in c.get("metadata", {}).get("tags", [])]
    assert len(kept) == len(original)
    for before, after in zip(original, kept, strict=True):
        if "solution" not in before.get("metadata", {}).get("tags", []):
            assert before["source"] == after["source"]
            assert before.get("outputs") == after.get("outputs")


def test_rebuilding_unchanged_writes_nothing(edition):
    assert learner_edition.build(SOURCE, edition, force=False) == []


def test_never_overwrites_a_learners_edited_notebook(tmp_path):
    learner_edition.build(SOURCE, tmp_path, force=False)
    work = tmp_path / "01_gradient_tape.ipynb"
    nb = json.loads(work.read_text())
    nb["cells"][-2]["source"] = "my own attempt"
    work.write_text(json.dumps(nb))
    with pytest.raises(learner_edition.EditionError, match="may contain a learner's work") as info:
        learner_edition.build(SOURCE, tmp_path, force=False)
    assert "01_gradient_tape.ipynb" in str(info.value) and "--force" in str(info.value)
    assert "my own attempt" in work.read_text()  # untouched
    assert learner_edition.build(SOURCE, tmp_path, force=True) == ["01_gradient_tape.ipynb"]
    assert "my own attempt" not in work.read_text()


def test_refuses_to_write_over_the_instructor_notebooks():
    with pytest.raises(learner_edition.EditionError, match="another folder"):
        learner_edition.build(SOURCE, SOURCE, force=True)


def test_a_solution_cell_without_markers_is_an_error():
    cell = {"cell_type": "code", "metadata": {"tags": ["solution"]},
            "source": "x = 1\ncheck(\"01.1\", x)", "outputs": []}
    with pytest.raises(learner_edition.EditionError, match="no '# BEGIN SOLUTION' block"):
        learner_edition.learner_notebook({"cells": [cell]}, "test.ipynb", {"01.1": "hint"})


def test_command_line_exit_codes(tmp_path, capsys):
    assert learner_edition.main(["--out", str(tmp_path)]) == 0
    (tmp_path / "02_linear_regression.ipynb").write_text("{}")
    assert learner_edition.main(["--out", str(tmp_path)]) == 1
    assert "nothing was written" in capsys.readouterr().err


def test_learner_runs_a_notebook_and_sees_helpful_placeholders(edition):
    """As a learner would: run the learner edition of notebook 01 top to bottom."""
    nb = nbformat.read(edition / "01_gradient_tape.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(SOURCE)}}).execute()
    messages = ["".join(o.get("text", "") for o in c.outputs)  # one message per exercise cell
                for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    assert len(messages) == 3
    for message in messages:
        assert "not done yet" in message and "Hint:" in message
