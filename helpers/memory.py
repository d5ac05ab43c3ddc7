"""How much memory a step needs: the peak bytes TensorFlow's allocator holds while it runs.

Start the notebook with ``helpers.start(seed, memory_stats=True)``: on a CPU, TensorFlow
counts its memory only when asked before it is imported. A GPU counts it always.

Introduced in 10_beyond_the_standard_step.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def step_device() -> str:
    """The device TensorFlow places a step on: the first visible GPU, else the CPU.

    Introduced in 10_beyond_the_standard_step.
    """
    from .setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    return "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU:0"


def peak_bytes(fn: Callable[..., Any], *args: Any, repeats: int = 1) -> int:
    """Run ``fn(*args)`` and return the most bytes it held on top of what was held before.

    Run the function once before measuring it, so that tracing and one-off allocations (an
    optimizer's slots, say) are not counted. The result counts tensors the step creates
    (activations, gradients, temporaries), not variables or inputs that already existed.
    The peak changes a little from run to run, with the order in which TensorFlow's threads
    run operations and free their outputs; ``repeats=5`` runs it five times and returns the
    smallest peak.

    Introduced in 10_beyond_the_standard_step.
    """
    if not callable(fn):
        raise TypeError(f"peak_bytes expects a function to run, not {type(fn).__name__}.")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, not {repeats!r}.")
    from .setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    device = step_device()
    try:
        before = tf.config.experimental.get_memory_info(device)["current"]
    except ValueError:
        raise RuntimeError(
            "TensorFlow is not counting its memory in this process: restart the kernel and "
            "start with helpers.start(..., memory_stats=True)."
        ) from None
    peaks = []
    for _ in range(repeats):
        tf.config.experimental.reset_memory_stats(device)
        fn(*args)
        peaks.append(tf.config.experimental.get_memory_info(device)["peak"] - before)
    return int(min(peaks))
