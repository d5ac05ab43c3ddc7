"""Quiet TensorFlow start-up, seeding and versions."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import helpers


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)


def test_raw_import_is_noisy_but_helpers_start_is_silent():
    # The control: a plain import of TensorFlow really does print start-up lines here,
    # so the silence below is the helper's doing.
    raw = run_python("import tensorflow as tf; tf.constant(1.0)")
    assert raw.returncode == 0, raw.stderr
    assert raw.stderr.strip(), "expected TensorFlow's C++ start-up lines from a plain import"

    quiet = run_python("""
        import helpers
        helpers.start(seed=1)
        import numpy as np, keras
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((10, 2), "float32"), np.ones((10, 1), "float32"), batch_size=4, verbose=0)
        print("trained")
    """)
    assert quiet.returncode == 0, quiet.stderr
    assert "trained" in quiet.stdout
    assert quiet.stderr == "", f"unexpected stderr: {quiet.stderr!r}"


def test_later_errors_still_reach_stderr():
    result = run_python("""
        import os, helpers
        helpers.start(seed=1, show=False)
        os.write(2, b"a later C++ error line\\n")
        import tensorflow as tf
        try:
            tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])
        except Exception as exc:
            print(type(exc).__name__)
    """)
    assert "a later C++ error line" in result.stderr
    assert "InvalidArgumentError" in result.stdout


def test_unknown_start_up_lines_are_not_swallowed():
    assert helpers.is_startup_noise("I0000 port.cc:153] oneDNN custom operations are on.")
    assert helpers.is_startup_noise("E0000 cuda_platform.cc:52] failed call to cuInit: INTERNAL")
    assert not helpers.is_startup_noise("E0000 some_op.cc:12] Out of memory while allocating")
    assert not helpers.is_startup_noise("ImportError: libcudart.so.12 not found")


def test_seed_everything_reproduces_random_draws():
    import keras
    import tensorflow as tf

    def draws(seed):
        helpers.seed_everything(seed)
        layer = keras.layers.Dense(2)
        layer.build((None, 3))  # its kernel gets random initial values
        return (np.random.rand(3), tf.random.uniform((3,)).numpy(),
                keras.random.normal((3,), seed=None).numpy(), layer.kernel.numpy())

    first, second, other = draws(7), draws(7), draws(8)
    for a, b, c in zip(first, second, other, strict=True):
        np.testing.assert_array_equal(a, b)  # the same seed gives the same values
        assert not np.array_equal(a, c)  # and another seed other values


def test_seeded_training_is_bitwise_reproducible():
    import keras

    def train():
        helpers.seed_everything(3)
        x = np.random.rand(64, 5).astype("float32")
        y = (x.sum(axis=1) > 2.5).astype("int32")
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(2)])
        model.compile(optimizer="adam",
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=True)
        return [w.copy() for w in model.get_weights()]

    for a, b in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True, None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        helpers.seed_everything(bad)


def test_versions_match_the_pins():
    info = helpers.versions()
    assert info["TensorFlow"] == "2.21.0"
    assert info["Keras"].startswith("3.") and "tensorflow backend" in info["Keras"]


def test_the_session_filter_drops_only_the_known_line():
    result = run_python("""
        import os, helpers
        helpers.start(seed=1, show=False)
        os.write(2, b"before\\n")
        os.write(2, b"E0000 node_def_util.cc:682] NodeDef mentions attribute "
                    b"use_unbounded_threadpool which is not in the op definition: "
                    b"Op<name=MapDataset>\\n")
        os.write(2, b"E0000 some_kernel.cc:1] a real error\\nno newline at the end")
    """)
    assert result.returncode == 0
    assert result.stderr == "before\nE0000 some_kernel.cc:1] a real error\nno newline at the end"
    assert helpers.is_known_noise(
        "NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition"
    )
    # start-up lines are filtered only at start-up
    assert not helpers.is_known_noise("failed call to cuInit")


def test_fits_on_arrays_far_apart_stay_silent():
    # TensorFlow rate-limits the determinism-rewrite line to about one per 5 s: a warm-up
    # would hide only the first one. Two fits 6 s apart check the session-long filter.
    result = run_python("""
        import time, helpers
        helpers.start(seed=1, show=False)
        import numpy as np, keras
        # 100 = 3 x 32 + 4: a partial last batch, as with MNIST at 128
        x = np.ones((100, 3), "float32")
        for _ in range(2):
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(x, x[:, :1], batch_size=32, verbose=0, shuffle=True)
            time.sleep(6)
        print("done")
    """)
    assert "done" in result.stdout
    assert result.stderr == "", result.stderr

    control = run_python("""
        import os
        os.environ["HELPERS_STDERR_FILTER"] = "0"
        import helpers
        helpers.start(seed=1, show=False)
        import numpy as np, keras
        x = np.ones((100, 3), "float32")
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, x[:, :1], batch_size=32, verbose=0, shuffle=True)
    """)
    # the line is real: without the filter it shows
    assert "use_unbounded_threadpool" in control.stderr


def test_retracing_warnings_about_keras_internals_are_dropped_but_yours_are_not():
    result = run_python("""
        import helpers
        helpers.start(seed=1, show=False)
        import numpy as np, keras, tensorflow as tf
        x = np.ones((8, 3), "float32")
        for _ in range(8):  # many tiny fits: Keras makes a new step function each time
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(x, x[:, :1], batch_size=8, verbose=0)
        for n in range(1, 9):  # your own function, retraced for every new Python value
            @tf.function
            def square(v):
                return v * v
            square(tf.ones((n,)))
    """)
    assert "TensorFlowTrainer" not in result.stderr
    assert "triggered tf.function retracing" in result.stderr and "square" in result.stderr


def test_cpu_devices_splits_the_cpu_and_a_rerun_is_harmless_but_a_change_is_refused():
    result = run_python("""
        import helpers
        helpers.start(seed=1, cpu_devices=2)
        import tensorflow as tf
        print("logical", [d.name for d in tf.config.list_logical_devices("CPU")])
        helpers.start(seed=1, cpu_devices=2)  # the setup cell run again: nothing happens
        helpers.start(seed=1, show=False)  # another notebook's setup cell: nothing happens
        print("again", len(tf.config.list_logical_devices("CPU")))
        for bad in (3, 1):
            try:
                helpers.start(seed=1, show=False, cpu_devices=bad)
            except RuntimeError as exc:
                print("refused:", exc)
        print("still", len(tf.config.list_logical_devices("CPU")))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"unexpected stderr: {result.stderr!r}"
    lines = result.stdout.splitlines()
    assert "Devices: CPU (split into 2 logical devices) | seed 1 | op determinism on" in lines
    assert "logical ['/device:CPU:0', '/device:CPU:1']" in lines
    assert "again 2" in lines and "still 2" in lines
    refusals = [line for line in lines if line.startswith("refused:")]
    assert refusals == [
        f"refused: TensorFlow already runs with 2 CPU device(s) in this process and cannot be "
        f"split into {n} now: restart the kernel and run the setup cell "
        f"(helpers.start(..., cpu_devices={n})) first."
        for n in (3, 1)
    ]


def test_cpu_devices_after_a_plain_start_is_refused_with_one_sentence():
    result = run_python("""
        import helpers
        helpers.start(seed=1, show=False)
        helpers.start(seed=1, show=False, cpu_devices=1)  # what is already there: fine
        try:
            helpers.start(seed=1, show=False, cpu_devices=2)
        except RuntimeError as exc:
            print(exc)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(
        "TensorFlow already runs with 1 CPU device(s) in this process and cannot be split into 2"
    )
    assert result.stdout.count("\n") == 1 and result.stdout.count(". ") == 0


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2"])
def test_cpu_devices_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match=r"cpu_devices must be a positive integer or None"):
        helpers.start(seed=1, show=False, cpu_devices=bad)


def test_tensorflow_info_logs_stay_off_in_an_interactive_shell():
    code = """
        import logging, sys
        sys.ps1 = ">>> "  # what an interactive shell (a Jupyter kernel) defines
        {start}
        import tensorflow as tf
        print(logging.getLevelName(tf.get_logger().level))
    """
    raw = run_python(code.format(start="import tensorflow"))
    quiet = run_python(code.format(start="import helpers; helpers.start(seed=1, show=False)"))
    assert raw.stdout.split() == ["INFO"], raw.stderr  # the control: TensorFlow's own choice
    assert quiet.stdout.split() == ["WARNING"], quiet.stderr


# --- The GPU rule: hidden unless asked for. No GPU here: the devices are faked. -----------
def test_plan_devices_hides_a_gpu_unless_asked_and_says_why():
    from helpers.setup import DevicePlan, plan_devices

    assert plan_devices(0, False) == DevicePlan(0, False, "")  # CPU only: nothing to say
    assert plan_devices(0, True, "gpu=True").note == "no GPU found, though gpu=True asks for one"
    hidden = plan_devices(1, False)
    assert hidden.hide_gpus and not hidden.use_gpu
    assert hidden.note == "a GPU is present and hidden: helpers.start(gpu=True) uses it"
    assert plan_devices(2, False, "COURSE_GPU=0").note == (
        "2 GPUs are present and hidden, as COURSE_GPU=0 asks"
    )
    used = plan_devices(1, True, "gpu=True")
    assert used.use_gpu and not used.hide_gpus
    assert used.note == "the GPU used, as gpu=True asks; TF32 off, so float32 stays float32"
    assert plan_devices(2, True, "COURSE_GPU=1").note.startswith("2 GPUs used, as COURSE_GPU=1")
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match="count of GPUs"):
            plan_devices(bad, False)


class FakeConfig:
    """tf.config with a given list of GPUs, recording what is asked of it."""

    def __init__(self, gpus, initialised=False):
        self.gpus, self.initialised, self.calls = gpus, initialised, []
        self.experimental = self

    def list_physical_devices(self, device_type=None):
        assert device_type == "GPU"
        return list(self.gpus)

    def set_visible_devices(self, devices, device_type=None):
        if self.initialised:
            raise RuntimeError("Visible devices cannot be modified after being initialized")
        self.calls.append(("visible", list(devices), device_type))

    def set_memory_growth(self, device, enable):
        self.calls.append(("memory growth", device, enable))

    def enable_tensor_float_32_execution(self, enabled):
        self.calls.append(("tf32", enabled))


@pytest.mark.parametrize(
    "gpus, wanted, calls",
    [
        ([], False, []),
        ([], True, []),
        (["GPU:0"], False, [("visible", [], "GPU")]),
        (["GPU:0", "GPU:1"], False, [("visible", [], "GPU")]),
        (["GPU:0", "GPU:1"], True, [("memory growth", "GPU:0", True),
                                    ("memory growth", "GPU:1", True), ("tf32", False)]),
    ],
)
def test_configure_gpus_hides_or_uses_what_it_finds(gpus, wanted, calls):
    from types import SimpleNamespace

    from helpers.setup import configure_gpus

    fake = SimpleNamespace(config=FakeConfig(gpus))
    plan = configure_gpus(fake, wanted, "gpu=True" if wanted else "")
    assert fake.config.calls == calls
    assert plan.gpus == len(gpus) and plan.use_gpu == (wanted and bool(gpus))


def test_configure_gpus_after_initialisation_says_to_restart():
    from types import SimpleNamespace

    from helpers.setup import configure_gpus

    fake = SimpleNamespace(config=FakeConfig(["GPU:0"], initialised=True))
    with pytest.raises(RuntimeError, match="restart the kernel and run the setup cell"):
        configure_gpus(fake, False)


def test_gpu_request_reads_the_argument_then_the_environment(monkeypatch):
    from helpers.setup import gpu_request

    monkeypatch.delenv("COURSE_GPU", raising=False)
    assert gpu_request(None) == (False, "")
    assert gpu_request(True) == (True, "gpu=True")
    monkeypatch.setenv("COURSE_GPU", "1")
    assert gpu_request(None) == (True, "COURSE_GPU=1")
    assert gpu_request(False) == (False, "gpu=False")  # the argument wins
    monkeypatch.setenv("COURSE_GPU", "yes")
    with pytest.raises(ValueError, match=r"COURSE_GPU must be 1 \(use the GPU\) or 0"):
        gpu_request(None)
    for bad in (1, "True", 0.0):
        with pytest.raises(ValueError, match="gpu must be True, False or None"):
            helpers.start(seed=1, show=False, gpu=bad)


# Real TensorFlow in a new process, told there is a GPU: list_physical_devices("GPU") returns
# a fake one, and set_memory_growth (which would refuse a device that is not there) records.
FAKE_GPU = """
    import json, os, tensorflow as tf
    real_list = tf.config.list_physical_devices
    fake = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    tf.config.list_physical_devices = (
        lambda device_type=None: [fake] if device_type == "GPU" else real_list(device_type))
    grown = []
    tf.config.experimental.set_memory_growth = lambda device, on: grown.append(on)
    import helpers
"""


def with_fake_gpu(code: str, inherit: bool = False) -> str:
    # inherit=False: forget the COURSE_GPU that the pytest process's own helpers.start set
    forget = "" if inherit else "import os; os.environ.pop('COURSE_GPU', None)\n"
    return forget + textwrap.dedent(FAKE_GPU) + textwrap.dedent(code)


def other_stderr(result) -> list[str]:
    """stderr without the start-up lines of the plain ``import tensorflow`` that fakes the GPU."""
    return [line for line in result.stderr.splitlines() if not helpers.is_startup_noise(line)]


def test_a_present_gpu_is_hidden_by_default_and_named_in_one_line():
    result = run_python(with_fake_gpu("""
        helpers.start(seed=1, cpu_devices=2)
        print([d.device_type for d in tf.config.get_visible_devices()], grown,
              tf.config.experimental.tensor_float_32_execution_enabled(), os.environ["COURSE_GPU"])
        helpers.start(seed=1, show=False)  # the setup cell again: fine
        try:
            helpers.start(seed=1, show=False, gpu=True)
        except RuntimeError as exc:
            print(exc)
    """))
    assert result.returncode == 0 and other_stderr(result) == [], result.stderr
    assert result.stdout.splitlines()[1:] == [
        "Devices: CPU (split into 2 logical devices; a GPU is present and hidden: "
        "helpers.start(gpu=True) uses it) | seed 1 | op determinism on",
        "['CPU'] [] True 0",
        "this process already runs with the GPU hidden and cannot change that now: restart the "
        "kernel and run the setup cell (helpers.start(..., gpu=True)) first.",
    ]


def test_an_asked_for_gpu_is_used_with_tf32_off_and_child_processes_follow():
    child = with_fake_gpu("""
        tf = helpers.import_tensorflow_quietly()  # as 06's script does: no argument
        plan = helpers.setup._device_plan
        print(plan.use_gpu, grown, tf.config.experimental.tensor_float_32_execution_enabled())
    """, inherit=True)
    result = run_python(with_fake_gpu(f"""
        import subprocess, sys
        helpers.start(seed=1, gpu=True)
        print(grown, tf.config.experimental.tensor_float_32_execution_enabled())
        print(subprocess.run([sys.executable, "-c", {child!r}],
                             capture_output=True, text=True).stdout, end="")
    """))
    assert result.returncode == 0 and other_stderr(result) == [], result.stderr
    assert result.stdout.splitlines()[1:] == [
        "Devices: CPU (the GPU used, as gpu=True asks; TF32 off, so float32 stays float32) | "
        "seed 1 | op determinism on",  # CPU only: the fake GPU never becomes a real device
        "[True] False",
        "True [True] False",  # the child read COURSE_GPU=1: GPU used, TF32 off there too
    ]


def test_a_machine_without_gpu_prints_what_it_always_printed():
    result = run_python("""
        import helpers
        helpers.start(seed=42)
    """)
    assert result.stdout.splitlines()[1] == "Devices: CPU | seed 42 | op determinism on"


def test_initialise_devices_false_leaves_tensorflow_uninitialised():
    code = """
        import helpers
        tf = helpers.import_tensorflow_quietly(initialise_devices={flag})
        from tensorflow.python.eager import context
        print(context.context()._context_handle is None)
    """
    assert run_python(code.format(flag=False)).stdout.split() == ["True"]  # e.g. for 08's worker
    assert run_python(code.format(flag=True)).stdout.split() == ["False"]  # the control
