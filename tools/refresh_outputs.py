#!/usr/bin/env python3
"""Re-run notebooks top to bottom in a fresh kernel and store their outputs.

    python3 course.py refresh                               # every notebook
    python3 course.py refresh notebooks/02_linear_regression.ipynb

Stored outputs are part of the course and nbval compares them with a fresh run, so refresh
a notebook after every change to it and commit the result. Each notebook runs in the
course's kernel with notebooks/ as working directory; the time each took is printed.
Per-cell timing metadata and widget state are not stored (they change every run); RISE
slide metadata is set from the notebook's structure (tools/slides.py).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import slides  # noqa: E402

KERNEL = "training-loop"


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=900, resources={"metadata": {"path": str(path.parent)}},
        # store_widget_state is needed to capture Output widgets; the state is stripped below
        record_timing=False, store_widget_state=True,
    )
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata["kernelspec"] = {"name": KERNEL,
                                 "display_name": "Python 3 (Inside the training loop)",
                                 "language": "python"}
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    slides.apply(nb)  # RISE slide metadata, from the notebook's structure
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    books = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    for book in books:
        if not book.is_file():
            print(f"refresh: no notebook at {book}", file=sys.stderr)
            return 1
        seconds = refresh(book.resolve())
        total += seconds
        print(f"{book.name}: {seconds:.1f} s", flush=True)
    print(f"total: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
