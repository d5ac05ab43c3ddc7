"""The checkers of 03_custom_training_loop accept right answers and name the cause of wrong ones."""
import numpy as np
import pytest

import helpers

helpers.start(seed=0, show=False)

import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


# --- 03.1: top-k accuracy --------------------------------------------------------------------
def top_k_accuracy(labels, logits, k=3):
    hits = tf.math.in_top_k(tf.cast(labels, tf.int32), tf.cast(logits, tf.float32), k)
    return tf.reduce_mean(tf.cast(hits, tf.float32))


def hits_per_example(labels, logits, k=3):
    return tf.cast(tf.math.in_top_k(tf.cast(labels, tf.int32), tf.cast(logits, tf.float32), k),
                   tf.float32)


def test_top_k_passes():
    assert evaluate("03.1", top_k_accuracy).status == "passed"


@pytest.mark.parametrize("answer, expected", [
    (hits_per_example, "shape (300,)"),
    (lambda labels, logits, k=3: tf.reduce_sum(hits_per_example(labels, logits, k)),
     "number of hits"),
    (lambda labels, logits, k=3: top_k_accuracy(labels, -np.asarray(logits), k), "smallest"),
    (lambda labels, logits, k=1: top_k_accuracy(labels, logits, k), "k=3"),
])
def test_top_k_wrong_answers(answer, expected):
    result = evaluate("03.1", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message


# --- 03.2: clipping by the global norm -------------------------------------------------------
def _step(rule):
    """A clipped_train_step whose gradients are rescaled by rule(gradients, norm, clip_norm)."""
    def clipped_train_step(model, optimizer, loss_fn, x, y, clip_norm):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in gradients]))
        clipped = rule(gradients, norm, clip_norm)
        optimizer.apply(clipped, model.trainable_variables)
        return loss, norm
    return clipped_train_step


def _global(gradients, norm, clip_norm):
    return [g * clip_norm / tf.maximum(norm, clip_norm) for g in gradients]


def test_clipping_passes():
    assert evaluate("03.2", _step(_global)).status == "passed"
    builtin = _step(lambda gs, norm, clip_norm: tf.clip_by_global_norm(gs, clip_norm)[0])
    assert evaluate("03.2", builtin).status == "passed"


def _returns(result_of):
    def clipped_train_step(model, optimizer, loss_fn, x, y, clip_norm):
        loss, norm = _step(_global)(model, optimizer, loss_fn, x, y, clip_norm)
        return result_of(loss, norm)
    return clipped_train_step


@pytest.mark.parametrize("answer, expected", [
    (_step(lambda gs, norm, clip: [g * clip / norm for g in gs]), "never more than 1"),
    (_step(lambda gs, norm, clip: [tf.clip_by_norm(g, clip) for g in gs]), "its own norm"),
    (_step(lambda gs, norm, clip: gs), "unclipped"),
    (_step(lambda gs, norm, clip: [g * clip / tf.maximum(norm ** 2, clip) for g in gs]),
     "without the square root"),
    (_returns(lambda loss, norm: (norm, loss)), "return (loss, global_norm)"),
    (_returns(lambda loss, norm: (loss, norm ** 2)), "sum of the squares"),
    (_returns(lambda loss, norm: loss), "pair (loss, global_norm)"),
    (_returns(lambda loss, norm: None), "pair (loss, global_norm)"),
])
def test_clipping_wrong_answers_name_the_rule(answer, expected):
    result = evaluate("03.2", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message


def test_clipping_always_rescaling_is_not_called_per_tensor():
    result = evaluate("03.2", _step(lambda gs, norm, clip: [g * clip / norm for g in gs]))
    assert "its own norm" not in result.message


# --- 03.3: the true mean loss of an epoch ----------------------------------------------------
def epoch_mean_loss(batch_losses, batch_sizes):
    if not batch_losses or len(batch_losses) != len(batch_sizes):
        raise ValueError("pass one batch size per batch loss, and at least one batch")
    pairs = zip(batch_losses, batch_sizes, strict=True)
    return sum(loss * n for loss, n in pairs) / sum(batch_sizes)


def no_checks(batch_losses, batch_sizes):
    pairs = zip(batch_losses, batch_sizes, strict=False)  # drops what has no partner
    return sum(loss * n for loss, n in pairs) / sum(batch_sizes)


def test_epoch_mean_passes():
    assert evaluate("03.3", epoch_mean_loss).status == "passed"  # `if not batch_losses` on lists


@pytest.mark.parametrize("answer, expected", [
    (lambda losses, sizes: sum(losses) / len(losses), "plain mean"),
    (lambda losses, sizes: no_checks(losses, sizes) * sum(sizes) / len(sizes),
     "number of batches"),
    (lambda losses, sizes: no_checks(losses, sizes) * sum(sizes), "weighted sum"),
    (no_checks, "raise ValueError"),
    (lambda losses, sizes: [no_checks(losses, sizes)] * 2, "single number"),
])
def test_epoch_mean_wrong_answers(answer, expected):
    result = evaluate("03.3", answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message


def test_epoch_mean_wrong_error_type_is_named():
    def zero_division(losses, sizes):
        if len(losses) != len(sizes):
            raise ValueError("one size per loss")
        return no_checks(losses, sizes)  # sum([]) / sum([]) raises ZeroDivisionError

    result = evaluate("03.3", zero_division)
    assert result.status == "incorrect", result.message
    assert "raised ZeroDivisionError" in result.message and "ValueError" in result.message


def test_epoch_mean_must_reject_lists_of_different_lengths():
    def only_empty(losses, sizes):
        if not losses:
            raise ValueError("no batches")
        return no_checks(losses, sizes)  # zip drops the loss without a size

    result = evaluate("03.3", only_empty)
    assert result.status == "incorrect", result.message
    assert "epoch_mean_loss([1.0, 2.0], [32]) returned" in result.message
