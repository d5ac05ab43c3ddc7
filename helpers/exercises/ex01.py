"""Checks for the exercises of 01_gradient_tape."""
from __future__ import annotations

import numpy as np

from . import Incorrect, _as_number, _describe, exercise
from . import tensorflow as _tf

_WATCH_BOTH = ("x is a constant, and a tape follows a constant only if it watches it: call "
               "tape.watch(x) on both tapes, the outer and the inner one")
_INNER_INSIDE = ("take the inner gradient inside the outer tape's with-block, so that the outer "
                 "tape records how that gradient depends on x")


def _right_on_a_variable(second_derivative, f, at: float, second: float) -> bool:
    """Whether the answer is right when x is a variable, which every tape watches by itself:
    then what went wrong on the constant is that a tape did not watch it."""
    tf = _tf()
    try:
        got = second_derivative(f, tf.Variable(at))
        return got is not None and bool(
            np.isclose(_as_number(got, "x"), second, rtol=1e-4, atol=1e-5))
    except Exception:  # pylint: disable=broad-except - a diagnosis only
        return False


@exercise("01.1", title="A second derivative with nested tapes",
          hint="you need the gradient of a gradient: one tape inside another; and a tape follows "
               "a constant only if it watches it.",
          more="nest two GradientTapes and call watch(x) on both; compute y = f(x) inside the "
               "inner one, take dy_dx = inner.gradient(y, x) while still inside the outer block "
               "(so the outer tape records it), then return outer.gradient(dy_dx, x).")
def _check_second_derivative(second_derivative) -> str:
    tf = _tf()
    cases = [  # (name, f, x, first derivative, second derivative)
        ("x³ at x = 1", lambda x: x ** 3, 1.0, 3.0, 6.0),
        ("sin(x) at x = 0.5", tf.sin, 0.5, np.cos(0.5), -np.sin(0.5)),
        ("x·eˣ at x = 1", lambda x: tf.exp(x) * x, 1.0, 2 * np.e, 3 * np.e),
    ]
    for name, f, at, first, second in cases:
        try:
            result = second_derivative(f, tf.constant(at))
        except NotImplementedError:
            raise
        except Exception as exc:
            if not _right_on_a_variable(second_derivative, f, at, second):
                raise
            raise Incorrect(f"for f(x) = {name} your code raised {type(exc).__name__}: "
                            f"{_WATCH_BOTH}.") from exc
        if result is None:
            watch = _right_on_a_variable(second_derivative, f, at, second)
            raise Incorrect(f"for f(x) = {name} you returned None: "
                            f"{_WATCH_BOTH if watch else _INNER_INSIDE}.")
        got = _as_number(result, f"second_derivative(f, x) for f(x) = {name}")
        if np.isclose(got, first, rtol=1e-4) and not np.isclose(first, second):
            raise Incorrect(f"for f(x) = {name} you returned {got:.4g}, the first derivative; the "
                            f"second is {second:.4g}: take the gradient of the gradient.")
        if not np.isclose(got, second, rtol=1e-4, atol=1e-5):
            if np.isclose(got, second, rtol=1e-2):
                raise Incorrect(f"for f(x) = {name} you returned {got:.6g}, close to the second "
                                f"derivative {second:.6g} but not equal: an approximation such "
                                "as a finite difference is not enough, nested tapes give it "
                                "exactly.")
            raise Incorrect(f"for f(x) = {name} the second derivative is {second:.4g}, "
                            f"you returned {got:.4g}.")
    return "correct: nested tapes give second derivatives (checked on x³, sin and x·eˣ)."


@exercise("01.2", title="Gradients of a squared error",
          hint="write the loss as you would in NumPy, but with TensorFlow operations inside a "
               "GradientTape, then ask the tape about w and b in one call.",
          more="inside one tape compute loss = tf.reduce_mean((w * x + b - y) ** 2); after the "
               "with-block return tape.gradient(loss, [w, b]), which gives the two gradients in "
               "the order of the list.")
def _check_mse_gradients(mse_gradients) -> str:
    tf = _tf()
    rng = np.random.default_rng(3)
    x = rng.normal(size=8).astype(np.float32)
    y = (2.0 * x - 1.0 + rng.normal(scale=0.1, size=8)).astype(np.float32)
    w, b = tf.Variable(0.5), tf.Variable(0.25)
    gradients = mse_gradients(w, b, tf.constant(x), tf.constant(y))
    if not isinstance(gradients, (list, tuple)) or len(gradients) != 2:
        raise Incorrect("return a list of two gradients, [dL/dw, dL/db]; you returned "
                        f"{_describe(gradients)}.")
    if any(g is None for g in gradients):
        raise Incorrect("one of your gradients is None: compute the loss inside the tape, from w "
                        "and b.")
    got = [_as_number(g, f"dL/d{name}, the gradient for the scalar {name},")
           for g, name in zip(gradients, "wb", strict=True)]
    residual = 0.5 * x + 0.25 - y
    expected = [np.mean(2 * residual * x), np.mean(2 * residual)]
    if np.allclose(got, [np.sum(2 * residual * x), np.sum(2 * residual)], rtol=1e-4):
        raise Incorrect("your gradients are 8 times too large: the loss is the mean of the "
                        "squared errors, not the sum.")
    if np.allclose(got, expected[::-1], rtol=1e-4):
        raise Incorrect("your gradients are in the wrong order: return [dL/dw, dL/db].")
    if np.allclose(got, [e / 2 for e in expected], rtol=1e-4):
        raise Incorrect("your gradients are half the right ones: the loss is the mean of the "
                        "squared errors, (w·x + b − y)², with no factor ½.")
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
        raise Incorrect(f"expected dL/dw = {expected[0]:.4f} and dL/db = {expected[1]:.4f}, got "
                        f"{got[0]:.4f} and {got[1]:.4f}.")
    if float(w.numpy()) != 0.5 or float(b.numpy()) != 0.25:
        raise Incorrect("your function changed w or b; it should only compute gradients.")
    return "correct: both gradients match 2·mean(error·x) and 2·mean(error)."


@exercise("01.3", title="Find the None",
          hint="find every step that leaves TensorFlow (a NumPy function, a NumPy method, "
               ".numpy()) and use TensorFlow's own version of it.",
          more="tf.exp, tf.math.log1p and tf.reduce_sum replace np.exp, np.log1p and .sum(); "
               "return tf.reduce_sum(tf.math.log1p(tf.exp(x))), and never call .numpy() inside. "
               "That overflows for large x (section 12); tf.reduce_sum(tf.nn.softplus(x)) does "
               "not.")
def _check_softplus_sum(softplus_sum) -> str:
    tf = _tf()
    values = np.array([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=np.float32)
    x = tf.Variable(values)
    with tf.GradientTape() as tape:
        total = softplus_sum(x)
    if not tf.is_tensor(total):
        raise Incorrect("return a TensorFlow tensor (tf.reduce_sum gives one), not "
                        f"{_describe(total)}.")
    if total.shape.num_elements() != 1:
        raise Incorrect("return one number, the sum over x (tf.reduce_sum); you returned "
                        f"{_describe(total)}, one value per element.")
    expected_value = float(np.sum(np.log1p(np.exp(values.astype(np.float64)))))
    got_value = _as_number(total, "softplus_sum(x)")
    if not np.isclose(got_value, expected_value, rtol=1e-5):
        raise Incorrect(f"for x = {values.tolist()} the value should be {expected_value:.4f} (the "
                        f"sum of log(1 + eˣ)), you returned {got_value:.4f}.")
    grad = tape.gradient(total, x)
    if grad is None:
        raise Incorrect("the value is right but the gradient is still None: some step leaves "
                        "TensorFlow (NumPy or .numpy()).")
    grad = np.asarray(tf.convert_to_tensor(grad), dtype=np.float64)
    sigmoid = 1 / (1 + np.exp(-values.astype(np.float64)))
    differs = ~np.isclose(grad, sigmoid, rtol=0, atol=1e-5)
    if differs.any():
        where = int(np.argmax(differs))
        raise Incorrect("the value is right but the gradient is not the sigmoid everywhere: at x "
                        f"= {values[where]:g} it should be {sigmoid[where]:.4g}, yours is "
                        f"{grad[where]:.4g} (a formula with a kink, such as max or abs, has its "
                        "own gradient at the kink).")
    return "correct: every step is a TensorFlow op, and the gradient is the sigmoid."


_TINY = [1e-12, -2e-12, 2e-12]  # norm 3e-12: far from float32's limits, far below any epsilon


def _short(values) -> str:
    """A gradient as a short list of 4-digit numbers, tiny ones included: [3e-06, 0.6667]."""
    return "[" + ", ".join(f"{v:.4g}" for v in np.asarray(values, dtype=np.float64)) + "]"


@exercise("01.4", title="A norm whose gradient is defined at zero",
          hint="with @tf.custom_gradient, safe_norm returns two things: the norm, and a function "
               "of the upstream gradient; think about what that function should give at x = 0.",
          more="norm = tf.norm(x); def grad(upstream): return upstream * x / tf.maximum(norm, "
               "1e-30); return norm, grad. At x = 0 the quotient is 0 / 1e-30 = 0, not 0 / 0 (an x "
               "below about 1e-19, whose squares underflow, has norm 0 too: its quotient x / "
               "1e-30 is large but finite); and the floor 1e-30 lies far below the norm of any x "
               "you will meet, whereas an epsilon such as 1e-6 (added, or as the floor) would "
               "change the gradient of a small x.")
def _check_safe_norm(safe_norm) -> str:
    tf = _tf()
    cases = [  # (x, upstream factor): the gradient of factor · safe_norm(x)
        ([3.0, 4.0], 1.0),
        ([3.0, 4.0], 2.0),
        ([1.0, -2.0, 2.0], 0.5),
        (_TINY, 1.0),  # tiny but not 0: an epsilon or a floor on the norm shows here
        ([0.0, 0.0, 0.0], 1.0),
    ]
    for values, factor in cases:
        x = tf.constant(values)
        with tf.GradientTape() as tape:
            tape.watch(x)
            norm = safe_norm(x)
            if not tf.is_tensor(norm):
                raise Incorrect(f"safe_norm({values}) should return a tensor holding one number; "
                                f"you returned {_describe(norm)}.")
            target = factor * norm
        expected = float(np.linalg.norm(values))
        got = _as_number(norm, f"safe_norm({values})")
        if not np.isclose(got, expected, rtol=1e-6, atol=0.0 if expected else 1e-7):
            if values is _TINY:
                raise Incorrect(f"safe_norm({values}) should be {expected:g}, the Euclidean "
                                f"norm; you returned {got:.6g}: an epsilon added to the norm, or "
                                "under its square root, changes the norm of a small x; compute "
                                "it exactly and deal with x = 0 in the gradient instead.")
            raise Incorrect(f"safe_norm({values}) should be {expected:g}, the Euclidean norm; "
                            f"you returned {got:.6g}.")
        grad = tape.gradient(target, x)
        if grad is None:
            raise Incorrect(f"the gradient of safe_norm at x = {values} is None: compute the norm "
                            "with TensorFlow ops and give it a gradient function.")
        grad = np.asarray(tf.convert_to_tensor(grad), dtype=np.float64)
        if grad.shape != x.shape:
            raise Incorrect(f"the gradient at x = {values} has shape {grad.shape}; it should "
                            f"have x's shape {tuple(x.shape)}, one number per element.")
        unit = np.asarray(values) / expected if expected else np.zeros(len(values))
        if np.isnan(grad).any():
            raise Incorrect(f"at x = {values} your gradient is {grad.tolist()}: 0 / 0 is nan, "
                            "so return 0 there instead of dividing by a zero norm.")
        if factor != 1.0 and np.allclose(grad, unit, rtol=1e-5, atol=1e-7):
            raise Incorrect(f"for {factor:g} · safe_norm(x) at x = {values} your gradient is "
                            "x / ‖x‖, the same as for safe_norm(x) alone: multiply by upstream, "
                            "the gradient that arrives from above.")
        if values is _TINY and not np.allclose(grad, unit, rtol=1e-5, atol=0.0):
            raise Incorrect(f"at x = {values}, tiny but not 0, your gradient is {_short(grad)} "
                            f"where x / ‖x‖ is {_short(unit)}: an epsilon added to the norm, or "
                            "a floor such as tf.maximum(norm, 1e-6), changes the gradient of "
                            "every small x; only x = 0 itself needs the special case.")
        if not np.allclose(grad, factor * unit, rtol=1e-5, atol=1e-7):
            raise Incorrect(f"the gradient of {factor:g} · safe_norm(x) at x = {values} should be "
                            f"{np.round(factor * unit, 4).tolist()}, yours is "
                            f"{np.round(grad, 4).tolist()}.")
    return "correct: the norm's gradient is x / ‖x‖, and 0 instead of nan at x = 0."
