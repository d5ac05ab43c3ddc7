"""Small tools that let a notebook assert what it claims."""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator


@contextlib.contextmanager
def expect_error(
    error_type: type[BaseException] | tuple[type[BaseException], ...], match: str | None = None
) -> Iterator[None]:
    """Run a block that must raise ``error_type``; print the error's first line.

    Fails (``AssertionError``) when the block does not raise, raises something else, or the
    message does not contain the regular expression ``match``. The stored output then
    shows the learner the real error message, while the notebook keeps running.

    Introduced in 01_gradient_tape.
    """
    def is_exception_class(t: object) -> bool:
        return isinstance(t, type) and issubclass(t, BaseException)

    if not is_exception_class(error_type) and not (
        isinstance(error_type, tuple) and all(is_exception_class(t) for t in error_type)
    ):
        raise ValueError(
            f"error_type must be an exception class such as ValueError, got {error_type!r}"
        )
    try:
        yield
    except error_type as exc:
        message = str(exc).strip()
        if match is not None and not re.search(match, message):
            raise AssertionError(
                f"the error was raised, but its message does not match {match!r}: {message!r}"
            ) from exc
        first_line = message.splitlines()[0] if message else ""
        print(f"{type(exc).__name__}: {first_line}")
    else:
        if isinstance(error_type, type):
            names = error_type.__name__
        else:
            names = " or ".join(t.__name__ for t in error_type)
        raise AssertionError(f"expected {names}, but the code ran without raising it")


def finite_difference(f, x, eps: float = 1e-4):
    """Central finite-difference gradient of a scalar function ``f`` at ``x``, in float64.

    ``f`` takes a NumPy array shaped like ``x`` and returns a number. Each element of ``x``
    is nudged by ``±eps`` in turn: ``(f(x + eps) - f(x - eps)) / (2 eps)``. Used to check
    gradients from ``tf.GradientTape`` against an answer that does not use autodiff at all.

    Introduced in 01_gradient_tape.
    """
    import numpy as np

    if not eps > 0:
        raise ValueError(f"eps must be a small positive number such as 1e-4, got {eps!r}")
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
    return grad
