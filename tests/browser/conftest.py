"""A real JupyterLab in a real browser: what a learner and an instructor see.

    python3 course.py test --browser   (or: COURSE_BROWSER=1 .venv/bin/python -m pytest
                                        tests/browser; the ini's addopts need nbval loaded)

One JupyterLab for the whole run, started the way `course.py lab` starts it (same start page,
the course's environment and its settings overrides), on a free local port with a random
token, serving a *copy* of notebooks/ in a temporary folder: nothing a test runs or autosaves
touches the committed notebooks (labserver.py starts and stops it; test_course_commands.py
also runs `course.py lab` and `course.py learner` themselves). Playwright drives the
operating system's Chromium (no browser download): /usr/bin/chromium or `chromium` on PATH,
or COURSE_CHROMIUM.

The tests wait on JupyterLab's own state (the kernel indicator, execution counts, the deck's
on-screen cells), never on fixed sleeps. A failing test leaves a screenshot in
COURSE_BROWSER_SCREENSHOTS (default: <temp>/course-browser-screenshots); the failure report
names the file.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from labserver import ROOT, course, running_lab
from learner import new_page

SHOTS = Path(os.environ.get("COURSE_BROWSER_SCREENSHOTS")
             or Path(tempfile.gettempdir()) / "course-browser-screenshots")


def chromium_path() -> str:
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium found: install the operating system's package (Debian/Ubuntu: "
                "apt-get install chromium) or set COURSE_CHROMIUM to its path", pytrace=False)


@pytest.fixture(scope="session")
def lab():
    if not (ROOT / course.START_PAGE).exists():
        pytest.fail(f"{course.START_PAGE} is missing", pytrace=False)
    work = Path(tempfile.mkdtemp(prefix="course-browser-"))
    root = work / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    # a second copy that no test runs (JupyterLab autosaves a notebook that ran): the
    # stored outputs exactly as committed
    shutil.copytree(ROOT / "notebooks", root / "unrun")
    try:
        with running_lab(root, work) as running:
            yield running
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab):
    page = new_page(browser, lab)
    yield page
    page.context.close()
    lab.shut_down_kernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    pages = [v for v in item.funcargs.values() if hasattr(v, "screenshot")]
    for page in pages:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{item.name.replace('/', '_')}.png"
        try:
            page.screenshot(path=str(path))
        except Exception as exc:  # the page may be gone; say so instead of hiding the failure
            report.sections.append(("browser screenshot", f"could not take one: {exc}"))
        else:
            report.sections.append(("browser screenshot", str(path)))
            print(f"\nscreenshot of the failure: {path}", file=sys.stderr)
