"""Project-wide pytest plugins, loaded whichever tests or notebooks are run.

tests/nbtolerance.py extends nbval: a cell whose metadata declares `nbval-tolerance` has the
numbers in its text outputs compared within that tolerance (CONTRIBUTING.md, "Stored outputs").
tests/nbrerun.py runs every cell of a notebook a second time, in the same kernel, after nbval's
full run: each cell must be safe to re-run (CONTRIBUTING.md, "Stored outputs").
"""
pytest_plugins = ["tests.nbtolerance", "tests.nbrerun"]
