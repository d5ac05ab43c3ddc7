"""Checks for the exercises of 06_loop_you_can_ship (a loop you can ship).

Each check builds a tiny model or metric (a second or two) and compares the learner's code
with Keras itself or with NumPy.
"""

from __future__ import annotations

import inspect
import tempfile

from . import Incorrect, exercise


def _keras():
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    return np, tf, keras


def _regularized_model():
    """4 inputs, 3 classes; an L2 kernel regularizer and an activity regularizer (an add_loss)."""
    _, _, keras = _keras()
    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                8,
                activation="tanh",
                kernel_initializer=init(seed=3),
                kernel_regularizer=keras.regularizers.L2(0.05),
                activity_regularizer=keras.regularizers.L2(0.01),
            ),
            keras.layers.Dense(3, kernel_initializer=init(seed=4)),
        ]
    )


@exercise(
    "06.1",
    title="A train step that includes the model's own losses",
    hint="model.losses holds the extra terms the model adds to its loss (here its regularizer): "
    "add them to the batch's loss inside the tape, and differentiate the total.",
    more="Inside the tape: loss = loss_fn(y, model(x, training=True)) + tf.add_n(model.losses); "
    "then take the gradients of that total with respect to model.trainable_variables, apply them "
    "with optimizer.apply(gradients, model.trainable_variables), and return the total.",
)
def _check_step(train_step_with_losses):
    np, tf, keras = _keras()
    if not callable(train_step_with_losses):
        raise Incorrect("pass your function train_step_with_losses itself to check().")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.integers(0, 3, size=16).astype("int64")
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    reference = _regularized_model()
    reference.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss_fn)
    start = reference.get_weights()
    expected = float(reference.compute_loss(x, y, reference(x, training=True), training=True))
    penalty = float(tf.add_n(reference.losses))
    reference.train_on_batch(x, y)

    model = _regularized_model()
    model.set_weights(start)
    got = train_step_with_losses(model, keras.optimizers.SGD(0.1), loss_fn, x, y)
    if got is None:
        raise Incorrect("return the loss of the step (the total, with model.losses), not None.")
    got = float(got)
    if abs(got - (expected - penalty)) < 1e-5 * abs(expected):
        raise Incorrect(
            f"your step's loss is {got:.5f}, the batch's cross-entropy alone; Keras's loss is "
            f"{expected:.5f}: "
            f"add the {penalty:.5f} in model.losses (the regularizers) to it."
        )
    if abs(got - expected) > 1e-5 * abs(expected):
        raise Incorrect(
            f"your step returned {got:.5f}; for these weights and this batch Keras computes "
            f"{expected:.5f}."
        )
    if all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start, strict=True)):
        raise Incorrect(
            "the loss is right, but the weights did not change: apply the gradients with the "
            "optimizer."
        )
    if not all(
        np.allclose(a, b, rtol=1e-5, atol=1e-6)
        for a, b in zip(model.get_weights(), reference.get_weights(), strict=True)
    ):
        raise Incorrect(
            "the loss is right, but the update differs from Keras's train_on_batch: take the "
            "gradient of the "
            "total loss (model.losses included) with respect to model.trainable_variables and "
            "apply it once."
        )
    return (
        f"your step's loss ({got:.5f}) includes the {penalty:.5f} of model.losses, and its update "
        f"equals "
        "the one train_on_batch makes."
    )


def _balanced_accuracy(labels, predicted, num_classes):
    np, _, _ = _keras()
    recalls = []
    for c in range(num_classes):
        members = labels == c
        recalls.append(float(np.mean(predicted[members] == c)) if members.any() else 0.0)
    return float(np.mean(recalls))


@exercise(
    "06.2",
    title="Balanced accuracy as a Keras metric",
    hint="Per class you need two counts, examples seen and examples predicted right; keep them in "
    "variables so that they add up across batches.",
    more="In __init__ make two per-class counters with self.add_variable(shape=(num_classes,), "
    "initializer='zeros', name=...): examples seen and examples predicted right; update_state "
    "adds a batch's counts (tf.one_hot of the labels helps), result() is the mean of correct / "
    "total (tf.math.divide_no_nan). reset_state need not be written: the one keras.metrics.Metric "
    "gives you assigns zeros to every variable.",
)
def _check_metric(BalancedAccuracy):
    np, tf, keras = _keras()
    if not inspect.isclass(BalancedAccuracy) or not issubclass(
        BalancedAccuracy, keras.metrics.Metric
    ):
        raise Incorrect(
            "pass the class BalancedAccuracy itself, a subclass of keras.metrics.Metric."
        )
    num_classes = 4
    rng = np.random.default_rng(7)
    # Imbalanced classes, so plain accuracy and balanced accuracy differ.
    labels = rng.choice(num_classes, size=(4, 25), p=[0.55, 0.25, 0.15, 0.05]).astype("int64")
    logits = rng.normal(size=(4, 25, num_classes)).astype("float32")
    logits[np.arange(4)[:, None], np.arange(25)[None, :], labels] += 0.8  # better than chance
    predicted = logits.argmax(-1)

    metric = BalancedAccuracy(num_classes)
    if not metric.variables:
        raise Incorrect(
            "keep the counts in variables made with self.add_variable in __init__ (the metric has "
            "none)."
        )
    for batch in range(3):  # every class has examples in these three batches
        metric.update_state(labels[batch], logits[batch])
    expected = _balanced_accuracy(labels[:3].ravel(), predicted[:3].ravel(), num_classes)
    plain = float(np.mean(labels[:3] == predicted[:3]))
    got = float(metric.result())
    if abs(got - expected) > 1e-6:
        if abs(got - plain) < 1e-6:
            raise Incorrect(
                f"{got:.4f} is the plain accuracy; balanced accuracy averages each class's "
                f"recall: {expected:.4f}."
            )
        if abs(got - _balanced_accuracy(labels[2], predicted[2], num_classes)) < 1e-6:
            raise Incorrect(
                f"{got:.4f} is the balanced accuracy of the last batch alone: update_state must "
                "add each batch's counts to the variables (assign_add), not replace them."
            )
        raise Incorrect(
            f"after three batches the balanced accuracy is {expected:.4f}, your metric says "
            f"{got:.4f}."
        )

    # Classes 2 and 3 have no example: recalls 0.5, 1, 0, 0.
    missing = BalancedAccuracy(num_classes)
    missing.update_state(np.array([0, 0, 1]), np.eye(num_classes, dtype="float32")[[0, 1, 1]])
    got_missing = float(missing.result())
    if np.isnan(got_missing):
        raise Incorrect(
            "with labels [0, 0, 1] classes 2 and 3 have no example, and your result() divides "
            "their 0 correct by 0 examples (nan): use tf.math.divide_no_nan, so such a class "
            "counts 0."
        )
    if abs(got_missing - 0.75) < 1e-6:
        raise Incorrect(
            "with labels [0, 0, 1] and predictions [0, 1, 1] you averaged only the classes that "
            "have examples (0.5 and 1, mean 0.75); here a class without examples counts 0: "
            "0.5, 1, 0, 0, mean 0.375."
        )
    if abs(got_missing - 0.375) > 1e-6:
        raise Incorrect(
            "with labels [0, 0, 1] and predictions [0, 1, 1] the recalls are 0.5, 1, and 0 for "
            f"the two classes without examples, mean 0.375; your metric says {got_missing:.4f}."
        )

    metric.reset_state()
    after_reset = float(metric.result())
    if np.isnan(after_reset):
        raise Incorrect(
            "after reset_state() every count is 0 and your result() divides 0 by 0 (nan): use "
            "tf.math.divide_no_nan."
        )
    if after_reset != 0.0:
        raise Incorrect(
            f"after reset_state() the result should be 0, it is {after_reset:.4f}: set every "
            "counter back to zero."
        )
    metric.update_state(labels[3], logits[3])
    expected_last = _balanced_accuracy(labels[3], predicted[3], num_classes)
    if abs(float(metric.result()) - expected_last) > 1e-6:
        raise Incorrect(
            f"after reset_state() and one batch the result should be {expected_last:.4f} (that "
            f"batch alone), it is {float(metric.result()):.4f}: reset every counter, not only "
            "some."
        )
    return (f"your metric matches NumPy ({expected:.4f}, plain accuracy would be {plain:.4f}) and "
            f"resets cleanly.")


@exercise(
    "06.3",
    title="Resume, or start from zero",
    hint="The manager knows whether there is a checkpoint and which one is the latest; the epoch "
    "variable the checkpoint tracks says where to continue.",
    more="If manager.latest_checkpoint is None, return 0 and touch nothing; else "
    "checkpoint.restore(manager.latest_checkpoint) and return int(epoch), the value the restore "
    "put into the epoch variable.",
)
def _check_resume(resume):
    np, tf, keras = _keras()
    if not callable(resume):
        raise Incorrect("pass your function resume itself to check().")
    with tempfile.TemporaryDirectory(prefix="ex06-") as directory:
        model = keras.Sequential(
            [keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")]
        )
        # a value left from before, e.g. a run started in this process: no checkpoint restores it
        epoch = tf.Variable(4, dtype=tf.int64, trainable=False)
        checkpoint = tf.train.Checkpoint(model=model, epoch=epoch)
        manager = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=3)

        got = resume(checkpoint, manager, epoch)
        if got is not None and not isinstance(got, bool) and int(epoch) != 4:
            raise Incorrect(
                f"with no checkpoint, change nothing: `epoch` held 4 and your function set it to "
                f"{int(epoch)}; just return 0."
            )
        if any(np.any(w) for w in model.get_weights()):
            raise Incorrect("with no checkpoint, leave the model's weights as they are.")
        if isinstance(got, (int, np.integer, tf.Variable)) and not isinstance(got, bool) and (
            int(got) == 4
        ):
            raise Incorrect(
                "with no checkpoint nothing was restored, so `epoch` still holds 4 from before: "
                "return 0 in that case, not the variable's value."
            )
        if got is None or isinstance(got, bool) or not isinstance(got, (int, np.integer)) or (
            int(got) != 0
        ):
            raise Incorrect(
                f"with no checkpoint, leave everything as it is and return 0 (you returned "
                f"{got!r})."
            )

        saved = {}
        for value in (3, 5):  # epochs 3 and 5, saved as checkpoints 1 and 2
            epoch.assign(value)
            model.set_weights(
                [np.full((2, 1), float(value), "float32"), np.full((1,), -float(value), "float32")]
            )
            manager.save()
            saved[value] = model.get_weights()
        epoch.assign(9)
        model.set_weights([np.full((2, 1), 9.0, "float32"), np.zeros((1,), "float32")])

        got = resume(checkpoint, manager, epoch)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            raise Incorrect(
                f"return the epoch as a Python int (int(epoch)), not {type(got).__name__}."
            )
        weights = model.get_weights()
        if all(np.array_equal(a, b) for a, b in zip(weights, saved[3], strict=True)):
            raise Incorrect(
                "you restored the oldest checkpoint; restore manager.latest_checkpoint."
            )
        if not all(np.array_equal(a, b) for a, b in zip(weights, saved[5], strict=True)):
            raise Incorrect(
                "the model's weights are not those of the latest checkpoint: restore it into "
                "`checkpoint`."
            )
        if int(got) == 2:
            raise Incorrect(
                "2 is the checkpoint's number; return the epoch it saved (the value of `epoch`), "
                "5 here."
            )
        if int(got) != 5:
            raise Incorrect(f"the latest checkpoint saved epoch 5; you returned {int(got)}.")
    return (
        "no checkpoint gives 0 with nothing changed; otherwise the latest one is restored and "
        "its epoch (5, not ckpt-2) returned."
    )
