"""The course's own commands, used as a user uses them, checked in Chromium (issue 15):

- `python3 course.py lab --no-browser` prints a link, and that link opens the course index
  with the course's kernel, not the Launcher (item 4);
- `python3 course.py learner` builds the handout from the committed notebooks: a notebook
  that JupyterLab autosaved half-way through "Run All" in the working copy is not handed
  out, the handout's notebook shows the committed complete run, and its exercise cells
  report "not done yet" with a hint when run (item 3).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from labserver import ROOT, Lab, course, free_port, isolated_env, running_lab, stop
from learner import COURSE_KERNEL, STDERR, cell, new_page, open_notebook, wait_for_kernel

# the link JupyterLab prints ("Or copy and paste one of these URLs:"), with its token
LINK = re.compile(r"(http://(?:localhost|127\.0\.0\.1):(\d+)(/\S*)\?token=(\w+))")
SERVE_TIMEOUT = 180  # s; an upper bound for JupyterLab to print its link, not a sleep


def python3() -> str:
    return shutil.which("python3") or sys.executable


def printed_link(process: subprocess.Popen, log: Path) -> re.Match:
    """The first link with a token that `course.py lab` printed (read from its output)."""
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        found = LINK.search(log.read_text(errors="replace"))
        if found:
            return found
        assert process.poll() is None and time.monotonic() < deadline, (
            "course.py lab printed no link:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.5)  # polling the command's output for its link


def test_course_py_lab_prints_a_link_that_opens_the_index(browser, tmp_path):
    """`python3 course.py lab --no-browser` as typed, on a free port, in a copy of the course
    (course.py, its set-up files and notebooks/, using the course's .venv through
    COURSE_VENV) so that nothing touches the committed notebooks: the link it prints opens
    00_index.ipynb as the current document with the course's kernel, and no Launcher."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for name in ("course.py", *course.SETUP_FILES):  # the same set-up digest: no set-up runs
        shutil.copy2(ROOT / name, root / name)
    port = free_port()
    log = tmp_path / "course-lab.log"
    env = dict(isolated_env(tmp_path), COURSE_VENV=str(course.VENV))
    command = [python3(), "course.py", "lab", "--no-browser", f"--port={port}"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    page = None
    try:
        link, link_port, path, token = printed_link(process, log).groups()
        assert (int(link_port), path) == (port, f"/lab/tree/{course.START_PAGE}"), link
        lab = Lab(f"http://127.0.0.1:{port}", token, root)
        assert sorted(item["name"] for item in lab.api("GET", "/api/contents")["content"]) \
            == sorted(p.name for p in root.iterdir())  # it serves the copy
        page = new_page(browser, lab)
        page.goto(link)
        wait_for_kernel(page)
        current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
        assert current.inner_text().strip() == "00_index.ipynb"
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").all_inner_texts()
        assert [t.strip() for t in tabs] == ["00_index.ipynb"], tabs  # no Launcher tab
        assert page.locator(".jp-Launcher").count() == 0
        assert page.locator(".jp-Toolbar-kernelName").first.inner_text().strip() \
            == COURSE_KERNEL
        assert page.locator(".jp-Dialog").count() == 0  # no "Select Kernel" dialog
        [session] = lab.api("GET", "/api/sessions")
        assert (session["path"], session["kernel"]["name"]) \
            == (course.START_PAGE, course.KERNEL_NAME)
        assert page.course_errors == []
        for session in lab.api("GET", "/api/sessions"):
            lab.api("DELETE", f"/api/sessions/{session['id']}")
    finally:
        if page is not None:
            page.context.close()
        stop(process)  # course.py and the JupyterLab it started, also after a failure
    said = log.read_text(errors="replace")
    assert f"[course] opening JupyterLab at {course.START_PAGE}" in said


NOTEBOOK = "03_custom_training_loop.ipynb"
HALF_RUN = 21  # code cells with outputs when JupyterLab autosaved (the issue: 21 of 102)


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


def output_count(outputs: list[dict]) -> int:
    """How many outputs JupyterLab shows: consecutive text on the same stream is one."""
    shown = 0
    for k, output in enumerate(outputs):
        previous = outputs[k - 1] if k else None
        if not (output["output_type"] == "stream" and previous is not None
                and previous["output_type"] == "stream" and previous["name"] == output["name"]):
            shown += 1
    return shown


def test_learner_edition_is_the_committed_complete_run(browser, tmp_path):
    # a clone of the course whose working copy of 03 JupyterLab autosaved half-way through
    # "Run All": the later code cells have no outputs and no execution counts
    clone = tmp_path / "clone"
    git("clone", "-q", "--shared", str(ROOT), str(clone))
    commit = git("rev-parse", "HEAD", cwd=clone).strip()
    committed = json.loads(git("show", f"{commit}:notebooks/{NOTEBOOK}"))
    half = json.loads(json.dumps(committed))
    code = [c for c in half["cells"] if c["cell_type"] == "code"]
    for c in code[HALF_RUN:]:
        c["outputs"], c["execution_count"] = [], None
    (clone / "notebooks" / NOTEBOOK).write_text(json.dumps(half, indent=1) + "\n")
    # `course.py learner` is set-up plus tools/learner_edition.py; the clone's tool is run
    # with the course's Python (the clone has no .venv of its own)
    built = subprocess.run([sys.executable, "tools/learner_edition.py", "--out",
                            str(tmp_path / "from-clone" / "learner")], cwd=clone,
                           env=course.course_env(), capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "NOT in it: notebooks/" + NOTEBOOK in built.stderr, built.stderr
    # the same commit through the course's own command, as an instructor types it
    handout = tmp_path / "learner"
    typed = subprocess.run([python3(), str(ROOT / "course.py"), "learner", "--out", str(handout),
                            "--rev", commit], cwd=ROOT, capture_output=True, text=True)
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert (handout.parent / "learner.zip").is_file()
    shown_nb = (handout / "notebooks" / NOTEBOOK).read_text(encoding="utf-8")
    assert shown_nb == (tmp_path / "from-clone" / "learner" / "notebooks" / NOTEBOOK) \
        .read_text(encoding="utf-8"), "the half-run working copy changed the handout"

    # what the learner sees: the handout served by JupyterLab, its kernel importing the
    # handout's own helpers package
    env = dict(isolated_env(tmp_path), PYTHONPATH=str(handout))  # every cell in the page
    probe = subprocess.run([sys.executable, "-c", "import helpers; print(helpers.__file__)"],
                           cwd=handout / "notebooks", env=env, capture_output=True, text=True)
    assert Path(probe.stdout.strip()) == handout / "helpers" / "__init__.py", probe
    solution = ["solution" in c["metadata"].get("tags", []) for c in committed["cells"]
                if c["cell_type"] == "code"]
    committed_code = [c for c in committed["cells"] if c["cell_type"] == "code"]
    expected = [("[ ]:", 0) if solved else (f"[{c['execution_count']}]:",
                                             output_count(c["outputs"]))
                for c, solved in zip(committed_code, solution, strict=True)]
    # a complete run: every code cell but the exercises numbered in order and with output
    assert [p for p, _ in expected if p != "[ ]:"] \
        == [f"[{k + 1}]:" for k, solved in enumerate(solution) if not solved]
    # JupyterLab shows no prompt on a cell whose source is collapsed (a check that only
    # proves the prose); its outputs still show
    expected = [("", n) if c["metadata"].get("jupyter", {}).get("source_hidden") else (p, n)
                for c, (p, n) in zip(committed_code, expected, strict=True)]
    assert sum(1 for _, n in expected if n) > HALF_RUN
    with running_lab(handout, tmp_path, env) as lab:
        page = new_page(browser, lab)
        try:
            open_notebook(page, lab, NOTEBOOK)
            shown = page.locator(".jp-Notebook .jp-CodeCell").evaluate_all(
                "els => els.map(e => [e.querySelector('.jp-InputPrompt').textContent.trim(),"
                " e.querySelectorAll('.jp-OutputArea-child').length])")
            assert [tuple(s) for s in shown] == expected
            # run the setup cell, then exercise 03.1: "not done yet" with its hint
            for source in ("helpers.start(", 'check("03.1"'):
                target = cell(page, lab, NOTEBOOK, source)
                target.scroll_into_view_if_needed()
                target.locator(".jp-InputPrompt").click()
                page.click(".jp-NotebookPanel-toolbar "
                           "[data-command='notebook:run-cell-and-select-next']")
            exercise = cell(page, lab, NOTEBOOK, 'check("03.1"')
            page.wait_for_function(
                "cell => cell.querySelector('.jp-InputPrompt').textContent.trim() === '[2]:'",
                arg=exercise.element_handle(), timeout=300_000)
            printed = " ".join(" ".join(exercise.locator(".jp-OutputArea-output")
                                        .all_text_contents()).split())  # wrapped at spaces
            placeholder = re.search(r"NotImplementedError\('Exercise 03\.1: ([^']{20})",
                                    "".join(next(c["source"] for c in json.loads(shown_nb)
                                                 ["cells"] if 'check("03.1"'
                                                 in "".join(c["source"]))))
            assert "Exercise 03.1: not done yet. Hint: " + placeholder.group(1) in printed, \
                printed
            assert page.locator(STDERR).count() == 0
            assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
            assert page.course_errors == []
        finally:
            page.context.close()
            lab.shut_down_kernels()
