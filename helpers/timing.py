"""Timing a training step: how many steps per second, with the warm-up left out.

A step under ``tf.function`` is traced on its first call (and on every call that needs a
new trace), which takes far longer than a normal step. A fair speed comparison therefore
runs a few warm-up steps first and times only the steps after them. On a shared or busy
machine single measurements are noisy, so ``steps_per_second`` can repeat the timed part
and report the best run, as ``timeit`` does.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


def _call(step_fn: Callable[..., Any], batch: Any) -> Any:
    # a (features, labels) pair is passed as two arguments, anything else as one
    return step_fn(*batch) if isinstance(batch, tuple) else step_fn(batch)


def _wait_for(result: Any) -> None:
    # make sure the last step's work is finished before the clock stops
    values = result if isinstance(result, (tuple, list)) else (result,)
    for value in values:
        if hasattr(value, "numpy"):
            value.numpy()


def steps_per_second(
    step_fn: Callable[..., Any], batches: Sequence[Any], warmup: int = 5, repeats: int = 1
) -> float:
    """Steps per second of ``step_fn`` over ``batches``, not counting the first ``warmup`` steps.

    ``batches`` is a list (or other sequence) of batches; a tuple such as ``(x, y)`` is
    passed to ``step_fn`` as separate arguments. The first ``warmup`` batches are run once
    and not timed (tracing, memory allocation); the remaining ones are timed, ``repeats``
    times over, and the best of those runs is returned.

    Introduced in 03_custom_training_loop.
    """
    if not callable(step_fn):
        raise ValueError(
            f"step_fn must be a function to call on each batch, got {type(step_fn).__name__}"
        )
    if isinstance(batches, (str, bytes)) or not isinstance(batches, Sequence):
        raise ValueError(
            "batches must be a list of batches (for example list(dataset.take(50))), "
            f"got {type(batches).__name__}"
        )
    for name, value, low in (("warmup", warmup, 0), ("repeats", repeats, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer of at least {low}, got {value!r}")
    if len(batches) <= warmup:
        raise ValueError(
            f"there are {len(batches)} batches and {warmup} of them are warm-up, "
            "which leaves none to time; "
            "pass more batches or a smaller warmup"
        )
    result = None
    for batch in batches[:warmup]:
        result = _call(step_fn, batch)
    _wait_for(result)
    timed = batches[warmup:]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in timed:
            result = _call(step_fn, batch)
        _wait_for(result)
        best = min(best, time.perf_counter() - start)
    return len(timed) / best


def best_seconds(run: Callable[[], Any], repeats: int = 2) -> float:
    """The shortest of ``repeats`` timed calls of ``run()``, in seconds, after one untimed call.

    For timing a whole piece of work at once (an epoch, a pass over a dataset, one
    ``fit()``): the untimed first call takes the tracing and warm-up, the best of the timed
    ones is the least disturbed by a busy machine. ``run`` should return only when its work
    is done (call ``.numpy()`` on a result, for instance).

    Introduced in 07_speed_and_debugging.
    """
    if not callable(run):
        raise ValueError(f"run must be a function of no arguments, got {type(run).__name__}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer of at least 1, got {repeats!r}")
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best
