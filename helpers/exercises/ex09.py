"""Checks for the exercises of 09_training_mode_and_freezing (training mode and freezing).

09.1 compares the learner's NumPy batch normalization with the output of a
``BatchNormalization`` layer whose gamma, beta and moving statistics are not the defaults, in
both modes, and checks that the layer's variables did not change. 09.2 trains a small Dense
model with the learner's compiled step while the first layer is frozen and unfrozen, counting
how often the loss function runs as Python (only when a ``tf.function`` traces), and compares
every step with an eager reference. 09.3 runs the learner's accuracy on one dataset batched by 4
and by 64 (both with a short last batch) with a model whose Dropout and BatchNormalization
behave differently in training mode, and compares it with the count of correct answers in
inference mode. Every check takes a second or two.
"""
from __future__ import annotations

from . import Incorrect, _as_number, _describe, exercise


def _modules():
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    return np, tf, keras


# --- 09.1: BatchNormalization by hand ---------------------------------------------------------
_EPSILON = 0.01  # not the default 0.001: an answer must read layer.epsilon
_GAMMA = (1.5, 0.8, -1.2)
_BETA = (0.3, -0.7, 1.1)
_MOVING_MEAN = (0.4, 0.45, -0.2)
_MOVING_VARIANCE = (2.0, 2e-4, 0.5)  # feature 1: a tiny variance, where epsilon matters


def _batch_norm_layer(keras):
    layer = keras.layers.BatchNormalization(epsilon=_EPSILON)
    layer.build((None, 3))
    layer.gamma.assign(_GAMMA)
    layer.beta.assign(_BETA)
    layer.moving_mean.assign(_MOVING_MEAN)
    layer.moving_variance.assign(_MOVING_VARIANCE)
    return layer


def _batch(np):
    rng = np.random.default_rng(91)
    x = rng.normal(size=(8, 3))
    x[:, 0] = 1.0 + 2.0 * x[:, 0]
    x[:, 1] = 0.5 + 0.01 * x[:, 1]  # a feature of tiny variance (about 1e-4)
    x[:, 2] = -0.5 + 0.7 * x[:, 2]
    return x.astype("float32")


def _batch_norm_mistakes(np, x, in_training):
    """(output, sentence) for each wrong answer the check names, computed in float64."""
    x = x.astype("float64")
    gamma, beta = np.array(_GAMMA), np.array(_BETA)
    moving = np.array(_MOVING_MEAN), np.array(_MOVING_VARIANCE)
    batch = x.mean(axis=0), x.var(axis=0)
    mean, var = batch if in_training else moving
    mode = f"training={in_training}"

    def norm(mean, var, scale):
        return (x - mean) / scale * gamma + beta

    other_mean, other_var = moving if in_training else batch
    mistakes = [
        (norm(other_mean, other_var, np.sqrt(other_var + _EPSILON)),
         "with training=True the layer normalizes with the batch's own mean and variance, not "
         "the moving statistics" if in_training else
         "with training=False the layer normalizes with layer.moving_mean and "
         "layer.moving_variance, not the batch's own mean and variance"),
        (norm(mean, var, np.sqrt(var + 0.001)),
         f"use the layer's epsilon, layer.epsilon ({_EPSILON:g} for this layer), not 0.001"),
        (norm(mean, var, np.sqrt(var)),
         f"with {mode} you forgot epsilon: divide by sqrt(variance + layer.epsilon); it "
         "matters for a feature of tiny variance"),
        (norm(mean, var, np.sqrt(var) + _EPSILON),
         f"with {mode} epsilon belongs inside the square root: sqrt(variance + "
         "layer.epsilon), not sqrt(variance) + epsilon"),
        (norm(mean, var, var + _EPSILON),
         f"with {mode} you divided by variance + epsilon without the square root: divide by "
         "sqrt(variance + layer.epsilon)"),
        (norm(mean, var, np.sqrt(np.sqrt(var) + _EPSILON)),
         f"with {mode} you used a standard deviation where the variance belongs (a square "
         "root taken twice): divide by sqrt(variance + layer.epsilon)"),
        (norm(mean, var, np.sqrt(np.sqrt(var + _EPSILON))),
         f"with {mode} you took the square root twice: divide by sqrt(variance + "
         "layer.epsilon), once"),
        ((x - mean) / np.sqrt(var + _EPSILON),
         f"with {mode} you forgot gamma and beta: multiply by layer.gamma and add layer.beta "
         "after normalizing"),
        ((x - mean) / np.sqrt(var + _EPSILON) + beta,
         f"with {mode} you forgot gamma: multiply by layer.gamma before adding layer.beta"),
        ((x - mean) / np.sqrt(var + _EPSILON) * gamma,
         f"with {mode} you forgot beta: add layer.beta after multiplying by layer.gamma"),
    ]
    if in_training:
        n = len(x)
        unbiased = var * n / (n - 1)
        mistakes.insert(1, (
            norm(mean, unbiased, np.sqrt(unbiased + _EPSILON)),
            "with training=True you used the unbiased variance (dividing by n - 1); the layer "
            "uses the batch's biased variance, ddof=0 (np.var's default)"))
    return mistakes


@exercise(
    "09.1",
    title="BatchNormalization by hand",
    hint="Choose the statistics by the mode (the batch's own, or the layer's moving ones), then "
    "normalize, scale and shift with NumPy; never call the layer itself.",
    more="With training=True: mean = x.mean(axis=0) and var = x.var(axis=0) (ddof=0, the "
    "biased variance); with training=False: mean = np.asarray(layer.moving_mean) and var = "
    "np.asarray(layer.moving_variance). Then return (x - mean) / np.sqrt(var + layer.epsilon) "
    "* np.asarray(layer.gamma) + np.asarray(layer.beta).",
)
def _check_batch_norm(batch_norm):
    np, _, keras = _modules()
    if not callable(batch_norm):
        raise Incorrect("pass your function batch_norm itself to check().")
    x = _batch(np)
    reference = _batch_norm_layer(keras)
    layer = _batch_norm_layer(keras)
    before = [v.numpy().copy() for v in layer.variables]
    for training in (True, False):
        want = np.asarray(reference(x, training=training), dtype="float64")
        for v, value in zip(reference.variables, before, strict=True):
            v.assign(value)  # the reference's own call in training mode moved its statistics
        given = x.copy()
        got = batch_norm(given, layer, training)
        call = f"batch_norm(x, layer, training={training})"
        if any(not np.array_equal(v.numpy(), value)
               for v, value in zip(layer.variables, before, strict=True)):
            raise Incorrect(
                f"{call} changed the layer's moving statistics: compute with NumPy, do not "
                "call the layer in training mode.")
        if not np.array_equal(given, x):
            raise Incorrect(f"{call} changed x in place; compute a new array instead.")
        if got is None:
            raise Incorrect(f"{call} returned None; return the normalized batch as a NumPy "
                            "array.")
        try:
            got = np.asarray(got, dtype="float64")
        except (TypeError, ValueError):
            raise Incorrect(f"{call} should return the normalized batch as a NumPy array; you "
                            f"returned {_describe(got)}.") from None
        if got.shape != x.shape:
            raise Incorrect(
                f"{call} returned an array of shape {got.shape}; return one normalized value "
                f"for each entry of x, shape {x.shape}.")
        tolerance = 1e-5 * max(1.0, float(np.abs(want).max()))
        if np.allclose(got, want, rtol=0, atol=tolerance):
            continue
        for output, sentence in _batch_norm_mistakes(np, x, training):
            if np.allclose(got, output, rtol=0, atol=tolerance):
                raise Incorrect(sentence + ".")
        difference = float(np.abs(got - want).max())
        raise Incorrect(f"{call} differs from the layer's own output by up to {difference:.3g}.")
    return ("both modes match the layer's own output, batch statistics in training and moving "
            "statistics in inference, and the layer's variables are untouched.")


# --- 09.2: a compiled step that follows freezing ----------------------------------------------
_LEARNING_RATE = 0.1


def _dense_model(keras):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(6, activation="tanh", kernel_initializer=init(seed=21)),
        keras.layers.Dense(1, kernel_initializer=init(seed=22)),
    ])


class _CountingLoss:
    """Mean squared error that counts how often it runs as Python, eagerly or while tracing."""

    def __init__(self, tf, keras):
        self._tf = tf
        self._loss = keras.losses.MeanSquaredError()
        self.eager = 0
        self.traced = 0

    def __call__(self, y_true, y_pred):
        if self._tf.executing_eagerly():
            self.eager += 1
        else:
            self.traced += 1
        return self._loss(y_true, y_pred)


def _reference_step(tf, keras, model, x, y):
    """One eager SGD step on model.trainable_variables; the loss before it."""
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x, training=True))
    trainable = model.trainable_variables
    for variable, gradient in zip(trainable, tape.gradient(loss, trainable), strict=True):
        variable.assign_sub(_LEARNING_RATE * gradient)
    return float(loss)


def _weights(layer):
    return [w.copy() for w in layer.get_weights()]


def _same(np, a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


@exercise(
    "09.2",
    title="A compiled step that follows freezing",
    hint="A tf.function keeps the variable list it saw when it traced. Keep one compiled "
    "function per set of trainable variables, and pick it at every call.",
    more="Write train_step(x, y): a GradientTape around loss_fn(y, model(x, training=True)), "
    "variables = model.trainable_variables, tape.gradient(loss, variables), "
    "optimizer.apply(gradients, variables), return loss. In step(x, y): key = tuple(id(v) "
    "for v in model.trainable_variables); if the key is new, store tf.function(train_step) "
    "under it in a dictionary; then call the stored function. The dictionary and both "
    "functions live inside make_freeze_aware_step.",
)
def _check_train_step(make_freeze_aware_step):
    np, tf, keras = _modules()
    if not callable(make_freeze_aware_step):
        raise Incorrect("pass your function make_freeze_aware_step itself to check().")
    model, reference = _dense_model(keras), _dense_model(keras)
    optimizer = keras.optimizers.SGD(_LEARNING_RATE)
    optimizer.build(model.trainable_variables)  # built on every variable, before any freezing
    loss_fn = _CountingLoss(tf, keras)
    step = make_freeze_aware_step(model, optimizer, loss_fn)
    if not callable(step):
        raise Incorrect("make_freeze_aware_step should return the step function it builds, "
                        f"step(x, y); it returned {_describe(step)}.")
    rng = np.random.default_rng(92)
    first, second = model.layers
    number = 0
    for phase, trainable in enumerate((True, False, True)):
        first.trainable = reference.layers[0].trainable = trainable
        state = "frozen" if not trainable else "trainable again" if phase else "trainable"
        for k in range(3):
            number += 1
            at = f"at step {number} (layer 0 {state})"
            x = tf.constant(rng.normal(size=(16, 8)).astype("float32"))
            y = tf.constant(rng.normal(size=(16, 1)).astype("float32"))
            before = _weights(first), _weights(second)
            traced = loss_fn.traced
            want = _reference_step(tf, keras, reference, x, y)
            loss = step(x, y)
            if loss is None:
                raise Incorrect(f"{at} step(x, y) returned None; return the batch's loss.")
            if loss_fn.eager:
                raise Incorrect(
                    "loss_fn ran as Python at every step, so your step runs eagerly: wrap the "
                    "step in tf.function.")
            after = _weights(first), _weights(second)
            if not trainable and not _same(np, before[0], after[0]):
                raise Incorrect(
                    f"{at} your step changed layer 0: your compiled step still updates the "
                    "variables it captured when it was traced; make a new tf.function when "
                    "model.trainable_variables changes.")
            if _same(np, before[1], after[1]) or (trainable and _same(np, before[0], after[0])):
                unchanged = "layer 1" if _same(np, before[1], after[1]) else "layer 0"
                if phase == 2 and unchanged == "layer 0":
                    raise Incorrect(
                        f"{at} your step left layer 0 unchanged: it still runs the function "
                        "traced while layer 0 was frozen; pick the tf.function that belongs "
                        "to the current model.trainable_variables.")
                raise Incorrect(
                    f"{at} your step did not change {unchanged}: apply the gradients to "
                    "model.trainable_variables with optimizer.apply(gradients, variables).")
            difference = max(
                float(np.max(np.abs(a - b)))
                for a, b in zip(model.get_weights(), reference.get_weights(), strict=True))
            if difference > 1e-5:
                raise Incorrect(
                    f"{at} your weights differ from one SGD step by up to {difference:.2g}: "
                    "compute the gradients of loss_fn(y, model(x, training=True)) with respect "
                    "to model.trainable_variables and apply them with optimizer.apply.")
            got = _as_number(loss, f"the loss step(x, y) returns {at}")
            if not np.isclose(got, want, rtol=1e-5):
                raise Incorrect(f"{at} step(x, y) returned {got:.5g}; the batch's loss before "
                                f"the update is {want:.5g}.")
            if k > 0 and loss_fn.traced > traced:
                raise Incorrect(
                    f"{at} your step traced again although no layer had been frozen or "
                    "unfrozen since the step before (loss_fn ran as Python again): keep the "
                    "tf.function you make and make a new one only when "
                    "model.trainable_variables changes.")
    return (f"9 steps, {loss_fn.traced} traces: layer 0 stayed bit for bit unchanged while "
            "frozen, trained again when unfrozen, and every step matches an eager SGD step.")


# --- 09.3: accuracy in inference mode ---------------------------------------------------------
_N_EXAMPLES = 70  # batches of 4: 17 and a last one of 2; batches of 64: 64 and a last one of 6


def _classifier(keras, np):
    init = keras.initializers.GlorotUniform
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, kernel_initializer=init(seed=31)),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.5, seed=32),
        keras.layers.Dense(3, kernel_initializer=init(seed=33)),
    ])
    normalization = model.layers[1]
    # moving statistics far from what a batch of the data gives: training mode differs
    normalization.moving_mean.assign(np.full(8, 3.0, "float32"))
    normalization.moving_variance.assign(np.full(8, 9.0, "float32"))
    normalization.gamma.assign(np.linspace(0.5, 2.0, 8).astype("float32"))
    return model


def _accuracy_data(np, model):
    rng = np.random.default_rng(93)
    x = rng.normal(size=(_N_EXAMPLES, 4)).astype("float32")
    predicted = np.asarray(model(x, training=False)).argmax(axis=1)
    right = rng.random(_N_EXAMPLES) < 0.75
    # the short last batches (2 and 6 examples) hold one right answer: their accuracies (1/2,
    # 1/6) are not the whole set's, so a mean of the batches' accuracies differs from it
    right[-6:] = [False, False, False, False, True, False]
    wrong = (predicted + rng.integers(1, 3, size=_N_EXAMPLES)) % 3
    y = np.where(right, predicted, wrong).astype("int64")
    return x, y, int(right.sum())


@exercise(
    "09.3",
    title="Accuracy in inference mode",
    hint="Call the model with training=False, and count: correct answers over all examples, not "
    "an average of the batches' accuracies.",
    more="correct = total = 0; for x, y in dataset: logits = model(x, training=False); add "
    "int(tf.reduce_sum(tf.cast(tf.argmax(logits, axis=-1) == y, tf.int32))) to correct and "
    "the batch's size, int(tf.shape(y)[0]), to total; return correct / total, a Python float. "
    "(keras.metrics.SparseCategoricalAccuracy with update_state on every batch counts the "
    "same way: return float(metric.result()).)",
)
def _check_accuracy(evaluate_accuracy):
    np, tf, keras = _modules()
    if not callable(evaluate_accuracy):
        raise Incorrect("pass your function evaluate_accuracy itself to check().")
    model = _classifier(keras, np)
    x, y, correct = _accuracy_data(np, model)
    normalization, dropout = model.layers[1], model.layers[2]
    statistics = [v.numpy().copy() for v in normalization.non_trainable_variables]
    seed_state = [v.numpy().copy() for v in dropout.non_trainable_variables]  # moves as it drops
    want = correct / _N_EXAMPLES
    results = {}
    for size in (4, 64):
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(size)
        got = evaluate_accuracy(model, dataset)
        if any(not np.array_equal(v.numpy(), s)
               for v, s in zip(normalization.non_trainable_variables, statistics, strict=True)):
            raise Incorrect(
                "you ran the model in training mode: its BatchNormalization layer's moving "
                "statistics moved (and Dropout dropped units); call model(x, training=False).")
        if any(not np.array_equal(v.numpy(), s)
               for v, s in zip(dropout.non_trainable_variables, seed_state, strict=True)):
            raise Incorrect(
                "the model's Dropout layer dropped units, so it ran with training=True "
                "(freezing a model stops BatchNormalization's updates, not Dropout); call "
                "model(x, training=False).")
        if got is None:
            raise Incorrect("you returned None; return the accuracy as a Python float.")
        results[size] = (got, _as_number(got, "the accuracy"))
    batch_means = {}
    for size in (4, 64):
        counts = [(int(right.sum()), len(right)) for right in np.array_split(
            np.asarray(model(x, training=False)).argmax(axis=1) == y,
            range(size, _N_EXAMPLES, size))]
        batch_means[size] = float(np.mean([c / n for c, n in counts]))
    (raw4, got4), (raw64, got64) = results[4], results[64]
    if all(abs(results[s][1] - batch_means[s]) < 1e-6 for s in (4, 64)):
        raise Incorrect(
            f"you averaged the batches' accuracies ({got4:.4f} in batches of 4, {got64:.4f} in "
            f"batches of 64); the last batch is shorter, so count the correct answers over all "
            f"{_N_EXAMPLES} examples and divide once ({correct}/{_N_EXAMPLES} = {want:.4f}).")
    if abs(got4 - got64) > 1e-6:
        raise Incorrect(
            f"your accuracy of the same examples changes with the batch size ({got4:.4f} in "
            f"batches of 4, {got64:.4f} in batches of 64): add up the correct answers of "
            "every batch and divide once by the number of examples.")
    if round(got4 * _N_EXAMPLES) != correct or abs(got4 - want) > 1e-6:
        raise Incorrect(
            f"in inference mode the model gets {correct} of {_N_EXAMPLES} examples right "
            f"({want:.4f}); you returned {got4:.4f}.")
    for raw in (raw4, raw64):
        if not isinstance(raw, float):  # np.float64 is a float; a tensor, float32 or int not
            raise Incorrect(f"the value is right, but return a Python float (float(...)), not "
                            f"{_describe(raw)}.")
    return (f"{correct}/{_N_EXAMPLES} = {want:.4f} in batches of 4 and of 64 alike, and the "
            "moving statistics are untouched.")
