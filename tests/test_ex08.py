"""The checks of 08_distributed accept a right answer, reject placeholder and wrong ones.

08.1 needs no strategy. 08.2 runs under a MirroredStrategy over the logical CPU devices of the
process: one here (other tests have initialised TensorFlow already), so the mistakes that
only show with two replicas are checked in a subprocess started with cpu_devices=2.
"""

import subprocess
import sys
import textwrap

import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.exercises import evaluate  # noqa: E402


# --- 08.1: a replica's share of the loss -------------------------------------------------
def replica_loss(labels, logits, global_batch_size):
    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)


def per_replica_mean(labels, logits, global_batch_size):
    return tf.reduce_mean(
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    )


def sum_without_dividing(labels, logits, global_batch_size):
    return tf.reduce_sum(
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    )


def per_example_vector(labels, logits, global_batch_size):
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def test_replica_loss():
    result = evaluate("08.1", replica_loss)
    assert result.status == "passed", result.message
    assert "even with an uneven split" in result.message
    wrong = evaluate("08.1", per_replica_mean)
    assert wrong.status == "incorrect" and "divide by the global batch size" in wrong.message
    for answer, expected in (
        (sum_without_dividing, "should add up to the batch's mean loss"),
        (per_example_vector, "a scalar"),
        (lambda labels, logits, n: None, "not None"),
    ):
        result = evaluate("08.1", answer)
        assert result.status == "incorrect" and expected in result.message, result.message


def test_replica_loss_placeholder_is_not_done():
    def placeholder(labels, logits, global_batch_size):
        raise NotImplementedError("Exercise 08.1")

    assert evaluate("08.1", placeholder).status == "not done"


# --- 08.2: a distributed train step -------------------------------------------------------
STEPS = textwrap.dedent('''
    import keras
    import tensorflow as tf


    def make(loss_kind, scale_regularization=True, reduce=True):
        def make_distributed_step(strategy, model, optimizer, global_batch_size):
            def replica_step(x, y):
                with tf.GradientTape() as tape:
                    logits = model(x, training=True)
                    per_example = keras.losses.sparse_categorical_crossentropy(
                        y, logits, from_logits=True
                    )
                    if loss_kind == "global":
                        loss = tf.nn.compute_average_loss(
                            per_example, global_batch_size=global_batch_size
                        )
                    elif loss_kind == "keras":  # a Keras 3 loss object scales itself
                        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
                            y, logits
                        )
                    else:  # the per-replica mean
                        loss = tf.reduce_mean(per_example)
                    penalty = tf.add_n(model.losses)
                    if scale_regularization:
                        penalty = tf.nn.scale_regularization_loss(penalty)
                    loss += penalty
                gradients = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(gradients, model.trainable_variables))
                return loss

            @tf.function
            def step(x, y):
                per_replica = strategy.run(replica_step, args=(x, y))
                if reduce:
                    return strategy.reduce("SUM", per_replica, axis=None)
                return per_replica

            return step

        return make_distributed_step
''')


def test_distributed_step_on_the_devices_of_this_process():
    namespace = {}
    exec(STEPS, namespace)
    make = namespace["make"]
    result = evaluate("08.2", make("global"))
    assert result.status == "passed", result.message
    assert result.message.startswith("on 1 replica, two steps give the single-device weights")
    assert evaluate("08.2", lambda strategy, model, optimizer, n: None).status == "incorrect"


def test_distributed_step_with_two_replicas_catches_the_scaling_mistakes():
    start = "import helpers\nhelpers.start(seed=0, show=False, cpu_devices=2)\n"  # TF first
    code = start + STEPS + textwrap.dedent('''
        from helpers.exercises import evaluate

        for name, answer in (
            ("global", make("global")),
            ("keras", make("keras")),
            ("replica mean", make("replica mean")),
            ("unscaled penalty", make("global", scale_regularization=False)),
            ("not reduced", make("global", reduce=False)),
        ):
            result = evaluate("08.2", answer)
            print(f"{name}|{result.status}|{result.message}")
    ''')
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    # Five checks build five steps from the same code: TensorFlow's retracing warning is
    # about this test's loop, not the check. Anything else on stderr fails.
    other = [
        line for line in run.stderr.splitlines() if "triggered tf.function retracing" not in line
    ]
    assert other == [], run.stderr
    outcome = {
        name: (status, message)
        for name, status, message in (line.split("|", 2) for line in run.stdout.splitlines())
    }
    assert outcome["global"][0] == "passed", outcome["global"]
    assert outcome["global"][1].startswith("on 2 replicas, two steps give")
    assert outcome["keras"][0] == "passed", outcome["keras"]  # equal shares: Keras scales right
    for mistake in ("replica mean", "unscaled penalty"):
        status, message = outcome[mistake]
        assert status == "incorrect" and "On 2 replicas, your step returned" in message
    assert outcome["not reduced"][0] == "incorrect"
    assert "combine them with strategy.reduce" in outcome["not reduced"][1]
