#!/usr/bin/env python3
"""Inside the training loop: one entry point for learners, instructors and CI.

    python3 course.py lab        set up (first time only) and open the course in JupyterLab
    python3 course.py test       set up (first time only) and run every test and notebook
    python3 course.py learner    write the learner handout (solutions removed) to learner/
    python3 course.py refresh    re-run notebooks top to bottom and store their outputs
    python3 course.py setup      only set up: .venv, packages, the course's Jupyter kernel

    python3 course.py test --browser   the browser tests (tests/browser, a local Chromium)
    python3 course.py test --handout   build the handout, unpack it, set it up, run its tests
    python3 course.py test --pythons   set up with every Python 3.10-3.13 found, run one notebook

Set-up needs nothing but Python 3.10-3.13 and access to the package index: it creates
.venv next to this file, installs requirements.txt into it, registers the Jupyter kernel
the notebooks name and writes the course's JupyterLab settings into .venv (no news prompt,
a notebook's kernel shut down when its tab closes, no *.egg-info in the file browser). It
runs again only when requirements.txt, constraints.txt or pyproject.toml change. This file
uses the standard library only.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSE_VENV", ROOT / ".venv"))
KERNEL_NAME = "training-loop"
KERNEL_DISPLAY = "Python 3 (Inside the training loop)"
SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))  # TensorFlow 2.21's wheels; pyproject agrees
SETUP_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")
START_PAGE = "notebooks/00_index.ipynb"  # where `course.py lab` opens (and the link it prints)
# JupyterLab settings the set-up writes into .venv (share/jupyter/lab/settings/overrides.json):
# no "get notified about Jupyter news?" prompt, and closing a notebook's tab shuts down its
# kernel (six open kernels hold about 6 GB).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": True},
}
# Jupyter Server settings (etc/jupyter/jupyter_server_config.json; the .d folder next to it
# holds only extension switches): the editable install's *.egg-info folder hidden from the
# file browser, besides Jupyter's own default globs.
SERVER_SETTINGS = {
    "ContentsManager": {
        "hide_globs": ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info"],
    },
}


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def versions_text() -> str:
    names = [f"{major}.{minor}" for major, minor in SUPPORTED]
    return ", ".join(names[:-1]) + " or " + names[-1]


def python_for(minor: int) -> list[str] | None:
    """A working python3.<minor> on this machine: on PATH, from the Windows launcher, or
    installed by pyenv. Each candidate is started once (a pyenv shim on PATH may not run)."""
    candidates = [[found] for name in (f"python3.{minor}", f"python3{minor}")
                  if (found := shutil.which(name))]
    if os.name == "nt" and shutil.which("py"):
        candidates.append(["py", f"-3.{minor}"])
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [[str(p)] for p in sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}"),
                                            reverse=True)]
    for candidate in candidates:
        try:
            probe = subprocess.run([*candidate, "-c", "import sys; print(sys.version_info[1])"],
                                   capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(minor):
            return candidate
    return None


def find_base_python() -> list[str]:
    """A Python 3.10-3.13 to build .venv with: this one if it fits, else one on the machine."""
    if sys.version_info[:2] in SUPPORTED:
        return [sys.executable]
    for _, minor in reversed(SUPPORTED):
        found = python_for(minor)
        if found:
            return found
    sys.exit(
        f"[course] TensorFlow 2.21 needs Python {versions_text()}; this is Python "
        f"{sys.version.split()[0]} and no other of those was found. Install one "
        "(python.org, pyenv or your package manager) and run this command with it."
    )


def setup_digest() -> str:
    """What the installed packages depend on: the pins and the project file, not any path
    (a copied or linked .venv with the same pins needs no new install)."""
    digest = hashlib.sha256()
    for name in SETUP_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def helpers_folder(python: Path) -> str | None:
    """The folder the environment's ``helpers`` package is imported from (its editable
    install), or None if it does not import; asked from outside the clone, so the current
    folder does not decide."""
    probe = subprocess.run(
        [str(python), "-c", "import os, helpers; print(os.path.dirname(helpers.__file__))"],
        cwd=tempfile.gettempdir(), capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def run(cmd: list[str], quiet: bool = False) -> None:
    """Run a set-up step; with quiet=True its output is shown only if it fails."""
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE if quiet else None,
                            stderr=subprocess.STDOUT if quiet else None)
    if result.returncode != 0:
        if quiet and result.stdout:
            print(result.stdout[-6000:], file=sys.stderr)
        sys.exit(f"[course] this step failed (exit {result.returncode}): {' '.join(map(str, cmd))}")


def write_jupyter_settings(prefix: Path) -> None:
    """The course's JupyterLab and Jupyter Server settings, inside the environment ``prefix``
    (they apply to every JupyterLab started from it, and to nothing else on the machine)."""
    lab = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    server = prefix / "etc" / "jupyter" / "jupyter_server_config.json"
    for path, settings in ((lab, LAB_SETTINGS), (server, SERVER_SETTINGS)):
        text = json.dumps(settings, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def ensure_environment() -> Path:
    """Create .venv, install the pinned packages and register the kernel, when needed."""
    stamp = VENV / ".course-setup"
    python = venv_python()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == setup_digest():
        found = helpers_folder(python)
        if found is not None and Path(found) != ROOT / "helpers":
            # a .venv shared with another copy of the course (COURSE_VENV, a link, a copy):
            # its editable install serves that copy's helpers; say so rather than re-point it
            # (the other copy would then import these)
            say(f"note: {VENV} imports the helpers package from {found}, not from this "
                "folder (an environment shared with another copy of the course)")
        write_jupyter_settings(VENV)
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
    write_jupyter_settings(VENV)
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
    start = START_PAGE if (ROOT / START_PAGE).exists() else "notebooks"
    # the link JupyterLab prints, and the page the browser opens, is the course index
    extra = [f"--LabApp.default_url=/lab/tree/{start}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        # containers often run as root; JupyterLab refuses to start without it
        extra.append("--allow-root")
        say("running as root (a container?): passing --allow-root to JupyterLab")
    say(f"opening JupyterLab at {start} (stop it with Ctrl-C)")
    return subprocess.call([str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}",
                            *extra, *args], cwd=ROOT, env=course_env())


def is_handout() -> bool:
    """True in the learner handout (it has no tools/learner_edition.py)."""
    return not (ROOT / "tools" / "learner_edition.py").exists()


def cmd_test(args: list[str]) -> int:
    if "--pythons" in args or any(a.startswith("--pythons=") for a in args):
        return test_pythons(args)
    if "--handout" in args:
        return test_handout([a for a in args if a != "--handout"])
    python = ensure_environment()
    env = course_env()
    if "--browser" in args:
        args = [a for a in args if a != "--browser"]
        env["COURSE_BROWSER"] = "1"
        say("running the browser tests (tests/browser) against a local JupyterLab")
        return subprocess.call([str(python), "-m", "pytest", "tests/browser", *args],
                               cwd=ROOT, env=env)
    workers = worker_args(args)
    if is_handout():
        say("running every notebook top to bottom and checking the exercises")
    else:
        say("running the helper tests and every notebook (strict nbval)")
    if workers:
        say(f"in {workers[1]} processes side by side (pytest-xdist; COURSE_TEST_WORKERS=1 runs "
            "them one after another)")
    return subprocess.call([str(python), "-m", "pytest", *workers, *args], cwd=ROOT, env=env)


def worker_args(args: list[str]) -> list[str]:
    """pytest-xdist's arguments for `course.py test`: COURSE_TEST_WORKERS processes (default 2,
    or 1 on a machine with one CPU), each taking whole files, so that every cell of a notebook
    runs in the same kernel, in order (in the handout, single tests: each is a whole
    notebook). None when 1, or when the arguments choose for themselves (-n, --numprocesses,
    --dist, -p no:xdist).

    Two, not one per CPU: each process runs TensorFlow, which already uses every core for
    its larger operations, and a notebook's kernel holds up to a GB or two of memory. On two
    cores the suite took 6 to 8 minutes instead of 10: run one at a time, a notebook
    keeps about one core busy (Python and small operations in one thread)."""
    chosen = ("-n", "--numprocesses", "--dist", "no:xdist", "-pno:xdist")
    if any(a == c or a.startswith(c) for a in args for c in chosen):
        return []
    default = "2" if (os.cpu_count() or 1) > 1 else "1"
    value = os.environ.get("COURSE_TEST_WORKERS", "").strip() or default
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"[course] COURSE_TEST_WORKERS must be a whole number of processes, 1 or more; "
                 f"got {value!r}")
    if int(value) == 1:
        return []
    # the handout's test runs each notebook in a kernel of its own (nbclient, one test per
    # notebook): single tests can go to either process
    return ["-n", value, "--dist", "load" if is_handout() else "loadfile"]


def test_pythons(args: list[str]) -> int:
    """Set up the course with each Python 3.10-3.13 found on this machine, each in its own
    environment outside the repository (kept, so a second run only re-checks), and run one
    notebook there under strict nbval.

    ``--pythons=3.10,3.13`` picks versions; COURSE_PYTHONS_DIR sets where the environments
    live (default ~/.cache/inside-the-training-loop); COURSE_PYTHONS_NOTEBOOK the notebook.
    The setup cell's versions line names the Python (and on 3.10 the Keras, NumPy and
    Matplotlib releases the markers pick), so that line alone is compared without them.
    """
    wanted = [a.split("=", 1)[1] for a in args if a.startswith("--pythons=")]
    minors = [minor for _, minor in SUPPORTED]
    if wanted:
        asked = [v.strip() for v in wanted[0].split(",")]
        known = {f"3.{minor}": minor for minor in minors}
        if not asked or any(v not in known for v in asked):
            sys.exit(f"[course] --pythons= takes versions among {', '.join(known)}, separated "
                     f"by commas (for example --pythons=3.10,3.13); got {wanted[0]!r}")
        minors = [known[v] for v in asked]
    home = Path(os.environ.get("COURSE_PYTHONS_DIR",
                               Path.home() / ".cache" / "inside-the-training-loop"))
    notebook = os.environ.get("COURSE_PYTHONS_NOTEBOOK", "notebooks/01_gradient_tape.ipynb")
    results, failed = [], False
    for minor in minors:
        base = python_for(minor)
        if base is None:
            results.append(f"3.{minor}: not found on this machine, not tried")
            continue
        env = dict(os.environ, COURSE_VENV=str(home / f"venv-3.{minor}"))
        sanitize = home / f"sanitize-3.{minor}.cfg"
        sanitize.parent.mkdir(parents=True, exist_ok=True)
        sanitize.write_text((ROOT / "tests" / "sanitize.cfg").read_text()
                            + versions_rule(other_pins=minor < 11))
        steps = []
        for step in (["setup"], ["test", notebook, f"--nbval-sanitize-with={sanitize}"]):
            say(f"Python 3.{minor} ({' '.join(base)}): course.py {' '.join(step)}")
            began = time.monotonic()
            code = subprocess.call([*base, str(ROOT / "course.py"), *step], cwd=ROOT, env=env)
            steps.append(f"{step[0]} {'ok' if code == 0 else f'FAILED (exit {code})'} "
                         f"in {time.monotonic() - began:.0f} s")
            if code != 0:
                failed = True
                break
        results.append(f"3.{minor}: " + ", ".join(steps))
    say("Python versions (" + notebook + "):\n  " + "\n  ".join(results))
    if not any("ok" in r for r in results):
        say("no Python 3.10-3.13 was found to try")
        return 1
    return 1 if failed else 0


def versions_rule(other_pins: bool) -> str:
    """An nbval sanitizer rule for helpers.start()'s versions line: the Python version
    always, and with ``other_pins`` the releases that differ by Python version too."""
    if not other_pins:
        return ("\n[python-version]\nregex: Python \\d+\\.\\d+\\.\\d+ \\| TensorFlow"
                "\nreplace: Python VERSION | TensorFlow\n")
    return ("\n[versions-line]\nregex: Python \\d+\\.\\d+\\.\\d+ \\| TensorFlow (\\S+) \\| "
            "Keras \\S+ (\\(\\w+ backend\\)) \\| NumPy \\S+ \\| Matplotlib \\S+"
            "\nreplace: Python VERSION | TensorFlow \\1 | Keras VERSION \\2 | NumPy VERSION | "
            "Matplotlib VERSION\n")


def test_handout(args: list[str]) -> int:
    """As a learner would: build the handout and its zip, unpack the zip into a fresh folder,
    run the handout's own ``course.py test`` there (its set-up, then its tests).

    The handout's environment reuses this .venv's installed packages (a .pth file in a new
    virtual environment), so the set-up runs for real but installs only the handout's own
    helpers package; COURSE_HANDOUT_FULL=1 installs everything from the index instead."""
    python = ensure_environment()
    work = Path(tempfile.mkdtemp(prefix="course-handout-"))
    began = time.monotonic()
    try:
        code = subprocess.call([str(python), str(ROOT / "tools" / "learner_edition.py"),
                                "--out", str(work / "learner")], cwd=ROOT, env=course_env())
        if code != 0:
            return code
        fresh = work / "unpacked"
        shutil.unpack_archive(work / "learner.zip", fresh)
        (handout,) = fresh.iterdir()
        env = dict(course_env(), COURSE_VENV=str(work / "venv"))
        env.pop("COURSE_BROWSER", None)
        env["PATH"] = os.environ.get("PATH", "")
        if os.environ.get("COURSE_HANDOUT_FULL") != "1":
            reuse_packages(python, work / "venv")
        code = subprocess.call([sys.executable, str(handout / "course.py"), "test", *args],
                               cwd=handout, env=env)
        say(f"handout test {'passed' if code == 0 else 'FAILED'} in "
            f"{time.monotonic() - began:.0f} s (in {work})")
        return code
    finally:
        if os.environ.get("COURSE_KEEP_HANDOUT") != "1":
            shutil.rmtree(work, ignore_errors=True)


def reuse_packages(python: Path, target: Path) -> None:
    """A new virtual environment at ``target`` that sees the packages installed in this one
    (through a .pth file), so that installing requirements.txt there finds them present."""
    info = subprocess.run(
        [str(python), "-c", "import sys, sysconfig; print(sys._base_executable); "
         "print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True)
    base, site = info.stdout.split("\n")[:2]
    run([base, "-m", "venv", target])
    purelib = subprocess.run(
        [str(target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "course-reuse-packages.pth").write_text(site + "\n")


def cmd_tool(script: str, args: list[str]) -> int:
    python = ensure_environment()
    return subprocess.call([str(python), str(ROOT / "tools" / script), *args],
                           cwd=ROOT, env=course_env())


def main(argv: list[str]) -> int:
    commands = {
        "lab": cmd_lab,
        "test": cmd_test,
        # the handout is built with the standard library only: no set-up needed
        "learner": lambda a: subprocess.call(
            [sys.executable, str(ROOT / "tools" / "learner_edition.py"), *a], cwd=ROOT),
        "refresh": lambda a: cmd_tool("refresh_outputs.py", a),
        "setup": lambda a: (ensure_environment(), 0)[1],
    }
    if is_handout():  # the learner's copy: only the two commands (and setup)
        commands = {name: commands[name] for name in ("lab", "test", "setup")}
    if len(argv) < 2 or argv[1] not in commands:
        usage = "\n\n".join(__doc__.split("\n\n")[1:3])
        if is_handout():
            usage = "\n".join(line for line in usage.splitlines()
                              if line.strip() and line.split()[2] in commands and "--" not in line)
        print(usage)
        return 0 if len(argv) >= 2 and argv[1] in ("-h", "--help", "help") else 2
    return commands[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
