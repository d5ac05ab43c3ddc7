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

One more line needs a filter for the whole session. With op determinism on, TensorFlow
2.21's tf.data rewrite turns a parallel ``map`` whose function holds a stateful op (Keras's
batching of NumPy arrays has one) into a sequential one and logs
``NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition``:
an ERROR-level line about an attribute the rewrite copies over, harmless for training and
rate-limited to about one every five seconds, so it comes back on later ``fit()`` calls.
After the import, ``import_tensorflow_quietly`` therefore routes fd 2 through a pipe that a
small thread reads; it drops lines matching ``PERSISTENT_NOISE`` (only that line) and
forwards everything else, unchanged, at once. (Not on Windows, where pipes cannot be
polled; there the line can still appear.) The one risk of such a relay is a C++ crash
that aborts the process before the thread forwards its last message; ipykernel forwards
fd 2 with the same kind of thread, so inside Jupyter this adds no new risk.
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
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
        r"^\s*$",
    )
]
# Lines filtered for the whole session (keep this list as short as possible).
PERSISTENT_NOISE = [
    re.compile(
        r"NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition"
    ),
]


def is_startup_noise(line: str) -> bool:
    """True for a line TensorFlow prints at every start-up (kept out of notebook outputs).

    Introduced in 01_gradient_tape.
    """
    return any(p.search(line) for p in _STARTUP_NOISE) or is_known_noise(line)


def is_known_noise(line: str) -> bool:
    """True for a line the session-long stderr filter drops (see ``PERSISTENT_NOISE``).

    Introduced in 01_gradient_tape.
    """
    return any(p.search(line) for p in PERSISTENT_NOISE)


class _StderrFilter:
    """Relay fd 2 through a pipe, dropping known-noise lines, forwarding the rest at once."""

    def __init__(self) -> None:
        import select
        import threading

        self._select = select.select
        self._target = os.dup(2)
        read_fd, write_fd = os.pipe()
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):
            pass
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._read = read_fd
        self._thread = threading.Thread(
            target=self._pump, name="helpers-stderr-filter", daemon=True
        )
        self._thread.start()

    def _forward(self, line: bytes) -> None:
        if not is_known_noise(line.decode("utf-8", errors="replace")):
            os.write(self._target, line)

    def _pump(self) -> None:
        pending = b""
        while True:
            ready, _, _ = self._select([self._read], [], [], 0.05 if pending else None)
            if not ready:  # a partial line waited 50 ms: forward it as it is
                self._forward(pending)
                pending = b""
                continue
            chunk = os.read(self._read, 65536)
            if not chunk:
                if pending:
                    self._forward(pending)
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._forward(line + b"\n")

    def close(self) -> None:
        """Put the original stderr back and forward what is still in the pipe."""
        os.dup2(self._target, 2)  # closes the pipe's last write end: the thread drains and stops
        self._thread.join(timeout=2.0)


_stderr_filter: _StderrFilter | None = None


class _KerasRetracingFilter:
    """Drop TensorFlow's retracing warning when it is about Keras's own step function.

    Keras builds a new ``tf.function`` for every model it trains; TensorFlow's retracing
    detector counts them together, so several short ``fit()`` calls in a row (exercise
    checks, re-run cells) warn "5 out of the last 8 calls to <function
    TensorFlowTrainer._make_function...> triggered tf.function retracing". Nothing is wrong
    and the learner cannot act on it. Retracing warnings about the learner's own functions
    (notebook 03 teaches them) pass through.
    """

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not (
            "triggered tf.function retracing" in message and "TensorFlowTrainer." in message
        )


def _install_log_filter() -> None:
    import logging

    logger = logging.getLogger("tensorflow")
    # In an interactive shell (a Jupyter kernel) TensorFlow sets its Python logger to INFO and
    # prints to stdout, e.g. "INFO:tensorflow:Collective all_reduce tensors: ..." on every
    # tf.distribute step (08_distributed); a script shows WARNING and above only. Do the same.
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _KerasRetracingFilter) for f in logger.filters):
        logger.addFilter(_KerasRetracingFilter())


def _install_stderr_filter() -> None:
    global _stderr_filter
    if (
        _stderr_filter is not None
        or os.name == "nt"
        or os.environ.get("HELPERS_STDERR_FILTER") == "0"
    ):
        return
    import atexit

    _stderr_filter = _StderrFilter()
    atexit.register(_stderr_filter.close)


@contextlib.contextmanager
def _start_up_lines_filtered() -> Iterator[None]:
    """Capture fd 2 for the duration; afterwards re-emit every line that is not start-up noise."""
    from .native_log import native_stderr

    lines: list[str] = []
    try:
        with native_stderr() as lines:
            yield
    finally:
        kept = [line for line in lines if not is_startup_noise(line)]
        if kept:
            print("\n".join(kept), file=sys.stderr)


def _check_cpu_devices(cpu_devices: int | None) -> None:
    if cpu_devices is not None and (
        isinstance(cpu_devices, bool) or not isinstance(cpu_devices, int) or cpu_devices < 1
    ):
        raise ValueError(
            f"cpu_devices must be a positive integer or None, got {cpu_devices!r}; "
            "for example helpers.start(seed=42, cpu_devices=2)"
        )


def split_cpu(tf: Any, cpu_devices: int) -> None:
    """Split the first physical CPU into ``cpu_devices`` logical devices (before initialisation).

    TensorFlow fixes its logical devices when it initialises them (the first op, or the first
    ``list_logical_devices``); afterwards the split cannot change for the life of the process.
    Asking again for the split that is already in place does nothing, so a re-run setup cell
    is fine; asking for a different one raises ``RuntimeError`` saying to restart the kernel.

    Introduced in 08_distributed.
    """
    _check_cpu_devices(cpu_devices)
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(cpu_devices)]
    configured = tf.config.get_logical_device_configuration(cpu)
    if configured is not None and len(configured) == cpu_devices:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError:  # devices already initialised
        have = len(tf.config.list_logical_devices("CPU"))
        if have != cpu_devices:
            raise RuntimeError(
                f"TensorFlow already runs with {have} CPU device(s) in this process and cannot "
                f"be split into {cpu_devices} now: restart the kernel and run the setup cell "
                f"(helpers.start(..., cpu_devices={cpu_devices})) first."
            ) from None


GPU_VARIABLE = "COURSE_GPU"  # COURSE_GPU=1 asks for the GPU, COURSE_GPU=0 hides it


def gpu_request(gpu: bool | None) -> tuple[bool, str]:
    """Whether the GPU is asked for, and by what: ``gpu`` if given, else ``$COURSE_GPU``.

    Returns ``(wanted, source)``; ``source`` is ``"gpu=True"``, ``"gpu=False"``,
    ``"COURSE_GPU=1"``, ``"COURSE_GPU=0"`` or ``""`` (nobody asked: the GPU stays hidden).

    Introduced in 01_gradient_tape.
    """
    if gpu is not None and not isinstance(gpu, bool):
        raise ValueError(
            f"gpu must be True, False or None, got {gpu!r}; for example "
            "helpers.start(seed=42, gpu=True) to train on the GPU"
        )
    if gpu is not None:
        return gpu, f"gpu={gpu}"
    value = os.environ.get(GPU_VARIABLE, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(
            f"{GPU_VARIABLE} must be 1 (use the GPU) or 0 (hide it), got {value!r}; "
            f"for example {GPU_VARIABLE}=1 jupyter lab"
        )
    return value == "1", f"{GPU_VARIABLE}={value}" if value else ""


@dataclass(frozen=True)
class DevicePlan:
    """What the course does with the GPUs TensorFlow finds (see ``plan_devices``).

    Introduced in 01_gradient_tape.
    """

    gpus: int  # physical GPUs found
    use_gpu: bool  # True: make them visible (memory growth on, TF32 off)
    note: str  # what the setup cell says about them ("" when there is no GPU nor a request)

    @property
    def hide_gpus(self) -> bool:
        return self.gpus > 0 and not self.use_gpu


def plan_devices(gpus: int, wanted: bool, source: str = "") -> DevicePlan:
    """The course's GPU rule, as a pure function of the GPUs found and the request.

    GPUs are hidden unless asked for: every stored output and timing of the course was made
    on a CPU. Asked for, they are used with memory growth (so child processes find memory
    left) and with TF32 off (so float32 products are float32, as on a CPU).

    Introduced in 01_gradient_tape.
    """
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        raise ValueError(f"gpus must be a count of GPUs (0 or more), got {gpus!r}")
    if not isinstance(wanted, bool):
        raise ValueError(f"wanted must be True or False, got {wanted!r}")
    a_gpu = "a GPU is" if gpus == 1 else f"{gpus} GPUs are"
    if gpus == 0:
        note = f"no GPU found, though {source} asks for one" if wanted else ""
        return DevicePlan(0, False, note)
    if wanted:
        used = "the GPU" if gpus == 1 else f"{gpus} GPUs"
        return DevicePlan(
            gpus, True, f"{used} used, as {source} asks; TF32 off, so float32 stays float32"
        )
    why = f"as {source} asks" if source else "helpers.start(gpu=True) uses it"
    return DevicePlan(gpus, False, f"{a_gpu} present and hidden{', ' if source else ': '}{why}")


def configure_gpus(tf: Any, wanted: bool, source: str = "") -> DevicePlan:
    """Apply ``plan_devices`` to ``tf``'s physical GPUs; call before devices are initialised.

    Hidden GPUs get no TensorFlow device, so no GPU memory is reserved on them.

    Introduced in 01_gradient_tape.
    """
    gpus = tf.config.list_physical_devices("GPU")
    plan = plan_devices(len(gpus), wanted, source)
    try:
        if plan.hide_gpus:
            tf.config.set_visible_devices([], "GPU")
        if plan.use_gpu:
            for device in gpus:
                tf.config.experimental.set_memory_growth(device, True)
    except RuntimeError:  # TensorFlow initialised its devices before the course could
        raise RuntimeError(
            "TensorFlow initialised its devices before helpers.start could decide about the "
            "GPU: restart the kernel and run the setup cell before anything else."
        ) from None
    if plan.use_gpu:
        tf.config.experimental.enable_tensor_float_32_execution(False)
    return plan


_device_plan: DevicePlan | None = None
_device_request: bool | None = None


def _apply_gpu_rule(tf: Any, gpu: bool | None) -> DevicePlan:
    """Decide once per process; later calls may repeat the decision but not change it."""
    global _device_plan, _device_request
    wanted, source = gpu_request(gpu)
    if _device_plan is not None:
        if gpu is not None and gpu != _device_request and _device_plan.gpus:
            raise RuntimeError(
                f"this process already runs with the GPU "
                f"{'in use' if _device_request else 'hidden'} and cannot change that now: "
                f"restart the kernel and run the setup cell (helpers.start(..., gpu={gpu})) first."
            )
        return _device_plan
    _device_plan = configure_gpus(tf, wanted, source)
    _device_request = wanted
    os.environ[GPU_VARIABLE] = "1" if wanted else "0"  # child processes follow this one
    return _device_plan


# With it, TensorFlow's CPU allocator keeps statistics (tf.config.experimental.get_memory_info).
MEMORY_STATS_VARIABLE = "TF_CPU_ALLOCATOR_USE_BFC"


def import_tensorflow_quietly(
    cpu_devices: int | None = None, gpu: bool | None = None, initialise_devices: bool = True,
    memory_stats: bool = False,
) -> Any:
    """Import TensorFlow (and initialise its devices) without the C++ start-up log lines.

    Returns the ``tensorflow`` module. Lines captured during import that are not known
    start-up notices are written back to ``sys.stderr``, so real problems stay visible.
    ``cpu_devices=N`` splits the CPU into N logical devices before they are initialised
    (see ``split_cpu``; introduced in 08_distributed). GPUs are hidden unless ``gpu=True``
    or ``COURSE_GPU=1`` asks for them (``plan_devices``); the first call decides, for the
    whole process and for the child processes it starts. ``initialise_devices=False`` runs
    no TensorFlow operation, for a program that must create a ``MultiWorkerMirroredStrategy``
    first (08_distributed). ``memory_stats=True`` makes TensorFlow's CPU allocator count the
    bytes it holds, so ``helpers.memory.peak_bytes`` can measure a step
    (10_beyond_the_standard_step); it too must come before TensorFlow is imported.

    Introduced in 01_gradient_tape.
    """
    _check_cpu_devices(cpu_devices)
    if not isinstance(memory_stats, bool):
        raise ValueError(f"memory_stats must be True or False, not {memory_stats!r}.")
    gpu_request(gpu)  # a bad argument fails before anything happens
    if "tensorflow" in sys.modules and getattr(sys.modules["tensorflow"], "__version__", None):
        tf = sys.modules["tensorflow"]
        if memory_stats and os.environ.get(MEMORY_STATS_VARIABLE) != "true":
            raise RuntimeError(
                "TensorFlow was imported without memory statistics and cannot count its memory "
                "now: restart the kernel and run the setup cell "
                "(helpers.start(..., memory_stats=True)) first."
            )
        _apply_gpu_rule(tf, gpu)
        if cpu_devices is not None:
            split_cpu(tf, cpu_devices)
        return tf
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if memory_stats:  # TensorFlow reads it once, when its CPU allocator is made
        os.environ[MEMORY_STATS_VARIABLE] = "true"
    with _start_up_lines_filtered():
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA probing happens here, still captured
        _apply_gpu_rule(tf, gpu)
        if cpu_devices is not None:
            split_cpu(tf, cpu_devices)
        if initialise_devices:
            tf.constant(0.0)  # first eager op: device initialisation
    _install_stderr_filter()
    _install_log_filter()
    return tf


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and make TensorFlow ops deterministic.

    With the same seed, a notebook run top to bottom gives the same numbers again, so its
    stored outputs can be compared by nbval.

    Introduced in 01_gradient_tape.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"seed must be a non-negative integer, got {seed!r}; for example seed_everything(42)"
        )
    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    # affects subprocesses; this process's hash seed is fixed at start
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the TensorFlow global seed together
    tf.config.experimental.enable_op_determinism()


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


def start(
    seed: int = 42, show: bool = True, cpu_devices: int | None = None, gpu: bool | None = None,
    memory_stats: bool = False,
) -> None:
    """The setup cell of every notebook: quiet TensorFlow, seeds, plot style, versions.

    After ``helpers.start(seed)``, ``import tensorflow as tf`` and ``import keras`` are
    instant and silent. ``cpu_devices=2`` splits the CPU into two logical devices, so that
    ``tf.distribute`` finds two replicas on any laptop (08_distributed); it must come before
    anything initialises TensorFlow's devices, so put it in the first setup cell that runs.
    A GPU stays hidden unless ``gpu=True`` (or ``COURSE_GPU=1`` in the environment) asks for
    it: see ``plan_devices`` and docs/devices.md. ``memory_stats=True`` lets
    ``helpers.memory.peak_bytes`` measure memory (10_beyond_the_standard_step).

    Introduced in 01_gradient_tape.
    """
    tf = import_tensorflow_quietly(cpu_devices=cpu_devices, gpu=gpu, memory_stats=memory_stats)
    seed_everything(seed)
    from . import plots

    plots.use_course_style()
    if show:
        info = versions()
        devices = ", ".join(sorted({d.device_type for d in tf.config.get_visible_devices()}))
        print(" | ".join(f"{k} {v}" for k, v in info.items()))
        notes = []
        if cpu_devices is not None and cpu_devices > 1:
            notes.append(f"split into {cpu_devices} logical devices")
        if _device_plan is not None and _device_plan.note:
            notes.append(_device_plan.note)
        if notes:
            devices += f" ({'; '.join(notes)})"
        print(f"Devices: {devices} | seed {seed} | op determinism on")
