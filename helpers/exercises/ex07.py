"""Checks for the exercises of 07_speed_and_debugging.

Each check runs the learner's code on a tiny model or on a list of layer sizes (a second at
most) and compares it with the count of section 1 or with single train steps.
"""
from __future__ import annotations

import numbers

from . import Incorrect, exercise


def _forward(sizes) -> int:
    return sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


@exercise(
    "07.1",
    title="The training cost of a Dense stack",
    hint="Pair each layer size with the next one: a layer from n_in to n_out costs "
    "2 * n_in * n_out in the forward pass, and the backward pass has two products of that "
    "size per layer, except the first.",
    more="zip(layer_sizes[:-1], layer_sizes[1:]) gives the (n_in, n_out) pairs; sum "
    "2 * n_in * n_out over them for the forward pass and multiply by 3 for forward plus "
    "backward, then take away the product nothing needs: the gradient passed into the data, "
    "2 * layer_sizes[0] * layer_sizes[1].",
)
def _check_flops(training_flops):
    if not callable(training_flops):
        raise Incorrect("pass your function training_flops itself to check().")
    for sizes in ([784, 512, 256, 128, 10], [3, 5, 2], [4, 3]):
        got = training_flops(list(sizes))
        forward = _forward(sizes)
        into_data = 2 * sizes[0] * sizes[1]
        want = 3 * forward - into_data
        if isinstance(got, bool) or not isinstance(got, numbers.Real):
            raise Incorrect(f"return one whole number (an int); for {sizes} you returned "
                            f"{type(got).__name__}.")
        if got == want and not isinstance(got, numbers.Integral):
            raise Incorrect(f"the value is right, but return an int (int(...)), not "
                            f"{type(got).__name__}.")
        if got == want:
            continue
        params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
        if got == 3 * forward:
            raise Incorrect(f"{got:,} also counts the gradient passed into the data; the "
                            "first layer's input is not a variable, so that product is never "
                            f"computed: take away 2 · {sizes[0]} · {sizes[1]}.")
        if got == forward:
            raise Incorrect(f"{got:,} is the forward pass of {sizes}; the backward pass adds "
                            "two products of the same size per layer (one in the first).")
        if got * 2 == want:
            raise Incorrect(f"{got:,} counts multiply-adds; a multiply-add is two "
                            "floating-point operations.")
        if got in (3 * 2 * params - into_data, 3 * 2 * params, 2 * params, params):
            raise Incorrect(f"{got:,} counts the biases as if they were multiply-adds with "
                            "every input; count only the kernels, 2 · n_in · n_out per layer.")
        raise Incorrect(f"for {sizes} a training step costs {want:,} FLOPs per sample; you "
                        f"returned {got:,}.")
    return ("3 × the forward pass − 2 · n_0 · n_1 (no gradient into the data): 2,596,352 FLOPs "
            "per sample for 03's network, the count section 1 read off the traced step.")


def _tiny_setup(steps, seed=0):
    """A 4-3 Dense model with SGD, its plain train step, and a dataset of 12 batches."""
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(12 * 5, 4)).astype("float32")
    y = rng.integers(0, 3, size=12 * 5).astype("int64")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(5)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def new_pair():
        model = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(3, kernel_initializer=keras.initializers.GlorotUniform(seed=7)),
        ])
        optimizer = keras.optimizers.SGD(0.1)
        optimizer.build(model.trainable_variables)

        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
            return loss

        return model, step

    return tf, np, dataset, new_pair


@exercise(
    "07.2",
    title="Several steps per call, to the end of the data",
    hint="next(iterator) raises when the data runs out; an iterator can also give an "
    "optional batch that says whether it holds a value. Count the steps that really ran.",
    more="Inside a @tf.function train_steps(iterator): start a counter done = tf.constant(0); "
    "for _ in tf.range(steps_per_call): batch = iterator.get_next_as_optional(); if not "
    "batch.has_value(): break; x, y = batch.get_value(); step(x, y); done += 1. Return done, "
    "and return train_steps from make_multi_step. AutoGraph turns the break into the loop's "
    "condition; Keras's fit() does the same with steps_per_execution.",
)
def _check_multi_step(make_multi_step):
    if not callable(make_multi_step):
        raise Incorrect("pass your function make_multi_step itself to check().")
    steps, n_batches = 4, 10
    tf, np, dataset, new_pair = _tiny_setup(steps)
    dataset = dataset.take(n_batches)
    batches = list(dataset)

    reference, reference_step = new_pair()
    compiled_reference = tf.function(reference_step)
    for xb, yb in batches:
        compiled_reference(xb, yb)

    model, step = new_pair()
    train_steps = make_multi_step(step, steps)
    iterator = iter(dataset)
    want = [steps, steps, n_batches - 2 * steps, 0]
    counts = []
    for call in range(len(want)):
        try:
            got = train_steps(iterator)
        except (tf.errors.OutOfRangeError, StopIteration):
            raise Incorrect(
                f"call {call + 1} raised an error when the {n_batches} batches ran out: "
                "next(iterator) fails at the end of the data; ask the iterator for an optional "
                "batch (get_next_as_optional) and stop when it has no value.") from None
        if got is None:
            raise Incorrect("return the number of steps the call ran, not None.")
        counts.append(int(got))
        if counts[-1] > steps:
            raise Incorrect(f"call {call + 1} ran {counts[-1]} steps: stop after "
                            f"steps_per_call = {steps}, the rest is for the next call.")
    if counts != want:
        if sum(counts) < n_batches:
            raise Incorrect(f"your calls ran {counts} steps, {sum(counts)} in all from "
                            f"{n_batches} batches: a batch was drawn and not used; draw the "
                            "next batch only when a step will use it.")
        if counts[2] == steps:
            raise Incorrect(f"with {n_batches} batches and {steps} steps per call the third call "
                            f"has only {n_batches - 2 * steps} batches left, but you returned "
                            f"{counts[2]}: count the steps that ran, not the loop's turns.")
        raise Incorrect(f"with {n_batches} batches and {steps} steps per call the calls should "
                        f"return {want}; yours returned {counts}.")
    same = all(np.allclose(a, b, rtol=1e-5, atol=1e-6)
               for a, b in zip(model.get_weights(), reference.get_weights(), strict=True))
    if not same:
        raise Incorrect(f"the counts are right, but the weights differ from {n_batches} single "
                        f"steps, one on each batch: run step(x, y) once on every batch you draw.")
    if not hasattr(train_steps, "get_concrete_function"):
        raise Incorrect("the steps are right, but make_multi_step should return a tf.function "
                        "(decorate the inner function with @tf.function).")
    sizes = []
    for n in (2, 6):
        _, step_n = new_pair()
        function = make_multi_step(step_n, n)
        graph = function.get_concrete_function(iter(dataset)).graph
        sizes.append(len(graph.get_operations()))
    if sizes[0] != sizes[1]:
        raise Incorrect(f"the graph has {sizes[0]} operations for 2 steps per call and "
                        f"{sizes[1]} for 6: the loop is unrolled. Loop over tf.range, not "
                        "range.")
    return (f"{counts[:3]} steps from {n_batches} batches, then {counts[3]}, with no error at the "
            f"end; the same weights as {n_batches} single steps, and a graph of {sizes[0]} "
            "operations whatever steps_per_call is.")
