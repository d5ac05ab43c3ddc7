#!/usr/bin/env python3
"""Count the checks each notebook executes, visible or collapsed, so moving checks off the
reading path can be shown not to lose any.

    python3 tools/count_claims.py notebooks        # one line per notebook, then the total

A check is an `assert` statement, a call of a function whose name starts with `assert`
(`np.testing.assert_allclose`, `assert_array_equal`, ...) or a `with helpers.expect_error(...)`
block, counted in the parsed code of every code cell that is not an exercise solution.
Tests under tests/ that check a notebook's claims are not counted here.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def python_source(src: str) -> str:
    """Cell source with IPython magics and shell lines turned into `pass`."""
    lines = src.splitlines()
    if lines and lines[0].startswith("%%"):
        return ""  # a cell magic (%%writefile): not Python run in the kernel
    return "\n".join(line[: len(line) - len(line.lstrip())] + "pass"
                     if line.lstrip().startswith(("%", "!")) else line for line in lines)


def count(src: str) -> int:
    n = 0
    for node in ast.walk(ast.parse(python_source(src))):
        if isinstance(node, ast.Assert):
            n += 1
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name.startswith("assert") or name == "expect_error":
                n += 1
    return n


def notebook(path: Path) -> tuple[int, int]:
    """(checks in visible cells, checks in collapsed cells)."""
    visible = hidden = 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        md = cell.get("metadata", {})
        if cell["cell_type"] != "code" or "solution" in md.get("tags", []):
            continue
        n = count("".join(cell["source"]))
        if md.get("jupyter", {}).get("source_hidden", False):
            hidden += n
        else:
            visible += n
    return visible, hidden


def main(folder: str) -> int:
    total = [0, 0]
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        v, h = notebook(path)
        total[0] += v
        total[1] += h
        print(f"{path.name[:2]}: {v + h} checks ({v} visible, {h} collapsed)")
    print(f"all: {sum(total)} checks ({total[0]} visible, {total[1]} collapsed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "notebooks"))
