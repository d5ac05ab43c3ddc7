"""The checks of 09_training_mode_and_freezing accept a right answer and reject the placeholder
and each wrong answer with the sentence that names its mistake."""


import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from exercise_results import names, timed  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


def placeholder(*args):
    raise NotImplementedError("Exercise 09.k")


# --- 09.1: BatchNormalization by hand ---------------------------------------------------------
def batch_norm_with(statistics="mode", ddof=0, epsilon="layer", denominator="sqrt",
                    affine="both"):
    def batch_norm(x, layer, training):
        eps = layer.epsilon if epsilon == "layer" else epsilon
        batch_mode = training if statistics == "mode" else not training
        if batch_mode:
            mean, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
        else:
            mean, var = np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)
        scale = {
            "sqrt": lambda: np.sqrt(var + eps),
            "outside": lambda: np.sqrt(var) + eps,
            "missing": lambda: var + eps,
            "std inside": lambda: np.sqrt(np.sqrt(var) + eps),
            "twice": lambda: np.sqrt(np.sqrt(var + eps)),
        }[denominator]()
        normalized = (x - mean) / scale
        gamma, beta = np.asarray(layer.gamma), np.asarray(layer.beta)
        return {"both": normalized * gamma + beta, "none": normalized,
                "beta only": normalized + beta, "gamma only": normalized * gamma}[affine]
    return batch_norm


def calls_the_layer(x, layer, training):
    return layer(x, training=training)


def in_place(x, layer, training):
    out = batch_norm_with()(x, layer, training)
    x -= 1.0
    return out


def test_batch_norm_accepts_numpy_and_a_tensor():
    result = timed("09.1", batch_norm_with())
    assert result.status == "passed", result.message
    as_tensor = timed("09.1", lambda x, layer, training: tf.constant(
        batch_norm_with()(x, layer, training)))
    assert as_tensor.status == "passed", as_tensor.message


@pytest.mark.parametrize("answer, expected", [
    (batch_norm_with(statistics="swapped"),
     "with training=True the layer normalizes with the batch's own mean and variance, not the "
     "moving statistics"),
    (batch_norm_with(ddof=1), "unbiased variance (dividing by n - 1)"),
    (batch_norm_with(epsilon=0), "with training=True you forgot epsilon"),
    (batch_norm_with(epsilon=0.001),
     "use the layer's epsilon, layer.epsilon (0.01 for this layer), not 0.001"),
    (batch_norm_with(denominator="outside"), "epsilon belongs inside the square root"),
    (batch_norm_with(denominator="missing"), "variance + epsilon without the square root"),
    (batch_norm_with(denominator="std inside"), "a standard deviation where the variance "
     "belongs"),
    (batch_norm_with(denominator="twice"), "you took the square root twice"),
    (batch_norm_with(affine="none"), "you forgot gamma and beta"),
    (batch_norm_with(affine="beta only"), "you forgot gamma:"),
    (batch_norm_with(affine="gamma only"), "you forgot beta:"),
    (calls_the_layer, "changed the layer's moving statistics: compute with NumPy, do not call "
     "the layer in training mode"),
    (in_place, "changed x in place"),
    (lambda x, layer, training: None, "returned None; return the normalized batch"),
    (lambda x, layer, training: x.mean(axis=0), "returned an array of shape (3,); return one "
     "normalized value for each entry of x, shape (8, 3)"),
    (lambda x, layer, training: "x", "should return the normalized batch as a NumPy array"),
    (lambda x, layer, training: x, "differs from the layer's own output by up to"),
])
def test_batch_norm_names_each_mistake(answer, expected):
    result = timed("09.1", answer)
    assert names(result, expected), result.message


def test_batch_norm_inference_mistakes_name_the_inference_mode():
    def inference_with(**mistake):
        right, wrong = batch_norm_with(), batch_norm_with(**mistake)
        return lambda x, layer, training: (wrong if not training else right)(x, layer, training)

    for mistake, expected in (
        ({"statistics": "swapped"}, "with training=False the layer normalizes with "
         "layer.moving_mean and layer.moving_variance, not the batch's own"),
        ({"epsilon": 0}, "with training=False you forgot epsilon"),
        ({"denominator": "outside"}, "with training=False epsilon belongs inside"),
        ({"affine": "none"}, "with training=False you forgot gamma and beta"),
    ):
        result = timed("09.1", inference_with(**mistake))
        assert names(result, expected), result.message


def test_batch_norm_rejects_what_is_not_a_function_and_the_placeholder():
    assert names(evaluate("09.1", np.zeros(3)), "pass your function batch_norm itself")
    assert evaluate("09.1", placeholder).status == "not done"


# --- 09.2: a compiled step that follows freezing ------------------------------------------------
def _train_step(model, optimizer, loss_fn):
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        optimizer.apply(gradients, variables)
        return loss
    return train_step


def make_freeze_aware_step(model, optimizer, loss_fn):
    compiled = {}
    train_step = _train_step(model, optimizer, loss_fn)

    def step(x, y):
        key = tuple(id(v) for v in model.trainable_variables)
        if key not in compiled:
            compiled[key] = tf.function(train_step)
        return compiled[key](x, y)
    return step


def last_set_only(model, optimizer, loss_fn):  # right too: a new tf.function at every change
    train_step, state = _train_step(model, optimizer, loss_fn), {}

    def step(x, y):
        key = [id(v) for v in model.trainable_variables]
        if state.get("key") != key:
            state["key"], state["step"] = key, tf.function(train_step)
        return state["step"](x, y)
    return step


def traced_once(model, optimizer, loss_fn):  # the trap: the variable list of the first trace
    return tf.function(_train_step(model, optimizer, loss_fn))


def eager(model, optimizer, loss_fn):
    return _train_step(model, optimizer, loss_fn)


def new_function_every_call(model, optimizer, loss_fn):
    train_step = _train_step(model, optimizer, loss_fn)
    return lambda x, y: tf.function(train_step)(x, y)


def only_when_fewer(model, optimizer, loss_fn):  # retraces on freezing, never on unfreezing
    train_step, state = _train_step(model, optimizer, loss_fn), {}

    def step(x, y):
        n = len(model.trainable_variables)
        if "step" not in state or n < state["n"]:
            state["step"], state["n"] = tf.function(train_step), n
        return state["step"](x, y)
    return step


def returns_nothing(model, optimizer, loss_fn):
    step = make_freeze_aware_step(model, optimizer, loss_fn)
    return lambda x, y: step(x, y) and None


def wrong_sign(model, optimizer, loss_fn):
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        variables = model.trainable_variables
        optimizer.apply([-g for g in tape.gradient(loss, variables)], variables)
        return loss
    compiled = {}

    def step(x, y):
        key = tuple(id(v) for v in model.trainable_variables)
        return compiled.setdefault(key, tf.function(train_step))(x, y)
    return step


def no_update(model, optimizer, loss_fn):
    return tf.function(lambda x, y: loss_fn(y, model(x, training=True)))


def loss_after_the_update(model, optimizer, loss_fn):
    step = make_freeze_aware_step(model, optimizer, loss_fn)

    def after(x, y):
        step(x, y)
        return keras.losses.MeanSquaredError()(y, model(x))
    return after


def test_train_step_accepts_the_solution():
    result = timed("09.2", make_freeze_aware_step)
    assert result.status == "passed", result.message
    assert result.message.startswith("9 steps, 2 traces: layer 0 stayed bit for bit unchanged")
    again = timed("09.2", last_set_only)
    assert again.status == "passed" and again.message.startswith("9 steps, 3 traces"), (
        again.message)


@pytest.mark.parametrize("answer, expected", [
    (traced_once, "at step 4 (layer 0 frozen) your step changed layer 0: your compiled step "
     "still updates the variables it captured when it was traced; make a new tf.function when "
     "model.trainable_variables changes"),
    (eager, "your step runs eagerly: wrap the step in tf.function"),
    (new_function_every_call, "at step 2 (layer 0 trainable) your step traced again although "
     "no layer had been frozen or unfrozen"),
    (only_when_fewer, "at step 7 (layer 0 trainable again) your step left layer 0 unchanged: "
     "it still runs the function traced while layer 0 was frozen"),
    (returns_nothing, "at step 1 (layer 0 trainable) step(x, y) returned None"),
    (wrong_sign, "at step 1 (layer 0 trainable) your weights differ from one SGD step"),
    (no_update, "at step 1 (layer 0 trainable) your step did not change layer 1"),
    (loss_after_the_update, "the batch's loss before the update is"),
    (lambda model, optimizer, loss_fn: None,
     "make_freeze_aware_step should return the step function it builds, step(x, y); it returned "
     "None"),
])
def test_train_step_names_each_mistake(answer, expected):
    result = timed("09.2", answer)
    assert names(result, expected), result.message


def test_train_step_rejects_what_is_not_a_function_and_the_placeholder():
    assert names(evaluate("09.2", 3), "pass your function make_freeze_aware_step itself")
    assert evaluate("09.2", placeholder).status == "not done"


# --- 09.3: accuracy in inference mode -----------------------------------------------------------
def counts(model, dataset, training=False):
    correct = total = 0
    for x, y in dataset:
        predictions = tf.argmax(model(x, training=training), axis=-1)
        correct += int(tf.reduce_sum(tf.cast(predictions == y, tf.int32)))
        total += int(tf.shape(y)[0])
    return correct, total


def evaluate_accuracy(model, dataset):
    correct, total = counts(model, dataset)
    return correct / total


def with_a_metric(model, dataset):
    metric = keras.metrics.SparseCategoricalAccuracy()
    for x, y in dataset:
        metric.update_state(y, model(x, training=False))
    return float(metric.result())


def mean_of_batches(model, dataset):
    return float(np.mean([
        float(keras.metrics.sparse_categorical_accuracy(y, model(x, training=False)).numpy()
              .mean()) for x, y in dataset]))


def first_batch_size(model, dataset):  # every batch's accuracy weighted as a full batch
    accuracies = [counts(model, [(x, y)]) for x, y in dataset]
    full = accuracies[0][1]
    return sum(c / n * full for c, n in accuracies) / sum(n for _, n in accuracies)


def training_mode(model, dataset):
    correct, total = counts(model, dataset, training=True)
    return correct / total


def dropout_only(model, dataset):  # BatchNormalization frozen, Dropout still active
    model.trainable = False
    try:
        return training_mode(model, dataset)
    finally:
        model.trainable = True


def test_accuracy_accepts_counts_and_a_metric():
    for answer in (evaluate_accuracy, with_a_metric):
        result = timed("09.3", answer)
        assert result.status == "passed", result.message
        assert "/70 = " in result.message and "in batches of 4 and of 64 alike" in result.message


@pytest.mark.parametrize("answer, expected", [
    (training_mode, "you ran the model in training mode: its BatchNormalization layer's moving "
     "statistics moved"),
    (mean_of_batches, "you averaged the batches' accuracies"),
    (first_batch_size, "changes with the batch size"),
    (dropout_only, "the model's Dropout layer dropped units, so it ran with training=True"),
    (lambda model, dataset: tf.constant(evaluate_accuracy(model, dataset)),
     "the value is right, but return a Python float (float(...)), not a tensor"),
    (lambda model, dataset: np.float32(evaluate_accuracy(model, dataset)),
     "the value is right, but return a Python float"),
    (lambda model, dataset: None, "you returned None"),
    (lambda model, dataset: 1.0 - evaluate_accuracy(model, dataset), "in inference mode the model "
     "gets"),
    (lambda model, dataset: [0.5, 0.5], "should be a single number"),
])
def test_accuracy_names_each_mistake(answer, expected):
    result = timed("09.3", answer)
    assert names(result, expected), result.message


def test_accuracy_rejects_what_is_not_a_function_and_the_placeholder():
    assert names(evaluate("09.3", "f"), "pass your function evaluate_accuracy itself")
    assert evaluate("09.3", placeholder).status == "not done"
