"""Tests for helpers.live: the in-place training plot of notebook 03."""
from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import live
from helpers.live import LivePlot, in_notebook_kernel
from helpers.plots import COLORS

ROOT = Path(__file__).resolve().parent.parent


class FakeHandle:
    """Stands in for IPython's DisplayHandle and records what the plot did with it."""

    def __init__(self, fig):
        self.shown = fig
        self.texts = [repr(fig)]
        self.updates = []

    def update(self, obj):
        self.updates.append(obj)
        self.texts.append(repr(obj))


@pytest.fixture
def fake_display(monkeypatch):
    handles = []

    def show(fig):
        handles.append(FakeHandle(fig))
        return handles[-1]

    monkeypatch.setattr(live, "_show", show)
    return handles


def test_outside_a_kernel_nothing_is_displayed(fake_display):
    assert not in_notebook_kernel()  # pytest is not a Jupyter kernel
    plot = LivePlot(epochs=3)
    plot.update(1, train_loss=0.5, val_loss=0.6)
    assert plot.live is False
    assert fake_display == []
    assert plot.show_final() is plot.fig


def test_default_panels_lines_and_colours():
    plot = LivePlot(epochs=4)
    loss_ax, acc_ax = plot.axes
    assert [loss_ax.get_title(), acc_ax.get_title()] == ["Loss", "Accuracy"]
    assert [ax.get_xlabel() for ax in plot.axes] == ["epoch", "epoch"]
    for ax in plot.axes:
        assert [line.get_label() for line in ax.lines] == ["training", "validation"]
        assert [line.get_color() for line in ax.lines] == [COLORS["train"], COLORS["validation"]]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    assert plot.series == ["train_loss", "val_loss", "train_accuracy", "val_accuracy"]


def test_updates_set_line_data_and_rescale():
    plot = LivePlot(epochs=3)
    history = {"train_loss": [0.9, 0.4, 0.2], "val_loss": [0.8, 0.5, 0.45],
               "train_accuracy": [0.7, 0.9, 0.95], "val_accuracy": [0.75, 0.88, 0.9]}
    for epoch in range(1, 4):
        plot.update(epoch, **{k: v[epoch - 1] for k, v in history.items()})
    loss_ax, acc_ax = plot.axes
    train_line, val_line = loss_ax.lines
    np.testing.assert_allclose(train_line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(train_line.get_ydata(), history["train_loss"])
    np.testing.assert_allclose(val_line.get_ydata(), history["val_loss"])
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), history["val_accuracy"])
    low, high = loss_ax.get_ylim()
    assert low <= 0.2 and high >= 0.9  # the axes followed the data
    low, high = acc_ax.get_ylim()
    assert low <= 0.7 and high >= 0.95 and high < 1.5  # and only this panel's data
    assert loss_ax.get_xlim() == (0.0, 3.5)  # fixed in advance: the x axis does not jump
    x, y = plot.data("val_accuracy")
    np.testing.assert_allclose(x, [1, 2, 3])
    np.testing.assert_allclose(y, history["val_accuracy"])


def test_partial_and_fractional_updates_and_scalar_tensors():
    tf = pytest.importorskip("tensorflow")
    plot = LivePlot(epochs=2)
    plot.update(0.5, train_loss=tf.constant(1.25))  # a running value in the middle of epoch 1
    plot.update(1, train_loss=np.float32(0.75), val_loss=0.8)
    x, y = plot.data("train_loss")
    np.testing.assert_allclose(x, [0.5, 1.0])
    np.testing.assert_allclose(y, [1.25, 0.75])
    x, y = plot.data("val_loss")
    np.testing.assert_allclose(x, [1.0])
    assert len(plot.data("train_accuracy")[0]) == 0


def test_in_a_kernel_one_handle_is_updated_and_its_text_never_changes(fake_display):
    plot = LivePlot(epochs=3, live=True)
    assert len(fake_display) == 1
    handle = fake_display[0]
    assert handle.shown is plot.fig
    # closed in pyplot, so the inline backend does not show the figure again after the cell
    assert plot.fig.number not in plt.get_fignums()
    for epoch in (1, 2, 3):
        plot.update(epoch, train_loss=1 / epoch, val_loss=1.2 / epoch,
                    train_accuracy=1 - 0.1 / epoch, val_accuracy=1 - 0.12 / epoch)
    assert plot.show_final() is plot.fig
    assert len(fake_display) == 1  # never displayed a second time
    assert len(handle.updates) == 4 and all(obj is plot.fig for obj in handle.updates)
    # what nbval compares: the same at first display and at the end
    assert len(set(handle.texts)) == 1
    width, height = (plot.fig.get_size_inches() * plot.fig.dpi).round().astype(int)
    # every axes was there from the start
    assert handle.texts[0] == f"<Figure size {width}x{height} with 2 Axes>"


def test_custom_panels():
    plot = LivePlot(epochs=2, panels={"gradient norm": ["before", "after"]}, title="Clipping")
    (ax,) = plot.axes
    assert ax.get_title() == "Gradient norm"
    assert [line.get_label() for line in ax.lines] == ["before", "after"]
    assert plot.fig.get_suptitle() == "Clipping"
    plot.update(1, before=3.0, after=1.0)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0])


def test_final_figure_renders():
    plot = LivePlot(epochs=2)
    plot.update(1, train_loss=0.5, val_loss=0.6, train_accuracy=0.8, val_accuracy=0.79)
    buffer = io.BytesIO()
    plot.show_final().savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


@pytest.mark.parametrize("epochs", [0, -1, 2.5, "10", True, None])
def test_epochs_must_be_a_positive_integer(epochs):
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        LivePlot(epochs=epochs)


@pytest.mark.parametrize(
    "panels, match",
    [
        ({}, "at least one quantity"),
        ({"loss": "train_loss"}, "list of series names"),
        ({"loss": []}, "list of series names"),
        ({"loss": ["train loss"]}, "identifiers"),
        ({"loss": ["train_loss"], "other": ["train_loss"]}, "more than one panel"),
    ],
)
def test_panels_are_validated(panels, match):
    with pytest.raises(ValueError, match=match):
        LivePlot(epochs=2, panels=panels)


def test_update_is_validated():
    plot = LivePlot(epochs=2)
    with pytest.raises(ValueError, match="unknown series"):
        plot.update(1, train_acc=0.5)
    with pytest.raises(ValueError, match="must be a number"):
        plot.update(1, train_loss="low")
    with pytest.raises(ValueError, match="must be a number"):
        plot.update(1, train_loss=[0.1, 0.2])
    with pytest.raises(ValueError, match="epoch must be a finite number"):
        plot.update(float("nan"), train_loss=0.1)
    with pytest.raises(ValueError, match="at least one value"):
        plot.update(1)
    with pytest.raises(ValueError, match="no series"):
        plot.data("loss")
    assert len(plot.data("train_loss")[0]) == 0  # nothing was recorded by the failed calls


def test_in_a_real_kernel_nbval_sees_one_stable_display():
    """Run LivePlot in a real IPython kernel and read the messages a notebook front end gets."""
    manager = pytest.importorskip("jupyter_client.manager")
    code = textwrap.dedent(
        """
        from helpers.live import LivePlot
        plot = LivePlot(epochs=3)
        for epoch in (1, 2, 3):
            plot.update(epoch, train_loss=1 / epoch, val_loss=1.1 / epoch,
                        train_accuracy=0.9, val_accuracy=0.85)
        print(plot.live)
        """
    )
    km, kc = manager.start_new_kernel(kernel_name="python3", cwd=str(ROOT), startup_timeout=60)
    try:
        msg_id = kc.execute(code)
        messages = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            messages.append(msg)
        reply = kc.get_shell_msg(timeout=60)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    kinds = [m["msg_type"] for m in messages if m["msg_type"] != "execute_input"]
    assert kinds.count("display_data") == 1, kinds  # shown once, not again by the inline backend
    assert kinds.count("update_display_data") == 3, kinds
    first = next(m for m in messages if m["msg_type"] == "display_data")["content"]
    updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    display_id = first["transient"]["display_id"]
    assert all(u["transient"]["display_id"] == display_id for u in updates)
    assert "image/png" in first["data"]
    assert {u["data"]["text/plain"] for u in updates} == {first["data"]["text/plain"]}
    streams = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert streams.strip() == "True"
