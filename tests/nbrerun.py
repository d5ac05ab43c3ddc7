"""nbval, then every cell run a second time in the same kernel: each cell must be safe to re-run.

A learner re-runs cells: after editing one, after an error, or with "Run All" a second time in
the same kernel. A cell that counts on something happening only once in a process (TensorFlow
warns about retracing at most twice per Python function; a file is created once; a name is
deleted) then fails, although a fresh top-to-bottom run passes.

When nbval runs a whole notebook, this plugin adds, after its last cell, one more test item per
code cell: "Cell N re-run". They run in the notebook's own kernel after the full run, as a
learner who goes back and runs a part of the notebook again from its start: top to bottom
within each stretch of cells between two cells that are not re-run (``heavy`` ones), the last
stretch first. So a cell is never re-run after the cells above it rebuilt a model that a skipped
heavy cell would have trained, and never after the cells below it were re-run in the same
stretch. A re-run passes if the cell raises no error (a cell tagged ``raises-exception`` may
raise, as in the first run) and writes nothing to stderr (a warning a cell catches or avoids the
first time must not leak out the second time). Outputs are not compared with the stored ones: a
re-run may honestly print other numbers.

Not re-run: cells tagged ``heavy`` (more than a few seconds: the check stays cheap), cells
nbval skips, and a cell whose metadata says why it cannot be re-run:

    "nbval-no-rerun": "one sentence: why re-running this cell cannot be made safe"

which should be rare. If a cell of the first run raised an error or timed out, the notebook's
re-run items are skipped (the first failure says what is wrong); a mere output difference does
not stop them. ``--nbval-no-rerun`` leaves the re-runs out; they are
also left out when only some of a notebook's cells are selected (``-k``, a node id).
The plugin is loaded by the project's root ``conftest.py``.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

KEY = "nbval-no-rerun"
SKIP_TAGS = {"heavy"}


class RerunSpecError(ValueError):
    """The nbval-no-rerun metadata of a cell is not a reason."""


def pytest_addoption(parser):
    group = parser.getgroup("nbval")
    group.addoption(
        "--nbval-no-rerun",
        action="store_true",
        help="do not run every notebook cell a second time after the notebook's full run "
        "(tests/nbrerun.py)",
    )


def rerun_reason_to_skip(cell) -> str | None:
    """Why ``cell`` is not re-run, or None if it is. RerunSpecError if its opt-out is malformed."""
    metadata = getattr(cell, "metadata", {}) or {}
    tags = set(metadata.get("tags", []) or [])
    if tags & SKIP_TAGS:
        return f"tagged {sorted(tags & SKIP_TAGS)[0]}"
    if KEY in metadata:
        why = metadata[KEY]
        if not isinstance(why, str) or not why.strip():
            raise RerunSpecError(
                f"{KEY} must be one sentence saying why the cell cannot be re-run, got {why!r}"
            )
        return why
    return None


def rerun_order(cells):
    """The cells to re-run, in order: the stretches between cells that are not re-run (heavy,
    opted out), the last stretch first, each from its top down. nbval-skipped cells, which never
    run, are left out without cutting a stretch."""
    stretches: list[list] = [[]]
    for cell_item in cells:
        if cell_item.options["skip"]:
            continue
        try:
            reason = rerun_reason_to_skip(cell_item.cell)
        except RerunSpecError as exc:
            raise pytest.UsageError(f"{cell_item.nodeid}: {exc}") from None
        if reason is None:
            stretches[-1].append(cell_item)
        elif stretches[-1]:
            stretches.append([])
    return [cell_item for stretch in reversed(stretches) for cell_item in stretch]


def _rerun_class():
    from nbval.plugin import IPyNbCell, NbCellError

    class RerunCell(IPyNbCell):
        """A code cell executed again in its notebook's kernel, after the notebook's full run."""

        def __init__(self, name, parent, cell_num, cell, options):
            options = defaultdict(bool, options)
            options["check"] = False  # outputs are not compared; errors and stderr are
            super().__init__(name, parent, cell_num, cell, options)

        def reportinfo(self):
            where = self.fspath.relto(self.config.rootdir)
            description = f"{where}::Cell {self.cell_num} re-run"
            return self.fspath, 0, description

        def setup(self):
            super().setup()
            failed = getattr(self.parent, "_nbrerun_first_failure", None)
            if failed is not None:
                pytest.skip(f"the notebook's first run failed ({failed}): no re-run")

        def runtest(self):
            try:
                super().runtest()
            except NbCellError as exc:
                raise NbCellError(
                    self.cell_num,
                    "Running the cell a second time, in the same kernel after the whole "
                    "notebook ran, raised an exception (it must be safe to re-run)",
                    self.cell.source,
                    exc.inner_traceback,
                ) from None
            stderr = "".join(
                out.get("text", "")
                for out in self.test_outputs or []
                if out.get("output_type") == "stream" and out.get("name") == "stderr"
            )
            if stderr:
                raise NbCellError(
                    self.cell_num,
                    "Running the cell a second time, in the same kernel after the whole "
                    "notebook ran, wrote to stderr (the first run did not)",
                    self.cell.source,
                    "\n" + stderr,
                )

    return RerunCell


def _is_notebook_cell(item) -> bool:
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return False
    return isinstance(item, IPyNbCell) and not getattr(item, "_nbrerun", False)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """After each notebook whose every cell is selected, its re-run items (rerun_order)."""
    if config.getoption("nbval_no_rerun", False):
        return
    by_file: dict[object, list] = {}
    for item in items:
        if _is_notebook_cell(item):
            by_file.setdefault(item.parent, []).append(item)
    if not by_file:
        return
    rerun_cell = _rerun_class()
    new_items = []
    seen: set[int] = set()
    for item in items:
        new_items.append(item)
        notebook = getattr(item, "parent", None)
        cells = by_file.get(notebook)
        if cells is None or item is not cells[-1] or id(notebook) in seen:
            continue
        seen.add(id(notebook))
        code_cells = [c for c in notebook.nb.cells if c.cell_type == "code"]
        if [c.cell_num for c in cells] != list(range(len(code_cells))):
            continue  # only part of the notebook is selected: no re-run
        for cell_item in rerun_order(cells):
            rerun = rerun_cell.from_parent(
                notebook,
                name=f"{cell_item.name} re-run",
                cell_num=cell_item.cell_num,
                cell=cell_item.cell,
                options=dict(cell_item.options),
            )
            rerun._nbrerun = True
            new_items.append(rerun)
    items[:] = new_items


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _is_notebook_cell(item):
        if call.excinfo is not None and str(call.excinfo.value) == "Cell outputs differ":
            return  # the kernel's state is sound: the re-run still says something
        notebook = item.parent
        if getattr(notebook, "_nbrerun_first_failure", None) is None:
            notebook._nbrerun_first_failure = item.name
