#!/usr/bin/env python3
"""Re-run notebooks top to bottom in a fresh kernel and store their outputs.

    python3 course.py refresh                               # every notebook
    python3 course.py refresh notebooks/02_linear_regression.ipynb
    python3 course.py refresh --readme                      # only the README's run-time column

Stored outputs are part of the course and nbval compares them with a fresh run, so refresh
a notebook after every change to it and commit the result. Each notebook runs in the
course's kernel with notebooks/ as working directory. The time each took is printed and
recorded in notebooks/run_times.json with the date, the CPU and how busy the machine was:
the one place run times are kept (the README's table shows them rounded, and
tests/test_conventions.py checks it agrees with this file within the rounding).
Per-cell timing metadata and widget state are not stored (they change every run); RISE
slide metadata is set from the notebook's structure (tools/slides.py).
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import slides  # noqa: E402

KERNEL = "training-loop"
RUN_TIMES = ROOT / "notebooks" / "run_times.json"
ABOUT = ("Written by `python3 course.py refresh` (tools/refresh_outputs.py), never by hand: each "
         "notebook's last top-to-bottom run in a fresh kernel. `others_cpu_share` is the share "
         "of the machine's CPU time that other programs used during the run (Linux, from "
         "/proc/stat less the refresh's own process and kernel); `quiet` means below 0.1. "
         "`load_before` is the 1-minute load average just before the run (it includes the "
         "previous notebook of the same refresh). The README's table shows the seconds rounded "
         "(run_time_label).")

# The README's rounding: coarse bands, so that a re-run rarely moves a notebook to another one.
BANDS = [(15, "under 15 s"), (45, "15-45 s"), (90, "45-90 s"), (180, "1.5-3 min"),
         (360, "3-6 min"), (720, "6-12 min"), (float("inf"), "over 12 min")]
SLACK = 0.2  # a figure within 20 % of a band's edge may show either neighbouring band


def run_time_label(seconds: float) -> str:
    """The README's rounded run time for a measured one, e.g. 52.3 -> "45-90 s"."""
    return next(label for upper, label in BANDS if seconds < upper)


def accepted_labels(seconds: float) -> set[str]:
    """The labels that agree with a measured time within the rounding."""
    return {run_time_label(seconds * f) for f in (1 - SLACK, 1, 1 + SLACK)}


README_ROW = re.compile(
    r"^\| \[\d\d [^|]*\]\(notebooks/(\d\d_\w+)\.ipynb\) \|[^|]*\|[^|]*\| ([^|]+?) \|$", re.M)


def readme_run_times(text: str) -> dict[str, str]:
    """The run-time column of the README's notebook table, by notebook stem."""
    return dict(README_ROW.findall(text))


def readme_advice(stem: str, seconds: float) -> str:
    """A sentence when the README's row no longer agrees with a measured time, else ""."""
    label = readme_run_times((ROOT / "README.md").read_text(encoding="utf-8")).get(stem)
    if label is None:
        return f"README.md has no row for {stem}: add one (CONTRIBUTING.md, 'Add a notebook')"
    if label not in accepted_labels(seconds):
        return (f"README.md says {label!r} for {stem}; this run gives {run_time_label(seconds)!r}: "
                "update the row (python3 course.py refresh --readme)")
    return ""


def update_readme_labels(readme: Path = ROOT / "README.md", path: Path = RUN_TIMES) -> list[str]:
    """Give every README row whose run time disagrees with the recorded one the label of the
    recorded figure (rows that agree within the rounding stay as they are)."""
    entries = read_run_times(path)["notebooks"]
    text = readme.read_text(encoding="utf-8")

    def row(match: re.Match) -> str:
        stem, label = match.group(1), match.group(2)
        if stem not in entries or label in accepted_labels(entries[stem]["seconds"]):
            return match.group(0)
        label_now = run_time_label(entries[stem]["seconds"])
        changed.append(f"{stem}: {label} -> {label_now}")
        whole, offset = match.group(0), match.start(0)
        return whole[: match.start(2) - offset] + label_now + whole[match.end(2) - offset :]

    changed: list[str] = []
    new = README_ROW.sub(row, text)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return changed


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # Windows has no load average
        return None


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processors have spent busy since boot (Linux), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        # user, nice, system, (idle, iowait), irq, softirq; steal and guests left out
        return (sum(fields[:3]) + sum(fields[5:7])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def own_cpu_seconds() -> float:
    """CPU seconds used by this process and its finished children (the kernel, its workers)."""
    import resource  # not on Windows; only called where /proc/stat exists

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def read_run_times(path: Path = RUN_TIMES) -> dict:
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"about": ABOUT, "notebooks": {}}


def record(stem: str, seconds: float, load_before: float | None, path: Path = RUN_TIMES,
           others_cpu_share: float | None = None) -> None:
    """Store one notebook's run in the run-times file (re-read first: refreshes of other
    notebooks may have written it meanwhile; replaced atomically)."""
    data = read_run_times(path)
    data["about"] = ABOUT
    entry = {"seconds": round(seconds, 1), "date": datetime.date.today().isoformat(),
             "cpu": cpu_model(), "cores": os.cpu_count(), "load_before": load_before}
    if others_cpu_share is not None:
        entry["others_cpu_share"] = round(others_cpu_share, 3)
        entry["machine"] = "quiet" if others_cpu_share < 0.1 else "busy"
    elif load_before is not None:
        entry["machine"] = "quiet" if load_before < 0.5 else "busy"
    data["notebooks"][stem] = entry
    data["notebooks"] = dict(sorted(data["notebooks"].items()))
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    os.replace(temporary, path)


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
    if argv == ["--readme"]:  # no notebook runs: the README's run-time column from the file
        changed = update_readme_labels()
        print("README.md: " + ("; ".join(changed) if changed else "every run time agrees"))
        return 0
    books = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    for book in books:
        if not book.is_file():
            print(f"refresh: no notebook at {book}", file=sys.stderr)
            return 1
        load_before = load_average()
        busy_before = busy_cpu_seconds()
        own_before = own_cpu_seconds() if busy_before is not None else 0.0
        seconds = refresh(book.resolve())
        total += seconds
        others = None
        if busy_before is not None:  # CPU time the rest of the machine used meanwhile
            used = busy_cpu_seconds() - busy_before - (own_cpu_seconds() - own_before)
            others = max(0.0, used) / (seconds * (os.cpu_count() or 1))
        record(book.stem, seconds, load_before, others_cpu_share=others)
        busy = "" if others is None else f", other programs used {100 * others:.0f} % of the CPU"
        print(f"{book.name}: {seconds:.1f} s (README: {run_time_label(seconds)}{busy})", flush=True)
        advice = readme_advice(book.stem, seconds)
        if advice:
            print(f"  {advice}", flush=True)
    print(f"total: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
