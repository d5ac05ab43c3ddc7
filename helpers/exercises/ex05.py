"""Checks for the exercises of 05_inside_fit (what model.fit() does inside).

Each check runs the real Keras on a few dozen samples (a second or two). Training data is
passed to fit() as a batched tf.data.Dataset (with shuffle=False), like the notebook does.
"""
from __future__ import annotations

import inspect
import math

from . import Incorrect, _as_number, _describe, exercise


def _keras():
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    return np, tf, keras


def _regression_dataset(n: int = 64, batch_size: int = 32):
    """A tiny linear-regression problem as a batched tf.data.Dataset (same numbers every call)."""
    np, tf, _ = _keras()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.5], [-2.0], [0.5]], dtype="float32") + 0.3).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)


def _linear_model(initial=None, steps_per_execution: int = 1):
    """A linear model, zero-initialised (or set to ``initial``), compiled with SGD and MSE."""
    _, _, keras = _keras()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    if initial is not None:
        model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse",
                  steps_per_execution=steps_per_execution)
    return model


def _instantiate(cls, what: str, *args):
    _, _, keras = _keras()
    if not inspect.isclass(cls):
        raise Incorrect(f"pass the class itself ({what}), not {type(cls).__name__!s} — "
                        f"check(\"...\", {what}) without parentheses.")
    if not issubclass(cls, keras.callbacks.Callback):
        raise Incorrect(f"{what} must subclass keras.callbacks.Callback, so fit() can call its "
                        "hooks.")
    try:
        return cls(*args)
    except TypeError as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            raise  # raised inside the learner's __init__: their code's error
        call = f"{what}({', '.join(repr(a) for a in args)})"
        raise Incorrect(f"the check creates the callback as {call}, and that failed ({exc}): "
                        f"keep the __init__ signature of the exercise.") from None


@exercise(
    "05.1",
    title="A callback that stops fit() when the loss is low enough",
    hint="Keras calls on_epoch_end with that epoch's logs, and a callback can ask fit() to stop "
    "through the model it is attached to.",
    more="In on_epoch_end(self, epoch, logs), compare logs['loss'] with self.threshold and set "
    "self.model.stop_training = True when it is below; fit() then ends after this epoch.",
)
def _check_stop(StopWhenLossBelow):
    epochs = 8
    data = _regression_dataset()
    reference = _linear_model()
    losses = reference.fit(data, epochs=epochs, verbose=0, shuffle=False).history["loss"]
    decreasing = all(a > b for a, b in zip(losses, losses[1:], strict=False))
    if not decreasing:  # guards the checker itself
        raise RuntimeError(f"the reference losses should decrease, got {losses}")
    stop_after = 4  # the first epoch (counted from 1) whose loss falls below the threshold
    threshold = math.sqrt(losses[stop_after - 2] * losses[stop_after - 1])

    model = _linear_model()
    history = model.fit(
        data, epochs=epochs, verbose=0, shuffle=False,
        callbacks=[_instantiate(StopWhenLossBelow, "StopWhenLossBelow", threshold)],
    )
    ran = len(history.epoch)
    batches = 2  # 64 samples in batches of 32
    steps = int(model.optimizer.iterations.numpy())
    if steps % batches and steps < epochs * batches:
        raise Incorrect(
            f"training stopped in the middle of epoch {steps // batches + 1}, after "
            f"{steps % batches} of its {batches} batches (model.optimizer.iterations = {steps}): "
            "decide at the end of an epoch, in on_epoch_end, not after a batch."
        )
    if ran == epochs:
        raise Incorrect(
            f"with threshold {threshold:.4f} fit() still ran all {epochs} epochs, although the "
            f"epoch loss fell to {losses[stop_after - 1]:.4f} in epoch {stop_after}. Set "
            "self.model.stop_training = True (on the model, not on the callback)."
        )
    if ran < stop_after:
        raise Incorrect(
            f"fit() stopped after {ran} epoch(s), but the loss was still {losses[ran - 1]:.4f}, "
            f"above the threshold {threshold:.4f}: stop only when logs['loss'] < threshold."
        )
    if ran > stop_after:
        raise Incorrect(
            f"fit() stopped after {ran} epochs; the loss fell below {threshold:.4f} in epoch "
            f"{stop_after}, so it should have stopped right after it. "
            "Check at the end of every epoch."
        )
    if steps != ran * batches:  # pragma: no cover - history and the optimizer disagree
        raise RuntimeError(f"{ran} epochs of {batches} batches but {steps} optimizer steps")
    low = _linear_model()
    history = low.fit(
        data, epochs=epochs, verbose=0, shuffle=False,
        callbacks=[_instantiate(StopWhenLossBelow, "StopWhenLossBelow", losses[-1] / 10)],
    )
    if len(history.epoch) != epochs:
        raise Incorrect(
            f"with a threshold below every loss ({losses[-1] / 10:.2g}) fit() should run all "
            f"{epochs} epochs, but it stopped after {len(history.epoch)}."
        )
    return (f"fit() stopped after {stop_after} epochs, as soon as the loss fell below the "
            f"threshold ({losses[stop_after - 1]:.4f} < {threshold:.4f}), and ran all {epochs} "
            "when it never did.")


@exercise(
    "05.2",
    title="How many batches, and how big is the last one?",
    hint="Work out two small cases by hand, say n = 10 with batch_size 4 and with batch_size 5, "
    "then write the rule; and look up fit()'s default batch size.",
    more="Use ceiling division for the number of batches, -(-n // batch_size); the last batch "
    "holds what is left, n - (count - 1) * batch_size (a full batch when batch_size divides n). "
    "batch_size=None means fit()'s default, 32.",
)
def _check_batches(batches_per_epoch):
    np, _, _ = _keras()
    from keras.src.trainers import data_adapters

    cases = [(60000, 128), (60000, None), (100, 10), (5, 10), (1, 1), (129, 128), (1000, 999),
             (64, 32)]
    for n, batch_size in cases:
        adapter = data_adapters.get_data_adapter(np.zeros((n, 1), "float32"), batch_size=batch_size)
        expected = (adapter.num_batches, adapter.partial_batch_size or adapter.batch_size)
        returned = batches_per_epoch(n, batch_size)
        pair = "return a pair (number of batches, size of the last batch)"
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise Incorrect(f"{pair}; for n={n} you returned {_describe(returned)}.")
        values = [_as_number(v, "each of the two numbers") for v in returned]
        if any(v != int(v) for v in values):
            raise Incorrect(f"for n={n} and batch_size={batch_size} you returned {tuple(values)}; "
                            "both are whole numbers (round the number of batches up).")
        got = tuple(int(v) for v in values)
        if got != expected:
            shown = "None (the default)" if batch_size is None else batch_size
            raise Incorrect(
                f"for n={n} and batch_size={shown} Keras makes {expected[0]} batches, the last one "
                f"of {expected[1]} samples; you returned {got}."
            )
    return "your numbers match the ArrayDataAdapter that fit() uses, default batch size included."


@exercise(
    "05.3",
    title="Count the train-batch hooks",
    hint="One hook starts each epoch, another fires after each training batch; validation batches "
    "have hooks of their own, which you leave alone.",
    more="Append a 0 to self.counts in on_epoch_begin, so that each epoch starts its own count, "
    "and add 1 to self.counts[-1] in on_train_batch_end; do not count in on_test_batch_end, "
    "which fires for the validation batches.",
)
def _check_counter(TrainBatchCounter):
    batch_size, n_batches = 8, 7
    data = _regression_dataset(n=batch_size * n_batches, batch_size=batch_size)
    validation = _regression_dataset(n=2 * batch_size, batch_size=batch_size)
    initial = _linear_model().get_weights()
    for steps_per_execution in (1, 3):
        counter = _instantiate(TrainBatchCounter, "TrainBatchCounter")
        model = _linear_model(initial, steps_per_execution=steps_per_execution)
        model.fit(data, validation_data=validation, epochs=2, verbose=0, shuffle=False,
                  callbacks=[counter])
        counts = getattr(counter, "counts", None)
        expected = [math.ceil(n_batches / steps_per_execution)] * 2
        if not isinstance(counts, list):
            raise Incorrect("keep the numbers in a list self.counts (one entry per epoch), "
                            "created in __init__.")
        if counts != expected:
            raise Incorrect(
                f"with {n_batches} batches per epoch, 2 epochs and "
                f"steps_per_execution={steps_per_execution}, on_train_batch_end fires "
                f"{expected[0]} times per epoch, so counts should be {expected}; yours is "
                f"{counts}."
            )
        steps = int(model.optimizer.iterations.numpy())
        if steps != 2 * n_batches:  # pragma: no cover - guards the checker itself
            raise RuntimeError(f"the optimizer should have made {2 * n_batches} steps, made "
                               f"{steps}")
    return ("one count per epoch, train batches only: 7 hook calls per epoch at "
            "steps_per_execution=1, 3 at steps_per_execution=3, while the optimizer still made 7 "
            "steps per epoch.")
