"""Shared set-up for the helper tests: a non-interactive plot backend, figures closed after each.

tests/browser/ (JupyterLab in Chromium) runs only when asked: `python3 course.py test --browser`
sets COURSE_BROWSER=1.
"""
import os

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

collect_ignore = [] if os.environ.get("COURSE_BROWSER") == "1" else ["browser"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
