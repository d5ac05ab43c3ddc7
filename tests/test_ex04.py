"""The checkers of 04_overriding_train_step accept the solutions and reject plausible wrong
answers."""
import pytest

import helpers

helpers.start(seed=42, show=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


def _update_loss_and_metrics(model, loss, x, y, y_pred, sample_weight, by_batch_size=True):
    for metric in model.metrics:
        if metric.name == "loss":
            # without the batch size as weight, a short last batch counts as much as a full one
            metric.update_state(loss, sample_weight=tf.shape(x)[0] if by_batch_size else None)
        elif metric.name == "compile_metrics":
            metric.update_state(y, y_pred, sample_weight=sample_weight)


# --------------------------------------------------------------------------- 04.1

def _confusion_model(count, reset_ok=True, by_batch_size=True, returns=None):
    """A ConfusionModel whose test_step adds count(y, predicted, model) to the confusions
    (and returns ``returns(logs)`` if given)."""
    outside = keras.metrics.Sum(name="confusions")

    class ConfusionModel(keras.Model):
        def __init__(self, *args, true_class=4, predicted_class=9, **kwargs):
            super().__init__(*args, **kwargs)
            self.true_class = true_class
            self.predicted_class = predicted_class
            if reset_ok:
                self.confusions = keras.metrics.Sum(name="confusions")

        def test_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=False)
            _update_loss_and_metrics(self, loss, x, y, y_pred, sample_weight, by_batch_size)
            predicted = tf.argmax(y_pred, axis=-1)
            y = tf.cast(y, predicted.dtype)
            metric = self.confusions if reset_ok else outside
            metric.update_state(count(y, predicted, self))
            logs = self.get_metrics_result()
            logs["confusions"] = metric.result()
            return logs if returns is None else returns(logs)

    return ConfusionModel


def _hits(a, b):
    return tf.cast(tf.logical_and(a, b), tf.float32)


def _pair(y, predicted, model):
    hits = tf.logical_and(tf.equal(y, model.true_class), tf.equal(predicted, model.predicted_class))
    return tf.cast(hits, tf.float32)


def test_confusion_solution_passes():
    assert evaluate("04.1", _confusion_model(_pair)).status == "passed"


@pytest.mark.parametrize(
    "count, reset_ok",
    [
        (lambda y, p, m: _hits(tf.equal(y, m.predicted_class), tf.equal(p, m.true_class)), True),
        (lambda y, p, m: tf.cast(tf.not_equal(y, p), tf.float32), True),
        (lambda y, p, m: _hits(tf.equal(y, m.true_class), tf.not_equal(p, y)), True),
        (_pair, False),
    ],
    ids=["swapped", "all-mistakes", "all-mistakes-of-class", "not-reset"],
)
def test_confusion_wrong_answers_rejected(count, reset_ok):
    result = evaluate("04.1", _confusion_model(count, reset_ok))
    assert result.status == "incorrect", result.message


def test_confusion_unweighted_loss_is_caught_by_the_short_last_batch():
    result = evaluate("04.1", _confusion_model(_pair, by_batch_size=False))
    assert result.status == "incorrect", result.message
    assert "'loss' is the plain mean of the batch values" in result.message
    assert "sample_weight=tf.shape(x)[0]" in result.message


@pytest.mark.parametrize("returns, described", [
    (lambda logs: None, "None"),
    (lambda logs: logs["confusions"], "a tensor"),
    (lambda logs: list(logs.values()), "a list"),
])
def test_confusion_step_returning_no_dict_is_explained(returns, described):
    result = evaluate("04.1", _confusion_model(_pair, returns=returns))
    assert result.status == "incorrect", result.message
    assert "test_step should return the dict of logs" in result.message
    assert f"yours returned {described}" in result.message


def test_confusion_placeholder_is_not_done():
    class ConfusionModel(keras.Model):
        def __init__(self, *args, true_class=4, predicted_class=9, **kwargs):
            super().__init__(*args, **kwargs)
            self.true_class, self.predicted_class = true_class, predicted_class
            self.confusions = keras.metrics.Sum(name="confusions")

        def test_step(self, data):
            raise NotImplementedError("Exercise 04.1")

    assert evaluate("04.1", ConfusionModel).status == "not done"


def test_confusion_rejects_an_instance():
    assert evaluate("04.1", "ConfusionModel").status == "incorrect"


# --------------------------------------------------------------------------- 04.2

def _mistake_model(weighting, by_batch_size=True, returns_logs=True):
    class MistakeWeightedModel(keras.Model):
        def __init__(self, *args, mistake_weight=2.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.mistake_weight = mistake_weight

        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                weights = weighting(self, y, y_pred, sample_weight)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=weights,
                                         training=True)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(gradients, self.trainable_variables)
            _update_loss_and_metrics(self, loss, x, y, y_pred, sample_weight, by_batch_size)
            if returns_logs:
                return self.get_metrics_result()

    return MistakeWeightedModel


def _wrong(y, y_pred):
    return tf.not_equal(tf.argmax(y_pred, axis=-1), tf.cast(y, tf.int64))


def _right_weights(model, y, y_pred, sample_weight):
    weights = tf.where(_wrong(y, y_pred), model.mistake_weight, 1.0)
    return weights if sample_weight is None else weights * sample_weight


def test_mistake_solution_passes():
    assert evaluate("04.2", _mistake_model(_right_weights)).status == "passed"


@pytest.mark.parametrize(
    "weighting",
    [
        lambda m, y, p, sw: sw,
        lambda m, y, p, sw: tf.where(_wrong(y, p), m.mistake_weight, 1.0),
        lambda m, y, p, sw: (_right_weights(m, y, p, sw) if sw is None
                             else tf.where(_wrong(y, p), 1.0, m.mistake_weight) * sw),
        lambda m, y, p, sw: (tf.where(_wrong(y, p), 1.0, m.mistake_weight) if sw is None
                             else _right_weights(m, y, p, sw)),
        lambda m, y, p, sw: (lambda w: w / tf.reduce_mean(w))(_right_weights(m, y, p, sw)),
    ],
    ids=["unweighted", "drops-sample-weight", "inverted-with-sw", "inverted", "normalised"],
)
def test_mistake_wrong_answers_rejected(weighting):
    result = evaluate("04.2", _mistake_model(weighting))
    assert result.status == "incorrect", result.message


def test_mistake_unweighted_loss_is_caught_by_the_short_last_batch():
    result = evaluate("04.2", _mistake_model(_right_weights, by_batch_size=False))
    assert result.status == "incorrect", result.message
    assert "plain mean of the batch losses" in result.message


def test_mistake_step_that_never_applies_the_gradients_is_explained():
    class NoUpdate(keras.Model):
        def __init__(self, *args, mistake_weight=2.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.mistake_weight = mistake_weight

        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            y_pred = self(x, training=True)
            weights = _right_weights(self, y, y_pred, sample_weight)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=weights)
            _update_loss_and_metrics(self, loss, x, y, y_pred, sample_weight)
            return self.get_metrics_result()

    result = evaluate("04.2", NoUpdate)
    assert result.status == "incorrect", result.message
    assert "did not move" in result.message


def test_mistake_step_returning_none_is_explained():
    result = evaluate("04.2", _mistake_model(_right_weights, returns_logs=False))
    assert result.status == "incorrect", result.message
    assert "train_step should return the dict of logs" in result.message
    assert "yours returned None" in result.message


# --------------------------------------------------------------------------- 04.3

def _confidence_model(confidence_of, listed=True):
    outside = keras.metrics.Mean(name="confidence")

    class ConfidenceModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if listed:
                self.confidence = keras.metrics.Mean(name="confidence")

        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                         training=True)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(gradients, self.trainable_variables)
            _update_loss_and_metrics(self, loss, x, y, y_pred, sample_weight)
            metric = self.confidence if listed else outside
            metric.update_state(confidence_of(y_pred))
            logs = self.get_metrics_result()
            logs["confidence"] = metric.result()
            return logs

    return ConfidenceModel


def _max_probability(y_pred):
    return tf.reduce_max(tf.nn.softmax(y_pred, axis=-1), axis=-1)


def test_confidence_solution_passes():
    assert evaluate("04.3", _confidence_model(_max_probability)).status == "passed"


@pytest.mark.parametrize(
    "confidence_of, expected",
    [
        (lambda p: tf.reduce_max(p, axis=-1), "largest logit"),
        (lambda p: tf.reduce_min(tf.nn.softmax(p, axis=-1), axis=-1), "mean confidence is"),
        (lambda p: tf.reduce_mean(_max_probability(p)), "plain mean of the batch means"),
        (lambda p: tf.zeros_like(_max_probability(p)), "stayed 0"),
    ],
    ids=["logits", "min-probability", "batch-means", "zeros"],
)
def test_confidence_wrong_answers_rejected(confidence_of, expected):
    result = evaluate("04.3", _confidence_model(confidence_of))
    assert result.status == "incorrect", result.message
    assert expected in result.message


def test_confidence_unlisted_metric_rejected():
    result = evaluate("04.3", _confidence_model(_max_probability, listed=False))
    assert result.status == "incorrect"
    assert "model.metrics" in result.message


def test_confidence_placeholder_is_not_done():
    class ConfidenceModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            raise NotImplementedError("Exercise 04.3")

    assert evaluate("04.3", ConfidenceModel).status == "not done"


# --------------------------------------------------------------------------- 04.4

def _r1(reduce=tf.reduce_mean, of=lambda o: o, finish=lambda r1: r1, per_point=None,
        watch=True):
    """An r1_penalty computed in each of the plausible wrong ways."""

    def r1_penalty(discriminator, real):
        with tf.GradientTape() as input_tape:
            if watch:
                input_tape.watch(real)
            out = of(discriminator(real, training=True))
        slopes = input_tape.gradient(out, real)
        squared = per_point(slopes) if per_point else tf.reduce_sum(tf.square(slopes), axis=-1)
        return finish(reduce(squared))

    return r1_penalty


def test_r1_solution_passes():
    result = evaluate("04.4", _r1())
    assert result.status == "passed", result.message


@pytest.mark.parametrize("kwargs, expected", [
    ({"reduce": tf.reduce_sum}, "summed the squared norms over the batch"),
    ({"of": tf.sigmoid}, "gradient of the sigmoid of the logits"),
    ({"per_point": lambda s: tf.norm(s, axis=-1)}, "averaged the gradient norms, not their"),
    ({"per_point": tf.square}, "averaged the squares over the coordinates too"),
    ({"reduce": lambda v: v}, "one value per point"),
    ({"finish": tf.stop_gradient}, "d_tape) sees no gradient"),
    ({"finish": lambda r1: r1.numpy()}, "NumPy or Python number"),
    ({"finish": lambda r1: float(r1)}, "NumPy or Python number"),
    ({"finish": lambda r1: 2 * r1}, "the penalty (mean over the points of the squared norm"),
    ({"finish": lambda r1: r1 * tf.cast(tf.executing_eagerly(), tf.float32)},
     "Inside a tf.function (as in train_step) it returned 0.00000"),
], ids=["summed", "sigmoid", "norm-not-squared", "mean-over-coordinates", "per-point",
        "stop-gradient", "numpy", "float", "doubled", "zero-in-a-graph"])
def test_r1_wrong_answers_rejected(kwargs, expected):
    result = evaluate("04.4", _r1(**kwargs))
    assert result.status == "incorrect", result.message
    assert expected in result.message


def test_r1_unwatched_points_fail_with_the_hint():
    result = evaluate("04.4", _r1(watch=False))  # the gradient is None: tf.square(None) fails
    assert result.status == "error" and "What must that tape watch" in result.message


def test_r1_numpy_inside_a_graph_is_explained():
    def r1_penalty(discriminator, real):
        if not tf.executing_eagerly():
            np.asarray(real)  # what .numpy() does: impossible on a symbolic tensor
        return _r1()(discriminator, real)

    result = evaluate("04.4", r1_penalty)
    assert result.status == "incorrect" and "compiles train_step into a graph" in result.message


def test_r1_placeholder_is_not_done():
    def r1_penalty(discriminator, real):
        raise NotImplementedError("Exercise 04.4")

    assert evaluate("04.4", r1_penalty).status == "not done"


def test_r1_rejects_a_value_instead_of_the_function():
    result = evaluate("04.4", tf.constant(1.0))
    assert result.status == "incorrect" and "Pass the function itself" in result.message


@pytest.mark.parametrize("exercise_id, answer", [
    ("04.1", "tf.logical_and"), ("04.2", "tf.where"), ("04.3", "keras.metrics.Mean"),
    ("04.4", "input_tape.watch(real)"),
])
def test_the_first_hint_nudges_and_the_second_names_the_answer(exercise_id, answer):
    from helpers.exercises import registry

    exercise = registry()[exercise_id]
    assert answer not in exercise.hint
    assert answer in exercise.more
