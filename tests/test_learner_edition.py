"""The learner edition: built from the committed notebooks, complete runs only; no solution
code, solution outputs cleared, learners' work kept."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import learner_edition  # noqa: E402

SOURCE = ROOT / "notebooks"
COMMITTED = learner_edition.GitSource(ROOT)
NAMES = sorted(p.split("/")[-1] for p in COMMITTED.files("notebooks") if p.endswith(".ipynb"))


def committed(name):
    return json.loads(COMMITTED.read(f"notebooks/{name}"))


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("learner")
    planned = learner_edition.learner_notebooks(COMMITTED)
    written = learner_edition.write_notebooks(planned, out, force=False)
    assert written == NAMES  # into an empty folder
    return out


def solution_lines(cell):
    return [line.strip() for line in learner_edition.split_solution(cell)[0]]


def test_every_notebook_is_in_the_edition(edition):
    assert sorted(p.name for p in edition.glob("*.ipynb")) == NAMES


def test_no_solution_code_and_no_solution_outputs(edition):
    for name in NAMES:
        original = committed(name)["cells"]
        learner = json.loads((edition / name).read_text())["cells"]
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
                assert not kept or line.startswith(("return", "#")), (name, line)
            assert "raise NotImplementedError(" in after_source
            assert after["outputs"] == [] and after["execution_count"] is None
        assert not any("solution" in c.get("metadata", {}).get("tags", []) for c in learner)


def test_other_cells_and_outputs_are_kept(edition):
    original = committed("01_gradient_tape.ipynb")["cells"]
    learner = json.loads((edition / "01_gradient_tape.ipynb").read_text())["cells"]
    assert "learner-banner" in learner[1]["metadata"]["tags"]
    kept = [c for c in learner if "learner-banner" not in c.get("metadata", {}).get("tags", [])]
    assert len(kept) == len(original)
    for before, after in zip(original, kept, strict=True):
        if "solution" not in before.get("metadata", {}).get("tags", []):
            assert before["source"] == after["source"]
            assert before.get("outputs") == after.get("outputs")


def test_rebuilding_unchanged_writes_nothing(edition):
    planned = learner_edition.learner_notebooks(COMMITTED)
    assert learner_edition.write_notebooks(planned, edition, force=False) == []


def test_never_overwrites_a_learners_edited_notebook(tmp_path):
    planned = learner_edition.learner_notebooks(COMMITTED)
    learner_edition.write_notebooks(planned, tmp_path, force=False)
    work = tmp_path / "01_gradient_tape.ipynb"
    nb = json.loads(work.read_text())
    nb["cells"][-2]["source"] = "my own attempt"
    work.write_text(json.dumps(nb))
    with pytest.raises(learner_edition.EditionError, match="may contain a learner's work") as info:
        learner_edition.write_notebooks(planned, tmp_path, force=False)
    assert "01_gradient_tape.ipynb" in str(info.value) and "--force" in str(info.value)
    assert "my own attempt" in work.read_text()  # untouched
    assert learner_edition.write_notebooks(planned, tmp_path, force=True) == [
        "01_gradient_tape.ipynb"]
    assert "my own attempt" not in work.read_text()


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                   check=True, capture_output=True)


def tiny_notebook(counts, text="print(1)"):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# 01 · Tiny"}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": n, "outputs": [],
               "source": text} for n in counts]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_built_from_the_committed_notebook_not_the_working_copy(tmp_path):
    (tmp_path / "notebooks").mkdir()
    book = tmp_path / "notebooks" / "01_tiny.ipynb"
    book.write_text(json.dumps(tiny_notebook([1, 2], "print('committed')")))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "notebooks")
    git(tmp_path, "commit", "-q", "-m", "tiny")
    # JupyterLab autosaved it half-way through a run: two cells, only the first run
    book.write_text(json.dumps(tiny_notebook([1, None], "print('half-way autosave')")))
    source = learner_edition.GitSource(tmp_path)
    planned = learner_edition.learner_notebooks(source, hints={})
    assert "committed" in planned["01_tiny.ipynb"]
    assert "half-way" not in planned["01_tiny.ipynb"]
    assert learner_edition.uncommitted(source) == ["notebooks/01_tiny.ipynb"]
    with pytest.raises(learner_edition.EditionError, match="not a complete top-to-bottom run"):
        learner_edition.learner_notebooks(learner_edition.FolderSource(tmp_path), hints={})


@pytest.mark.parametrize("counts", [[1, None], [2, 3], [1, 3], [2, 1], [None, None]])
def test_refuses_a_notebook_that_is_not_one_complete_run(counts):
    with pytest.raises(learner_edition.EditionError,
                       match=r"01_tiny.ipynb is not a complete top-to-bottom run: code cell \d"):
        learner_edition.check_complete_run(tiny_notebook(counts), "01_tiny.ipynb")
    learner_edition.check_complete_run(tiny_notebook([1, 2]), "01_tiny.ipynb")  # this one is


def test_every_committed_notebook_is_a_complete_run():
    for name in NAMES:
        learner_edition.check_complete_run(committed(name), name)


def test_refuses_to_write_over_the_instructor_notebooks():
    with pytest.raises(learner_edition.EditionError, match="another folder"):
        learner_edition.build(SOURCE, SOURCE, force=True)
    for folder in (ROOT, SOURCE, ROOT / "helpers"):
        with pytest.raises(learner_edition.EditionError, match="another folder"):
            learner_edition.build_handout(folder, COMMITTED, force=True)


def test_a_solution_cell_without_markers_is_an_error():
    cell = {"cell_type": "code", "metadata": {"tags": ["solution"]},
            "source": "x = 1\ncheck(\"01.1\", x)", "outputs": []}
    with pytest.raises(learner_edition.EditionError, match="no '# BEGIN SOLUTION' block"):
        learner_edition.learner_notebook({"cells": [cell]}, "test.ipynb", {"01.1": "hint"})


def test_command_line_exit_codes(tmp_path, capsys):
    out = tmp_path / "learner"
    assert learner_edition.main(["--out", str(out)]) == 0
    assert (tmp_path / "learner.zip").is_file()
    (out / "notebooks" / "02_linear_regression.ipynb").write_text("{}")
    assert learner_edition.main(["--out", str(out)]) == 1
    assert "nothing was written" in capsys.readouterr().err


def test_learner_runs_a_notebook_and_sees_helpful_placeholders(edition):
    """As a learner would: run the learner edition of notebook 01 top to bottom."""
    nb = nbformat.read(edition / "01_gradient_tape.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(SOURCE)}}).execute()
    messages = ["".join(o.get("text", "") for o in c.outputs)  # one message per exercise cell
                for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    solutions = [c for c in committed("01_gradient_tape.ipynb")["cells"]
                 if "solution" in c.get("metadata", {}).get("tags", [])]
    assert len(messages) == len(solutions) >= 3
    for message in messages:
        assert "not done yet" in message and "Hint:" in message
