"""Starting and stopping a JupyterLab for the browser tests (see conftest.py)."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import course  # noqa: E402  (START_PAGE: where `course.py lab` opens)


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


def isolated_env(work: Path) -> dict[str, str]:
    """The course's environment, without the user's own JupyterLab settings and workspaces
    (the course's overrides in .venv still apply); nothing is written to the user's folders.

    One user setting of the tests' own: every cell of a notebook is in the page, not only
    those near the viewport (JupyterLab's windowing renders about the first seven code cells
    of a long notebook), so that a check over all cells (execution counts, outputs, stderr)
    sees all of them."""
    env = course.course_env()
    for name, sub in (("JUPYTERLAB_SETTINGS_DIR", "settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                      ("JUPYTER_RUNTIME_DIR", "runtime")):
        env[name] = str(work / sub)
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}\n')
    return env


def stop(process: subprocess.Popen) -> None:
    """End a process this test run started and everything in its process group (it was
    started with start_new_session=True: `course.py lab` runs JupyterLab as its child)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # a child left behind (JupyterLab)
    except ProcessLookupError:
        pass
    process.wait()


@contextlib.contextmanager
def running_lab(root: Path, work: Path, env: dict[str, str] | None = None):
    """A JupyterLab started the way `course.py lab` starts it (same start page, the course's
    environment and settings overrides), serving ``root`` on a free port with a random
    token; stopped on leaving, also after a failure."""
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{course.START_PAGE}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = work / f"jupyterlab-{port}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env or isolated_env(work), stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            running = Lab(f"http://127.0.0.1:{port}", token, root)
            deadline = time.monotonic() + 120
            while True:
                try:
                    running.api("GET", "/api/status")
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("JupyterLab did not start: "
                                    + log_path.read_text()[-2000:], pytrace=False)
                    time.sleep(0.5)  # polling the server's status, not waiting for a state
            yield running
        finally:
            stop(server)
