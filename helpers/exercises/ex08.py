"""Checks for the exercises of 08_distributed (distributed training with tf.distribute).

08.1 needs no strategy: it splits one batch into uneven replica shares itself. 08.2 runs the
learner's step under a ``MirroredStrategy`` over the logical CPU devices this process has
(two in notebook 08, whose setup cell asks for them; one elsewhere) and compares the weights
with a single-device step on the same global batches.
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


@exercise(
    "08.2",
    title="A distributed train step",
    hint="Inside the replica function: the loss averaged over the global batch plus the model's "
    "own losses scaled for the replicas; outside it, strategy.run and then strategy.reduce.",
    more="replica function: with a GradientTape, per-example losses -> "
    "tf.nn.compute_average_loss(..., global_batch_size=global_batch_size) + "
    "tf.nn.scale_regularization_loss(tf.add_n(model.losses)); apply the gradients; return the "
    "loss. step(x, y): strategy.reduce('SUM', strategy.run(replica_fn, args=(x, y)), axis=None).",
)
def _check_distributed_step(make_distributed_step):
    np, tf, keras = _modules()
    if not callable(make_distributed_step):
        raise Incorrect("pass your function make_distributed_step itself to check().")
    # ReductionToOneDevice keeps no collective state: no clash with the notebook's strategy
    strategy = tf.distribute.MirroredStrategy(cross_device_ops=tf.distribute.ReductionToOneDevice())
    replicas = strategy.num_replicas_in_sync
    rng = np.random.default_rng(9)
    global_batch_size = 8
    x = rng.normal(size=(2 * global_batch_size, 6)).astype("float32")
    y = rng.integers(0, 3, size=2 * global_batch_size).astype("int64")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch_size)

    reference = _model(keras)
    reference_optimizer = keras.optimizers.SGD(0.5)
    losses = []
    for xb, yb in dataset:
        with tf.GradientTape() as tape:
            logits = reference(xb, training=True)
            loss = keras.losses.sparse_categorical_crossentropy(
                yb, logits, from_logits=True
            )
            loss = tf.reduce_mean(loss) + tf.add_n(reference.losses)
        gradients = tape.gradient(loss, reference.trainable_variables)
        reference_optimizer.apply_gradients(
            zip(gradients, reference.trainable_variables, strict=True)
        )
        losses.append(float(loss))

    with strategy.scope():
        model = _model(keras)
        optimizer = keras.optimizers.SGD(0.5)
        optimizer.build(model.trainable_variables)
    step = make_distributed_step(strategy, model, optimizer, global_batch_size)
    if not callable(step):
        raise Incorrect("make_distributed_step should return the step function it builds.")
    returned = []
    for xb, yb in strategy.experimental_distribute_dataset(dataset):
        loss = step(xb, yb)
        if loss is None:
            raise Incorrect("return the step's loss, reduced over the replicas, not None.")
        if isinstance(loss, tf.distribute.DistributedValues):
            raise Incorrect(
                "your step returned one loss per replica; combine them with strategy.reduce."
            )
        returned.append(float(loss))
    difference = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(model.get_weights(), reference.get_weights(), strict=True)
    )
    where = f"on {replicas} replica{'s' if replicas > 1 else ''}"
    if not np.allclose(returned, losses, rtol=1e-4):
        raise Incorrect(
            f"{where}, your step returned losses {returned[0]:.4f}, {returned[1]:.4f}; the "
            f"global batches' losses (model.losses included) are {losses[0]:.4f}, {losses[1]:.4f}."
        )
    if difference > 1e-5:
        raise Incorrect(
            f"{where}, after two steps your weights differ from single-device training by up to "
            f"{difference:.2g}: check the scaling of the loss and of model.losses."
        )
    return (
        f"{where}, two steps give the single-device weights (within 1e-5) and the global "
        f"batches' losses."
    )
