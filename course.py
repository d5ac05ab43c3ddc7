#!/usr/bin/env python3
"""Inside the training loop: one entry point for learners, instructors and CI.

    python3 course.py lab        set up (first time only) and open the course in JupyterLab
    python3 course.py test       set up (first time only) and run every test and notebook
    python3 course.py learner    write the learner edition (solutions removed) to learner/
    python3 course.py refresh    re-run notebooks top to bottom and store their outputs
    python3 course.py setup      only set up: .venv, packages, the course's Jupyter kernel

Set-up needs nothing but Python 3.10-3.12 and access to the package index: it creates
.venv next to this file, installs requirements.txt into it, and registers the Jupyter
kernel the notebooks name. It runs again only when requirements.txt, constraints.txt or
pyproject.toml change. This file uses the standard library only.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSE_VENV", ROOT / ".venv"))
KERNEL_NAME = "training-loop"
KERNEL_DISPLAY = "Python 3 (Inside the training loop)"
SUPPORTED = ((3, 10), (3, 11), (3, 12))
SETUP_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def find_base_python() -> list[str]:
    """A Python 3.10-3.12 to build .venv with: this one if it fits, else one on PATH."""
    if sys.version_info[:2] in SUPPORTED:
        return [sys.executable]
    for minor in (12, 11, 10):
        for name in (f"python3.{minor}", f"python3{minor}"):
            found = shutil.which(name)
            if found:
                return [found]
    if os.name == "nt" and shutil.which("py"):
        for minor in (12, 11, 10):
            probe = subprocess.run(["py", f"-3.{minor}", "-c", "pass"], capture_output=True)
            if probe.returncode == 0:
                return ["py", f"-3.{minor}"]
    sys.exit(
        f"[course] TensorFlow 2.21 needs Python 3.10, 3.11 or 3.12; this is Python "
        f"{sys.version.split()[0]} and no python3.10-3.12 is on PATH. Install one "
        "(python.org, pyenv or your package manager) and run this command with it."
    )


def setup_digest() -> str:
    digest = hashlib.sha256()
    for name in SETUP_FILES:
        digest.update((ROOT / name).read_bytes())
    digest.update(str(VENV).encode())
    return digest.hexdigest()


def run(cmd: list[str], quiet: bool = False) -> None:
    """Run a set-up step; with quiet=True its output is shown only if it fails."""
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE if quiet else None,
                            stderr=subprocess.STDOUT if quiet else None)
    if result.returncode != 0:
        if quiet and result.stdout:
            print(result.stdout[-6000:], file=sys.stderr)
        sys.exit(f"[course] this step failed (exit {result.returncode}): {' '.join(map(str, cmd))}")


def ensure_environment() -> Path:
    """Create .venv, install the pinned packages and register the kernel, when needed."""
    stamp = VENV / ".course-setup"
    python = venv_python()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == setup_digest():
        return python
    if not python.exists():
        base = find_base_python()
        say(f"creating the virtual environment {VENV.name}/ (once)")
        if base == [sys.executable]:
            venv.EnvBuilder(with_pip=True).create(VENV)
        else:
            run([*base, "-m", "venv", VENV])
    say("installing the pinned packages from requirements.txt (a few minutes the first time)")
    pip_install = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    run([*pip_install, "--upgrade", "pip"], quiet=True)
    run([*pip_install, "-r", ROOT / "requirements.txt"], quiet=True)
    say(f"registering the Jupyter kernel '{KERNEL_NAME}' inside {VENV.name}/")
    run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
         "--display-name", KERNEL_DISPLAY], quiet=True)
    stamp.write_text(setup_digest() + "\n")
    say("set-up complete")
    return python


def course_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    env.pop("MPLBACKEND", None)  # the notebooks use the inline backend
    return env


def cmd_lab(args: list[str]) -> int:
    python = ensure_environment()
    index = "notebooks/00_index.ipynb"
    start = index if (ROOT / index).exists() else "notebooks"
    extra = []
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        # containers often run as root; JupyterLab refuses to start without it
        extra.append("--allow-root")
        say("running as root (a container?): passing --allow-root to JupyterLab")
    say(f"opening JupyterLab at {start} (stop it with Ctrl-C)")
    return subprocess.call([str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}",
                            *extra, start, *args], cwd=ROOT, env=course_env())


def cmd_test(args: list[str]) -> int:
    python = ensure_environment()
    say("running the helper tests and every notebook (strict nbval)")
    return subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT, env=course_env())


def cmd_tool(script: str, args: list[str]) -> int:
    python = ensure_environment()
    return subprocess.call([str(python), str(ROOT / "tools" / script), *args],
                           cwd=ROOT, env=course_env())


def main(argv: list[str]) -> int:
    commands = {
        "lab": cmd_lab,
        "test": cmd_test,
        "learner": lambda a: cmd_tool("learner_edition.py", a),
        "refresh": lambda a: cmd_tool("refresh_outputs.py", a),
        "setup": lambda a: (ensure_environment(), 0)[1],
    }
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__.split("\n\n")[1])
        return 0 if len(argv) >= 2 and argv[1] in ("-h", "--help", "help") else 2
    return commands[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
