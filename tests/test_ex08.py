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
        (lambda labels, logits, n: replica_loss(labels, logits, n).numpy(), "float32, not a "
         "tensor: a GradientTape cannot differentiate a NumPy or Python number"),
        (lambda labels, logits, n: float(replica_loss(labels, logits, n)), "float, not a tensor"),
    ):
        result = evaluate("08.1", answer)
        assert result.status == "incorrect" and expected in result.message, result.message


def test_replica_loss_placeholder_is_not_done():
    def placeholder(labels, logits, global_batch_size):
        raise NotImplementedError("Exercise 08.1")

    assert evaluate("08.1", placeholder).status == "not done"


# --- 08.2: a distributed step for batches of any size -----------------------------------
STEPS = textwrap.dedent('''
    import keras
    import tensorflow as tf


    def make(size="counted", loss_kind="global", scale_regularization=True, reduction="SUM"):
        def make_distributed_step(strategy, model, optimizer):
            def replica_step(x, y, global_batch_size):
                with tf.GradientTape() as tape:
                    logits = model(x, training=True)
                    per_example = keras.losses.sparse_categorical_crossentropy(
                        y, logits, from_logits=True
                    )
                    if size == "all_reduce":
                        context = tf.distribute.get_replica_context()
                        global_batch_size = context.all_reduce("SUM", tf.shape(y)[0])
                    if loss_kind == "global":
                        loss = tf.nn.compute_average_loss(
                            per_example, global_batch_size=global_batch_size
                        )
                    elif loss_kind == "keras":  # a loss object: a mean of replica means
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
                optimizer.apply(gradients, model.trainable_variables)
                return loss

            @tf.function
            def step(x, y):
                if size == "counted":
                    sizes = strategy.run(lambda y: tf.shape(y)[0], args=(y,))
                    n = strategy.reduce("SUM", sizes, axis=None)
                else:  # None (compute_average_loss assumes equal shares), 8, or all_reduce
                    n = {"none": None, "eight": 8, "all_reduce": 0}[size]
                per_replica = strategy.run(replica_step, args=(x, y, n))
                if reduction is None:
                    return per_replica
                return strategy.reduce(reduction, per_replica, axis=None)

            return step

        return make_distributed_step
''')


def test_distributed_step_on_the_devices_of_this_process():
    namespace = {}
    exec(STEPS, namespace)
    make = namespace["make"]
    result = evaluate("08.2", make())
    assert result.status == "passed", result.message
    assert result.message.startswith("on 1 replica, global batches of 8, 8 and 3 give")
    assert evaluate("08.2", lambda strategy, model, optimizer: None).status == "incorrect"


def test_distributed_step_with_two_replicas_names_each_mistake():
    start = "import helpers\nhelpers.start(seed=0, show=False, cpu_devices=2)\n"  # TF first
    code = start + STEPS + textwrap.dedent('''
        from helpers.exercises import evaluate

        for name, answer in (
            ("counted", make()),
            ("all_reduce", make(size="all_reduce")),
            ("no size", make(size="none")),
            ("keras", make(size="none", loss_kind="keras")),
            ("eight", make(size="eight")),
            ("replica mean", make(loss_kind="replica mean")),
            ("MEAN", make(reduction="MEAN")),
            ("unscaled penalty", make(scale_regularization=False)),
            ("not reduced", make(reduction=None)),
        ):
            result = evaluate("08.2", answer)
            print(f"{name}|{result.status}|{result.message}")
    ''')
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    # Nine checks build nine steps from the same code: TensorFlow's retracing warning is
    # about this test's loop, not the check. Anything else on stderr fails.
    other = [
        line for line in run.stderr.splitlines() if "triggered tf.function retracing" not in line
    ]
    assert other == [], run.stderr
    outcome = {
        name: (status, message)
        for name, status, message in (line.split("|", 2) for line in run.stdout.splitlines())
    }
    for right in ("counted", "all_reduce"):
        assert outcome[right][0] == "passed", outcome[right]
        assert outcome[right][1].startswith("on 2 replicas, global batches of 8, 8 and 3 give")
    expected = {
        # equal shares on batches 1 and 2: only the last batch, split 2 + 1, shows these
        "no size": ("global batch 3 (3 examples, split 2 + 1)", "the mean of the replicas' means"),
        "keras": ("global batch 3 (3 examples, split 2 + 1)", "the mean of the replicas' means"),
        "eight": ("global batch 3", "you divided by 8, the size of the full batches"),
        "replica mean": ("global batch 1 (8 examples, split 4 + 4)", "a per-replica mean"),
        "MEAN": ("global batch 1", "reduce them with SUM, not MEAN"),
        "unscaled penalty": ("global batch 1", "tf.nn.scale_regularization_loss"),
        "not reduced": ("", "combine them with strategy.reduce"),
    }
    for mistake, (batch, named) in expected.items():
        status, message = outcome[mistake]
        assert status == "incorrect" and batch in message and named in message, message
