"""Every screen of every notebook's deck fits a 1280x800 projector, and → and ← walk the
screens one press each (jupyterlab-slideshow, "Toggle Deck"; tools/slides.py sets the
metadata).

Each notebook is opened once, from the copy that no test runs (`unrun/`: the stored outputs
exactly as committed, which is what the deck shows before class: nothing is executed here),
and its deck is walked in one page.evaluate: measure the screen, press →, wait until the
deck shows another screen, ...; then ← back to the title. A screen's height is from the top
of its first cell to the bottom of its last (text, code, outputs, images, after the images
are decoded and the layout is stable), as the presenter sees it at the default zoom.
"""
from __future__ import annotations

import json
import re

import pytest
from labserver import ROOT
from learner import start_deck, wait_for_kernel

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# One evaluate per deck. Keys are sent as the keydown events JupyterLab's keymap reads
# (Lumino matches keyCode); they reach the deck's own bindings exactly as a key press does.
WALK = """async ([maxScreens]) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const onscreen = () => [...document.querySelectorAll('.jp-Deck .jp-Cell.jp-deck-mod-onscreen')];
  const key = () => onscreen().map(c => c.dataset.windowedListIndex).join(',');
  const press = (name, keyCode) => {
    const event = new KeyboardEvent('keydown', {key: name, code: name, bubbles: true,
                                                cancelable: true});
    Object.defineProperty(event, 'keyCode', {value: keyCode});
    document.activeElement.dispatchEvent(event);
  };
  // wait until the deck shows another set of cells; false after ~2 s of nothing
  const moved = async (before) => {
    const start = performance.now();
    while (performance.now() - start < 2000) {
      await frame();
      if (key() !== before) return true;
    }
    return false;
  };
  const measure = async () => {
    const cells = onscreen();
    await Promise.all(cells.flatMap(c => [...c.querySelectorAll('img')])
                      .map(i => i.decode().catch(() => null)));
    let last = -1, height = 0;
    for (let tries = 0; tries < 30; tries++) {  // the layout settles (images, Markdown)
      await frame();
      const rects = cells.map(c => c.getBoundingClientRect());
      height = Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top));
      if (height === last) break;
      last = height;
    }
    return {
      cells: cells.map(c => Number(c.dataset.windowedListIndex)),
      height,
      first: (cells[0].innerText || '').trim().split('\\n')[0].slice(0, 70),
      outputs: cells.map(c => c.querySelectorAll('.jp-OutputArea-output').length),
      images: cells.flatMap(c => [...c.querySelectorAll('.jp-OutputArea-output img')])
                   .map(i => i.naturalHeight),
    };
  };
  const screens = [];
  for (let n = 0; n < maxScreens; n++) {
    screens.push(await measure());
    const before = key();
    press('ArrowRight', 39);
    if (!(await moved(before))) break;
  }
  const back = [key()];
  for (let n = 0; n < maxScreens; n++) {
    const before = key();
    press('ArrowLeft', 37);
    if (!(await moved(before))) break;
    back.push(key());
  }
  return {screens, back, viewport: window.innerHeight};
}"""


def open_deck(page, lab, name: str):
    """Open unrun/<name> at its first cell and start presenting."""
    page.goto(lab.url(f"/lab/tree/unrun/{name}") + "&reset")
    wait_for_kernel(page)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
    start_deck(page)
    page.wait_for_selector(".jp-Deck .jp-Cell.jp-deck-mod-onscreen")


def walk_deck(page, lab, name: str, folder: str = "unrun") -> dict:
    """Open the deck of <folder>/<name> and walk it (see WALK)."""
    cells = json.loads((lab.root / folder / name).read_text(encoding="utf-8"))["cells"]
    open_deck(page, lab, name)
    return page.evaluate(WALK, [len(cells) + 1])


def expected_screens(cells: list[dict]) -> list[int]:
    return [k for k, c in enumerate(cells)
            if c["metadata"].get("slideshow", {}).get("slide_type") in ("slide", "subslide")]


def too_tall(walk: dict, cells: list[dict], name: str) -> list[str]:
    return [f"{name} cell {s['cells'][0]} {s['first']!r}: {s['height']:.0f} px"
            for s in walk["screens"] if s["height"] > walk["viewport"]]


@pytest.fixture(scope="module")
def deck_page(browser, lab):
    from learner import new_page

    page = new_page(browser, lab)
    yield page
    page.context.close()
    lab.shut_down_kernels()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_screen_fits_and_the_arrows_walk_them(deck_page, lab, name):
    cells = json.loads((lab.root / "unrun" / name).read_text(encoding="utf-8"))["cells"]
    walk = walk_deck(deck_page, lab, name)
    lab.shut_down_kernels()  # the deck needs none; the next notebook starts its own
    assert walk["viewport"] == 800
    screens = walk["screens"]
    # → shows the next screen at every press: every screen, in order, none twice
    heads = [s["cells"][0] for s in screens]
    assert heads == expected_screens(cells), f"{name}: → visited {heads}"
    # ← goes back through the same screens to the title
    back = [int(re.match(r"\d+", k).group()) for k in walk["back"]]
    assert back == heads[::-1], f"{name}: ← visited {back}"
    # the deck shows the stored outputs and pictures without running anything
    for screen in screens:
        for index, shown in zip(screen["cells"], screen["outputs"], strict=True):
            stored = len(cells[index].get("outputs", []))
            assert (shown > 0) == (stored > 0), f"{name} cell {index}: {shown} of {stored} outputs"
        assert all(h > 0 for h in screen["images"]), f"{name}: an image is not shown"
    assert deck_page.course_errors == []
    failures = too_tall(walk, cells, name)
    assert failures == [], ("screens taller than the 800 px projector:\n" + "\n".join(failures))
