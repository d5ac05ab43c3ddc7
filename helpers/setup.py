"""Start TensorFlow quietly, seed everything, report versions.

TensorFlow's C++ runtime writes start-up lines (absl, oneDNN, CPU features, CUDA probing)
straight to the process's file descriptor 2. In JupyterLab those land in the notebook as
red output. This module:

* sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the user set it) so INFO and WARNING lines from
  C++ are filtered for the whole session, while ERROR lines still show;
* during the import of TensorFlow and the first device initialisation only, points fd 2 at
  a temporary file, then restores it and re-emits every captured line that is not one of
  the known start-up notices. A real error at import time is therefore still shown, and
  anything written to stderr afterwards reaches the notebook as usual.

One more line needs the same treatment. With op determinism on, TensorFlow 2.21's tf.data
rewrite turns Keras's parallel ``map`` into a sequential one and logs, once per process,
``NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition``
(an ERROR-level line about an attribute the rewrite copies over; training is unaffected).
``seed_everything`` triggers that rewrite once, with a three-sample ``fit()`` inside the
same capture, so the line never reaches a notebook and later errors still do.
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

# Known start-up notices: printed on every start, say nothing the learner can act on.
_STARTUP_NOISE = [
    re.compile(p)
    for p in (
        r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
        r"oneDNN custom operations are on",
        r"Could not find cuda drivers on your machine",
        r"failed call to cuInit",
        r"cpu_feature_guard\.cc",
        r"This TensorFlow binary is optimized to use available CPU instructions",
        r"^To enable the following instructions:",
        r"rebuild TensorFlow with the appropriate compiler flags",
        r"Unable to register cu(DNN|FFT|BLAS) factory",
        r"computation placer already registered",
        r"TF-TRT Warning: Could not find TensorRT",
        r"cuda_(platform|executor|diagnostics)\.cc",
        r"NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition",
        r"^\s*$",
    )
]


def is_startup_noise(line: str) -> bool:
    """True for a line TensorFlow prints at every start-up (kept out of notebook outputs).

    Introduced in 01_gradient_tape.
    """
    return any(p.search(line) for p in _STARTUP_NOISE)


@contextlib.contextmanager
def _start_up_lines_filtered() -> Iterator[None]:
    """Capture fd 2 for the duration; afterwards re-emit every line that is not start-up noise."""
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            capture.seek(0)
            captured = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in captured.splitlines() if not is_startup_noise(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def import_tensorflow_quietly() -> Any:
    """Import TensorFlow (and initialise its devices) without the C++ start-up log lines.

    Returns the ``tensorflow`` module. Lines captured during import that are not known
    start-up notices are written back to ``sys.stderr``, so real problems stay visible.

    Introduced in 01_gradient_tape.
    """
    if "tensorflow" in sys.modules and getattr(sys.modules["tensorflow"], "__version__", None):
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _start_up_lines_filtered():
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA probing happens here, still captured
        tf.constant(0.0)  # first eager op: device initialisation
    return tf


_determinism_warmed_up = False


def _warm_up_determinism() -> None:
    """Run the tf.data determinism rewrite once, inside the capture (see the module docstring)."""
    global _determinism_warmed_up
    if _determinism_warmed_up:
        return
    import keras
    import numpy as np

    with _start_up_lines_filtered():
        x = np.zeros((3, 1), dtype="float32")
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, x, batch_size=2, epochs=1, verbose=0, validation_data=(x, x))
    keras.backend.clear_session()  # forget the warm-up model: layer names start again at "dense"
    _determinism_warmed_up = True


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and make TensorFlow ops deterministic.

    With the same seed, a notebook run top to bottom gives the same numbers again, so its
    stored outputs can be compared by nbval.

    Introduced in 01_gradient_tape.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}; for example seed_everything(42)")
    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses; this process's hash seed is fixed at start
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the TensorFlow global seed together
    tf.config.experimental.enable_op_determinism()
    _warm_up_determinism()
    keras.utils.set_random_seed(seed)  # again: the warm-up drew random numbers


def versions() -> dict[str, str]:
    """The versions the course is running on, for the setup cell of each notebook.

    Introduced in 01_gradient_tape.
    """
    tf = import_tensorflow_quietly()
    import keras
    import matplotlib
    import numpy as np

    return {
        "Python": sys.version.split()[0],
        "TensorFlow": tf.__version__,
        "Keras": f"{keras.__version__} ({keras.backend.backend()} backend)",
        "NumPy": np.__version__,
        "Matplotlib": matplotlib.__version__,
    }


def start(seed: int = 42, show: bool = True) -> None:
    """The setup cell of every notebook: quiet TensorFlow, seeds, plot style, versions.

    After ``helpers.start(seed)``, ``import tensorflow as tf`` and ``import keras`` are
    instant and silent.

    Introduced in 01_gradient_tape.
    """
    tf = import_tensorflow_quietly()
    seed_everything(seed)
    from . import plots

    plots.use_course_style()
    if show:
        info = versions()
        devices = ", ".join(sorted({d.device_type for d in tf.config.list_physical_devices()}))
        print(" | ".join(f"{k} {v}" for k, v in info.items()))
        print(f"Devices: {devices} | seed {seed} | op determinism on")
