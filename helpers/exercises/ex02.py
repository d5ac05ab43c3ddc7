"""Checks for the exercises of 02_linear_regression."""
from __future__ import annotations

import numpy as np

from . import Incorrect, _as_number, _describe, exercise
from . import tensorflow as _tf


@exercise("02.1", title="Momentum by hand",
          hint="get both gradients from one tape, then update each weight's velocity before the "
               "weight itself, both in place.",
          more="inside a tape compute the loss, tf.reduce_mean(tf.square(y - model(x))); take "
               "gradients = tape.gradient(loss, [model.w, model.b]); for each weight, its "
               "velocity and its gradient do velocity.assign(beta * velocity + gradient), then "
               "weight.assign_sub(learning_rate * velocity); return the loss.")
def _check_momentum(momentum_step) -> str:
    tf = _tf()

    class Line(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(0.0)
            self.b = tf.Variable(0.0)

        def __call__(self, x):
            return self.w * x + self.b

    x = tf.constant([-1.0, 0.0, 1.0, 2.0])
    y = 3.0 * x + 2.0
    model = Line()
    w_var, b_var = model.w, model.b  # the caller's variables: they must change in place
    velocities = [tf.Variable(0.0), tf.Variable(0.0)]
    v_vars = list(velocities)
    lr, beta = 0.1, 0.9
    # the same updates in NumPy, float64
    w = b = vw = vb = 0.0
    xs, ys = x.numpy().astype(np.float64), y.numpy().astype(np.float64)
    for step in range(3):
        loss = momentum_step(model, x, y, lr, beta, velocities)
        err = w * xs + b - ys
        expected_loss = np.mean(err ** 2)
        gw, gb = np.mean(2 * err * xs), np.mean(2 * err)
        vw_before, vb_before = vw, vb
        vw, vb = beta * vw + gw, beta * vb + gb
        w, b = w - lr * vw, b - lr * vb
        if loss is None:
            raise Incorrect("momentum_step returned None; return the loss before the update (at "
                            f"step {step + 1} it is {expected_loss:.4f}).")
        got_loss = _as_number(loss, "the loss momentum_step returns")
        if not np.isclose(got_loss, expected_loss, rtol=1e-4):
            after = np.mean((w * xs + b - ys) ** 2)
            if np.isclose(got_loss, after, rtol=1e-4):
                raise Incorrect(f"at step {step + 1} you returned the loss after the update "
                                f"({got_loss:.4f}); return the one computed in the tape, before "
                                f"it ({expected_loss:.4f}).")
            if np.isclose(got_loss, expected_loss * len(xs), rtol=1e-4):
                raise Incorrect(f"at step {step + 1} you returned the sum of the squared errors "
                                f"({got_loss:.4f}); the loss is their mean ({expected_loss:.4f}).")
            raise Incorrect(f"at step {step + 1} the loss before the update is "
                            f"{expected_loss:.4f}, you returned {got_loss:.4f}.")
        replaced = [v is not var for v, var in zip(velocities, v_vars, strict=False)]
        if len(velocities) != 2 or any(replaced):
            raise Incorrect("you replaced the entries of the velocities list; update the two "
                            "variables in it in place with velocity.assign(...), so the caller's "
                            "variables carry the velocity to the next step.")
        got_v = [float(v.numpy()) for v in v_vars]
        if not np.allclose(got_v, [vw, vb], rtol=1e-4):
            if np.allclose(got_v, [beta * vw_before + (1 - beta) * gw,
                                   beta * vb_before + (1 - beta) * gb], rtol=1e-4):
                raise Incorrect("your velocity is β·v + (1 − β)·∂L/∂p, an average; the task's "
                                "velocity adds the whole gradient: v ← β·v + ∂L/∂p.")
            raise Incorrect(f"after step {step + 1} the velocities should be ({vw:.4f}, "
                            f"{vb:.4f}), they are ({got_v[0]:.4f}, {got_v[1]:.4f}); update them "
                            "in place with assign.")
        if model.w is not w_var or model.b is not b_var:
            raise Incorrect("you replaced model.w or model.b by a new value; change the "
                            "variables in place with assign_sub, so the model keeps training the "
                            "same variables.")
        got_p = [float(w_var.numpy()), float(b_var.numpy())]
        if not np.allclose(got_p, [w, b], rtol=1e-4, atol=1e-6):
            if step == 0:
                raise Incorrect(f"after one step w and b should be ({w:.4f}, {b:.4f}), got "
                                f"({got_p[0]:.4f}, {got_p[1]:.4f}).")
            raise Incorrect(f"after step {step + 1} w and b should be ({w:.4f}, {b:.4f}), got "
                            f"({got_p[0]:.4f}, {got_p[1]:.4f}): is the update p ← p − η·v using "
                            "the new velocity?")
    return "correct: three momentum steps match the formula exactly."


@exercise("02.2", title="The closed-form least-squares line",
          hint="no iterations needed: the slope is how x and y vary together divided by how x "
               "varies, and the best line passes through the point of the means.",
          more="with x̄ and ȳ the means, the slope w = mean((x - x̄)(y - ȳ)) / mean((x - x̄)²) "
               "is the covariance over the variance, and b = ȳ - w·x̄ puts the point of the "
               "means on the line; compute in float64 and return (w, b).")
def _check_least_squares(least_squares) -> str:
    rng = np.random.default_rng(11)
    x = rng.normal(loc=1.5, size=50)
    y = -0.7 * x + 4.0 + rng.normal(scale=0.3, size=50)
    result = least_squares(x, y)
    if not isinstance(result, (tuple, list, np.ndarray)) or len(result) != 2:
        raise Incorrect(f"return two numbers, w and b; you returned {_describe(result)}.")
    w, b = (_as_number(v, name) for v, name in zip(result, ("w", "b"), strict=True))
    (w_ref, b_ref), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    n = len(x)
    if np.allclose([b, w], [w_ref, b_ref], rtol=1e-6):
        raise Incorrect("you returned (b, w): return w first, then b.")
    for factor in (n / (n - 1), (n - 1) / n):
        if np.isclose(w, w_ref * factor, rtol=1e-6):
            raise Incorrect(f"your w is {w:.4f}, off from {w_ref:.4f} by the factor n/(n−1) or "
                            "(n−1)/n: the covariance and the variance must divide by the same "
                            "count (np.cov divides by n − 1, np.var by n).")
    if not np.allclose([w, b], [w_ref, b_ref], rtol=1e-6, atol=1e-9):
        raise Incorrect(f"the least-squares line for the test data is w = {w_ref:.4f}, b = "
                        f"{b_ref:.4f}; you returned {w:.4f}, {b:.4f}.")
    return "correct: your formula gives the exact least-squares line."


@exercise("02.3", title="The largest stable learning rate",
          hint="build the 2×2 matrix H of the task from your x, then NumPy's linear algebra "
               "module gives its eigenvalues.",
          more="H = 2 * np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]]); "
               "np.linalg.eigvalsh(H) returns its eigenvalues (H is symmetric); return 2 divided "
               "by the largest of them.")
def _check_max_lr(max_stable_learning_rate) -> str:
    rng = np.random.default_rng(5)
    x = rng.normal(loc=2.0, scale=1.5, size=200)
    y = 1.5 * x - 1.0
    got = _as_number(max_stable_learning_rate(x), "max_stable_learning_rate(x)")
    hessian = 2 * np.array([[np.mean(x ** 2), np.mean(x)], [np.mean(x), 1.0]])
    eigenvalues = np.linalg.eigvalsh(hessian)
    expected = 2 / eigenvalues.max()
    if np.isclose(got, 1 / eigenvalues.max(), rtol=1e-6):
        raise Incorrect(f"you returned 1/λ_max; the threshold is 2/λ_max = {expected:.4f}.")
    if np.isclose(got, 2 * expected, rtol=1e-6):
        raise Incorrect(f"you returned twice the threshold ({got:.4f}): the Hessian has the "
                        "factor 2, H = 2·[[mean(x²), mean(x)], [mean(x), 1]]; 2/λ_max = "
                        f"{expected:.4f}.")
    if np.isclose(got, 2 / eigenvalues.min(), rtol=1e-6):
        raise Incorrect("you used the smallest eigenvalue; the fastest-curving direction sets "
                        f"the limit, so use the largest: 2/λ_max = {expected:.4f}.")
    if not np.isclose(got, expected, rtol=1e-6):
        raise Incorrect(f"for the test data the threshold is {expected:.4f}, you returned "
                        f"{got:.4f}.")

    def run(lr, steps=200):  # the claim itself: just below converges, just above diverges
        w = b = 0.0
        for _ in range(steps):
            err = w * x + b - y
            w, b = w - lr * np.mean(2 * err * x), b - lr * np.mean(2 * err)
        return np.mean((w * x + b - y) ** 2)

    with np.errstate(over="ignore", invalid="ignore"):
        below, above = run(0.95 * got), run(1.05 * got)
    if not (below < 1e-3 and (not np.isfinite(above) or above > 1e3)):
        raise Incorrect("gradient descent does not switch from converging to diverging at your "
                        "threshold.")
    return (f"correct: below {got:.3f} gradient descent converges, above it diverges "
            "(checked by running it).")
