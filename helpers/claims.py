"""Small tools that let a notebook assert what it claims."""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator


@contextlib.contextmanager
def expect_error(error_type: type[BaseException] | tuple[type[BaseException], ...], match: str | None = None) -> Iterator[None]:
    """Run a block that must raise ``error_type``; print the error's first line.

    Fails (``AssertionError``) when the block does not raise, raises something else, or the
    message does not contain the regular expression ``match``. The stored output then
    shows the learner the real error message, while the notebook keeps running.

    Introduced in 01_gradient_tape.
    """
    if not (isinstance(error_type, type) and issubclass(error_type, BaseException)) and not (
        isinstance(error_type, tuple) and all(isinstance(t, type) and issubclass(t, BaseException) for t in error_type)
    ):
        raise ValueError(f"error_type must be an exception class such as ValueError, got {error_type!r}")
    try:
        yield
    except error_type as exc:
        message = str(exc).strip()
        if match is not None and not re.search(match, message):
            raise AssertionError(f"the error was raised, but its message does not match {match!r}: {message!r}") from exc
        first_line = message.splitlines()[0] if message else ""
        print(f"{type(exc).__name__}: {first_line}")
    else:
        names = error_type.__name__ if isinstance(error_type, type) else " or ".join(t.__name__ for t in error_type)
        raise AssertionError(f"expected {names}, but the code ran without raising it")
