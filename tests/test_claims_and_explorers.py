"""helpers.claims (expect_error, finite_difference) and the linear-regression explorer."""
import numpy as np
import pytest

import helpers
from helpers import explorers


def test_expect_error_prints_the_message(capsys):
    with helpers.expect_error(ValueError, match="bad"):
        raise ValueError("a bad value\nsecond line")
    assert capsys.readouterr().out == "ValueError: a bad value\n"


def test_expect_error_fails_when_nothing_is_raised():
    with pytest.raises(AssertionError, match="ran without raising"):
        with helpers.expect_error(ValueError):
            pass


def test_expect_error_fails_on_a_different_message_or_type():
    with pytest.raises(AssertionError, match="does not match"):
        with helpers.expect_error(ValueError, match="compile"):
            raise ValueError("something else")
    with pytest.raises(KeyError):
        with helpers.expect_error(ValueError):
            raise KeyError("k")
    with pytest.raises(ValueError, match="exception class"):
        with helpers.expect_error("ValueError"):
            pass


def test_finite_difference_matches_analytic_gradients():
    grad = helpers.finite_difference(lambda v: np.sum(v ** 3), np.array([1.0, -2.0, 0.5]))
    np.testing.assert_allclose(grad, 3 * np.array([1.0, -2.0, 0.5]) ** 2, rtol=1e-6)
    assert float(helpers.finite_difference(np.sin, 0.3)) == pytest.approx(np.cos(0.3), rel=1e-7)
    with pytest.raises(ValueError, match="positive"):
        helpers.finite_difference(np.sin, 0.3, eps=0)


def fake_descent(lr, epochs, w0, b0):
    ws = [w0 + (3.0 - w0) * (1 - (1 - lr) ** k) for k in range(epochs + 1)]
    bs = [b0 + (2.0 - b0) * (1 - (1 - lr) ** k) for k in range(epochs + 1)]
    losses = [(w - 3.0) ** 2 + (b - 2.0) ** 2 + 1.0 for w, b in zip(ws, bs, strict=True)]
    return ws, bs, losses


def test_draw_gradient_descent_panels():
    x, y = helpers.data.make_linear_data(n=50, seed=0)
    ws, bs, _ = fake_descent(0.5, 5, -1.0, 0.0)
    ax_fit, ax_path = explorers.draw_gradient_descent(x, y, ws, bs, 3.0, 2.0)
    fitted = [line for line in ax_fit.get_lines() if line.get_label().startswith("fitted")]
    assert len(fitted) == 1 and fitted[0].get_label() == f"fitted: {ws[-1]:.2f}x + {bs[-1]:.2f}"
    path = next(line for line in ax_path.get_lines() if line.get_label() == "gradient descent")
    np.testing.assert_allclose(path.get_xdata(), ws)
    with pytest.raises(ValueError, match="same length"):
        explorers.draw_gradient_descent(x, y, [1.0, 2.0], [1.0], 3.0, 2.0)


def test_diverged_paths_are_drawn_without_infinities():
    x, y = helpers.data.make_linear_data(n=50, seed=0)
    ax_fit, ax_path = explorers.draw_gradient_descent(
        x, y, [0.0, 10.0, np.inf], [0.0, -10.0, np.nan], 3.0, 2.0)
    path = next(line for line in ax_path.get_lines() if line.get_label() == "gradient descent")
    np.testing.assert_array_equal(path.get_xdata(), [0.0, 10.0])  # the finite points only
    np.testing.assert_array_equal(path.get_ydata(), [0.0, -10.0])
    # and no fitted line from a diverged last epoch
    assert [line.get_label() for line in ax_fit.get_lines()] == ["true line"]


def test_explorer_reruns_the_notebooks_training_on_every_slider_change():
    x, y = helpers.data.make_linear_data(n=50, seed=0)
    calls = []

    def spy(lr, epochs, w0, b0):
        calls.append((lr, epochs, w0, b0))
        return fake_descent(lr, epochs, w0, b0)

    box = explorers.gradient_descent_explorer(spy, x, y, 3.0, 2.0, learning_rate=0.1, epochs=15,
                                              w0=-1.0, b0=-1.0)
    assert calls == [(pytest.approx(0.1), 15, -1.0, -1.0)]
    (lr, epochs), (w_start, _) = box.children[0].children, box.children[1].children
    status = box.children[2]
    assert "converging" in status.value
    lr.value = 1.0
    epochs.value = 30
    w_start.value = 4.0
    assert calls[-1] == (pytest.approx(1.0), 30, 4.0, -1.0)
    assert len(calls) == 4
    assert "w = 3.000" in status.value
    with pytest.raises(ValueError, match="train_fn"):
        explorers.gradient_descent_explorer(None, x, y, 3.0, 2.0)


def test_gradient_explorer_display_carries_a_static_picture_and_the_run_sentence():
    """Without a kernel (code host, slide, unrun notebook) the display is not `VBox(...)` text."""
    x, y = helpers.data.make_linear_data(n=50, seed=0)
    box = explorers.gradient_descent_explorer(fake_descent, x, y, 3.0, 2.0)
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live where a kernel runs
    assert bundle["text/plain"] == explorers.RUN_TO_EXPLORE
    assert bundle["text/plain"].startswith("Run this cell to move the sliders")
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    # a second explorer has its own picture, and the class keeps VBox's children
    other = explorers.gradient_descent_explorer(fake_descent, x, y, 3.0, 2.0, learning_rate=0.5)
    assert other._repr_mimebundle_()["image/png"] != bundle["image/png"]
    assert len(box.children) == 4
    # one live plot per explorer (Agg keeps it open here); each static picture's figure is
    # closed, or the inline backend would show it a second time under the cell
    assert plt_figures() == 2


def plt_figures():
    import matplotlib.pyplot as plt

    return len(plt.get_fignums())


def test_timeline_explorer_display_shows_the_default_window_as_text():
    from helpers.tracing import HookCall, event_window

    events = [HookCall("on_train_begin", None, (), {}), HookCall("on_epoch_begin", 0, (), {}),
              HookCall("on_train_batch_begin", 0, (), {}),
              HookCall("on_train_batch_end", 0, ("loss",), {"loss": 0.5})]
    box = explorers.timeline_explorer(events, radius=1)
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == f"{explorers.RUN_TO_EXPLORE}\n\n{event_window(events, 0, 1)}"
    assert "VBox" not in bundle["text/plain"]
    with pytest.raises(ValueError, match="text/plain"):
        explorers._explorer_box([], {"image/png": b""})
