"""The checkers of 02_linear_regression accept right answers and name the cause of wrong ones."""
import re

import numpy as np
import pytest

import helpers

helpers.start(seed=0, show=False)

import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402

DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # ".." but not "..."


# --- 02.1: momentum by hand ------------------------------------------------------------------
def _loss_and_grads(model, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - model(x)))
    return loss, tape.gradient(loss, [model.w, model.b])


def momentum_step(model, x, y, learning_rate, beta, velocities):
    loss, grads = _loss_and_grads(model, x, y)
    for variable, velocity, grad in zip([model.w, model.b], velocities, grads, strict=True):
        velocity.assign(beta * velocity + grad)
        variable.assign_sub(learning_rate * velocity)
    return loss


def rebinds_list_entries(model, x, y, learning_rate, beta, velocities):
    loss, grads = _loss_and_grads(model, x, y)
    for i, (variable, grad) in enumerate(zip([model.w, model.b], grads, strict=True)):
        velocities[i] = beta * velocities[i] + grad  # a new tensor in the list, not the variable
        variable.assign_sub(learning_rate * velocities[i])
    return loss


def rebinds_model_weights(model, x, y, learning_rate, beta, velocities):
    loss, grads = _loss_and_grads(model, x, y)
    velocities[0].assign(beta * velocities[0] + grads[0])
    velocities[1].assign(beta * velocities[1] + grads[1])
    model.w = model.w - learning_rate * velocities[0]  # a tensor replaces the variable
    model.b = model.b - learning_rate * velocities[1]
    return loss


def averaged_velocity(model, x, y, learning_rate, beta, velocities):
    loss, grads = _loss_and_grads(model, x, y)
    for variable, velocity, grad in zip([model.w, model.b], velocities, grads, strict=True):
        velocity.assign(beta * velocity + (1 - beta) * grad)
        variable.assign_sub(learning_rate * velocity)
    return loss


def old_velocity(model, x, y, learning_rate, beta, velocities):
    loss, grads = _loss_and_grads(model, x, y)
    for variable, velocity, grad in zip([model.w, model.b], velocities, grads, strict=True):
        variable.assign_sub(learning_rate * velocity)
        velocity.assign(beta * velocity + grad)
    return loss


def sum_loss(model, x, y, learning_rate, beta, velocities):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(y - model(x)))
    grads = tape.gradient(loss, [model.w, model.b])
    for variable, velocity, grad in zip([model.w, model.b], velocities, grads, strict=True):
        velocity.assign(beta * velocity + grad)
        variable.assign_sub(learning_rate * velocity)
    return loss


def loss_after_the_update(model, x, y, learning_rate, beta, velocities):
    momentum_step(model, x, y, learning_rate, beta, velocities)
    return tf.reduce_mean(tf.square(y - model(x)))


def returns_nothing(model, x, y, learning_rate, beta, velocities):
    momentum_step(model, x, y, learning_rate, beta, velocities)


def test_momentum_passes():
    assert evaluate("02.1", momentum_step).status == "passed"


@pytest.mark.parametrize("answer, expected", [
    (rebinds_list_entries, "replaced the entries of the velocities list"),
    (rebinds_model_weights, "replaced model.w or model.b"),
    (averaged_velocity, "(1 − β)"),
    (old_velocity, "After one step w and b should be"),
    (returns_nothing, "returned None"),
    (sum_loss, "sum of the squared errors"),
    (loss_after_the_update, "loss after the update"),
    (lambda *args: (momentum_step(*args), 0.0), "single number"),
])
def test_momentum_wrong_answers(answer, expected):
    result = evaluate("02.1", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message and not DOUBLE_STOP.search(result.message)


# --- 02.2: closed-form least squares ---------------------------------------------------------
def least_squares(x, y):
    w = np.mean((x - x.mean()) * (y - y.mean())) / np.mean((x - x.mean()) ** 2)
    return w, y.mean() - w * x.mean()


def mixed_ddof(x, y):
    w = np.cov(x, y)[0, 1] / np.var(x)
    return w, y.mean() - w * x.mean()


def test_least_squares_passes():
    assert evaluate("02.2", least_squares).status == "passed"
    assert evaluate("02.2", lambda x, y: np.polyfit(x, y, 1)).status == "passed"


@pytest.mark.parametrize("answer, expected", [
    (mixed_ddof, "n/(n−1)"),
    (lambda x, y: least_squares(x, y)[::-1], "(b, w)"),
    (lambda x, y: None, "two numbers"),
    (lambda x, y: least_squares(x, y)[0], "two numbers"),
    (lambda x, y: (least_squares(x, y)[0], y.mean()), "least-squares line"),
])
def test_least_squares_wrong_answers(answer, expected):
    result = evaluate("02.2", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message


# --- 02.3: largest stable learning rate ------------------------------------------------------
def _hessian(x):
    return 2 * np.array([[np.mean(x ** 2), np.mean(x)], [np.mean(x), 1.0]])


def max_stable_learning_rate(x):
    return 2 / np.linalg.eigvalsh(_hessian(x)).max()


def test_max_lr_passes():
    assert evaluate("02.3", max_stable_learning_rate).status == "passed"


@pytest.mark.parametrize("answer, expected", [
    (lambda x: None, "single number; you returned None"),
    (lambda x: 2 / np.linalg.eigvalsh(_hessian(x)), "shape (2,)"),
    (lambda x: 1 / np.linalg.eigvalsh(_hessian(x)).max(), "1/λ_max"),
    (lambda x: 2 / np.linalg.eigvalsh(_hessian(x) / 2).max(), "twice the threshold"),
    (lambda x: 2 / np.linalg.eigvalsh(_hessian(x)).min(), "smallest eigenvalue"),
])
def test_max_lr_wrong_answers(answer, expected):
    result = evaluate("02.3", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message
