"""helpers.native_log catches what C++ code and Python write to fd 2, and restores stderr."""
import os
import re

import pytest

import helpers

helpers.start(seed=0, show=False)

from helpers.native_log import FLOAT16_NOTICES, native_stderr, unexpected_lines  # noqa: E402


def test_captures_fd2_writes(capfd):
    with native_stderr() as lines:
        os.write(2, b"from C++ (fd 2)\n\n")
        os.write(2, b"second line\n")
    assert lines == ["from C++ (fd 2)", "second line"]
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"  # fd 2 is back


def test_restores_stderr_when_the_block_raises(capfd):
    with pytest.raises(RuntimeError):
        with native_stderr() as lines:
            os.write(2, b"before the error\n")
            raise RuntimeError("boom")
    assert lines == ["before the error"]
    os.write(2, b"still works\n")
    assert capfd.readouterr().err == "still works\n"


def test_a_float16_op_writes_only_known_notices():
    import tensorflow as tf

    with native_stderr() as lines:
        half = tf.float16
        product = tf.cast(tf.constant([3e-3]), half) * tf.cast(tf.constant([2e-3]), half)
    assert product.dtype == tf.float16
    assert unexpected_lines(lines) == []


def test_unexpected_lines_keeps_what_no_pattern_allows():
    notice = ("E0000 util.cc:131] oneDNN supports DT_HALF only on platforms with AVX-512. "
              "Falling back")
    assert unexpected_lines([notice, "a real error"]) == ["a real error"]
    assert unexpected_lines(["x1", "y"], allowed=[re.compile(r"^x\d")]) == ["y"]
    assert FLOAT16_NOTICES[0].search(notice)


def test_unexpected_lines_rejects_bad_input():
    with pytest.raises(ValueError, match="list of lines"):
        unexpected_lines("one string")
    with pytest.raises(ValueError, match="compiled regular expressions"):
        unexpected_lines(["a"], allowed=["not compiled"])
