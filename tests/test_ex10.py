"""The checks of 10_beyond_the_standard_step accept a right answer and reject the placeholder
and each wrong answer with the sentence that names its mistake."""

import inspect

import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from exercise_results import names, timed  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


def placeholder(*args):
    raise NotImplementedError("Exercise 10.k")


# --- 10.1: Nesterov momentum, your own optimizer ----------------------------------------------
class NesterovSGD(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.velocities[self._get_variable_index(variable)]
        learning_rate = tf.cast(learning_rate, variable.dtype)
        self.assign(velocity, self.momentum * velocity - learning_rate * gradient)
        self.assign_add(variable, self.momentum * velocity - learning_rate * gradient)

    def velocity_of(self, variable):
        return self.velocities[self._get_variable_index(variable)]


def optimizer_with(move):
    """A NesterovSGD whose update is ``move(self, velocity, gradient, learning_rate)``, which
    returns the new velocity and the variable's change."""
    class Variant(NesterovSGD):
        def update_step(self, gradient, variable, learning_rate):
            velocity = self.velocity_of(variable)
            new, change = move(self, velocity, gradient, tf.cast(learning_rate, variable.dtype))
            self.assign(velocity, new)
            self.assign_add(variable, change)
    return Variant


def own_attribute_rate(self, velocity, gradient, learning_rate):  # right: self.learning_rate
    new = self.momentum * velocity - self.learning_rate * gradient
    return new, self.momentum * new - self.learning_rate * gradient


def plain_momentum(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity - learning_rate * gradient
    return new, new


def old_velocity(self, velocity, gradient, learning_rate):  # plain momentum, written otherwise
    return (self.momentum * velocity - learning_rate * gradient,
            self.momentum * velocity - learning_rate * gradient)


def look_ahead_only(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity - learning_rate * gradient
    return new, self.momentum * new


def mixed_signs(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity + learning_rate * gradient
    return new, self.momentum * new - learning_rate * gradient


def flipped_convention(self, velocity, gradient, learning_rate):  # right: velocity = -(Keras's)
    new = self.momentum * velocity + learning_rate * gradient
    return new, -(self.momentum * new + learning_rate * gradient)


def uphill(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity + learning_rate * gradient
    return new, self.momentum * new + learning_rate * gradient


def forgetful(self, velocity, gradient, learning_rate):
    new = -learning_rate * gradient
    return new, self.momentum * new - learning_rate * gradient


def no_momentum(self, velocity, gradient, learning_rate):
    return velocity, -learning_rate * gradient


def momentum_09(self, velocity, gradient, learning_rate):
    new = 0.9 * velocity - learning_rate * gradient
    return new, 0.9 * new - learning_rate * gradient


def rate_001(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity - 0.01 * gradient
    return new, self.momentum * new - 0.01 * gradient


def plain_momentum_09(self, velocity, gradient, learning_rate):
    new = 0.9 * velocity - learning_rate * gradient
    return new, new


def quarter_rate(self, velocity, gradient, learning_rate):
    new = self.momentum * velocity - learning_rate * gradient
    return new, self.momentum * new - 0.25 * learning_rate * gradient


class RateFixedInInit(NesterovSGD):
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(0.01, momentum, **kwargs)


class KwargsDropped(NesterovSGD):
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate, momentum)


class NoKwargs(NesterovSGD):
    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate, momentum)


class ShortNames(NesterovSGD):
    def __init__(self, lr=0.01, momentum=0.9, **kwargs):
        super().__init__(lr, momentum, **kwargs)


class InheritedConstructor(keras.optimizers.Optimizer):  # no __init__ of its own
    build, update_step = NesterovSGD.build, NesterovSGD.update_step


class OtherDefaults(NesterovSGD):
    def __init__(self, learning_rate=0.1, momentum=0.0, **kwargs):
        super().__init__(learning_rate, momentum, **kwargs)


class PythonVelocities(NesterovSGD):  # tensors in a dict: right eagerly, but not saved
    def build(self, variables):
        if self.built:
            return
        keras.optimizers.Optimizer.build(self, variables)
        self.by_id = {}

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.by_id.get(id(variable), tf.zeros_like(variable))
        velocity = self.momentum * velocity - learning_rate * gradient
        self.by_id[id(variable)] = velocity
        variable.assign_add(self.momentum * velocity - learning_rate * gradient)


class TfVariables(NesterovSGD):  # tf.Variables the optimizer does not track
    def build(self, variables):
        if self.built:
            return
        keras.optimizers.Optimizer.build(self, variables)
        self.velocities = [tf.Variable(tf.zeros_like(v)) for v in variables]


class CountsTwice(NesterovSGD):
    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient, variable, learning_rate)
        self.iterations.assign_add(1)


class EagerOnly(NesterovSGD):  # right eagerly, another rule when traced
    def update_step(self, gradient, variable, learning_rate):
        if tf.executing_eagerly():
            super().update_step(gradient, variable, learning_rate)
        else:
            self.assign_sub(variable, learning_rate * gradient)


class SGDInside(keras.optimizers.SGD):
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate, momentum, nesterov=True, **kwargs)


class NotAnOptimizer:
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        self.learning_rate = learning_rate


class Placeholder(NesterovSGD):  # what the learner edition gives
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        raise NotImplementedError("Exercise 10.1")


def test_nesterov_accepts_the_solution_and_equivalent_forms():
    result = timed("10.1", NesterovSGD)
    assert result.status == "passed", result.message
    assert "bit for bit equal to SGD(0.05, momentum=0.8, nesterov=True)" in " ".join(
        result.message.split())
    for right in (own_attribute_rate, flipped_convention):
        result = timed("10.1", optimizer_with(right))
        assert result.status == "passed", (right.__name__, result.message)


@pytest.mark.parametrize("answer, expected", [
    (optimizer_with(plain_momentum), "your updates are plain momentum, w + velocity"),
    (optimizer_with(old_velocity), "your updates are plain momentum"),
    (optimizer_with(look_ahead_only), "your variable moves by momentum × velocity only"),
    (optimizer_with(mixed_signs), "your velocity has the wrong sign"),
    (optimizer_with(uphill), "your updates climb the loss"),
    (optimizer_with(forgetful), "your velocity starts from zero at every step"),
    (optimizer_with(no_momentum), "your updates have no momentum at all"),
    (optimizer_with(momentum_09), "your updates use a momentum of 0.9, not the 0.8"),
    (optimizer_with(rate_001), "your updates use a learning rate of 0.01, not the 0.05"),
    (optimizer_with(plain_momentum_09), "plain momentum with a fixed momentum of 0.9"),
    (optimizer_with(quarter_rate), "after step 1 your weights differ from SGD(0.05, "
     "momentum=0.8, nesterov=True)'s by up to"),
    (RateFixedInInit, "NesterovSGD(0.05, 0.8) has a learning rate of 0.01: pass the "
     "learning_rate argument to super().__init__"),
    (KwargsDropped, "made an optimizer named 'kwargs_dropped'"),  # from the class name
    (NoKwargs, "accept **kwargs and pass them on to super().__init__"),
    (ShortNames, "write the constructor as __init__(self, learning_rate=0.01, momentum=0.9, "
     "**kwargs); yours is __init__(self, lr=0.01, momentum=0.9, **kwargs)"),
    (OtherDefaults, "yours are (0.1, 0.0)"),
    (InheritedConstructor, "NesterovSGD has no constructor of its own: write __init__(self, "
     "learning_rate=0.01, momentum=0.9, **kwargs)"),
    (PythonVelocities, "your optimizer holds 0 variables of its own: make one velocity per "
     "variable in build with self.add_variable_from_reference"),
    (TfVariables, "your optimizer holds 0 variables of its own"),
    (CountsTwice, "your optimizer counts 15 iterations"),
    (EagerOnly, "eagerly your optimizer is right, but inside a tf.function step 1 differs"),
    (SGDInside, "subclasses keras.optimizers.SGD, which already does the work"),
    (NotAnOptimizer, "should be a subclass of keras.optimizers.Optimizer"),
    (NesterovSGD(0.05, 0.8), "pass the class NesterovSGD itself to check(), not an optimizer"),
    (lambda learning_rate, momentum: None, "pass your class NesterovSGD itself to check(); you "
     "passed a function"),
    ("NesterovSGD", "you passed a str"),
])
def test_nesterov_names_each_mistake(answer, expected):
    result = timed("10.1", answer)
    assert names(result, expected), result.message


def test_nesterov_defined_as_in_a_notebook_cell_passes():
    """A class made by exec, as test_exercises runs a cell (its methods have no module)."""
    namespace = {"keras": keras, "tf": tf}
    exec(inspect.getsource(NesterovSGD), namespace)
    result = timed("10.1", namespace["NesterovSGD"])
    assert result.status == "passed", result.message


def test_nesterov_placeholder_is_not_done():
    assert evaluate("10.1", Placeholder).status == "not done"


# --- 10.2: accumulate uneven micro-batches ----------------------------------------------------
def accumulate_and_apply(model, optimizer, loss_fn, micro_batches):
    variables = model.trainable_variables
    total = sum(len(x) for x, _ in micro_batches)
    sums = [tf.zeros_like(v) for v in variables]
    loss_sum = 0.0
    for x, y in micro_batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, variables)
        sums = [s + len(x) * g for s, g in zip(sums, gradients, strict=True)]
        loss_sum += len(x) * float(loss)
    optimizer.apply([s / total for s in sums], variables)
    return loss_sum / total


def accumulated(weight, divide, model, loss_fn, micro_batches, sums=None):
    """The micro-batches' gradients summed with ``weight(n)`` and divided by
    ``divide(sizes)``; their losses."""
    variables = model.trainable_variables
    sums = sums if sums is not None else [tf.zeros_like(v) for v in variables]
    losses = []
    for x, y in micro_batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, variables)
        sums[:] = [s + weight(len(x)) * g for s, g in zip(sums, gradients, strict=True)]
        losses.append((len(x), float(loss)))
    return [s / divide([len(x) for x, _ in micro_batches]) for s in sums], losses


def with_combination(weight, divide):
    def accumulate(model, optimizer, loss_fn, micro_batches):
        gradients, losses = accumulated(weight, divide, model, loss_fn, micro_batches)
        optimizer.apply(gradients, model.trainable_variables)
        return sum(n * loss for n, loss in losses) / sum(n for n, _ in losses)
    return accumulate


def with_a_tensor_loss(model, optimizer, loss_fn, micro_batches):
    return tf.constant(accumulate_and_apply(model, optimizer, loss_fn, micro_batches))


def one_update_each(model, optimizer, loss_fn, micro_batches):
    for x, y in micro_batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        variables = model.trainable_variables
        optimizer.apply(tape.gradient(loss, variables), variables)
    return float(loss)


def never_reset():
    """An answer whose sums and count live on from one call to the next."""
    kept = {}

    def accumulate(model, optimizer, loss_fn, micro_batches):
        if "sums" not in kept:
            kept["sums"] = [tf.zeros_like(v) for v in model.trainable_variables]
            kept["total"] = 0
        kept["total"] += sum(len(x) for x, _ in micro_batches)
        gradients, losses = accumulated(lambda n: n, lambda sizes: kept["total"], model,
                                        loss_fn, micro_batches, kept["sums"])
        optimizer.apply(gradients, model.trainable_variables)
        return sum(n * loss for n, loss in losses) / sum(n for n, _ in losses)
    return accumulate


def mean_of_losses(model, optimizer, loss_fn, micro_batches):
    gradients, losses = accumulated(lambda n: n, sum, model, loss_fn, micro_batches)
    optimizer.apply(gradients, model.trainable_variables)
    return float(np.mean([loss for _, loss in losses]))


def loss_after_the_update(model, optimizer, loss_fn, micro_batches):
    accumulate_and_apply(model, optimizer, loss_fn, micro_batches)
    total = sum(len(x) for x, _ in micro_batches)
    return sum(len(x) * float(loss_fn(y, model(x))) for x, y in micro_batches) / total


def one_big_step(model, optimizer, loss_fn, micro_batches):
    """Right update, but the whole batch goes through the model at once."""
    x = np.concatenate([x for x, _ in micro_batches])
    y = np.concatenate([y for _, y in micro_batches])
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    return float(loss)


def twice_the_rate(model, optimizer, loss_fn, micro_batches):
    gradients, losses = accumulated(lambda n: 2 * n, sum, model, loss_fn, micro_batches)
    optimizer.apply(gradients, model.trainable_variables)
    return sum(n * loss for n, loss in losses) / sum(n for n, _ in losses)


def test_accumulation_accepts_the_solution_and_a_tensor_loss():
    for answer in (accumulate_and_apply, with_a_tensor_loss):
        result = timed("10.2", answer)
        assert result.status == "passed", result.message
        assert "micro-batches of 32, 32, 36, 4 and then of 8, 20" in result.message


@pytest.mark.parametrize("answer, expected", [
    (with_combination(lambda n: 1, len), "you averaged the micro-batches' gradients without "
     "weights, as Keras's gradient_accumulation_steps does"),
    (with_combination(lambda n: n, lambda sizes: 1), "you summed size × gradient but did not "
     "divide by the total number of examples"),
    (with_combination(lambda n: 1, lambda sizes: 1), "you summed the micro-batches' gradients "
     "without dividing"),
    (one_update_each, "optimizer.iterations grew by 4 for 4 micro-batches"),
    (never_reset(), "the first call was right but the second call's update differs"),
    (mean_of_losses, "is the mean of the micro-batches' losses; weight each by its size"),
    (loss_after_the_update, "the mean loss over all 104 examples before the update is"),
    (twice_the_rate, "your update differs by up to"),
    (one_big_step, "you ran the model on 104 examples at once, more than the largest "
     "micro-batch (36)"),
    (lambda model, optimizer, loss_fn, micro_batches: None, "your function made no update and "
     "returned None (optimizer.iterations did not grow)"),
    (lambda model, optimizer, loss_fn, micro_batches: (
        accumulate_and_apply(model, optimizer, loss_fn, micro_batches), None)[1],
     "the update is right, but you returned None"),
    (lambda model, optimizer, loss_fn, micro_batches: [
        accumulate_and_apply(model, optimizer, loss_fn, micro_batches)] * 2,
     "should be a single number"),
])
def test_accumulation_names_each_mistake(answer, expected):
    result = timed("10.2", answer)
    assert names(result, expected), result.message


def test_accumulation_rejects_what_is_not_a_function_and_the_placeholder():
    assert names(evaluate("10.2", [1, 2]), "pass your function accumulate_and_apply itself")
    assert evaluate("10.2", placeholder).status == "not done"


# --- 10.3: feed the model its own predictions -------------------------------------------------
def greedy_decode(step, state, start_token, length):
    tokens, chosen = start_token, []
    for _ in range(length):
        logits, state = step(tokens, state)
        tokens = tf.argmax(logits, axis=-1)
        chosen.append(tokens)
    return tf.stack(chosen, axis=1).numpy()


def decode_with(feed_back=True, pass_state=True, axis=-1, steps=lambda n: n, keep=slice(None),
                with_start=False, token_dtype=None,
                finish=lambda chosen: tf.stack(chosen, axis=1)):
    def decode(step, state, start_token, length):
        tokens, first = start_token, state
        chosen = [tf.cast(start_token, tf.int64)] if with_start else []
        for _ in range(steps(length)):
            logits, new_state = step(tokens if feed_back else start_token, state)
            state = new_state if pass_state else first
            tokens = tf.argmax(logits, axis=axis)
            chosen.append(tokens)
            if token_dtype is not None:
                tokens = tf.cast(tokens, token_dtype)
        return finish(chosen[keep])
    return decode


def first_state_right(step, state, start_token, length):  # passes state on from the start
    tokens, chosen = start_token, []
    for _ in range(length):
        logits, state = step(tokens, state)
        tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)
        chosen.append(tokens.numpy())
    return np.stack(chosen, axis=1)


def sampled(step, state, start_token, length):
    tokens, chosen = start_token, []
    for _ in range(length):
        logits, state = step(tokens, state)
        tokens = tf.random.categorical(logits * 0.0, 1, seed=1)[:, 0]
        chosen.append(tokens)
    return tf.stack(chosen, axis=1)


def logits_fed_back(step, state, start_token, length):
    tokens, chosen = start_token, []
    for _ in range(length):
        tokens, state = step(tokens, state)
        chosen.append(tf.argmax(tokens, axis=-1))
    return tf.stack(chosen, axis=1)


def test_decode_accepts_the_solution_and_a_tensor():
    for answer in (greedy_decode, first_state_right, decode_with()):
        result = timed("10.3", answer)
        assert result.status == "passed", result.message


def placeholder_decode(step, state, start_token, length):
    raise NotImplementedError("Exercise 10.3")


@pytest.mark.parametrize("answer, expected", [
    (decode_with(feed_back=False), "you fed step the start token at every step"),
    (decode_with(pass_state=False), "you passed step the first state at every step"),
    (decode_with(feed_back=False, pass_state=False),
     "you fed step the start token and the first state at every step"),
    (decode_with(with_start=True), "returned 6 tokens per sequence, the start token first"),
    (decode_with(with_start=True, keep=slice(0, -1)), "the start token is the first of your "
     "tokens"),
    (decode_with(axis=0), "step received tokens of shape (7,)"),
    (decode_with(axis=0), "use axis=-1"),
    (decode_with(finish=lambda chosen: tf.stack(chosen, axis=0)),
     "returned shape (5, 3), (length, batch): stack the steps' tokens along axis 1"),
    (decode_with(finish=lambda chosen: tf.cast(tf.stack(chosen, axis=1), tf.float32)),
     "returned values of dtype float32; return the integer token ids"),
    (decode_with(steps=lambda n: 5), "length=2) returned a tensor of shape (3, 5)"),
    (decode_with(steps=lambda n: n + 1, keep=slice(0, -1)), "called step 6 times; call it once "
     "per token, 5 times"),
    (decode_with(finish=lambda chosen: None), "returned None"),
    (sampled, "tokens differently from greedy decoding"),
    (logits_fed_back, "step received tokens of shape (3, 7)"),
    (decode_with(token_dtype=tf.float32), "step received tokens of dtype float32; feed it "
     "integer token ids"),
])
def test_decode_names_each_mistake(answer, expected):
    result = timed("10.3", answer)
    assert names(result, expected), result.message


def test_decode_rejects_what_is_not_a_function_and_the_placeholder():
    assert names(evaluate("10.3", 3), "pass your function greedy_decode itself")
    assert evaluate("10.3", placeholder_decode).status == "not done"
