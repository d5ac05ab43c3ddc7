"""The checks of 06_loop_you_can_ship accept a right answer, reject placeholder and wrong ones."""

import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


# --- 06.1: a train step that includes model.losses -------------------------------------
def train_step_with_losses(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True)) + tf.add_n(model.losses)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return loss


def ignores_model_losses(model, optimizer, loss_fn, x, y):  # 03's step
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return loss


def reports_but_does_not_train_on_them(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        data_loss = loss_fn(y, model(x, training=True))
    gradients = tape.gradient(data_loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return data_loss + tf.add_n(model.losses)


def never_updates(model, optimizer, loss_fn, x, y):
    return loss_fn(y, model(x, training=True)) + tf.add_n(model.losses)


def returns_nothing(model, optimizer, loss_fn, x, y):
    train_step_with_losses(model, optimizer, loss_fn, x, y)


def test_train_step():
    assert evaluate("06.1", train_step_with_losses).status == "passed"
    for wrong in (
        ignores_model_losses,
        reports_but_does_not_train_on_them,
        never_updates,
        returns_nothing,
    ):
        assert evaluate("06.1", wrong).status == "incorrect", wrong.__name__

    def not_done(model, optimizer, loss_fn, x, y):
        raise NotImplementedError("Exercise 06.1: ...")

    assert evaluate("06.1", not_done).status == "not done"


# --- 06.2: balanced accuracy --------------------------------------------------------------
class BalancedAccuracy(keras.metrics.Metric):
    def __init__(self, num_classes, name="balanced_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.correct = self.add_variable(shape=(num_classes,), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(num_classes,), initializer="zeros", name="total")

    def update_state(self, y_true, logits, sample_weight=None):
        true = tf.one_hot(tf.cast(y_true, tf.int32), self.num_classes)
        hit = tf.cast(tf.equal(tf.argmax(logits, axis=-1), tf.cast(y_true, tf.int64)), tf.float32)
        self.correct.assign_add(tf.reduce_sum(true * hit[:, None], axis=0))
        self.total.assign_add(tf.reduce_sum(true, axis=0))

    def result(self):
        return tf.reduce_mean(tf.math.divide_no_nan(self.correct, self.total))

    # reset_state is inherited: keras.metrics.Metric assigns zeros to every variable


class OwnReset(BalancedAccuracy):  # a reset_state of its own that does the same
    def reset_state(self):
        self.correct.assign(tf.zeros_like(self.correct))
        self.total.assign(tf.zeros_like(self.total))


class PlainAccuracy(BalancedAccuracy):  # overall accuracy, not the mean of per-class recalls
    def result(self):
        return tf.reduce_sum(self.correct) / tf.reduce_sum(self.total)


class ForgetsToReset(BalancedAccuracy):
    def reset_state(self):
        self.correct.assign(tf.zeros_like(self.correct))


class LastBatchOnly(BalancedAccuracy):  # replaces the counts instead of adding to them
    def update_state(self, y_true, logits, sample_weight=None):
        self.reset_state()
        super().update_state(y_true, logits)


class SkipsMissingClasses(BalancedAccuracy):  # sklearn's convention, not the one the exercise asks
    def result(self):
        present = self.total > 0
        return tf.reduce_mean(
            tf.boolean_mask(self.correct, present) / tf.boolean_mask(self.total, present)
        )


class DividesZeroByZero(BalancedAccuracy):  # plain division: nan for a class without examples
    def result(self):
        return tf.reduce_mean(self.correct / self.total)


class ResetsToOne(BalancedAccuracy):  # reset_state puts something other than zeros in
    def reset_state(self):
        self.correct.assign(tf.ones_like(self.correct))
        self.total.assign(tf.ones_like(self.total))


def test_balanced_accuracy():
    assert "reset_state" not in vars(BalancedAccuracy)
    assert evaluate("06.2", BalancedAccuracy).status == "passed"
    assert evaluate("06.2", OwnReset).status == "passed"
    # each wrong answer is rejected with a sentence that names its own mistake
    for wrong, names in (
        (PlainAccuracy, "plain accuracy"),
        (ForgetsToReset, "reset every counter"),
        (ResetsToOne, "set every counter back to zero"),
        (LastBatchOnly, "last batch alone"),
        (SkipsMissingClasses, "only the classes that have examples"),
        (DividesZeroByZero, "divide_no_nan"),
    ):
        result = evaluate("06.2", wrong)
        assert result.status == "incorrect", wrong.__name__
        assert names in result.message.lower(), (wrong.__name__, result.message)
    for wrong in (PlainAccuracy, LastBatchOnly, SkipsMissingClasses, DividesZeroByZero):
        assert "reset" not in evaluate("06.2", wrong).message.split("print(")[0], wrong.__name__
    assert evaluate("06.2", BalancedAccuracy(4)).status == "incorrect"  # an instance, not the class
    assert (
        evaluate("06.2", keras.metrics.Accuracy).status == "error"
    )  # wrong constructor: reported, not raised

    class NotDone(BalancedAccuracy):
        def update_state(self, y_true, logits, sample_weight=None):
            raise NotImplementedError("Exercise 06.2: ...")

    assert evaluate("06.2", NotDone).status == "not done"


# --- 06.3: resume or start -----------------------------------------------------------------
def resume(checkpoint, manager, epoch):
    if manager.latest_checkpoint is None:
        return 0
    checkpoint.restore(manager.latest_checkpoint)
    return int(epoch)


def oldest(checkpoint, manager, epoch):
    if not manager.checkpoints:
        return 0
    checkpoint.restore(manager.checkpoints[0])
    return int(epoch)


def checkpoint_number(checkpoint, manager, epoch):
    if manager.latest_checkpoint is None:
        return 0
    checkpoint.restore(manager.latest_checkpoint)
    return int(manager.latest_checkpoint.rsplit("-", 1)[1])


def returns_the_variable(checkpoint, manager, epoch):
    if manager.latest_checkpoint is None:
        return 0
    checkpoint.restore(manager.latest_checkpoint)
    return epoch


def never_restores(checkpoint, manager, epoch):
    return 0 if manager.latest_checkpoint is None else 5


def always_reads_the_variable(checkpoint, manager, epoch):  # restore(None) restores nothing
    checkpoint.restore(manager.latest_checkpoint)
    return int(epoch)


def zeroes_the_variable(checkpoint, manager, epoch):
    if manager.latest_checkpoint is None:
        epoch.assign(0)
        return 0
    checkpoint.restore(manager.latest_checkpoint)
    return int(epoch)


def test_resume():
    assert evaluate("06.3", resume).status == "passed"
    for wrong, names in (
        (oldest, "oldest checkpoint"),
        (checkpoint_number, "checkpoint's number"),
        (returns_the_variable, "as a python int"),
        (never_restores, "latest checkpoint"),
        (always_reads_the_variable, "still holds 4"),
        (zeroes_the_variable, "change nothing"),
    ):
        result = evaluate("06.3", wrong)
        assert result.status == "incorrect", wrong.__name__
        assert names in result.message.lower(), (wrong.__name__, result.message)

    def not_done(checkpoint, manager, epoch):
        raise NotImplementedError("Exercise 06.3: ...")

    assert evaluate("06.3", not_done).status == "not done"
