"""One worker of notebook 08's two-worker cluster: MultiWorkerMirroredStrategy, a custom loop.

Started twice by helpers.distribute.local_cluster, each time with its own TF_CONFIG, in a
directory holding data.npz (the examples, the global batch size, the initial weights).
It writes its weights after the last step to weights_<index>.npz.
"""
import json
import os

import helpers

# The course's device rule, pinned to the CPU: both workers run on this one computer.
# No TensorFlow operation yet: the strategy must come first.
tf = helpers.import_tensorflow_quietly(gpu=False, initialise_devices=False)
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG; first of all
tf.config.experimental.enable_op_determinism()

import keras  # noqa: E402
import numpy as np  # noqa: E402

index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
data = np.load("data.npz")
global_batch_size = int(data["global_batch_size"])


def dataset_fn(input_context):
    """This worker's share of every global batch: every other example."""
    batch_size = input_context.get_per_replica_batch_size(global_batch_size)
    return (
        tf.data.Dataset.from_tensor_slices((data["x"], data["y"]))
        .shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
        .batch(batch_size)
    )


with strategy.scope():
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(
                64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)
            ),
            keras.layers.Dense(10),
        ]
    )
    model.set_weights([data[f"initial_{i}"] for i in range(4)])
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
per_example_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)


def replica_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.nn.compute_average_loss(
            per_example_loss(y, logits), global_batch_size=global_batch_size
        )
        loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return loss


@tf.function
def distributed_step(x, y):
    per_replica = strategy.run(replica_step, args=(x, y))
    return strategy.reduce("SUM", per_replica, axis=None)


for step, (x, y) in enumerate(strategy.distribute_datasets_from_function(dataset_fn)):
    loss = distributed_step(x, y)
    here = sum(len(v) for v in strategy.experimental_local_results(y))
    if step % 2 == 1:
        print(f"step {step + 1}: {here} examples here, loss {float(loss):.4f}", flush=True)
np.savez(f"weights_{index}.npz", *model.get_weights())
