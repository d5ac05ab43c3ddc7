"""The handout's own test (`python3 course.py test`): every notebook runs top to bottom in a
fresh kernel, and every exercise cell prints its check line: "not done yet" with the hint
while its `raise NotImplementedError` placeholder is still there, its verdict once solved."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((HERE / "notebooks").glob("*.ipynb"))
PLACEHOLDER = re.compile(r"""raise NotImplementedError\(\s*['"]Exercise (\d\d\.\d+):""")


def test_the_handout_has_notebooks():
    assert len(NOTEBOOKS) >= 2, f"no notebooks in {HERE / 'notebooks'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_every_exercise_reports(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name}: a cell raised an error when run top to bottom:\n{error}")
    exercises = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    for cell in exercises:
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        printed = " ".join(printed.split())  # check() wraps its sentence at spaces
        waiting = PLACEHOLDER.search(cell.source)
        if waiting:
            ex_id = waiting.group(1)
            assert f"Exercise {ex_id}: not done yet. Hint: " in printed, (
                f"{path.name}, exercise {ex_id}: expected 'not done yet' with a hint, "
                f"got {printed!r}")
        else:  # solved (or attempted): the check printed its verdict for this exercise
            ids = re.findall(r"""check\(\s*['"](\d\d\.\d+)['"]""", cell.source)
            assert ids and f"Exercise {ids[0]}:" in printed, (
                f"{path.name}: an exercise cell printed no check line, got {printed!r}")


def test_no_solutions_in_the_notebooks():
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, path.name
        for cell in json.loads(text)["cells"]:
            assert "solution" not in cell.get("metadata", {}).get("tags", []), path.name
