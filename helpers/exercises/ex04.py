"""Checks for the exercises of 04_overriding_train_step.

Each checker of 04.1-04.3 builds the learner's model class on a tiny problem (a single Dense
layer with fixed weights, a few dozen examples), runs ``evaluate()`` or ``fit()`` on it and
compares the result with an answer computed independently with NumPy or a hand-written tape. The
checker of 04.4 calls the learner's penalty function on a small discriminator with fixed weights
inside a tape, as the GAN's ``train_step`` would, and compares the penalty and the gradient of the
penalised loss with a float64 reference. Every check takes a second or two.
"""
from __future__ import annotations

import numpy as np

from . import Incorrect, _describe, exercise

_N_FEATURES = 5
_N_CLASSES = 4


def _require_model_class(model_class, name: str) -> None:
    import keras

    if not (isinstance(model_class, type) and issubclass(model_class, keras.Model)):
        raise Incorrect(
            f"pass the class itself, check(..., {name}), not an instance or a function; it must "
            f"subclass keras.Model (got {model_class!r})."
        )


def _tiny_problem(n: int, seed: int, scale: float = 1.0):
    """Features, integer labels and fixed Dense weights (kernel, bias) for a 4-class problem."""
    rng = np.random.default_rng(seed)
    x = (scale * rng.normal(size=(n, _N_FEATURES))).astype("float32")
    y = rng.integers(0, _N_CLASSES, size=n).astype("int64")
    kernel = rng.normal(size=(_N_FEATURES, _N_CLASSES)).astype("float32")
    bias = rng.normal(scale=0.1, size=_N_CLASSES).astype("float32")
    return x, y, kernel, bias


def _build(model_class, kernel, bias, **kwargs):
    """A one-layer model of the learner's class (functional construction) with the given weights."""
    import keras

    inputs = keras.Input(shape=(_N_FEATURES,))
    outputs = keras.layers.Dense(_N_CLASSES)(inputs)
    model = model_class(inputs, outputs, **kwargs)
    model.set_weights([kernel, bias])
    return model


def _compile(model, learning_rate: float = 0.0):
    import keras

    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _checking_step(model, step_name: str, run):
    """``run()`` (a fit() or evaluate() of ``model``), with ``model.<step_name>`` watched: if it
    returns something other than a dict of logs, say so instead of Keras's internal error."""
    original = getattr(model, step_name)
    returned = []

    def step(data):
        logs = original(data)
        if not isinstance(logs, dict):
            returned.append(logs)
        return logs

    setattr(model, step_name, step)
    try:
        return run()
    except Exception as exc:  # pylint: disable=broad-except - explained if the step returned junk
        if isinstance(exc, (NotImplementedError, Incorrect)) or not returned:
            raise
        raise Incorrect(
            f"{step_name} should return the dict of logs that self.get_metrics_result() gives "
            f"(metric name → value); yours returned {_describe(returned[0])}."
        ) from None


def _batch_means(values: np.ndarray, batch_size: int) -> list[float]:
    return [float(np.mean(values[i:i + batch_size])) for i in range(0, len(values), batch_size)]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -np.log(_softmax(logits.astype("float64"))[np.arange(len(y)), y])


# --------------------------------------------------------------------------- 04.1

_CONFUSION_BATCH = 16
_CONFUSION_N = 90  # 5 full batches and a short one of 10: a plain mean of batch means is off


def _confusion_pairs(y, predicted, batch_size):
    """Two (true, predicted) pairs whose count differs from every plausible wrong count."""
    matrix = np.zeros((_N_CLASSES, _N_CLASSES), dtype=int)
    np.add.at(matrix, (y, predicted), 1)
    last = slice((len(y) - 1) // batch_size * batch_size, len(y))
    last_matrix = np.zeros_like(matrix)
    np.add.at(last_matrix, (y[last], predicted[last]), 1)
    total_wrong = int(matrix.sum() - np.trace(matrix))
    pairs = []
    for a in range(_N_CLASSES):
        for b in range(_N_CLASSES):
            count = matrix[a, b]
            wrong_of_a = matrix[a].sum() - matrix[a, a]
            if a == b or count == 0:
                continue
            wrong_as_b = matrix[:, b].sum() - matrix[b, b]
            if count in (matrix[b, a], wrong_of_a, total_wrong, last_matrix[a, b], wrong_as_b):
                continue
            pairs.append((a, b))
    if len(pairs) < 2:  # the data are fixed, so this only happens if the checker itself is broken
        raise RuntimeError(
            "checker 04.1: the fixed test data give no usable (true, predicted) pair")
    return [pairs[0], pairs[-1]], matrix, last_matrix, total_wrong


@exercise(
    "04.1",
    title="A test_step that counts one confusion",
    hint=(
        "Start from section 4's test_step. The Sum metric adds up whatever you give it: what "
        "could you give it, one number per example, so that it ends up counting the confusion?"
    ),
    more=(
        "Before returning self.get_metrics_result(), call self.confusions.update_state(...) with "
        "a 1 for every example whose label is self.true_class and whose argmax prediction is "
        "self.predicted_class, and 0 otherwise (tf.logical_and of two tf.equal, cast to float)."
    ),
)
def _check_confusion(model_class):
    _require_model_class(model_class, "ConfusionModel")
    x, y, kernel, bias = _tiny_problem(_CONFUSION_N, seed=4)
    predicted = np.argmax(x @ kernel + bias, axis=-1)
    pairs, matrix, last_matrix, total_wrong = _confusion_pairs(y, predicted, _CONFUSION_BATCH)

    logits = x @ kernel + bias
    expected_logs = {  # what the built-in test_step reports: means over examples
        "loss": float(np.mean(_cross_entropy(logits, y))),
        "accuracy": float(np.mean(predicted == y)),
    }
    unweighted = {  # what a loss or accuracy tracker updated without the batch size reports
        "loss": float(np.mean(_batch_means(_cross_entropy(logits, y), _CONFUSION_BATCH))),
        "accuracy": float(np.mean(_batch_means(predicted == y, _CONFUSION_BATCH))),
    }

    for true_class, predicted_class in pairs:
        model = _compile(_build(model_class, kernel, bias, true_class=true_class,
                                predicted_class=predicted_class))
        expected = int(matrix[true_class, predicted_class])
        for attempt in range(2):  # twice: evaluate() must start from zero each time
            logs = _checking_step(model, "test_step", lambda m=model: m.evaluate(
                x, y, batch_size=_CONFUSION_BATCH, return_dict=True, verbose=0))
            if "confusions" not in logs:
                raise Incorrect(
                    f"evaluate() returned {sorted(logs)} but no 'confusions': update "
                    "self.confusions in test_step and return self.get_metrics_result()."
                )
            got = float(logs["confusions"])
            where = f"true class {true_class} predicted as {predicted_class}"
            if abs(got - expected) > 1e-6:
                if attempt == 1 and abs(got - 2 * expected) < 1e-6:
                    raise Incorrect(
                        "the count doubled on the second evaluate(): your metric is not reset. "
                        "Keep it as an attribute of the model (self.confusions), so it is in "
                        "model.metrics."
                    )
                if abs(got - matrix[predicted_class, true_class]) < 1e-6:
                    raise Incorrect(f"for {where} you counted the swapped pair (true "
                                    f"{predicted_class} predicted as {true_class}).")
                if abs(got - (matrix[true_class].sum() - matrix[true_class, true_class])) < 1e-6:
                    raise Incorrect(f"for {where} you counted every mistake on class "
                                    f"{true_class}, not only those predicted as "
                                    f"{predicted_class}.")
                if abs(got - total_wrong) < 1e-6:
                    raise Incorrect("you counted every misclassified example; count only one "
                                    "(true, predicted) pair.")
                if abs(got - last_matrix[true_class, predicted_class]) < 1e-6:
                    raise Incorrect("you reported the last batch only: add each batch's count "
                                    "with self.confusions.update_state(...), which accumulates.")
                raise Incorrect(f"for {where} there are {expected} such examples in the check "
                                f"data, your test_step reported {got:g}.")
            for name in ("loss", "accuracy"):
                if name not in logs:
                    raise Incorrect(
                        f"evaluate() returned {sorted(logs)} but no '{name}': update the 'loss' "
                        "metric with the loss and 'compile_metrics' with (y, y_pred), and return "
                        "self.get_metrics_result().")
                got_value = float(logs[name])
                if np.isclose(got_value, expected_logs[name], rtol=1e-5, atol=1e-6):
                    continue
                if np.isclose(got_value, unweighted[name], rtol=1e-5, atol=1e-6):
                    raise Incorrect(
                        f"'{name}' is the plain mean of the batch values ({got_value:.4f}), but "
                        f"the last batch has {_CONFUSION_N % _CONFUSION_BATCH} examples, not "
                        f"{_CONFUSION_BATCH}: weight each batch by its size, as the built-in "
                        f"test_step does ({expected_logs[name]:.4f}); update the 'loss' metric "
                        "with sample_weight=tf.shape(x)[0].")
                raise Incorrect(
                    f"'{name}' should still be what the built-in test_step reports "
                    f"({expected_logs[name]:.4f}), yours gave {got_value:.4f}: update the 'loss' "
                    "metric with the loss and 'compile_metrics' with (y, y_pred).")
    return ("your test_step counts that confusion exactly, batch after batch, and keeps loss "
            "and accuracy right.")


# --------------------------------------------------------------------------- 04.2

_MISTAKE_LR = 0.5
_MISTAKE_BATCH = 8
_MISTAKE_N = 44  # 5 full batches and a short one of 4


def _same(got_weights, want_weights) -> bool:
    return all(np.allclose(g, e, rtol=1e-4, atol=1e-5)
               for g, e in zip(got_weights, want_weights, strict=True))


def _mistake_weighted_reference(x, y, kernel, bias, mistake_weight, sample_weight):
    """One epoch of SGD by hand: per-example weights from the current predictions."""
    import tensorflow as tf

    w = tf.Variable(kernel)
    b = tf.Variable(bias)
    batch_losses, batch_sizes = [], []
    for start in range(0, len(x), _MISTAKE_BATCH):
        xb = tf.constant(x[start:start + _MISTAKE_BATCH])
        yb = tf.constant(y[start:start + _MISTAKE_BATCH])
        with tf.GradientTape() as tape:
            logits = tf.matmul(xb, w) + b
            wrong = tf.not_equal(tf.argmax(logits, axis=-1), yb)
            weights = tf.where(wrong, mistake_weight, 1.0)
            if sample_weight is not None:
                weights = weights * sample_weight[start:start + _MISTAKE_BATCH]
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)
            loss = tf.reduce_sum(weights * per_example) / tf.cast(tf.shape(xb)[0], tf.float32)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(_MISTAKE_LR * grad_w)
        b.assign_sub(_MISTAKE_LR * grad_b)
        batch_losses.append(float(loss))
        batch_sizes.append(int(xb.shape[0]))
    weighted = float(np.dot(batch_losses, batch_sizes) / np.sum(batch_sizes))
    return [w.numpy(), b.numpy()], weighted, float(np.mean(batch_losses))


@exercise(
    "04.2",
    title="A train_step that learns more from its mistakes",
    hint=(
        "Start from section 2's train_step. compute_loss already knows how to weight each "
        "example: which of its arguments takes one weight per example, and where in the step "
        "can you compute those weights from the current predictions?"
    ),
    more=(
        "Inside the tape, build per-example weights with tf.where(argmax of y_pred != y, "
        "self.mistake_weight, 1.0), multiply them by sample_weight when it is not None, and pass "
        "them to self.compute_loss(..., sample_weight=...). Then update the metrics as in "
        "section 2."
    ),
)
def _check_mistake_weighted(model_class):
    _require_model_class(model_class, "MistakeWeightedModel")
    x, y, kernel, bias = _tiny_problem(_MISTAKE_N, seed=2)
    data_weights = np.random.default_rng(3).uniform(0.2, 2.0, size=len(x)).astype("float32")
    cases = [(3.0, None, "without sample weights"), (2.0, data_weights, "with sample weights from "
                                                                        "fit()")]
    for mistake_weight, sample_weight, label in cases:
        expected_weights, expected_loss, unweighted_loss = _mistake_weighted_reference(
            x, y, kernel, bias, mistake_weight, sample_weight)
        model = _compile(_build(model_class, kernel, bias, mistake_weight=mistake_weight),
                         learning_rate=_MISTAKE_LR)
        history = _checking_step(model, "train_step", lambda m=model, sw=sample_weight: m.fit(
            x, y, sample_weight=sw, batch_size=_MISTAKE_BATCH, epochs=1, shuffle=False,
            verbose=0))
        got_weights = model.get_weights()
        if not _same(got_weights, expected_weights):
            if _same(got_weights, [kernel, bias]):
                raise Incorrect(f"{label}, the weights did not move in one epoch: compute the "
                                "gradients of the loss with the tape and apply them with "
                                "self.optimizer.apply(gradients, self.trainable_variables).")
            unweighted, _, _ = _mistake_weighted_reference(x, y, kernel, bias, 1.0, sample_weight)
            if _same(got_weights, unweighted):
                raise Incorrect(f"{label}, the weights moved as if no example were weighted: pass "
                                "your weights to compute_loss(..., sample_weight=...).")
            if sample_weight is not None:
                ignored, _, _ = _mistake_weighted_reference(x, y, kernel, bias, mistake_weight,
                                                            None)
                if _same(got_weights, ignored):
                    raise Incorrect("the sample weights given to fit() were dropped: multiply "
                                    "your weights by sample_weight when it is not None.")
            raise Incorrect(f"{label}, after one epoch the weights differ from one-epoch SGD "
                            f"where misclassified examples count {mistake_weight:g} times and the "
                            "others once.")
        reported = history.history.get("loss", [None])[0]
        if reported is not None and not np.isclose(reported, expected_loss, rtol=1e-4, atol=1e-5) \
                and np.isclose(reported, unweighted_loss, rtol=1e-4, atol=1e-5):
            raise Incorrect(
                f"{label}, history['loss'] is the plain mean of the batch losses "
                f"({reported:.4f}), but the last batch has {_MISTAKE_N % _MISTAKE_BATCH} "
                f"examples, not {_MISTAKE_BATCH}: update the 'loss' metric with "
                f"sample_weight=tf.shape(x)[0], so the epoch's loss is {expected_loss:.4f}.")
        if reported is None or not np.isclose(reported, expected_loss, rtol=1e-4, atol=1e-5):
            shown = "nothing" if reported is None else f"{reported:.4f}"
            raise Incorrect(f"{label}, history['loss'] should be the weighted loss "
                            f"({expected_loss:.4f}), yours is {shown}: update the 'loss' metric "
                            "with what compute_loss returned.")
    return ("misclassified examples now pull harder on the weights, and sample weights from "
            "fit() still count.")


# --------------------------------------------------------------------------- 04.3

_CONFIDENCE_BATCH = 8
_CONFIDENCE_N = 30  # 3 full batches and a short one of 6: the mean of batch means is off


@exercise(
    "04.3",
    title="A confidence metric that fit() resets",
    hint=(
        "Section 6 shows which metrics fit() resets every epoch: those in model.metrics. How "
        "does a metric you create get into that list, and what should it average?"
    ),
    more=(
        "In __init__, assign a keras.metrics.Mean(name='confidence') to self.confidence (an "
        "attribute, so Keras lists it in self.metrics); in train_step, update it with each "
        "example's largest softmax probability (tf.nn.softmax, then tf.reduce_max over the "
        "classes)."
    ),
)
def _check_confidence(model_class):
    _require_model_class(model_class, "ConfidenceModel")
    x_a, y_a, kernel, bias = _tiny_problem(_CONFIDENCE_N, seed=5)
    # larger inputs: more confident predictions
    x_b, y_b, _, _ = _tiny_problem(_CONFIDENCE_N, seed=6, scale=3.0)
    model = _compile(_build(model_class, kernel, bias))  # learning rate 0: the weights stay fixed
    names = [m.name for m in model.metrics]
    if "confidence" not in names:
        raise Incorrect(f"model.metrics has {names} but no 'confidence': create the Mean in "
                        "__init__ as an attribute of the model.")
    seen = []
    for x, y, label in ((x_a, y_a, "first"), (x_b, y_b, "second")):
        logits = x @ kernel + bias
        confidences = _softmax(logits.astype("float64")).max(axis=-1)
        expected = float(np.mean(confidences))
        expected_loss = float(np.mean(_cross_entropy(logits, y)))
        history = _checking_step(model, "train_step", lambda m=model, x=x, y=y: m.fit(
            x, y, batch_size=_CONFIDENCE_BATCH, epochs=1, shuffle=False, verbose=0))
        got = history.history.get("confidence", [None])[0]
        if got is None:
            raise Incorrect(f"history has {sorted(history.history)} but no 'confidence': return "
                            "self.get_metrics_result() after updating the metric.")
        if not np.isclose(got, expected, rtol=1e-5, atol=1e-6):
            if seen and np.isclose(got, np.mean(seen + [expected]), rtol=1e-5, atol=1e-6):
                raise Incorrect("the second fit() reported the mean over both data sets: your "
                                "metric is not reset between epochs, so it is not in "
                                "model.metrics.")
            batch_means = _batch_means(confidences, _CONFIDENCE_BATCH)
            if np.isclose(got, batch_means[-1], rtol=1e-5, atol=1e-6):
                raise Incorrect("you reported the last batch only: let the Mean accumulate over "
                                "the epoch (fit() resets it for you).")
            if np.isclose(got, np.mean(batch_means), rtol=1e-5, atol=1e-6):
                raise Incorrect(
                    f"you reported the plain mean of the batch means ({got:.4f}), but the last "
                    f"batch has {_CONFIDENCE_N % _CONFIDENCE_BATCH} examples, not "
                    f"{_CONFIDENCE_BATCH}: update the Mean with each example's value (or with "
                    f"sample_weight=batch size), so the mean is over examples: {expected:.4f}.")
            if got == 0:
                raise Incorrect("your metric stayed 0: update it in train_step, before returning "
                                "self.get_metrics_result().")
            max_logit = float(np.mean(logits.max(axis=-1)))
            if np.isclose(got, max_logit, rtol=1e-5, atol=1e-6):
                raise Incorrect("that is the mean largest logit: apply tf.nn.softmax to y_pred "
                                "first.")
            raise Incorrect(f"on the {label} data set the mean confidence is {expected:.4f}, your "
                            f"metric gave {got:.4f}.")
        reported_loss = history.history.get("loss", [None])[0]
        if reported_loss is None or not np.isclose(reported_loss, expected_loss, rtol=1e-4,
                                                   atol=1e-5):
            raise Incorrect("history['loss'] is no longer the training loss: keep updating the "
                            "'loss' metric.")
        seen.append(expected)
    return ("your confidence metric is listed in model.metrics, so fit() starts it from zero "
            "every epoch.")


# --------------------------------------------------------------------------- 04.4

_R1_N = 16
_R1_HIDDEN = 8


def _r1_problem(seed: int):
    """Real and generated points and the weights of a small tanh discriminator."""
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(_R1_N, 2)).astype("float32")
    fake = rng.normal(loc=1.0, size=(_R1_N, 2)).astype("float32")
    d_weights = [
        rng.normal(scale=0.8, size=(2, _R1_HIDDEN)).astype("float32"),
        rng.normal(scale=0.1, size=_R1_HIDDEN).astype("float32"),
        rng.normal(scale=0.8, size=(_R1_HIDDEN, 1)).astype("float32"),
        rng.normal(scale=0.1, size=1).astype("float32"),
    ]
    return real, fake, d_weights


def _r1_discriminator(d_weights):
    """A 2-8-1 discriminator (tanh hidden layer, one logit out) with the given weights."""
    import keras

    point = keras.Input(shape=(2,))
    hidden = keras.layers.Dense(_R1_HIDDEN, activation="tanh")(point)
    discriminator = keras.Model(point, keras.layers.Dense(1)(hidden))
    discriminator.set_weights(d_weights)
    return discriminator


def _r1_reference(real, fake, d_weights, r1_weight, variant="right"):
    """By hand in float64: the penalty (computed one of the plausible ways) and the gradient of
    d_loss + r1_weight / 2 * penalty with respect to the discriminator's weights."""
    import tensorflow as tf

    w1, b1, w2, b2 = (tf.Variable(w.astype("float64")) for w in d_weights)

    def logits_of(points):
        return tf.matmul(tf.tanh(tf.matmul(points, w1) + b1), w2) + b2

    real64, fake64 = tf.constant(real.astype("float64")), tf.constant(fake.astype("float64"))
    with tf.GradientTape() as tape:
        with tf.GradientTape() as inner:
            inner.watch(real64)
            out = logits_of(real64)
            if variant == "sigmoid":
                out = tf.sigmoid(out)
        slopes = inner.gradient(out, real64)
        squared = tf.reduce_sum(tf.square(slopes), axis=-1)
        penalty = {
            "summed": lambda: tf.reduce_sum(squared),
            "norm": lambda: tf.reduce_mean(tf.sqrt(squared)),
            "all-entries": lambda: tf.reduce_mean(tf.square(slopes)),
        }.get(variant, lambda: tf.reduce_mean(squared))()
        real_logits, fake_logits = logits_of(real64), logits_of(fake64)
        d_loss = (
            tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.ones_like(real_logits), logits=real_logits))
            + tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.zeros_like(fake_logits), logits=fake_logits))
            + r1_weight / 2 * penalty
        )
    grads = tape.gradient(d_loss, [w1, b1, w2, b2])
    return float(penalty), [g.numpy() for g in grads]


def _r1_as_in_a_train_step(r1_penalty, discriminator, real, fake, r1_weight):
    """The learner's penalty as the GAN's train_step uses it: computed inside d_tape, added to
    d_loss with r1_weight / 2, differentiated with respect to the discriminator's weights."""
    import tensorflow as tf

    bce = tf.nn.sigmoid_cross_entropy_with_logits
    real_t, fake_t = tf.constant(real), tf.constant(fake)
    with tf.GradientTape() as d_tape:
        r1 = r1_penalty(discriminator, real_t)
        if isinstance(r1, (tf.Tensor, tf.Variable)) and r1.dtype.is_floating:
            weighted = r1_weight / 2 * tf.cast(tf.reshape(r1, [-1])[0], tf.float32)
        else:
            weighted = tf.constant(0.0)
        real_logits = discriminator(real_t, training=True)
        fake_logits = discriminator(fake_t, training=True)
        d_loss = (
            tf.reduce_mean(bce(labels=tf.ones_like(real_logits), logits=real_logits))
            + tf.reduce_mean(bce(labels=tf.zeros_like(fake_logits), logits=fake_logits))
            + weighted
        )
    grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    return r1, [g.numpy() for g in grads]


@exercise(
    "04.4",
    title="A discriminator penalised for steep slopes (R1)",
    hint=(
        "The penalty needs a gradient with respect to the real points, not the weights: a tape "
        "of its own inside the function. What must that tape watch, since real is a tensor and "
        "not a variable, and how do you turn one gradient per point into one number?"
    ),
    more=(
        "with tf.GradientTape() as input_tape: input_tape.watch(real); logits = "
        "discriminator(real, training=True). Then slopes = input_tape.gradient(logits, real) "
        "(shape (batch, 2)), and return tf.reduce_mean(tf.reduce_sum(tf.square(slopes), "
        "axis=-1)): the tensor itself, so that the GAN's d_tape can differentiate it."
    ),
)
def _check_r1(r1_penalty):
    import tensorflow as tf

    if not callable(r1_penalty) or isinstance(r1_penalty, type):
        raise Incorrect("pass the function itself, check(\"04.4\", r1_penalty), not its result "
                        f"(got {_describe(r1_penalty)}).")
    for r1_weight, seed in ((10.0, 0), (3.0, 1)):
        real, fake, d_weights = _r1_problem(seed)
        discriminator = _r1_discriminator(d_weights)
        expected, expected_grads = _r1_reference(real, fake, d_weights, r1_weight)
        r1, grads = _r1_as_in_a_train_step(r1_penalty, discriminator, real, fake, r1_weight)
        if isinstance(r1, (np.ndarray, np.generic, float)):
            raise Incorrect("you returned a NumPy or Python number, which d_tape cannot "
                            "differentiate: return the TensorFlow tensor itself (no .numpy(), no "
                            "float()).")
        if not isinstance(r1, (tf.Tensor, tf.Variable)):
            raise Incorrect("r1_penalty should return one number, a scalar tensor (the mean over "
                            f"the batch); yours returned {_describe(r1)}.")
        if r1.shape.rank != 0:
            if tuple(r1.shape) == (_R1_N,):
                raise Incorrect(f"you returned one value per point (shape ({_R1_N},)): average "
                                "them over the batch with tf.reduce_mean, to one number.")
            raise Incorrect("r1_penalty should return one number, a scalar tensor (the mean over "
                            f"the batch); yours returned {_describe(r1)}.")
        got = float(r1)
        if not np.isclose(got, expected, rtol=1e-4, atol=1e-7):
            wrong = [
                ("summed", "you summed the squared norms over the batch: take their mean."),
                ("sigmoid", "you took the gradient of the sigmoid of the logits: R1 takes the "
                            "gradient of the discriminator's logits themselves."),
                ("norm", "you averaged the gradient norms, not their squares: square each entry "
                         "and sum over the 2 coordinates of a point, without a square root."),
                ("all-entries", "you averaged the squares over the coordinates too: sum them over "
                                "the 2 coordinates of each point, then average over the points."),
            ]
            for variant, message in wrong:
                if np.isclose(got, _r1_reference(real, fake, d_weights, r1_weight, variant)[0],
                              rtol=1e-4, atol=1e-7):
                    raise Incorrect(message)
            raise Incorrect(f"on the check's real points the penalty (mean over the points of "
                            f"the squared norm of the gradient of the logit) is {expected:.5f}; "
                            f"yours is {got:.5f}.")
        if not _same(grads, expected_grads):
            no_penalty = _r1_reference(real, fake, d_weights, 0.0)[1]
            if _same(grads, no_penalty):
                raise Incorrect("the value is right, but the outer tape (d_tape) sees no gradient "
                                "through it: do not stop it (tf.stop_gradient) or leave "
                                "TensorFlow (.numpy()); return the tensor computed from the "
                                "discriminator's output.")
            raise Incorrect(f"the value is right, but with r1_weight={r1_weight:g} the gradient "
                            "of d_loss + r1_weight / 2 * r1 with respect to the discriminator's "
                            "weights differs from the reference.")
        graph_penalty = tf.function(r1_penalty)  # as inside train_step, which fit() compiles
        try:
            in_graph = float(graph_penalty(discriminator, tf.constant(real)))
        except Exception as exc:  # pylint: disable=broad-except - explained in one sentence
            raise Incorrect("it works eagerly, but fit() compiles train_step into a graph and "
                            f"there your function raised {type(exc).__name__}: use TensorFlow "
                            "operations only (no .numpy(), no Python if on tensors).") from None
        if not np.isclose(in_graph, expected, rtol=1e-4, atol=1e-7):
            raise Incorrect(f"inside a tf.function (as in train_step) it returned {in_graph:.5f}, "
                            f"not {expected:.5f}.")
    return ("your penalty is R1 exactly, and a tape around it differentiates it, as the GAN's "
            "d_tape will.")
