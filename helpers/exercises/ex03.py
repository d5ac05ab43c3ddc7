"""Checks for the exercises of 03_custom_training_loop."""
from __future__ import annotations

import numpy as np

from . import Incorrect, _describe, exercise
from . import _as_number as _as_float


def _reference_top_k(labels: np.ndarray, logits: np.ndarray, k: int) -> float:
    top = np.argsort(-logits, axis=1)[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


@exercise(
    "03.1",
    title="Top-k accuracy from logits",
    hint="TensorFlow has an operation that says, per example, whether the label is among the k "
    "largest logits; look in tf.math.",
    more="tf.math.in_top_k(targets, predictions, k) with int32 labels and float32 logits says, "
    "per example, whether the label is among the k largest logits; cast those booleans to float32 "
    "and return their mean.",
)
def _check_top_k(top_k_accuracy):
    import tensorflow as tf

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(300, 10)).astype("float32")
    labels = rng.integers(0, 10, size=300)
    # make some examples right at rank 1, 2, 3 and 4, so every k is told apart
    order = np.argsort(-logits, axis=1)
    labels[:40] = order[:40, 0]
    labels[40:80] = order[40:80, 1]
    labels[80:120] = order[80:120, 2]
    labels[120:160] = order[120:160, 3]
    for k in (3, 1, 5):
        for as_tensor in (False, True):
            args = (tf.constant(labels), tf.constant(logits)) if as_tensor else (labels, logits)
            got = _as_float(top_k_accuracy(*args, k=k), f"top_k_accuracy(labels, logits, k={k})")
            want = _reference_top_k(labels, logits, k)
            if abs(got - want) > 1e-6:
                kind = "tensors" if as_tensor else "NumPy arrays"
                if abs(got - want * len(labels)) < 1e-3:
                    raise Incorrect(f"With k={k} you returned {got:g}, the number of hits; return "
                                    f"the fraction, {want:.4f} (divide by the number of examples, "
                                    "or take the mean).")
                if abs(got - _reference_top_k(labels, -logits, k)) < 1e-6:
                    raise Incorrect(f"With k={k} you counted the label among the {k} smallest "
                                    "logits; the best guesses are the largest ones.")
                raise Incorrect(
                    f"With k={k} on 300 examples ({kind}) the top-{k} accuracy is {want:.4f}, you "
                    f"returned {got:.4f}."
                )
    ranks_1_to_4 = [0, 40, 80, 120]  # top-1 0.25, top-3 0.75, top-5 1.0
    got = _as_float(top_k_accuracy(labels[ranks_1_to_4], logits[ranks_1_to_4]),
                    "top_k_accuracy(labels, logits)")
    if abs(got - 0.75) > 1e-6:
        raise Incorrect("Called without k, top_k_accuracy should use k=3.")
    import keras

    metric = keras.metrics.SparseTopKCategoricalAccuracy(k=3)
    metric.update_state(labels, logits)
    return ("your top-3 accuracy agrees with keras.metrics.SparseTopKCategoricalAccuracy(k=3) "
            f"({float(metric.result()):.4f} on the test case).")


def _tiny_problem(seed: int):
    import keras

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.integers(0, 3, size=16)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(3)])
    model.set_weights(
        [rng.normal(scale=2.0, size=w.shape).astype("float32") for w in model.get_weights()])
    return model, x, y


def _clipping_mistake(clip_norm, norm, before, after, gradients) -> str:
    """Name the rule the learner's step applied, from the weights it produced."""
    g = [t.numpy().astype("float64") for t in gradients]

    def moved_by(scales) -> bool:
        return all(np.allclose(a, b - 0.1 * s * t, rtol=1e-4, atol=1e-5)
                   for a, b, s, t in zip(after, before, scales, g, strict=True))

    own_norms = [float(np.sqrt(np.sum(t ** 2))) for t in g]
    active = norm > clip_norm
    if active and moved_by([1.0] * len(g)):
        return (f"With clip_norm={clip_norm} and a global norm of {norm:.3f} the gradients must "
                "be scaled down before they are applied; yours were applied unclipped.")
    if not active and moved_by([clip_norm / norm] * len(g)):
        return (f"With clip_norm={clip_norm:g} and a global norm of {norm:.3f} nothing needs "
                "clipping, but your step scaled the gradients up to norm clip_norm: the factor "
                "is clip_norm / max(‖g‖, clip_norm), never more than 1.")
    if moved_by([clip_norm / max(n, clip_norm) for n in own_norms]):
        return (f"With clip_norm={clip_norm:g} you clipped each tensor by its own norm; scale all "
                "gradients by the same factor, clip_norm / max(‖g‖, clip_norm), with ‖g‖ the "
                "norm of all of them together.")
    if active and moved_by([clip_norm / norm ** 2] * len(g)):
        return ("Your factor used the sum of squares without the square root: ‖g‖ = √(Σ g²) over "
                "all tensors.")
    if active and moved_by([clip_norm / sum(own_norms)] * len(g)):
        return ("Your factor used the sum of the tensors' norms; the global norm is the square "
                "root of the sum of all squares, √(Σ over tensors of Σ g²).")
    return (f"With clip_norm={clip_norm:g} the weights after one SGD step are not what clipping "
            "by the global norm gives: scale all gradients by the same factor clip_norm / "
            "max(‖g‖, clip_norm), then apply them once with the optimizer.")


@exercise(
    "03.2",
    title="A train step that clips gradients by their global norm",
    hint="measure one norm over all the gradients together before changing any of them, then "
    "scale every gradient by the same factor, which is 1 when that norm is small enough.",
    more="global_norm = sqrt(sum of tf.reduce_sum(g**2) over all gradients); multiply every "
    "gradient by clip_norm / max(global_norm, clip_norm); apply the scaled gradients with the "
    "optimizer; return (loss, global_norm).",
)
def _check_clipping(clipped_train_step):
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for clip_norm, active in ((0.5, True), (1e6, False)):
        model, x, y = _tiny_problem(seed=7)
        reference, _, _ = _tiny_problem(seed=7)
        with tf.GradientTape() as tape:
            want_loss = loss_fn(y, reference(x, training=True))
        gradients = tape.gradient(want_loss, reference.trainable_variables)
        want_norm = float(np.sqrt(sum(np.sum(g.numpy().astype("float64") ** 2) for g in gradients)))
        scale = clip_norm / max(want_norm, clip_norm)
        want_weights = [v.numpy() - 0.1 * scale * g.numpy()
                        for v, g in zip(reference.trainable_variables, gradients, strict=True)]
        before = [v.numpy().copy() for v in model.trainable_variables]

        result = clipped_train_step(model, keras.optimizers.SGD(learning_rate=0.1), loss_fn, x, y,
                                    clip_norm)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Incorrect("clipped_train_step should return a pair (loss, global_norm); it "
                            f"returned {_describe(result)}.")
        loss = _as_float(result[0], "the loss (the first item you return)")
        norm = _as_float(result[1], "the global norm (the second item you return)")
        own_norms = [float(np.sqrt(np.sum(g.numpy().astype("float64") ** 2))) for g in gradients]
        if abs(loss - float(want_loss)) > 1e-4 * max(1.0, abs(float(want_loss))):
            if abs(loss - want_norm) < 1e-4 * want_norm:
                raise Incorrect("You returned (global_norm, loss); return (loss, global_norm).")
            raise Incorrect(f"The loss on the test batch is {float(want_loss):.5f}, you returned "
                            f"{loss:.5f}.")
        if abs(norm - want_norm) > 1e-4 * want_norm:
            if active and abs(norm - clip_norm) < 1e-4:
                raise Incorrect("You returned the norm after clipping; return the global norm "
                                "before clipping (it tells you how often clipping kicks in).")
            if abs(norm - want_norm ** 2) < 1e-4 * want_norm ** 2:
                raise Incorrect(f"You returned {norm:.5f}, the sum of the squares; the global "
                                f"norm is its square root, {want_norm:.5f}.")
            if abs(norm - sum(own_norms)) < 1e-4 * sum(own_norms):
                raise Incorrect(f"You returned {norm:.5f}, the sum of the tensors' norms; the "
                                "global norm is the square root of the sum of all squares, "
                                f"{want_norm:.5f}.")
            raise Incorrect(f"The global norm of the gradients is {want_norm:.5f}, you returned "
                            f"{norm:.5f}.")
        after = [v.numpy() for v in model.trainable_variables]
        if all(np.allclose(a, b) for a, b in zip(after, before, strict=True)):
            raise Incorrect("The model's weights did not change: apply the clipped gradients "
                            "with the optimizer.")
        if not all(np.allclose(a, w, rtol=1e-4, atol=1e-5)
                   for a, w in zip(after, want_weights, strict=True)):
            raise Incorrect(_clipping_mistake(clip_norm, want_norm, before, after, gradients))
    return ("the step clips by the global norm, applies the clipped gradients and reports the "
            "norm before clipping.")


@exercise(
    "03.3",
    title="The true mean loss of an epoch",
    hint="A short last batch holds fewer examples, so its mean should count less: weight each "
    "batch by its size. Check the two lists before you compute anything.",
    more="Return sum(loss_i * n_i) / sum(n_i) over the batches, as a float: each batch's mean "
    "times its size gives that batch's total loss. Before that, raise ValueError with one "
    "sentence when the lists are empty or of different lengths.",
)
def _check_epoch_mean(epoch_mean_loss):
    cases = [
        ([1.0, 2.0, 3.0], [32, 32, 16], 1.8),  # a short last batch: the plain mean would say 2.0
        ([0.5, 0.25], [10, 10], 0.375),
        ([0.7], [5], 0.7),
        ([2.0, 0.0, 1.0, 4.0], [32, 32, 32, 2], 104.0 / 98.0),
    ]
    rng = np.random.default_rng(0)
    per_example = rng.exponential(size=1000)
    sizes_1000 = [32] * 31 + [8]
    starts = np.cumsum([0] + sizes_1000[:-1])
    means_1000 = [float(per_example[s:s + n].mean())
                  for s, n in zip(starts, sizes_1000, strict=True)]
    cases.append((means_1000, sizes_1000, float(per_example.mean())))
    for losses, sizes, want in cases:
        shown = ("the 32 batches of a 1000-example epoch" if len(losses) > 10
                 else f"losses {losses} and batch sizes {sizes}")
        got = _as_float(epoch_mean_loss(list(losses), list(sizes)), "epoch_mean_loss(...)")
        if abs(got - want) > 1e-6:
            weighted_sum = float(np.dot(losses, sizes))
            if abs(got - float(np.mean(losses))) < 1e-6:
                raise Incorrect(f"For {shown} you returned the plain mean of the batch losses "
                                f"({got:.4f}); weighted by batch size it is {want:.4f}.")
            if abs(got - losses[-1]) < 1e-6:
                raise Incorrect(f"You returned the last batch's loss ({got:.4f}); the epoch's "
                                f"mean is {want:.4f}.")
            if abs(got - weighted_sum / len(losses)) < 1e-6:
                raise Incorrect(f"For {shown} you divided the weighted sum by the number of "
                                "batches; divide by the number of examples, sum(batch_sizes), to "
                                f"get {want:.4f}.")
            if abs(got - weighted_sum) < 1e-6 * max(1.0, weighted_sum):
                raise Incorrect(f"For {shown} you returned the weighted sum ({got:.4f}); divide "
                                f"it by the number of examples, sum(batch_sizes): {want:.4f}.")
            raise Incorrect(f"For {shown} the epoch's mean loss is {want:.4f}, you returned "
                            f"{got:.4f}.")
    bad_inputs = (
        (([], []), "there is no mean of nothing"),
        (([1.0, 2.0], [32]), "every batch loss needs its batch size"),
        (([1.0], [32, 16]), "every batch size needs its batch loss"),
    )
    for args, why in bad_inputs:
        call = f"epoch_mean_loss({args[0]}, {args[1]})"
        try:
            returned = epoch_mean_loss(*(list(a) for a in args))
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as exc:  # pylint: disable=broad-except - the wrong kind of error
            raise Incorrect(f"{call} raised {type(exc).__name__}; check the lists first and "
                            f"raise ValueError with a sentence saying what to pass ({why})."
                            ) from exc
        raise Incorrect(f"{call} returned {_describe(returned)}; it should raise ValueError "
                        f"({why}).")
    return ("that is the mean over every example of the epoch, exactly what keras.metrics.Mean "
            "with sample weights gives.")
