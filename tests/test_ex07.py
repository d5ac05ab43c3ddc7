"""The checks of 07_speed_and_debugging accept a right answer, reject placeholder and wrong ones."""

import helpers

helpers.start(seed=0, show=False)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


# --- 07.1: the training cost of a Dense stack ------------------------------------------------
def training_flops(layer_sizes):
    forward = sum(2 * a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
    return 3 * forward - 2 * layer_sizes[0] * layer_sizes[1]


def with_data_gradient(layer_sizes):
    return 3 * sum(2 * a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))


def forward_only(layer_sizes):
    return sum(2 * a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))


def multiply_adds(layer_sizes):
    return training_flops(layer_sizes) // 2


def with_biases(layer_sizes):
    params = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
    return 3 * 2 * params - 2 * layer_sizes[0] * layer_sizes[1]


def as_float(layer_sizes):
    return float(training_flops(layer_sizes))


def test_training_flops():
    result = evaluate("07.1", training_flops)
    assert result.status == "passed" and "2,596,352" in result.message
    assert evaluate("07.1", lambda sizes: np.int64(training_flops(sizes))).status == "passed"
    expected = {
        with_data_gradient: "into the data",
        forward_only: "two products of the same size",
        multiply_adds: "multiply-add is two",
        with_biases: "biases",
        as_float: "return an int",
    }
    for wrong, phrase in expected.items():
        result = evaluate("07.1", wrong)
        assert result.status == "incorrect" and phrase in result.message, (wrong, result)

    def not_done(layer_sizes):
        raise NotImplementedError("Exercise 07.1: ...")

    assert evaluate("07.1", not_done).status == "not done"
    assert "not done yet" in evaluate("07.1", not_done).message


# --- 07.2: several steps per call --------------------------------------------------------------
def make_multi_step(step, steps_per_call):
    @tf.function
    def train_steps(iterator):
        loss = tf.constant(0.0)
        for _ in tf.range(steps_per_call):
            x, y = next(iterator)
            loss = step(x, y)
        return loss

    return train_steps


def unrolled(step, steps_per_call):
    @tf.function
    def train_steps(iterator):
        loss = tf.constant(0.0)
        for _ in range(steps_per_call):  # Python range: one copy of the step per iteration
            x, y = next(iterator)
            loss = step(x, y)
        return loss

    return train_steps


def one_step_only(step, steps_per_call):
    @tf.function
    def train_steps(iterator):
        x, y = next(iterator)
        return step(x, y)

    return train_steps


def not_compiled(step, steps_per_call):
    def train_steps(iterator):
        for _ in range(steps_per_call):
            x, y = next(iterator)
            loss = step(x, y)
        return loss

    return train_steps


def test_multi_step():
    result = evaluate("07.2", make_multi_step)
    assert result.status == "passed", result
    expected = {
        unrolled: "unrolled",
        one_step_only: "made one step",
        not_compiled: "tf.function",
    }
    for wrong, phrase in expected.items():
        result = evaluate("07.2", wrong)
        assert result.status == "incorrect" and phrase in result.message, (wrong, result)

    def not_done(step, steps_per_call):
        raise NotImplementedError("Exercise 07.2: ...")

    assert evaluate("07.2", not_done).status == "not done"
