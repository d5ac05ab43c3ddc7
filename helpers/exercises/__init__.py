"""Exercises that check themselves.

Each notebook ends with exercises. An exercise cell (tagged ``solution``) defines a function
or class and then calls ``check``::

    def second_derivative(f, x):
        # BEGIN SOLUTION
        ...the instructor's solution...
        # END SOLUTION

    check("01.1", second_derivative)

``check`` runs the learner's code on small cases and prints one friendly sentence: what is
right, or what is wrong and a hint. In the learner edition (``python3 course.py learner``)
the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become
``raise NotImplementedError(...)`` with the hint, and ``check`` reports "not done yet".

The checks for notebook NN live in ``helpers/exercises/exNN.py``; each is registered with
the ``@exercise(...)`` decorator below.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CheckResult", "Incorrect", "check", "evaluate", "exercise", "hint", "registry"]


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


_REGISTRY: dict[str, Exercise] = {}
RESULTS: dict[str, CheckResult] = {}  # the last result of each exercise, for tests
_loaded = False


def exercise(exercise_id: str, title: str, hint: str):
    """Register a checker. The checker receives the learner's objects, raises ``Incorrect``
    with a friendly sentence when something is wrong, and returns a sentence of praise.

    Introduced in 00_index.
    """

    def register(checker: Callable[..., str]) -> Callable[..., str]:
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, hint, checker)
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


def hint(exercise_id: str) -> str:
    """The hint for an exercise, as the learner edition's placeholder shows it.

    Introduced in 00_index.
    """
    return _get(exercise_id).hint


def _get(exercise_id: str) -> Exercise:
    _load_all()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ValueError(f"there is no exercise {exercise_id!r}; the exercises are {known}")
    return _REGISTRY[exercise_id]


def evaluate(exercise_id: str, *args, **kwargs) -> CheckResult:
    """Run an exercise's checker on the learner's objects and return the result (no printing).

    Introduced in 00_index.
    """
    ex = _get(exercise_id)
    try:
        praise = ex.checker(*args, **kwargs)
        result = CheckResult(exercise_id, "passed", praise or "correct, well done.")
    except NotImplementedError:
        result = CheckResult(exercise_id, "not done", f"not done yet. Hint: {ex.hint}")
    except Incorrect as wrong:
        result = CheckResult(exercise_id, "incorrect", f"not quite. {wrong}")
    except Exception as exc:  # the learner's code failed: say how, in one line
        result = CheckResult(
            exercise_id, "error",
            f"your code raised {type(exc).__name__}: {exc}. Hint: {ex.hint}",
        )
    RESULTS[exercise_id] = result
    return result


def check(exercise_id: str, *args, **kwargs) -> None:
    """Check an exercise and print one sentence: what is right, or what to fix.

    Introduced in 00_index.
    """
    print(evaluate(exercise_id, *args, **kwargs))
