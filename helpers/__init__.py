"""The course's helpers: data, plots, seeding, quiet TensorFlow start-up, training tools, checks.

What a notebook is teaching (the tape, the loop, the train step) is written in the notebook
itself; this package holds the rest. Importing it is cheap and does not import TensorFlow:
call ``helpers.start(seed)`` in the first cell of a notebook.
"""
from __future__ import annotations

import os as _os

# Must be in the environment before TensorFlow is first imported (see helpers.setup).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .claims import expect_error, finite_difference  # noqa: E402
from .setup import (  # noqa: E402
    import_tensorflow_quietly,
    is_known_noise,
    is_startup_noise,
    seed_everything,
    start,
    versions,
)

__all__ = [
    "expect_error", "finite_difference", "import_tensorflow_quietly", "is_known_noise",
    "is_startup_noise", "seed_everything", "start", "versions",
]
__version__ = "0.1.0"

_SUBMODULES = {
    "claims", "data", "distribute", "exercises", "explorers", "live", "memory", "native_log",
    "plots", "setup", "timing",
    "tracing",
}


def __getattr__(name: str):
    """``helpers.data``, ``helpers.plots``, ...: submodules load on first use."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
