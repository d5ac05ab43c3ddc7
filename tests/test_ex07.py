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


# --- 07.2: several steps per call, to the end of the data ---------------------------------------
def make_multi_step(step, steps_per_call):
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0)
        for _ in tf.range(steps_per_call):
            batch = iterator.get_next_as_optional()
            if not batch.has_value():
                break
            x, y = batch.get_value()
            step(x, y)
            done += 1
        return done

    return train_steps


def draws_one_too_many(step, steps_per_call):  # the next batch is drawn before the test
    @tf.function
    def train_steps(iterator):
        def body(done, batch):
            x, y = batch.get_value()
            step(x, y)
            return done + 1, iterator.get_next_as_optional()

        done, _ = tf.while_loop(
            lambda done, batch: tf.logical_and(done < steps_per_call, batch.has_value()),
            body, (tf.constant(0), iterator.get_next_as_optional()))
        return done

    return train_steps


def with_next(step, steps_per_call):  # the lesson's loop: raises when the data runs out
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0)
        for _ in tf.range(steps_per_call):
            x, y = next(iterator)
            step(x, y)
            done += 1
        return done

    return train_steps


def counts_turns(step, steps_per_call):  # returns steps_per_call even after a short call
    @tf.function
    def train_steps(iterator):
        for _ in tf.range(steps_per_call):
            batch = iterator.get_next_as_optional()
            if not batch.has_value():
                break
            step(*batch.get_value())
        return tf.constant(steps_per_call)

    return train_steps


def whole_iterator(step, steps_per_call):  # forgets steps_per_call: one call runs everything
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0)
        for x, y in iterator:
            step(x, y)
            done += 1
        return done

    return train_steps


def counts_without_training(step, steps_per_call):  # draws the batches, never steps
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0)
        for _ in tf.range(steps_per_call):
            batch = iterator.get_next_as_optional()
            if not batch.has_value():
                break
            done += 1
        return done

    return train_steps


def returns_nothing(step, steps_per_call):
    inner = make_multi_step(step, steps_per_call)

    def train_steps(iterator):
        inner(iterator)

    return train_steps


def not_compiled(step, steps_per_call):
    def train_steps(iterator):
        done = 0
        for _ in range(steps_per_call):
            batch = iterator.get_next_as_optional()
            if not batch.has_value():
                break
            step(*batch.get_value())
            done += 1
        return done

    return train_steps


def unrolled(step, steps_per_call):  # a Python range whose turns all draw an optional batch
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0)
        for _ in range(steps_per_call):
            batch = iterator.get_next_as_optional()
            ran = tf.cond(batch.has_value(),
                          lambda batch=batch: (step(*batch.get_value()), 1)[1],
                          lambda: 0)
            done += ran
        return done

    return train_steps


def counts_in_int64(step, steps_per_call):
    @tf.function
    def train_steps(iterator):
        done = tf.constant(0, tf.int64)
        for _ in tf.range(steps_per_call):
            batch = iterator.get_next_as_optional()
            if batch.has_value():
                step(*batch.get_value())
                done += 1
        return done

    return train_steps


def test_multi_step():
    for right in (make_multi_step, counts_in_int64):
        result = evaluate("07.2", right)
        assert result.status == "passed", (right, result)
        assert "[4, 4, 2] steps from 10 batches" in result.message
    expected = {
        with_next: "get_next_as_optional",
        counts_turns: "count the steps that ran",
        draws_one_too_many: "drawn and not used",
        whole_iterator: "stop after steps_per_call = 4",
        counts_without_training: "the weights differ",
        returns_nothing: "not None",
        not_compiled: "tf.function",
        unrolled: "unrolled",
    }
    for wrong, phrase in expected.items():
        result = evaluate("07.2", wrong)
        assert result.status == "incorrect" and phrase in result.message, (wrong, result)

    def not_done(step, steps_per_call):
        raise NotImplementedError("Exercise 07.2: ...")

    assert evaluate("07.2", not_done).status == "not done"
