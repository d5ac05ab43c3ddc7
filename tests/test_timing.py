"""Tests for helpers.timing: steps per second with the warm-up left out."""
from __future__ import annotations

import time

import numpy as np
import pytest

from helpers import timing
from helpers.timing import steps_per_second


def test_rate_of_a_step_of_known_duration():
    rate = steps_per_second(lambda batch: time.sleep(0.01), list(range(12)), warmup=2)
    # 10 ms per step is at most 100 steps/s; sleep overshoots a little (more on a busy machine)
    assert 30 < rate <= 100.5


def test_warmup_steps_are_not_timed():
    calls = []

    def step(batch):
        calls.append(batch)
        time.sleep(0.5 if len(calls) == 1 else 0.005)  # a slow first call, like tracing

    with_warmup = steps_per_second(step, list(range(11)), warmup=1)
    calls.clear()
    without_warmup = steps_per_second(step, list(range(11)), warmup=0)
    assert with_warmup > 50  # 10 steps of 5 ms: about 200 steps/s
    assert without_warmup < 20.5  # 11 steps, one of them 500 ms
    assert with_warmup > 2.4 * without_warmup


class FakeClock:
    """Stands in for the time module in helpers.timing: time moves only when a step says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def test_rate_is_timed_steps_over_the_best_timed_run_warmup_excluded(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(timing, "time", clock)
    # seconds each call takes: the warm-up step, then three runs of the two timed steps
    # (powers of two, so the clock's sums are exact)
    durations = iter([8.0, 0.5, 0.5, 0.25, 0.25, 0.5, 0.125])
    seen = []

    def step(x, y):
        seen.append((x, y))
        clock.now += next(durations)

    rate = steps_per_second(step, [(1, "a"), (2, "b"), (3, "c")], warmup=1, repeats=3)
    # the runs take 1.0 s, 0.5 s and 0.625 s: the best is 2 steps in 0.5 s. Counting the
    # warm-up step or its 8 s, all three batches, or the mean or last run would not give 4.
    assert rate == 4.0
    # tuples are unpacked into arguments; the warm-up runs once, the timed part three times
    assert seen == [(1, "a")] + [(2, "b"), (3, "c")] * 3


def test_best_of_repeats_is_reported():
    durations = iter([0.0, 0.05, 0.05, 0.01, 0.01])  # warm-up, then a slow run and a fast run

    def step(batch):
        time.sleep(next(durations))

    rate = steps_per_second(step, [0, 1, 2], warmup=1, repeats=2)
    assert 40 < rate <= 100.5  # the fast run, 2 steps of 10 ms; the slow run is at most 20 steps/s


def test_with_real_tensorflow_steps():
    tf = pytest.importorskip("tensorflow")
    w = tf.Variable(tf.ones((64, 64)))

    def step(x, y):
        w.assign_sub(0.0001 * tf.matmul(x, x, transpose_a=True) @ w + 0.0 * tf.reduce_sum(y))
        return tf.reduce_sum(w)

    batches = [(tf.ones((8, 64)), tf.eye(64)) for _ in range(30)]
    compiled = tf.function(step)
    for fn in (step, compiled):
        durations = []

        def measured(x, y, fn=fn, durations=durations):
            start = time.perf_counter()
            result = fn(x, y)
            result.numpy()
            durations.append(time.perf_counter() - start)
            return result

        before = time.perf_counter()
        rate = steps_per_second(measured, batches, warmup=3)
        whole_call = time.perf_counter() - before
        assert len(durations) == 30
        # The 27 timed steps ran inside the timed part, so it took at least their sum; it
        # ran within the call but after the 3 warm-up steps (tracing, for the tf.function),
        # so it took at most the call's time less theirs.
        warmup_time, steps_time = sum(durations[:3]), sum(durations[3:])
        assert 27 / (whole_call - warmup_time) <= rate <= 27 / steps_time, fn
    # the warm-up traced it, the timed steps reused the trace
    assert compiled.experimental_get_tracing_count() == 1
    assert np.isfinite(w.numpy()).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"step_fn": None}, "step_fn must be a function"),
        ({"batches": iter([1, 2, 3])}, "batches must be a list"),
        ({"batches": "abc"}, "batches must be a list"),
        ({"batches": [1, 2, 3], "warmup": 3}, "leaves none to time"),
        ({"batches": [], "warmup": 0}, "leaves none to time"),
        ({"warmup": -1}, "warmup must be an integer"),
        ({"warmup": 1.5}, "warmup must be an integer"),
        ({"repeats": 0}, "repeats must be an integer"),
        ({"repeats": True}, "repeats must be an integer"),
    ],
)
def test_inputs_are_validated(kwargs, match):
    arguments = {"step_fn": lambda b: None, "batches": list(range(10)), "warmup": 2,
                 "repeats": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        steps_per_second(**arguments)


def test_best_seconds_leaves_out_the_first_call_and_keeps_the_shortest():
    durations = iter([0.2, 0.03, 0.01, 0.05])  # first (untimed) call, then three timed ones
    calls = []

    def run():
        seconds = next(durations)
        calls.append(seconds)
        time.sleep(seconds)

    best = timing.best_seconds(run, repeats=3)
    assert calls == [0.2, 0.03, 0.01, 0.05]
    assert 0.01 <= best < 0.03  # the 0.01 s call; never the slow first one


@pytest.mark.parametrize(
    "run, repeats, match",
    [
        (None, 2, "run must be a function"),
        (lambda: None, 0, "repeats must be an integer"),
        (lambda: None, True, "repeats must be an integer"),
        (lambda: None, 1.5, "repeats must be an integer"),
    ],
)
def test_best_seconds_inputs_are_validated(run, repeats, match):
    with pytest.raises(ValueError, match=match):
        timing.best_seconds(run, repeats)
