"""Tests for helpers.tracing and helpers.explorers: real fit() runs on tiny data."""
import pytest

import helpers

helpers.start(seed=0, show=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import tracing  # noqa: E402
from helpers.tracing import (  # noqa: E402
    HookCall,
    TracingCallback,
    event_window,
    format_timeline,
    source_excerpt,
)


def _dataset(n, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.integers(0, 3, size=n)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)


def _model(steps_per_execution=1):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    return model


@pytest.fixture(scope="module")
def recorded():
    """2 epochs x 3 train batches, 2 validation batches, then a predict() of 2 batches."""
    tracer = TracingCallback()
    model = _model()
    model.fit(_dataset(24, 8), validation_data=_dataset(16, 8, seed=1), epochs=2, verbose=0,
              shuffle=False, callbacks=[tracer])
    n_fit = len(tracer.events)
    model.predict(_dataset(16, 8, seed=2), verbose=0, callbacks=[tracer])
    return tracer, n_fit


def test_records_fit_hooks_in_order(recorded):
    tracer, n_fit = recorded
    expected = ["on_train_begin"]
    for _ in range(2):
        expected += ["on_epoch_begin"] + ["on_train_batch_begin", "on_train_batch_end"] * 3
        expected += ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 2
        expected += ["on_test_end"]
        expected += ["on_epoch_end"]
    expected += ["on_train_end"]
    assert tracer.hooks()[:n_fit] == expected
    assert [e.index for e in tracer.calls("on_epoch_begin")] == [0, 1]
    assert [e.index for e in tracer.calls("on_train_batch_end")] == [0, 1, 2, 0, 1, 2]
    assert tracer.calls("on_train_begin")[0].index is None


def test_records_log_keys_and_values(recorded):
    tracer, _ = recorded
    assert all(e.keys == ("accuracy", "loss") for e in tracer.calls("on_train_batch_end"))
    assert all(e.keys == () for e in tracer.calls("on_train_batch_begin"))
    epoch_end = tracer.calls("on_epoch_end")
    assert all(e.keys == ("accuracy", "loss", "val_accuracy", "val_loss") for e in epoch_end)
    # the val_ numbers are the logs on_test_end received, renamed; the training numbers are
    # the running means of the epoch's last batch
    test_end = tracer.calls("on_test_end")
    last_batches = tracer.calls("on_train_batch_end")[2::3]
    for epoch, test, last in zip(epoch_end, test_end, last_batches, strict=True):
        assert epoch.values["val_loss"] == test.values["loss"]
        assert epoch.values["val_accuracy"] == test.values["accuracy"]
        assert epoch.values["loss"] == last.values["loss"]
        assert epoch.values["accuracy"] == last.values["accuracy"]


def test_records_predict_hooks(recorded):
    tracer, n_fit = recorded
    assert tracer.hooks()[n_fit:] == (
        ["on_predict_begin"] + ["on_predict_batch_begin", "on_predict_batch_end"] * 2
        + ["on_predict_end"]
    )
    outputs = tracer.calls("on_predict_batch_end")[0]
    # an array is not a number: key only
    assert outputs.keys == ("outputs",) and outputs.values == {}


def test_count_and_reset(recorded):
    tracer, _ = recorded
    assert tracer.count("on_train_batch_begin") == 6
    assert tracer.count("on_test_batch_end") == 4
    with pytest.raises(ValueError, match="not a callback hook"):
        tracer.count("on_batch_begin_typo")
    fresh = TracingCallback()
    fresh.events.append(HookCall("on_train_begin", None, (), {}))
    fresh.reset()
    assert fresh.events == []


def test_format_timeline_collapses_batches_and_indents(recorded):
    tracer, n_fit = recorded
    lines = format_timeline(tracer.events[:n_fit]).splitlines()
    assert lines[:7] == [
        "on_train_begin",
        "  on_epoch_begin   epoch=0",
        "    on_train_batch_begin/end × 3   batches 0, 1, 2   logs: accuracy, loss",
        "    on_test_begin",
        "      on_test_batch_begin/end × 2   batches 0, 1   logs: accuracy, loss",
        "    on_test_end   logs: accuracy, loss",
        "  on_epoch_end   epoch=0   logs: accuracy, loss, val_accuracy, val_loss",
    ]
    assert lines[-1] == "on_train_end   logs: accuracy, loss, val_accuracy, val_loss"
    assert len(lines) == 1 + 2 * 6 + 1
    # the callback itself is accepted
    assert format_timeline(tracer) == format_timeline(tracer.events)
    no_keys = format_timeline(tracer.events[:n_fit], show_keys=False)
    assert "logs:" not in no_keys and "on_train_batch_begin/end × 3   batches 0, 1, 2" in no_keys


def test_steps_per_execution_shows_batch_ranges():
    tracer = TracingCallback()
    model = _model(steps_per_execution=3)
    model.fit(_dataset(9 * 4, 4), epochs=1, verbose=0, shuffle=False, callbacks=[tracer])
    assert tracer.count("on_train_batch_begin") == 3
    assert int(model.optimizer.iterations.numpy()) == 9
    assert [(e.index) for e in tracer.calls("on_train_batch_end")] == [2, 5, 8]
    assert "on_train_batch_begin/end × 3   batches 0-2, 3-5, 6-8" in format_timeline(tracer)


def test_long_runs_are_elided():
    events = []
    for b in range(10):
        events += [HookCall("on_train_batch_begin", b, (), {}),
                   HookCall("on_train_batch_end", b, ("loss",), {"loss": 1.0})]
    assert format_timeline(events) == (
        "on_train_batch_begin/end × 10   batches 0, 1, 2, …, 8, 9   logs: loss")
    single = format_timeline(events[:2], show_keys=False)
    assert single == "on_train_batch_begin/end × 1   batch=0"


def test_format_timeline_validates_input():
    with pytest.raises(ValueError, match="no recorded events"):
        format_timeline([])
    with pytest.raises(ValueError, match="HookCall"):
        format_timeline([("on_train_begin", None)])
    with pytest.raises(ValueError, match="TracingCallback"):
        format_timeline("on_train_begin")
    with pytest.raises(ValueError, match="not a callback hook"):
        format_timeline([HookCall("on_batch_begin", 0, (), {})])


def test_event_window_marks_position_and_explains(recorded):
    tracer, _ = recorded
    text = event_window(tracer, 3, radius=1)
    rows = text.splitlines()
    assert rows[0].startswith("   2  on_train_batch_begin batch=0")
    assert rows[1].startswith("▶  3  on_train_batch_end batch=0  {accuracy: ")
    assert rows[2].startswith("   4  on_train_batch_begin batch=1")
    assert rows[-1].startswith(f"event 3 of {len(tracer.events) - 1}: on_train_batch_end — "
                               "the logs are the running means")
    first = event_window(tracer, 0, radius=0).splitlines()
    assert first[0].startswith("▶") and "on_train_begin" in first[0]
    for bad in (-1, len(tracer.events), 1.5, True):
        with pytest.raises(ValueError, match="position"):
            event_window(tracer, bad)
    with pytest.raises(ValueError, match="radius"):
        event_window(tracer, 0, radius=-1)


def test_every_hook_has_an_explanation():
    assert set(tracing.EXPLANATIONS) == set(tracing.HOOKS)
    # and the hooks are exactly the ones keras.callbacks.Callback defines (less on_batch_* aliases)
    keras_hooks = {n for n in dir(keras.callbacks.Callback) if n.startswith("on_")}
    keras_hooks -= {"on_batch_begin", "on_batch_end"}
    assert set(tracing.HOOKS) == keras_hooks
    with pytest.raises(ValueError, match="HookCall"):
        tracing.explain("on_train_begin")


def test_source_excerpt_quotes_installed_keras():
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    text = source_excerpt(TensorFlowTrainer.train_step, "tape.gradient", "apply_gradients")
    lines = text.splitlines()
    assert lines[0] == "# keras/src/backend/tensorflow/trainer.py · TensorFlowTrainer.train_step"
    assert any("tape.gradient(loss" in ln for ln in lines[1:])
    assert any("apply_gradients" in ln for ln in lines[1:])
    assert not any(part in text for part in ("/work/", "/home/", "/tmp/", "site-packages"))
    number = int(lines[1].split()[0])
    import inspect

    src, first = inspect.getsourcelines(TensorFlowTrainer.train_step)
    assert "tape.gradient" in src[number - first]
    with_context = source_excerpt(TensorFlowTrainer.train_step, "tape.gradient",
                                  context=1).splitlines()
    assert len(with_context) == 1 + 3


def test_source_excerpt_fails_when_source_changes():
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    with pytest.raises(ValueError, match="installed version differs"):
        source_excerpt(TensorFlowTrainer.train_step, "self.compiled_loss_that_is_gone")
    with pytest.raises(ValueError, match="at least one"):
        source_excerpt(TensorFlowTrainer.train_step)
    with pytest.raises(ValueError, match="context"):
        source_excerpt(TensorFlowTrainer.train_step, "tape", context=-2)
    with pytest.raises(ValueError, match="cannot read the source"):
        source_excerpt(3, "x")


def test_source_excerpt_names_the_file_of_a_decorated_function():
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    # fit() is wrapped by traceback_utils.filter_traceback; the excerpt must name trainer.py
    header = source_excerpt(TensorFlowTrainer.fit, "def fit(").splitlines()[0]
    assert header == "# keras/src/backend/tensorflow/trainer.py · TensorFlowTrainer.fit"

    import functools

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)  # wrapper-only line
        return wrapper

    @decorate
    def decorated(x):
        return x + 1  # the body we want quoted

    text = source_excerpt(decorated, "the body we want quoted")
    assert "return x + 1" in text and "wrapper-only line" not in text
    with pytest.raises(ValueError, match="installed version differs"):
        source_excerpt(decorated, "wrapper-only line")


def test_source_excerpt_separates_distant_lines():
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    text = source_excerpt(TensorFlowTrainer.fit, "_assert_compile_called", "callbacks.on_train_end")
    assert "    ..." in text.splitlines()


def test_timeline_explorer_widget(recorded):
    from helpers.explorers import timeline_explorer

    tracer, _ = recorded
    box = timeline_explorer(tracer, radius=2)
    slider, view = box.children
    assert slider.min == 0 and slider.max == len(tracer.events) - 1 and slider.value == 0
    assert "▶" in view.value and "on_train_begin" in view.value
    slider.value = 3
    assert "▶  3  on_train_batch_end" in view.value
    assert view.value.startswith("<pre") and view.value.endswith("</pre>")
    with pytest.raises(ValueError, match="position"):
        timeline_explorer(tracer, start=len(tracer.events))
