"""Exercises that check themselves.

Each notebook ends with exercises. An exercise cell (tagged ``solution``) defines a function
or class and then calls ``check``::

    def second_derivative(f, x):
        # BEGIN SOLUTION
        ...the instructor's solution...
        # END SOLUTION

    check("01.1", second_derivative)

``check`` runs the learner's code on small cases and prints one friendly sentence: what is
right, or what is wrong and a hint. Every hint comes in two levels: the first nudges (it is
also what the learner edition's placeholder says), the second, ``more=``, is fuller and shown
on request: ``print(helpers.exercises.hint("01.2", more=True))``; "not done yet", "not quite"
and error messages say so. In the learner edition (``python3 course.py learner``)
the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become
``raise NotImplementedError(...)`` with the hint, and ``check`` reports "not done yet".

The checks for notebook NN live in ``helpers/exercises/exNN.py``; each is registered with
the ``@exercise(...)`` decorator below.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CheckResult", "Incorrect", "check", "evaluate", "exercise", "hint", "registry",
           "wrap"]


def tensorflow():
    """TensorFlow, started quietly: for checkers, which may run before any notebook cell did.

    Introduced in 01_gradient_tape.
    """
    from ..setup import import_tensorflow_quietly

    return import_tensorflow_quietly()


class Incorrect(Exception):
    """Raised inside a checker with one sentence saying what is wrong (shown to the learner)."""


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    hint: str
    checker: Callable[..., str]
    more: str = ""  # a second, fuller hint, shown on request: hint(id, more=True)


@dataclass(frozen=True)
class CheckResult:
    exercise_id: str
    status: str  # "passed", "incorrect", "not done", "error"
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = {"passed": "✅", "not done": "📝", "incorrect": "❌", "error": "❌"}[self.status]
        return f"{mark} Exercise {self.exercise_id}: {self.message}"


def _describe(value) -> str:
    """A few words for what a learner's function returned: "None", "a tensor of shape (5,)"."""
    if value is None:
        return "None"
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, type):
        kind = "a NumPy array" if type(value).__module__ == "numpy" else "a tensor"
        if tuple(shape) == ():
            return f"{kind} holding one number"
        return f"{kind} of shape {tuple(int(d) if d is not None else None for d in shape)}"
    if isinstance(value, (list, tuple, dict, set)):
        n = len(value)
        return f"a {type(value).__name__} of {n} item{'s' if n != 1 else ''}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"the number {value:g}"
    return f"a {type(value).__name__}"


def _as_number(value, what: str) -> float:
    """``value`` as a float, or ``Incorrect`` saying that ``what`` should be one number."""
    import numpy as np

    if isinstance(value, (str, bytes, bool)) or value is None:
        raise Incorrect(f"{what} should be a single number; you returned {_describe(value)}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Incorrect(
            f"{what} should be a single number; you returned {_describe(value)}") from None
    if array.size != 1:
        raise Incorrect(f"{what} should be a single number; you returned {_describe(value)}")
    return float(array.reshape(()))


_REGISTRY: dict[str, Exercise] = {}
RESULTS: dict[str, CheckResult] = {}  # the last result of each exercise, for tests
_loaded = False


def exercise(exercise_id: str, title: str, hint: str, more: str = ""):
    """Register a checker. The checker receives the learner's objects, raises ``Incorrect``
    with a friendly sentence when something is wrong, and returns a sentence of praise.

    Introduced in 00_index.
    """

    def register(checker: Callable[..., str]) -> Callable[..., str]:
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, hint, checker, more)
        return checker

    return register


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ex"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def registry() -> dict[str, Exercise]:
    """All exercises by id ("01.1", ...).

    Introduced in 00_index.
    """
    _load_all()
    return dict(_REGISTRY)


def hint(exercise_id: str, more: bool = False) -> str:
    """The hint for an exercise, as the learner edition's placeholder shows it; with
    ``more=True`` the second, fuller hint, wrapped for printing
    (``print(helpers.exercises.hint("01.2", more=True))``).

    Introduced in 00_index.
    """
    if not isinstance(more, bool):
        raise ValueError(f"more should be True (the fuller hint) or False (the first hint), "
                         f"not {more!r}.")
    ex = _get(exercise_id)
    if not more:
        return ex.hint
    if not ex.more:
        raise ValueError(f"exercise {exercise_id} has no fuller hint yet; "
                         f"hint({exercise_id!r}) gives its first hint.")
    return wrap(ex.more)


def _ask_for_more(exercise_id: str) -> str:
    """The sentence that tells a learner how to see an exercise's fuller hint ("" if none)."""
    if not _get(exercise_id).more:
        return ""
    return f' print(helpers.exercises.hint("{exercise_id}", more=True)) shows a fuller hint.'


def _get(exercise_id: str) -> Exercise:
    if not isinstance(exercise_id, str):
        raise ValueError(f"pass the exercise id as a string such as \"01.2\", not "
                         f"{exercise_id!r}.")
    _load_all()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ValueError(f"there is no exercise {exercise_id!r}; the exercises are {known}")
    return _REGISTRY[exercise_id]


def _sentence(text: str, limit: int | None = None) -> str:
    """``text`` on one line (its first), ending with exactly one full stop (or its own ? or !);
    cut to ``limit`` characters if given (long library errors)."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if limit is not None and len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    text = text.rstrip(" .")
    return text + ("" if text.endswith(("?", "!", "…")) else ".")


def _capitalized(text: str) -> str:
    """``text`` with its first word capitalized if that word is plain lower-case prose (not
    code such as ``history['loss']``, ``fit()`` or a one-letter variable)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isalpha() and first.islower():
        return text[0].upper() + text[1:]
    return text


def _raised_in_checker(exc: BaseException) -> bool:
    """True when the innermost frame of ``exc`` is a checker's own code, not the learner's."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    return Path(tb.tb_frame.f_code.co_filename).resolve().parent == _HERE


_HERE = Path(__file__).resolve().parent


def evaluate(exercise_id: str, *args, **kwargs) -> CheckResult:
    """Run an exercise's checker on the learner's objects and return the result (no printing).

    Introduced in 00_index.
    """
    ex = _get(exercise_id)
    hint_text = _sentence(ex.hint)
    more = _ask_for_more(exercise_id)
    try:
        praise = ex.checker(*args, **kwargs)
        result = CheckResult(exercise_id, "passed", _sentence(praise or "correct, well done"))
    except NotImplementedError:
        result = CheckResult(exercise_id, "not done", f"not done yet. Hint: {hint_text}{more}")
    except Incorrect as wrong:
        message = f"not quite. {_capitalized(_sentence(wrong))}{more}"
        result = CheckResult(exercise_id, "incorrect", message)
    except Exception as exc:  # pylint: disable=broad-except
        what = _sentence(f"{type(exc).__name__}: {exc}", limit=300)
        if _raised_in_checker(exc):  # the check tripped over what the learner's code returned
            message = (f"the check could not use what your code returned ({what.rstrip('.')}); "
                       f"compare it with what the task asks for. Hint: {hint_text}{more}")
        else:  # the learner's code failed: say how, in one line
            message = f"your code raised {what} Hint: {hint_text}{more}"
        result = CheckResult(exercise_id, "error", message)
    RESULTS[exercise_id] = result
    return result


def check(exercise_id: str, *args, **kwargs) -> None:
    """Check an exercise and print one sentence: what is right, or what to fix.

    Introduced in 00_index.
    """
    print(wrap(str(evaluate(exercise_id, *args, **kwargs))))


WIDTH = 88  # characters: a notebook's output area at its usual width, and a projected slide

# a space inside "0.28 / 989", "x = 2", "loss <= 0.5": kept, so a number never leaves its
# operator behind at the end of a line
_TIED = re.compile(r"(?<=\S) ([/=×<>≤≥≈+−*]|<=|>=|==|!=) (?=\S)")


def wrap(text: str, width: int = WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces, never inside a
    word, a number or a short formula such as ``0.28 / 989``; continuation lines are indented.

    Introduced in 00_index.
    """
    if not isinstance(width, int) or width < 20:
        raise ValueError(f"width should be a whole number of characters, at least 20, "
                         f"not {width!r}.")
    tied = _TIED.sub(lambda m: "\u00a0" + m.group(1) + "\u00a0", str(text))
    lines = textwrap.wrap(tied, width=width, subsequent_indent="   ", break_long_words=False,
                          break_on_hyphens=False)
    return "\n".join(line.replace("\u00a0", " ") for line in lines)
