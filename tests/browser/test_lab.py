"""What a learner and an instructor see in JupyterLab, checked in Chromium (see conftest.py)."""
from __future__ import annotations

import json

import pytest
from labserver import ROOT
from learner import (
    COURSE_KERNEL,
    STDERR,
    cell,
    new_page,
    open_notebook,
    restart_and_run_all,
    start_deck,
    stop_deck,
    wait_until_run_ends,
)


def collapsed_code_cells(name: str) -> list[bool]:
    """For each code cell of the course's notebook, whether its source is collapsed."""
    book = json.loads((ROOT / "notebooks" / name).read_text())
    return [c["metadata"].get("jupyter", {}).get("source_hidden", False)
            for c in book["cells"] if c["cell_type"] == "code"]


ONSCREEN = ("() => [...document.querySelectorAll('.jp-Deck .jp-Cell.jp-deck-mod-onscreen')]"
            ".map(e => Number(e.dataset.windowedListIndex))")


def test_lab_opens_the_index_with_the_course_kernel_and_no_dialog(page, lab):
    open_notebook(page, lab)  # /lab, as `course.py lab` opens it: the start page is the index
    assert page.locator(".jp-DocumentPanel .lm-TabBar-tab.lm-mod-current, "
                        ".lm-DockPanel-tabBar .lm-mod-current").first.inner_text().strip() \
        == "00_index.ipynb"
    assert page.locator(".jp-NotebookPanel .jp-KernelName, .jp-Toolbar-kernelName").first \
        .inner_text().strip() == COURSE_KERNEL
    assert page.locator(".jp-Dialog").count() == 0  # no "Select Kernel" dialog
    [session] = lab.api("GET", "/api/sessions")
    assert session["kernel"]["name"] == "training-loop"
    assert page.get_by_text("get notified about official Jupyter news").count() == 0
    assert page.course_errors == []


@pytest.mark.parametrize("name", ["01_gradient_tape.ipynb", "02_linear_regression.ipynb"])
def test_restart_and_run_all_leaves_no_stderr_and_no_error(page, lab, name):
    open_notebook(page, lab, name)
    restart_and_run_all(page)
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").evaluate_all(
        "els => els.map(e => e.textContent.trim())")
    # a collapsed cell (a check that only proves the prose) shows no prompt; an error there
    # would show as an error output and stop Run All before the visible cells after it
    hidden = collapsed_code_cells(name)
    assert len(prompts) == len(hidden)
    not_run = [k for k, p in enumerate(prompts) if not hidden[k] and not p.strip("[]: ").isdigit()]
    assert not_run == [], f"code cells {not_run} did not run (an error stops Run All)"
    assert not hidden[-1], "the last code cell must be visible, so Run All is seen to reach it"
    stderr = page.locator(STDERR).evaluate_all("els => els.map(e => e.textContent)")
    assert stderr == [], f"stderr output: {stderr}"
    assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    assert page.course_errors == []


@pytest.fixture(scope="module")
def ran_02(browser, lab):
    """Notebook 02 after Restart Kernel and Run All, kept open for the explorer tests."""
    page = new_page(browser, lab)
    open_notebook(page, lab, "02_linear_regression.ipynb")
    restart_and_run_all(page)
    yield page
    page.context.close()
    lab.shut_down_kernels()


def explorer_image_src(cell):
    return cell.locator(".jupyter-widgets img").first.get_attribute("src")


def test_learning_rate_slider_moved_with_the_keyboard_redraws_the_plot(ran_02, lab):
    page = ran_02
    explorer = cell(page, lab, "02_linear_regression.ipynb", "gradient_descent_explorer(")
    explorer.scroll_into_view_if_needed()
    sliders = explorer.locator(".widget-slider [role=slider]")
    assert sliders.count() == 4
    status = explorer.locator(".widget-html-content").first
    assert "after 15 epochs" in status.text_content()
    before = explorer_image_src(explorer)
    assert before and before.startswith("data:image/png")
    learning_rate = sliders.first
    learning_rate.focus()
    learning_rate.press("ArrowRight")
    page.wait_for_function(
        "before => { const i = document.querySelectorAll('.jupyter-widgets .widget-output img');"
        " return i.length === 1 && i[0].getAttribute('src') !== before }", arg=before)
    assert explorer_image_src(explorer) != before
    assert explorer.locator(".jupyter-widgets img").count() == 1  # redrawn in place, not added


def test_slides_show_the_explorer_live(ran_02, lab):
    """jupyterlab-slideshow ("Toggle Deck") presents the live notebook: sliders, not text."""
    page = ran_02
    explore = cell(page, lab, "02_linear_regression.ipynb", "### Explore it yourself", "markdown")
    explore.scroll_into_view_if_needed()
    explore.click()  # the deck starts at the active cell
    start_deck(page)
    sliders = page.locator(".jp-Deck .jp-Cell.jp-deck-mod-onscreen .widget-slider")
    page.wait_for_function(
        "() => document.querySelectorAll("
        "'.jp-Deck .jp-Cell.jp-deck-mod-onscreen .widget-slider').length === 4")
    assert sliders.first.is_visible()
    # the whole slide fits the screen: the presenter does not scroll to reach the plot
    height = page.locator(".jp-Deck .jp-Cell.jp-deck-mod-onscreen").evaluate_all(
        "els => els.reduce((h, e) => h + e.getBoundingClientRect().height, 0)")
    assert height <= page.viewport_size["height"], f"the explorer's slide is {height:.0f} px tall"
    onscreen_text = page.locator(".jp-Deck .jp-Cell.jp-deck-mod-onscreen").all_inner_texts()
    assert not any("VBox(" in text for text in onscreen_text)
    # a slider still works on the slide
    explorer = page.locator(".jp-Deck .jp-CodeCell.jp-deck-mod-onscreen")
    before = explorer_image_src(explorer)
    handle = explorer.locator(".widget-slider [role=slider]").first
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_function(
        "before => { const i = document.querySelectorAll("
        "'.jp-Deck .jp-deck-mod-onscreen .widget-output img');"
        " return i.length === 1 && i[0].getAttribute('src') !== before }", arg=before)
    stop_deck(page)  # back to the notebook


@pytest.mark.parametrize("name", ["00_index.ipynb", "05_inside_fit.ipynb"])
def test_slides_title_fits_and_arrow_keys_advance(page, lab, name):
    open_notebook(page, lab, name)
    page.locator(".jp-Cell").first.click()
    start_deck(page)
    page.wait_for_function(f"() => {ONSCREEN}.length > 0")
    title = page.evaluate(ONSCREEN)
    assert title[0] == 0
    kinds = page.locator(".jp-Deck .jp-Cell.jp-deck-mod-onscreen").evaluate_all(
        "els => els.map(e => e.classList.contains('jp-CodeCell') ? 'code' : 'markdown')")
    assert "code" not in kinds, "the title slide shows code (the setup cell?)"
    height = page.locator(".jp-Deck .jp-Cell.jp-deck-mod-onscreen").evaluate_all(
        "els => els.reduce((h, e) => h + e.getBoundingClientRect().height, 0)")
    assert height <= page.viewport_size["height"], f"title slide is {height:.0f} px tall"
    # one press of → shows the next screen (no press only moves a highlight inside a screen),
    # one press of ← the one before (test_slides_fit.py walks every screen of every deck)
    book = json.loads((ROOT / "notebooks" / name).read_text())
    heads = [k for k, c in enumerate(book["cells"])
             if c["metadata"].get("slideshow", {}).get("slide_type") == "slide"]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"first => {ONSCREEN}[0] > first", arg=title[0])
    assert page.evaluate(ONSCREEN)[0] == heads[1]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"second => {ONSCREEN}[0] > second", arg=heads[1])
    assert page.evaluate(ONSCREEN)[0] == heads[2]
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"third => {ONSCREEN}[0] < third", arg=heads[2])
    assert page.evaluate(ONSCREEN)[0] == heads[1]
    stop_deck(page)


def test_live_plot_stays_one_figure_while_03_trains(page, lab):
    """Run 03 up to its live plot, watch two epochs update it in place, then interrupt."""
    open_notebook(page, lab, "03_custom_training_loop.ipynb")
    live = cell(page, lab, "03_custom_training_loop.ipynb", "live = LivePlot(")
    live.scroll_into_view_if_needed()
    live.locator(".jp-InputPrompt").click()  # select it (command mode)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Above Selected Cell").click()
    wait_until_run_ends(page)
    live.scroll_into_view_if_needed()
    live.locator(".jp-InputPrompt").click()
    page.click(".jp-NotebookPanel-toolbar [data-command='notebook:run-cell-and-select-next']")
    page.wait_for_function("cell => cell.querySelector('.jp-InputPrompt').textContent"
                           ".includes('*')", arg=live.element_handle())
    # each poll: at most one figure in the cell; collect the pictures it showed
    seen = page.wait_for_function(
        """cell => {
            window.__liveSrcs = window.__liveSrcs || new Set();
            const images = cell.querySelectorAll('.jp-OutputArea-output img');
            if (images.length > 1) return 'figures: ' + images.length;
            if (images.length === 1) window.__liveSrcs.add(images[0].getAttribute('src'));
            return window.__liveSrcs.size >= 3 ? 'ok' : false;
        }""", arg=live.element_handle(), timeout=600_000, polling=200).json_value()
    page.click(".jp-NotebookPanel-toolbar [data-command='notebook:interrupt-kernel']")
    assert seen == "ok", seen  # the first picture and two epochs' updates, one figure
    assert live.locator(".jp-OutputArea-output img").count() == 1
    assert page.locator(STDERR).count() == 0


@pytest.mark.parametrize("name, source", [("02_linear_regression.ipynb",
                                           "gradient_descent_explorer("),
                                          ("05_inside_fit.ipynb", "timeline_explorer(tracer)")])
def test_stored_explorer_output_is_a_useful_static_view(page, lab, name, source):
    """Before anything runs, an explorer's stored output is not `VBox(children=...)` text."""
    open_notebook(page, lab, name, folder="unrun")
    explorer = cell(page, lab, name, source, folder="unrun")
    explorer.scroll_into_view_if_needed()
    output = explorer.locator(".jp-OutputArea-output")
    text = " ".join(output.all_text_contents())
    assert "VBox(" not in text
    if name.startswith("02"):
        assert output.locator("img").count() == 1  # the picture of the default state
    else:
        assert "Run this cell to move the sliders" in text and "on_train_begin" in text
