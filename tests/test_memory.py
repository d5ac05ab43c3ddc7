"""helpers.memory: the peak bytes a step holds, counted by TensorFlow's allocator."""
import textwrap

import pytest
from test_setup import run_python


def test_peak_bytes_counts_what_a_step_makes_and_grows_with_the_batch():
    result = run_python("""
        import helpers
        helpers.start(seed=1, show=False, memory_stats=True)
        import tensorflow as tf
        from helpers.memory import peak_bytes, step_device

        print(step_device())
        for rows in (1000, 4000):
            x = tf.ones((rows, 250))  # made before: not counted
            f = tf.function(lambda x: tf.reduce_sum(x * 2.0))  # x * 2.0: rows * 1000 bytes
            f(x)
            print(peak_bytes(f, x, repeats=3))
        helpers.start(seed=1, show=False, memory_stats=True)  # the setup cell again: fine
    """)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    device, small, large = result.stdout.split()
    assert device == "CPU:0"
    # x * 2.0 is rows * 250 float32 = rows * 1000 bytes, plus a few small buffers
    assert 1_000_000 <= int(small) < 1_100_000
    assert 4_000_000 <= int(large) < 4_100_000


def test_without_memory_stats_the_error_says_how_to_start():
    result = run_python("""
        import helpers
        helpers.start(seed=1, show=False)
        from helpers.memory import peak_bytes
        try:
            peak_bytes(lambda: None)
        except RuntimeError as exc:
            print("refused:", exc)
        try:
            helpers.start(seed=1, show=False, memory_stats=True)
        except RuntimeError as exc:
            print("refused:", exc)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "refused: TensorFlow is not counting its memory in this process: restart the kernel "
        "and start with helpers.start(..., memory_stats=True).",
        "refused: TensorFlow was imported without memory statistics and cannot count its "
        "memory now: restart the kernel and run the setup cell "
        "(helpers.start(..., memory_stats=True)) first.",
    ]


@pytest.mark.parametrize("bad", [None, 3, "step"])
def test_peak_bytes_wants_a_function(bad):
    from helpers.memory import peak_bytes

    with pytest.raises(TypeError, match="peak_bytes expects a function to run"):
        peak_bytes(bad)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_repeats_must_be_a_positive_integer(bad):
    from helpers.memory import peak_bytes

    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        peak_bytes(lambda: None, repeats=bad)


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_memory_stats_must_be_a_bool(bad):
    import helpers

    with pytest.raises(ValueError, match=r"memory_stats must be True or False"):
        helpers.start(seed=1, show=False, memory_stats=bad)


def test_the_module_docstring_names_its_notebook():
    import helpers.memory

    assert "Introduced in 10_beyond_the_standard_step" in textwrap.dedent(helpers.memory.__doc__)
