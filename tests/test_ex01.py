"""The checkers of 01_gradient_tape accept right answers and name the cause of wrong ones."""
import re

import numpy as np
import pytest

import helpers

helpers.start(seed=0, show=False)

import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402

DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # ".." but not "..."


# --- 01.1: second derivative ---------------------------------------------------------------
def second_derivative(f, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def inner_gradient_after_outer_closed(f, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
    dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def outer_does_not_watch(f, x):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def inner_does_not_watch(f, x):  # inner.gradient is None, and outer.gradient(None, x) raises
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            y = f(x)
        dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def finite_difference(f, x, h=1e-2):
    return (f(x + h) - 2 * f(x) + f(x - h)) / h ** 2


def test_second_derivative_passes():
    assert evaluate("01.1", second_derivative).status == "passed"


@pytest.mark.parametrize("answer, cause", [
    (inner_gradient_after_outer_closed, "inside the outer tape's with-block"),
    (outer_does_not_watch, "tape.watch(x) on both tapes"),
    (inner_does_not_watch, "tape.watch(x) on both tapes"),
    (finite_difference, "finite difference"),
])
def test_second_derivative_names_the_cause(answer, cause):
    result = evaluate("01.1", answer)
    assert result.status == "incorrect", result.message
    assert cause in result.message


@pytest.mark.parametrize("answer, expected", [
    (lambda f, x: (second_derivative(f, x), second_derivative(f, x)), "single number"),
    (lambda f, x: "six", "single number"),
    (lambda f, x: tf.stack([second_derivative(f, x)] * 2), "shape (2,)"),
])
def test_second_derivative_wrong_type_is_explained_not_a_crash(answer, expected):
    result = evaluate("01.1", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message and not DOUBLE_STOP.search(result.message)


# --- 01.2: gradients of a squared error -----------------------------------------------------
def mse_gradients(w, b, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((w * x + b - y) ** 2)
    return tape.gradient(loss, [w, b])


def half_mse_gradients(w, b, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((w * x + b - y) ** 2) / 2
    return tape.gradient(loss, [w, b])


def per_example_gradients(w, b, x, y):  # gradients of each squared error, not of the mean
    return [2 * (w * x + b - y) * x, 2 * (w * x + b - y)]


def test_mse_gradients_passes():
    assert evaluate("01.2", mse_gradients).status == "passed"


@pytest.mark.parametrize("answer, expected", [
    (lambda w, b, x, y: mse_gradients(w, b, x, y)[0], "list of two gradients"),
    (lambda w, b, x, y: None, "list of two gradients"),
    (lambda w, b, x, y: mse_gradients(w, b, x, y)[::-1], "wrong order"),
    (half_mse_gradients, "half"),
    (per_example_gradients, "single number"),
])
def test_mse_gradients_wrong_answers(answer, expected):
    result = evaluate("01.2", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message


# --- 01.3: find the None ---------------------------------------------------------------------
def softplus_sum(x):
    return tf.reduce_sum(tf.math.log1p(tf.exp(x)))


def stable_softplus_with_a_kink(x):  # right values, but max(x, 0) has gradient 1 at x = 0
    return tf.reduce_sum(tf.maximum(x, 0.0) + tf.math.log1p(tf.exp(-tf.abs(x))))


def test_softplus_passes():
    assert evaluate("01.3", softplus_sum).status == "passed"
    assert evaluate("01.3", lambda x: tf.reduce_sum(tf.nn.softplus(x))).status == "passed"


def test_softplus_kink_says_where_the_gradient_differs():
    result = evaluate("01.3", stable_softplus_with_a_kink)
    assert result.status == "incorrect", result.message
    assert "x = 0" in result.message and "0.5" in result.message


@pytest.mark.parametrize("answer, expected", [
    (lambda x: tf.math.log1p(tf.exp(x)), "one number"),
    (lambda x: float(np.log1p(np.exp(x.numpy())).sum()), "TensorFlow tensor"),
    (lambda x: tf.constant(np.log1p(np.exp(x.numpy())).sum()), "gradient is still None"),
    (lambda x: tf.reduce_mean(tf.math.log1p(tf.exp(x))), "the value should be"),
])
def test_softplus_wrong_answers(answer, expected):
    result = evaluate("01.3", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message and not DOUBLE_STOP.search(result.message)


# --- 01.4: a norm whose gradient is defined at zero ------------------------------------------
@tf.custom_gradient
def safe_norm(x):
    norm = tf.norm(x)

    def grad(upstream):
        return upstream * x / tf.maximum(norm, 1e-30)

    return norm, grad


@tf.custom_gradient
def safe_norm_without_upstream(x):
    norm = tf.norm(x)

    def grad(upstream):
        return x / tf.maximum(norm, 1e-30)

    return norm, grad


def safe_norm_with_where(x):  # no custom gradient: the double-where trick is right too
    squared = tf.reduce_sum(x * x)
    positive = squared > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, squared, 1.0)), 0.0)


@tf.custom_gradient
def norm_plus_epsilon_in_gradient(x):  # right for ordinary x, wrong for a tiny non-zero one
    norm = tf.norm(x)

    def grad(upstream):
        return upstream * x / (norm + 1e-6)

    return norm, grad


@tf.custom_gradient
def norm_with_a_coarse_floor(x):  # the hint's floor, but at 1e-6 instead of far below any norm
    norm = tf.norm(x)

    def grad(upstream):
        return upstream * x / tf.maximum(norm, 1e-6)

    return norm, grad


def norm_with_epsilon_under_the_root(x):  # no nan at 0, but the value of a small x is wrong
    return tf.sqrt(tf.reduce_sum(x * x) + 1e-16)


@tf.custom_gradient
def safe_norm_with_where_in_gradient(x):
    norm = tf.norm(x)

    def grad(upstream):
        return upstream * tf.where(norm > 0, x / norm, tf.zeros_like(x))

    return norm, grad


def test_safe_norm_passes():
    assert evaluate("01.4", safe_norm).status == "passed"
    assert evaluate("01.4", safe_norm_with_where).status == "passed"
    assert evaluate("01.4", safe_norm_with_where_in_gradient).status == "passed"


@pytest.mark.parametrize("answer", [norm_plus_epsilon_in_gradient, norm_with_a_coarse_floor])
def test_safe_norm_rejects_an_epsilon_or_a_floor_in_the_gradient(answer):
    result = evaluate("01.4", answer)  # both are right at [3, 4] and at 0
    assert result.status == "incorrect", result.message
    assert "tiny but not 0" in result.message and "an epsilon added to the norm" in result.message
    assert "[0.3333, -0.6667, 0.6667]" in result.message  # what x / ‖x‖ is there
    assert not DOUBLE_STOP.search(result.message)


def test_safe_norm_rejects_an_epsilon_in_the_value():
    result = evaluate("01.4", norm_with_epsilon_under_the_root)
    assert result.status == "incorrect", result.message
    assert "should be 3e-12" in result.message and "under its square root" in result.message


@pytest.mark.parametrize("answer, expected", [
    (tf.norm, "0 / 0 is nan"),
    (safe_norm_without_upstream, "multiply by upstream"),
    (lambda x: tf.reduce_sum(x * x), "should be 5, the Euclidean norm; you returned 25"),
    (lambda x: 5.0, "should return a tensor holding one number; you returned the number 5"),
    (tf.abs, "a single number; you returned a tensor of shape (2,)"),
    (lambda x: tf.constant(np.linalg.norm(x.numpy())),
     "gradient of safe_norm at x = [3.0, 4.0] is None"),
])
def test_safe_norm_wrong_answers(answer, expected):
    result = evaluate("01.4", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message and not DOUBLE_STOP.search(result.message)
    assert result.message.endswith('print(helpers.exercises.hint("01.4", more=True)) shows a '
                                   "fuller hint.")


def test_safe_norm_fuller_hint_says_what_the_floor_gives():
    more = " ".join(helpers.exercises.hint("01.4", more=True).split())  # unwrapped
    assert "At x = 0 the quotient is 0 / 1e-30 = 0" in more and "large but finite" in more
    for values, expected in (([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),  # x = 0: exactly 0
                             ([1e-20, 0.0, 0.0], [1e10, 0.0, 0.0])):  # squares underflow
        x = tf.constant(values)
        with tf.GradientTape() as tape:
            tape.watch(x)
            norm = safe_norm(x)
        assert float(norm) == 0.0
        np.testing.assert_allclose(tape.gradient(norm, x), expected, rtol=1e-6)
