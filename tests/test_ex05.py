"""The checks of 05_inside_fit accept a right answer and reject the placeholder and plausible
wrong ones."""
import math

import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


# --- 05.1: stop when the loss is below a threshold ---------------------------------------
class StopWhenLossBelow(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold

    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            self.model.stop_training = True


class StopsTheCallback(StopWhenLossBelow):  # sets the flag on the wrong object
    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            self.stop_training = True


class StopsAbove(StopWhenLossBelow):  # comparison the wrong way round
    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] > self.threshold:
            self.model.stop_training = True


class NotDone(StopWhenLossBelow):
    def on_epoch_end(self, epoch, logs=None):
        raise NotImplementedError("Exercise 05.1: ...")


def test_stop_callback():
    assert evaluate("05.1", StopWhenLossBelow).status == "passed"
    assert evaluate("05.1", StopsTheCallback).status == "incorrect"
    assert evaluate("05.1", StopsAbove).status == "incorrect"
    assert evaluate("05.1", NotDone).status == "not done"
    # an instance, not the class
    assert evaluate("05.1", StopWhenLossBelow(1.0)).status == "incorrect"


# --- 05.2: batches per epoch --------------------------------------------------------------
def batches_per_epoch(n, batch_size=None):
    batch_size = batch_size or 32
    count = math.ceil(n / batch_size)
    return count, n - (count - 1) * batch_size


def test_batches_per_epoch():
    assert evaluate("05.2", batches_per_epoch).status == "passed"
    wrong = {
        "floor": lambda n, b=None: (n // (b or 32), b or 32),
        "remainder": lambda n, b=None: (math.ceil(n / (b or 32)), n % (b or 32)),
        "default 128": lambda n, b=None: batches_per_epoch(n, b or 128),
        "one number": lambda n, b=None: math.ceil(n / (b or 32)),
    }
    for name, fn in wrong.items():
        assert evaluate("05.2", fn).status == "incorrect", name

    def not_done(n, batch_size=None):
        raise NotImplementedError("Exercise 05.2: ...")

    assert evaluate("05.2", not_done).status == "not done"


# --- 05.3: count train-batch hooks ----------------------------------------------------------
class TrainBatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.counts = []

    def on_epoch_begin(self, epoch, logs=None):
        self.counts.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.counts[-1] += 1


class NeverResets(TrainBatchCounter):
    def on_epoch_begin(self, epoch, logs=None):
        self.counts.append(self.counts[-1] if self.counts else 0)


class CountsTestBatches(TrainBatchCounter):
    def on_test_batch_end(self, batch, logs=None):
        self.counts[-1] += 1


def test_batch_counter():
    assert evaluate("05.3", TrainBatchCounter).status == "passed"
    assert evaluate("05.3", NeverResets).status == "incorrect"
    assert evaluate("05.3", CountsTestBatches).status == "incorrect"
    assert evaluate("05.3", keras.callbacks.Callback).status == "incorrect"  # no counts at all


# --- outcomes, not mechanisms; what the learner returned, validated ------------------------
class StopsMidEpoch(StopWhenLossBelow):  # right comparison, wrong hook: stops after a batch
    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        if logs["loss"] < self.threshold:
            self.model.stop_training = True


def test_stop_callback_that_stops_mid_epoch_is_caught():
    result = evaluate("05.1", StopsMidEpoch)
    assert result.status == "incorrect", result.message
    assert "in the middle of epoch" in result.message and "on_epoch_end" in result.message


def test_batches_per_epoch_explains_what_was_expected():
    cases = {
        "no rounding": (lambda n, b=None: (n / (b or 32), batches_per_epoch(n, b)[1]),
                        "whole numbers"),
        "None": (lambda n, b=None: None, "you returned None"),
        "three numbers": (lambda n, b=None: (*batches_per_epoch(n, b), 0), "a tuple of 3 items"),
    }
    for name, (fn, expected) in cases.items():
        result = evaluate("05.2", fn)
        assert result.status == "incorrect", name
        assert expected in result.message, (name, result.message)


class CountsBatchIndex(TrainBatchCounter):  # the batch index + 1 is not the number of calls
    def on_train_batch_end(self, batch, logs=None):
        self.counts[-1] = batch + 1


def test_batch_counter_counting_the_index_is_caught():
    result = evaluate("05.3", CountsBatchIndex)
    assert result.status == "incorrect", result.message
    assert "steps_per_execution=3" in result.message


class NoThreshold(keras.callbacks.Callback):  # __init__ without the threshold argument
    def on_epoch_end(self, epoch, logs=None):
        pass


def test_stop_callback_with_the_wrong_signature_is_explained():
    result = evaluate("05.1", NoThreshold)
    assert result.status == "incorrect", result.message
    assert "keep the __init__ signature" in result.message


class StopsOneEpochLate(StopWhenLossBelow):  # stops at the end of the epoch after the right one
    def on_epoch_end(self, epoch, logs=None):
        if getattr(self, "was_below", False):
            self.model.stop_training = True
        self.was_below = logs["loss"] < self.threshold


def test_stop_messages_count_epochs_from_one():
    # the loss falls below the check's threshold in the 4th epoch, as Keras prints it (Epoch 4/8)
    never = evaluate("05.1", StopsTheCallback)
    late = evaluate("05.1", StopsOneEpochLate)
    mid = evaluate("05.1", StopsMidEpoch)
    assert late.status == "incorrect", late.message
    assert "stopped after 5 epochs" in late.message and "in epoch 4," in late.message
    assert "in epoch 4." in never.message, never.message
    assert "in the middle of epoch" in mid.message
    for result in (never, late, mid):
        assert "from 0" not in result.message, result.message
