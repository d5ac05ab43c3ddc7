"""Checks for the exercises of 08_distributed (distributed training with tf.distribute).

08.1 needs no strategy: it splits one batch into uneven replica shares itself. 08.2 runs the
learner's step under a ``MirroredStrategy`` over the logical CPU devices this process has
(two in notebook 08, whose setup cell asks for them; one elsewhere), on global batches of 8,
8 and 3 (the last split unevenly on two replicas), and compares the losses and weights with
a single-device step on the same global batches.
"""

from __future__ import annotations

from . import Incorrect, exercise


def _modules():
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    return np, tf, keras


def _cross_entropy(np, labels, logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


@exercise(
    "08.1",
    title="A replica's share of the loss",
    hint="Per-example losses first (no reduction), then divide their sum by the global batch "
    "size, not by the number of examples this replica holds.",
    more="keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True) gives "
    "one loss per example; tf.nn.compute_average_loss(per_example, "
    "global_batch_size=global_batch_size) sums them and divides by the global batch size.",
)
def _check_replica_loss(replica_loss):
    np, tf, _ = _modules()
    if not callable(replica_loss):
        raise Incorrect("pass your function replica_loss itself to check().")
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(12, 5)).astype("float32")
    labels = rng.integers(0, 5, size=12).astype("int64")
    full_mean = float(np.mean(_cross_entropy(np, labels, logits)))
    shares = []
    for start, stop in ((0, 6), (6, 10), (10, 12)):  # three replicas, uneven last batch
        share = replica_loss(
            tf.constant(labels[start:stop]), tf.constant(logits[start:stop]), 12
        )
        if share is None:
            raise Incorrect("return the replica's loss (a scalar tensor), not None.")
        if not tf.is_tensor(share):
            raise Incorrect(
                f"you returned a {type(share).__name__}, not a tensor: a GradientTape cannot "
                "differentiate a NumPy or Python number, and .numpy() fails inside tf.function; "
                "keep to TensorFlow operations and return their tensor."
            )
        share = np.asarray(share)
        if share.shape != ():
            raise Incorrect(
                f"return one number per replica (a scalar), you returned shape {share.shape}."
            )
        shares.append(float(share))
    total = sum(shares)
    per_replica_means = sum(
        float(np.mean(_cross_entropy(np, labels[a:b], logits[a:b])))
        for a, b in ((0, 6), (6, 10), (10, 12))
    )
    if abs(total - per_replica_means) < 1e-5 * per_replica_means:
        raise Incorrect(
            f"the replicas' shares add up to {total:.4f}, the sum of three per-replica means; "
            f"the loss of the global batch is {full_mean:.4f}: divide by the global batch size."
        )
    if abs(total - full_mean) > 1e-5 * full_mean:
        raise Incorrect(
            f"for a global batch of 12 split 6 + 4 + 2 over three replicas, the shares should add "
            f"up to the batch's mean loss {full_mean:.4f}; yours add up to {total:.4f}."
        )
    return (
        f"shares of {shares[0]:.4f}, {shares[1]:.4f} and {shares[2]:.4f} add up to the global "
        f"batch's mean loss, {full_mean:.4f}, even with an uneven split."
    )


def _model(keras):
    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                8,
                activation="tanh",
                kernel_initializer=init(seed=5),
                kernel_regularizer=keras.regularizers.L2(0.05),
            ),
            keras.layers.Dense(3, kernel_initializer=init(seed=6)),
        ]
    )


def _strategy(tf):
    """A MirroredStrategy over this process's logical CPUs (two in notebook 08), whatever GPU."""
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    # the same cross-device ops as the notebook's strategy (section 1)
    return tf.distribute.MirroredStrategy(
        devices=cpus, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )


@exercise(
    "08.2",
    title="A distributed step for batches of any size",
    hint="The global batch size is not a constant any more: it is the sum of what the replicas "
    "hold. Count it in the step, then divide by it.",
    more="In step(x, y): sizes = strategy.run(lambda y: tf.shape(y)[0], args=(y,)); "
    "n = strategy.reduce('SUM', sizes, axis=None); then strategy.run(replica_step, "
    "args=(x, y, n)), where replica_step uses tf.nn.compute_average_loss(per_example, "
    "global_batch_size=n) + tf.nn.scale_regularization_loss(tf.add_n(model.losses)); return "
    "strategy.reduce('SUM', ..., axis=None). (tf.distribute.get_replica_context().all_reduce("
    "'SUM', tf.shape(y)[0]) inside the replica works too.)",
)
def _check_any_batch_step(make_distributed_step):
    np, tf, keras = _modules()
    if not callable(make_distributed_step):
        raise Incorrect("pass your function make_distributed_step itself to check().")
    strategy = _strategy(tf)
    replicas = strategy.num_replicas_in_sync
    where = f"on {replicas} replica{'s' if replicas > 1 else ''}"
    rng = np.random.default_rng(9)
    x = rng.normal(size=(19, 6)).astype("float32")
    y = rng.integers(0, 3, size=19).astype("int64")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)  # 8, 8 and 3

    reference = _model(keras)
    reference_optimizer = keras.optimizers.SGD(0.5)
    with strategy.scope():
        model = _model(keras)
        optimizer = keras.optimizers.SGD(0.5)
        optimizer.build(model.trainable_variables)
    step = make_distributed_step(strategy, model, optimizer)
    if not callable(step):
        raise Incorrect("make_distributed_step should return the step function it builds.")
    for k, ((xb, yb), (xd, yd)) in enumerate(
        zip(dataset, strategy.experimental_distribute_dataset(dataset), strict=True), start=1
    ):
        sizes = [len(v) for v in strategy.experimental_local_results(yd)]
        with tf.GradientTape() as tape:
            logits = reference(xb, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(yb, logits, from_logits=True)
            penalty = tf.add_n(reference.losses)
            loss = tf.reduce_mean(per_example) + penalty
        gradients = tape.gradient(loss, reference.trainable_variables)
        reference_optimizer.apply(gradients, reference.trainable_variables)
        got = step(xd, yd)
        if got is None:
            raise Incorrect("return the step's loss, reduced over the replicas, not None.")
        if isinstance(got, tf.distribute.DistributedValues):
            raise Incorrect(
                "your step returned one loss per replica; combine them with strategy.reduce."
            )
        got, want = float(got), float(loss)
        examples, pen = per_example.numpy(), float(penalty)
        bounds = np.cumsum([0, *sizes])
        means = [examples[a:b].mean() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        batch = f"{where}, on global batch {k} ({len(examples)} examples, split " + (
            " + ".join(map(str, sizes)) + ")"
        )
        if not np.isclose(got, want, rtol=1e-4):
            mistakes = (
                (want / replicas, f"{batch} your step returned {got:.4f}, 1/{replicas} of the "
                 f"batch's loss {want:.4f}: the replicas' losses are shares that add up, so "
                 "reduce them with SUM, not MEAN."),
                (sum(means) + pen, f"{batch} your step returned {got:.4f}, not the batch's loss "
                 f"{want:.4f}: each replica divided by its own examples (a per-replica mean); "
                 "divide by the global batch size."),
                (sum(means) / replicas + pen, f"{batch} your step returned {got:.4f}, the mean "
                 f"of the replicas' means, not the batch's loss {want:.4f}: with unequal shares "
                 "divide by the real global batch size, the sum of the replicas' sizes."),
                (examples.sum() / 8 + pen, f"{batch} your step returned {got:.4f}, not the "
                 f"batch's loss {want:.4f}: you divided by 8, the size of the full batches; "
                 f"this one holds {len(examples)}: count the examples of the batch you get."),
                (examples.mean() + replicas * pen, f"{batch} your step returned {got:.4f}, not "
                 f"{want:.4f}: every replica added model.losses whole; scale them with "
                 "tf.nn.scale_regularization_loss."),
            )
            for value, message in mistakes:
                if np.isclose(got, value, rtol=1e-4):
                    raise Incorrect(message)
            raise Incorrect(
                f"{batch} your step returned {got:.4f}; the batch's loss (model.losses "
                f"included) is {want:.4f}."
            )
        difference = max(
            float(np.max(np.abs(a - b)))
            for a, b in zip(model.get_weights(), reference.get_weights(), strict=True)
        )
        if difference > 1e-5:
            raise Incorrect(
                f"{batch}, your weights after the step differ from single-device training by "
                f"up to {difference:.2g}: check how the loss and model.losses are scaled."
            )
    return (
        f"{where}, global batches of 8, 8 and 3 give the single-device weights (within 1e-5) "
        "and the batches' losses."
    )
