"""Catch what TensorFlow's C++ code writes to stderr during a block, to check it, not show it.

TensorFlow's C++ runtime logs straight to file descriptor 2, past Python's ``sys.stderr``, so
``contextlib.redirect_stderr`` cannot catch it. Some of those lines depend on the machine: the
first float16 operation on a CPU, for instance, may log ``oneDNN supports DT_HALF only on
platforms with AVX-512. Falling back to the default Eigen-based implementation`` (red output
in JupyterLab, nothing a learner can act on, and absent on other CPUs or with oneDNN off).
``native_stderr()`` points fd 2 at a temporary file for the duration of a block and hands
back the lines, so a notebook can assert that nothing but such notices was written.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator

# Lines TensorFlow may log the first time float16 runs on a CPU (machine-dependent).
FLOAT16_NOTICES = (
    re.compile(r"oneDNN supports DT_HALF only on platforms with AVX-512"),
)


@contextlib.contextmanager
def native_stderr() -> Iterator[list[str]]:
    """Capture what is written to file descriptor 2 (TensorFlow's C++ logs) during the block.

    Python's ``sys.stderr`` is not touched: in Jupyter it is the kernel's own stream, not
    fd 2, and its warnings should stay visible. Yields a list that is filled, after the block,
    with the captured lines (without line ends, empty lines dropped). The original stderr is
    restored even if the block raises.

    Introduced in 06_loop_you_can_ship.
    """
    lines: list[str] = []
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError):
            pass
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield lines
        finally:
            try:
                sys.stderr.flush()
            except (AttributeError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            lines.extend(line for line in text.splitlines() if line.strip())


def unexpected_lines(
    lines: Iterable[str], allowed: Iterable[re.Pattern] = FLOAT16_NOTICES
) -> list[str]:
    """The captured lines that match none of the ``allowed`` patterns (default: float16 notices).

    Introduced in 06_loop_you_can_ship.
    """
    patterns = list(allowed)
    if isinstance(lines, str):
        raise ValueError("pass a list of lines (what native_stderr() yielded), not one string")
    for pattern in patterns:
        if not isinstance(pattern, re.Pattern):
            raise ValueError(
                f"allowed must hold compiled regular expressions (re.compile(...)), got {pattern!r}"
            )
    return [line for line in lines if not any(p.search(line) for p in patterns)]
