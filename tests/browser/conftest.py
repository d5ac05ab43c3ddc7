"""A real JupyterLab in a real browser: what a learner and an instructor see.

    python3 course.py test --browser        (or: COURSE_BROWSER=1 .venv/bin/python -m pytest
                                              tests/browser -p no:nbval)

One JupyterLab for the whole run, started the way `course.py lab` starts it (same start page,
the course's environment and its settings overrides), on a free local port with a random
token, serving a *copy* of notebooks/ in a temporary folder: nothing a test runs or autosaves
touches the committed notebooks. Playwright drives the operating system's Chromium (no
browser download): /usr/bin/chromium or `chromium` on PATH, or COURSE_CHROMIUM.

The tests wait on JupyterLab's own state (the kernel indicator, execution counts, the deck's
on-screen cells), never on fixed sleeps. A failing test leaves a screenshot in
COURSE_BROWSER_SCREENSHOTS (default: <temp>/course-browser-screenshots); the failure report
names the file.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from learner import new_page

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import course  # noqa: E402  (START_PAGE: where `course.py lab` opens)

SHOTS = Path(os.environ.get("COURSE_BROWSER_SCREENSHOTS")
             or Path(tempfile.gettempdir()) / "course-browser-screenshots")



def chromium_path() -> str:
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium found: install the operating system's package (Debian/Ubuntu: "
                "apt-get install chromium) or set COURSE_CHROMIUM to its path", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """The running JupyterLab: its URL, token and the temporary folder it serves."""

    def __init__(self, base: str, token: str, root: Path):
        self.base, self.token, self.root = base, token, root

    def url(self, path: str = "/lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


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
    port, token = free_port(), secrets.token_hex(16)
    env = course.course_env()
    # the user's own JupyterLab settings and workspaces stay out of it (the course's
    # overrides in .venv still apply), and nothing is written to the user's folders
    for name, sub in (("JUPYTERLAB_SETTINGS_DIR", "settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                      ("JUPYTER_RUNTIME_DIR", "runtime")):
        env[name] = str(work / sub)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{course.START_PAGE}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(work / "jupyterlab.log", "w")  # noqa: SIM115 (closed at teardown)
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Lab(f"http://127.0.0.1:{port}", token, root)
    deadline = time.monotonic() + 120
    while True:
        try:
            running.api("GET", "/api/status")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start: "
                            + (work / "jupyterlab.log").read_text()[-2000:], pytrace=False)
            time.sleep(0.5)  # polling the server's status, not waiting for a state
    yield running
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()
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
