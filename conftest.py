"""Project-wide pytest plugins, loaded whichever tests or notebooks are run.

tests/nbtolerance.py extends nbval: a cell whose metadata declares `nbval-tolerance` has the
numbers in its text outputs compared within that tolerance (CONTRIBUTING.md, "Stored outputs").
"""
pytest_plugins = ["tests.nbtolerance"]
