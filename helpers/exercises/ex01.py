"""Checks for the exercises of 01_gradient_tape."""
from __future__ import annotations

import numpy as np

from . import Incorrect, exercise
from . import tensorflow as _tf


@exercise("01.1", title="A second derivative with nested tapes",
          hint="nest two GradientTapes, watch x in both, take the inner gradient inside the outer "
               "block, then ask the outer tape for the gradient of that gradient.")
def _check_second_derivative(second_derivative) -> str:
    tf = _tf()
    cases = [  # (name, f, x, first derivative, second derivative)
        ("x³ at x = 1", lambda x: x ** 3, 1.0, 3.0, 6.0),
        ("sin(x) at x = 0.5", tf.sin, 0.5, np.cos(0.5), -np.sin(0.5)),
        ("x·eˣ at x = 1", lambda x: tf.exp(x) * x, 1.0, 2 * np.e, 3 * np.e),
    ]
    for name, f, at, first, second in cases:
        result = second_derivative(f, tf.constant(at))
        if result is None:
            raise Incorrect(f"for f(x) = {name} you returned None: is x watched by both tapes?")
        got = float(result)
        if np.isclose(got, first, rtol=1e-4) and not np.isclose(first, second):
            raise Incorrect(f"for f(x) = {name} you returned {got:.4g}, the first derivative; "
                            f"the second is {second:.4g}: take the gradient of the gradient.")
        if not np.isclose(got, second, rtol=1e-4, atol=1e-5):
            raise Incorrect(f"for f(x) = {name} the second derivative is {second:.4g}, you returned {got:.4g}.")
    return "correct: nested tapes give second derivatives (checked on x³, sin and x·eˣ)."


@exercise("01.2", title="Gradients of a squared error",
          hint="compute loss = tf.reduce_mean((w * x + b - y) ** 2) inside one tape, then "
               "return tape.gradient(loss, [w, b]).")
def _check_mse_gradients(mse_gradients) -> str:
    tf = _tf()
    rng = np.random.default_rng(3)
    x = rng.normal(size=8).astype(np.float32)
    y = (2.0 * x - 1.0 + rng.normal(scale=0.1, size=8)).astype(np.float32)
    w, b = tf.Variable(0.5), tf.Variable(0.25)
    grads = mse_gradients(w, b, tf.constant(x), tf.constant(y))
    if grads is None or len(grads) != 2:
        raise Incorrect("return a list of two gradients, [dL/dw, dL/db].")
    if any(g is None for g in grads):
        raise Incorrect("one of your gradients is None: compute the loss inside the tape, from w and b.")
    residual = 0.5 * x + 0.25 - y
    expected = [np.mean(2 * residual * x), np.mean(2 * residual)]
    got = [float(g) for g in grads]
    if np.allclose(got, [np.sum(2 * residual * x), np.sum(2 * residual)], rtol=1e-4):
        raise Incorrect("your gradients are 8 times too large: the loss is the mean of the squared errors, not the sum.")
    if np.allclose(got, expected[::-1], rtol=1e-4):
        raise Incorrect("your gradients are in the wrong order: return [dL/dw, dL/db].")
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
        raise Incorrect(f"expected dL/dw = {expected[0]:.4f} and dL/db = {expected[1]:.4f}, got {got[0]:.4f} and {got[1]:.4f}.")
    if float(w.numpy()) != 0.5 or float(b.numpy()) != 0.25:
        raise Incorrect("your function changed w or b; it should only compute gradients.")
    return "correct: both gradients match 2·mean(error·x) and 2·mean(error)."


@exercise("01.3", title="Find the None",
          hint="replace np.exp, np.log1p and .sum() by tf.exp, tf.math.log1p and tf.reduce_sum, "
               "and never call .numpy() inside.")
def _check_softplus_sum(softplus_sum) -> str:
    tf = _tf()
    values = np.array([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=np.float32)
    x = tf.Variable(values)
    with tf.GradientTape() as tape:
        total = softplus_sum(x)
    if not tf.is_tensor(total):
        raise Incorrect("return a TensorFlow tensor (tf.reduce_sum gives one), not a Python or NumPy number.")
    expected_value = float(np.sum(np.log1p(np.exp(values))))
    if not np.isclose(float(total), expected_value, rtol=1e-5):
        raise Incorrect(f"the value should be {expected_value:.4f} (the sum of log(1 + eˣ)), you returned {float(total):.4f}.")
    grad = tape.gradient(total, x)
    if grad is None:
        raise Incorrect("the value is right but the gradient is still None: some step leaves TensorFlow (NumPy or .numpy()).")
    sigmoid = 1 / (1 + np.exp(-values))
    if not np.allclose(grad.numpy(), sigmoid, atol=1e-5):
        raise Incorrect("the gradient should be the sigmoid 1 / (1 + e⁻ˣ) at each x, and yours is not.")
    return "correct: every step is a TensorFlow op, and the gradient is the sigmoid."
