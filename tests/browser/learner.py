"""What a learner does in JupyterLab, in JupyterLab's own terms (used by the browser tests).

Every wait is on JupyterLab's state: the kernel indicator, the execution counts.
"""
from __future__ import annotations

import json

VIEWPORT = {"width": 1280, "height": 800}  # a projector
LOAD_TIMEOUT = 180_000  # ms; upper bounds for waits on JupyterLab's state, not sleeps
RUN_TIMEOUT = 600_000

COURSE_KERNEL = "Python 3 (Inside the training loop)"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


PANEL = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"


def open_notebook(page, lab, name: str | None = None, folder: str = "notebooks"):
    """Open <folder>/<name> (or the lab's start page) and wait until its kernel is idle."""
    # "/" is where `course.py lab` sends the browser (its default_url: the start page)
    page.goto(lab.url("/") if name is None
              else lab.url(f"/lab/tree/{folder}/{name}") + "&reset")
    return wait_for_kernel(page)


def wait_for_kernel(page):
    """Wait until the current notebook's kernel is ready."""
    # the kernel is ready when the toolbar names it and its indicator is idle; a kernel
    # selection dialog (a notebook naming a kernel that is not installed) ends the wait too
    page.wait_for_function(
        f"""() => document.querySelector('.jp-Dialog') || (
            {PANEL}?.querySelector('.jp-Toolbar-kernelName')?.textContent.trim() !== 'No Kernel'
            && {PANEL}?.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status
               === 'idle')""")
    return page


CODE_PROMPTS = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]" \
               ".map(e => e.textContent.trim())"


def restart_and_run_all(page):
    """The toolbar's "Restart the kernel and run all cells", confirmed; wait until it ends."""
    page.click(".jp-NotebookPanel-toolbar [data-command='notebook:restart-run-all']")
    page.click(".jp-Dialog .jp-mod-accept")
    wait_until_run_ends(page)


def wait_until_run_ends(page, timeout=RUN_TIMEOUT):
    # cells are queued as [*] once the kernel restarted; the run ends when none is left
    page.wait_for_function(f"() => {CODE_PROMPTS}.some(t => t.includes('*'))", timeout=timeout)
    page.wait_for_function(
        f"() => !{CODE_PROMPTS}.some(t => t.includes('*')) && "
        f"{PANEL}?.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status === 'idle'",
        timeout=timeout)


def cell(page, lab, name: str, contains: str, kind: str = "code", folder: str = "notebooks"):
    """The cell of <folder>/<name> whose source contains ``contains`` (exactly one), found in
    the notebook's file: the page renders the text of off-screen cells lazily."""
    cells = json.loads((lab.root / folder / name).read_text(encoding="utf-8"))["cells"]
    found = [k for k, c in enumerate(cells)
             if c["cell_type"] == kind and contains in "".join(c["source"])]
    assert len(found) == 1, f"{len(found)} {kind} cells of {name} contain {contains!r}"
    return page.locator(f".jp-Notebook .jp-Cell[data-windowed-list-index='{found[0]}']")


def new_page(browser, lab):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(LOAD_TIMEOUT)
    page = context.new_page()
    page.course_errors = []  # uncaught errors in the page, which a learner would not see
    page.on("pageerror", lambda error: page.course_errors.append(str(error)))
    return page


def start_deck(page):
    """The notebook toolbar's "Toggle Deck" (jupyterlab-slideshow): present the notebook.

    The deck remembers in the user's settings that it was on; a page that opens presenting
    is not toggled off."""
    presenting = "body[data-jp-deck-mode=presenting]"
    if page.locator(presenting).count() == 0:
        page.click(".jp-NotebookPanel-toolbar [data-command='deck:toggle']")
    page.wait_for_selector(presenting, state="attached")


def stop_deck(page):
    page.keyboard.press("Escape")
    page.wait_for_selector("body[data-jp-deck-mode=presenting]", state="detached")
