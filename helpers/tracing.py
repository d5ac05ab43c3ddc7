"""Watch what ``model.fit()`` does: a callback that records every hook call, a compact timeline.

``TracingCallback`` records each callback hook Keras calls, in order, as a ``HookCall``
(hook name, epoch or batch index, the sorted log keys and the numeric log values).
``format_timeline`` prints such a record compactly, one line per hook, with runs of
``on_train_batch_begin``/``on_train_batch_end`` pairs collapsed into one line
(``on_train_batch_begin/end × 3``) and nesting shown by indentation. ``source_excerpt``
prints the few lines of an installed function's source that contain given words, so a
notebook can quote Keras and fail when Keras changes.

Importing this module imports Keras (quietly, through ``helpers.setup``).
"""
from __future__ import annotations

import inspect
import numbers
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from .setup import import_tensorflow_quietly

import_tensorflow_quietly()

import keras  # noqa: E402

__all__ = [
    "BATCH_HOOKS",
    "EPOCH_HOOKS",
    "EXPLANATIONS",
    "HOOKS",
    "HookCall",
    "TracingCallback",
    "event_window",
    "explain",
    "format_timeline",
    "source_excerpt",
    "source_order",
    "timeline_lines",
]

# Every hook a keras.callbacks.Callback can receive from fit(), evaluate() and predict().
# (on_batch_begin/on_batch_end are only backwards-compatible aliases the base class calls
# from on_train_batch_begin/end, so they are not recorded separately.)
HOOKS: tuple[str, ...] = (
    "on_train_begin",
    "on_epoch_begin",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_epoch_end",
    "on_train_end",
    "on_test_begin",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_test_end",
    "on_predict_begin",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_predict_end",
)
EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
BATCH_HOOKS = tuple(h for h in HOOKS if "_batch_" in h)
_OPENING = ("on_train_begin", "on_epoch_begin", "on_test_begin", "on_predict_begin")
_CLOSING = ("on_train_end", "on_epoch_end", "on_test_end", "on_predict_end")

# What fit()/evaluate()/predict() has just done, or is about to do, when a hook fires.
EXPLANATIONS: dict[str, str] = {
    "on_train_begin": "fit() has made its epoch iterator, its CallbackList (with History) and "
    "its train function; no batch has run yet.",
    "on_epoch_begin": "the metrics were just reset (reset_metrics): the running means start again.",
    "on_train_batch_begin": "next: train_function(iterator) runs steps_per_execution batches "
    "through train_step (forward pass, loss, gradients, optimizer update, metrics).",
    "on_train_batch_end": "the logs are the running means of the loss and metrics over the "
    "batches seen so far in this epoch.",
    "on_test_begin": "validation: fit() calls evaluate() on the validation data, "
    "with the same callbacks.",
    "on_test_batch_begin": "next: test_function runs test_step "
    "(forward pass, loss, metrics; no gradients).",
    "on_test_batch_end": "the logs are the running validation means so far.",
    "on_test_end": "evaluate() is done; fit() will rename its logs val_loss, val_accuracy, ...",
    "on_epoch_end": "the epoch's logs: the training metrics plus the val_ ones. History appends "
    "them; then fit() checks model.stop_training.",
    "on_train_end": "the loop is over; fit() returns model.history.",
    "on_predict_begin": "predict() has made its iterator and predict function.",
    "on_predict_batch_begin": "next: predict_function runs predict_step (the forward pass only).",
    "on_predict_batch_end": "the logs hold this batch's outputs.",
    "on_predict_end": "predict() concatenates the batch outputs and returns them.",
}


class HookCall(NamedTuple):
    """One recorded hook call.

    ``index`` is the epoch for ``on_epoch_*``, the batch for ``on_*_batch_*`` and ``None``
    for the begin/end hooks of a whole run; ``keys`` are the log keys, sorted; ``values``
    the log values that are plain numbers.

    Introduced in 05_inside_fit.
    """

    hook: str
    index: int | None
    keys: tuple[str, ...]
    values: dict[str, float]


def _numbers(logs) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[key] = float(value)
    return out


class TracingCallback(keras.callbacks.Callback):
    """Records every hook call Keras makes, in order, in ``self.events`` (a list of ``HookCall``).

    Pass it to ``fit()``, ``evaluate()`` or ``predict()``; read ``events``, or ``hooks()`` for
    the names only, ``count(hook)`` for how often a hook fired, ``calls(hook)`` for the
    calls of one hook. ``reset()`` forgets what was recorded.

    Introduced in 05_inside_fit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list[HookCall] = []

    # --- reading the record -------------------------------------------------------------
    def reset(self) -> None:
        """Forget every recorded call."""
        self.events = []

    def hooks(self) -> list[str]:
        """The hook names in the order they were called."""
        return [e.hook for e in self.events]

    def calls(self, hook: str) -> list[HookCall]:
        """The recorded calls of one hook, in order."""
        _check_hook(hook)
        return [e for e in self.events if e.hook == hook]

    def count(self, hook: str) -> int:
        """How many times ``hook`` was called."""
        return len(self.calls(hook))

    # --- recording ----------------------------------------------------------------------
    def _record(self, hook: str, index: int | None, logs) -> None:
        logs = logs or {}
        self.events.append(HookCall(hook, None if index is None else int(index),
                                    tuple(sorted(logs)), _numbers(logs)))

    def on_train_begin(self, logs=None):
        self._record("on_train_begin", None, logs)

    def on_train_end(self, logs=None):
        self._record("on_train_end", None, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._record("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._record("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._record("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._record("on_test_begin", None, logs)

    def on_test_end(self, logs=None):
        self._record("on_test_end", None, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._record("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._record("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._record("on_predict_begin", None, logs)

    def on_predict_end(self, logs=None):
        self._record("on_predict_end", None, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._record("on_predict_batch_end", batch, logs)


def _check_hook(hook: str) -> None:
    if hook not in HOOKS:
        raise ValueError(f"{hook!r} is not a callback hook; pass one of {', '.join(HOOKS)}")


def _as_events(events) -> list[HookCall]:
    if isinstance(events, TracingCallback):
        events = events.events
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise ValueError(
            "expected the recorded events (a TracingCallback or its .events list), "
            f"got {type(events).__name__}"
        )
    events = list(events)
    if not events:
        raise ValueError(
            "there are no recorded events: "
            "pass the TracingCallback to fit() first, then format its events"
        )
    for e in events:
        if not isinstance(e, HookCall):
            raise ValueError(
                "expected HookCall records (from TracingCallback.events), "
                f"got {type(e).__name__}: {e!r}"
            )
        _check_hook(e.hook)
    return events


def _index_ranges(pairs: Sequence[tuple[int, int]], limit: int = 6) -> str:
    """'0, 1, 2' or '0-2, 3-5' for (begin, end) batch indices; long runs elided."""
    parts = [str(b) if b == e else f"{b}-{e}" for b, e in pairs]
    if len(parts) > limit:
        parts = parts[:3] + ["…"] + parts[-2:]
    return ", ".join(parts)


def timeline_lines(events, show_keys: bool = True, indent: str = "  ") -> list[str]:
    """The lines ``format_timeline`` prints (see there).

    Introduced in 05_inside_fit.
    """
    events = _as_events(events)
    lines: list[str] = []
    depth = 0
    i = 0
    while i < len(events):
        e = events[i]
        if e.hook.endswith("_batch_begin"):
            stem = e.hook[: -len("_begin")]  # e.g. on_train_batch
            pairs: list[tuple[int, int]] = []
            keys: tuple[str, ...] = ()
            j = i
            while (
                j + 1 < len(events)
                and events[j].hook == f"{stem}_begin"
                and events[j + 1].hook == f"{stem}_end"
            ):
                pairs.append((events[j].index, events[j + 1].index))
                keys = events[j + 1].keys
                j += 2
            if pairs:
                word = "batch=" if len(pairs) == 1 else "batches "  # Keras's indices, from 0
                text = f"{stem}_begin/end × {len(pairs)}   {word}{_index_ranges(pairs)}"
                if show_keys and keys:
                    text += f"   logs: {', '.join(keys)}"
                lines.append(indent * depth + text)
                i = j
                continue
        if e.hook in _CLOSING:
            depth = max(depth - 1, 0)
        text = e.hook
        if e.hook in EPOCH_HOOKS:
            text += f"   epoch={e.index}"  # the argument Keras passes: 0 is "Epoch 1/N"
        elif e.index is not None:
            text += f"   batch={e.index}"
        if show_keys and e.keys:
            text += f"   logs: {', '.join(e.keys)}"
        lines.append(indent * depth + text)
        if e.hook in _OPENING:
            depth += 1
        i += 1
    return lines


def format_timeline(events, show_keys: bool = True, indent: str = "  ") -> str:
    """A compact, indented timeline of recorded hook calls.

    ``events`` is a ``TracingCallback`` or its ``events`` list. Each run of consecutive
    ``on_X_batch_begin``/``on_X_batch_end`` pairs becomes one line such as
    ``on_train_batch_begin/end × 3   batches 0, 1, 2   logs: accuracy, loss`` (with
    ``steps_per_execution`` > 1 a pair covers several batches: ``batches 0-2, 3-5``).
    Runs nest (train > epoch > test) and are indented accordingly.

    Introduced in 05_inside_fit.
    """
    return "\n".join(timeline_lines(events, show_keys=show_keys, indent=indent))


def explain(event: HookCall) -> str:
    """One sentence on what fit()/evaluate()/predict() is doing when ``event`` fires.

    Introduced in 05_inside_fit.
    """
    if not isinstance(event, HookCall):
        raise ValueError(
            f"expected a HookCall from TracingCallback.events, got {type(event).__name__}"
        )
    _check_hook(event.hook)
    return EXPLANATIONS[event.hook]


def event_window(events, position: int, radius: int = 5) -> str:
    """The recorded calls around ``position``, the current one marked ``▶``, then what it means.

    Used by the timeline explorer of 05_inside_fit; plain text, so it is easy to test.

    Introduced in 05_inside_fit.
    """
    events = _as_events(events)
    if isinstance(position, bool) or not isinstance(position, numbers.Integral):
        raise ValueError(f"position must be an integer event number, got {position!r}")
    if not 0 <= position < len(events):
        raise ValueError(
            f"position must be between 0 and {len(events) - 1} "
            f"(there are {len(events)} events), got {position}"
        )
    if isinstance(radius, bool) or not isinstance(radius, numbers.Integral) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    lo, hi = max(0, position - radius), min(len(events), position + radius + 1)
    width = len(str(len(events) - 1))
    rows = []
    for k in range(lo, hi):
        e = events[k]
        if e.index is None:
            where = ""
        else:
            where = f" epoch={e.index}" if e.hook in EPOCH_HOOKS else f" batch={e.index}"
        logs = ""
        if e.values:
            shown = ", ".join(f"{key}: {e.values[key]:.4f}" for key in e.keys if key in e.values)
            logs = f"  {{{shown}}}"
        mark = "▶" if k == position else " "
        rows.append(f"{mark} {k:>{width}}  {e.hook}{where}{logs}")
    current = events[position]
    rows.append("")
    rows.append(f"event {position} of {len(events) - 1}: {current.hook} — {explain(current)}")
    return "\n".join(rows)


def source_excerpt(obj, *needles: str, context: int = 0, root=None) -> str:
    """The lines of ``obj``'s source that contain each of ``needles`` (``context`` lines around).

    The header names the file relative to the package that holds it (for example
    ``keras/src/backend/tensorflow/trainer.py``, never a machine path) and the function's
    qualified name; each line carries its line number in that file. Raises ``ValueError``
    when a needle is not in the source, so a notebook quoting Keras fails loudly when an
    upgrade changes what it quotes.

    Introduced in 05_inside_fit.
    """
    if not needles:
        raise ValueError(
            "pass at least one piece of text to look for, "
            "e.g. source_excerpt(fn, 'tape.gradient')"
        )
    if isinstance(context, bool) or not isinstance(context, numbers.Integral) or context < 0:
        raise ValueError(f"context must be a non-negative integer number of lines, got {context!r}")
    if callable(obj) and not inspect.isclass(obj):
        # decorated functions: quote (and name the file of) the function itself
        obj = inspect.unwrap(obj)
    try:
        lines, first = inspect.getsourcelines(obj)
        filename = inspect.getsourcefile(obj)
    except (TypeError, OSError) as exc:
        raise ValueError(
            f"cannot read the source of {obj!r}: pass a Python function, method or class ({exc})"
        ) from exc
    module = inspect.getmodule(obj)
    top = (module.__name__ if module else "").split(".")[0]
    package_root = Path(root) if root is not None else _package_parent(top, filename)
    try:
        shown_file = Path(filename).resolve().relative_to(package_root.resolve()).as_posix()
    except ValueError:
        shown_file = Path(filename).name
    keep: set[int] = set()
    for needle in needles:
        hits = [k for k, line in enumerate(lines) if needle in line]
        if not hits:
            name = getattr(obj, "__qualname__", repr(obj))
            raise ValueError(
                f"{needle!r} is not in the source of {name} ({shown_file}): "
                "the installed version differs from what the notebook describes"
            )
        for k in hits:
            keep.update(range(max(0, k - context), min(len(lines), k + context + 1)))
    qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", type(obj).__name__))
    out = [f"# {shown_file} · {qualname}"]
    previous = None
    for k in sorted(keep):
        if previous is not None and k != previous + 1:
            out.append("    ...")
        out.append(f"{first + k:5d}  {lines[k].rstrip()}")
        previous = k
    return "\n".join(out)


def source_order(obj, *needles: str) -> list[int]:
    """The line numbers at which ``needles`` occur in ``obj``'s source, each after the one before.

    ``source_excerpt`` proves that quoted lines exist; this proves their order. Each needle is
    looked for on the lines after the previous needle's line (the first needle anywhere), and
    its line number in the file is returned, so a notebook can also assert adjacency, e.g.
    ``second == first + 1`` for "just before". Raises ``AssertionError`` when a needle does not
    come after the previous one (or is missing), naming it.

    Introduced in 05_inside_fit.
    """
    if len(needles) < 2:
        raise ValueError("pass at least two pieces of text, in the order they must appear, "
                         "e.g. source_order(fn, 'tape.gradient', 'apply_gradients')")
    if callable(obj) and not inspect.isclass(obj):
        obj = inspect.unwrap(obj)
    try:
        lines, first = inspect.getsourcelines(obj)
    except (TypeError, OSError) as exc:
        raise ValueError(
            f"cannot read the source of {obj!r}: pass a Python function, method or class ({exc})"
        ) from exc
    name = getattr(obj, "__qualname__", repr(obj))
    found: list[int] = []
    start = 0
    for needle in needles:
        hit = next((k for k in range(start, len(lines)) if needle in lines[k]), None)
        if hit is None:
            where = (
                "in" if not found else f"after line {found[-1]} ({needles[len(found) - 1]!r}) in"
            )
            raise AssertionError(f"{needle!r} does not occur {where} the source of {name}")
        found.append(first + hit)
        start = hit + 1
    return found


def _package_parent(top: str, filename: str) -> Path:
    """The folder that contains the top-level package ``top`` (so paths print as top/...)."""
    path = Path(filename).resolve()
    for parent in path.parents:
        if parent.name == top:
            return parent.parent
    return path.parent

