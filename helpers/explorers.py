"""Interactive explorers (ipywidgets 8): gradient descent (02) and the fit() hook timeline (05).

What a notebook teaches stays in the notebook: the gradient-descent explorer receives the
notebook's own training function, and the timeline explorer shows text that
``helpers.tracing.event_window`` builds (tested without widgets). An explorer only wires
sliders to them.

Where no kernel runs (a notebook opened before running it, a code host, a slide without the
widget manager), a widget is dead text. So each explorer's display also carries a static view
of its default state (``image/png`` or text) and a sentence saying to run the cell; a live
JupyterLab shows the widget instead.
"""
from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import plots

RUN_TO_EXPLORE = "Run this cell to move the sliders (this is a static view of the default state)."

_EXPLORER_CLASS = None


def _explorer_box(children, static: dict[str, object]):
    """A ``VBox`` whose display also carries ``static`` (mimetype -> data) for static viewers.

    ``static`` must hold ``text/plain``; it replaces the widget's ``VBox(children=...)`` text.
    """
    global _EXPLORER_CLASS
    if _EXPLORER_CLASS is None:
        import ipywidgets as widgets

        class ExplorerBox(widgets.VBox):
            """A VBox shown live by a widget manager, and as its static view everywhere else."""

            static_view: dict[str, object] = {}

            def _repr_mimebundle_(self, **kwargs):
                bundle = super()._repr_mimebundle_(**kwargs)
                return {**bundle, **self.static_view} if bundle else bundle

        _EXPLORER_CLASS = ExplorerBox
    if "text/plain" not in static:
        raise ValueError("the static view must include a text/plain entry")
    box = _EXPLORER_CLASS(children)
    box.static_view = dict(static)
    return box


def _figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


TrainFn = Callable[
    [float, int, float, float], tuple[Sequence[float], Sequence[float], Sequence[float]]
]


def draw_gradient_descent(x, y, ws, bs, true_w: float, true_b: float, axes=None,
                          title: str | None = None):
    """Two panels: the data with the line after the last epoch, and the path on the loss contours.

    ``ws`` and ``bs`` hold w and b before training and after each epoch. Returns the axes.

    Introduced in 02_linear_regression.
    """
    ws, bs = np.asarray(ws, dtype=float), np.asarray(bs, dtype=float)
    if ws.shape != bs.shape or ws.ndim != 1 or len(ws) < 1:
        raise ValueError(
            "ws and bs must be 1-D sequences of the same length "
            "(one value per epoch, starting with the initial one)"
        )
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12.0, 4.5), layout="constrained")
        if title:
            fig.suptitle(title)
    ax_fit, ax_path = axes
    x = np.asarray(x, dtype=float)
    plots.plot_data_and_predictions(x, y, ax=ax_fit, title="Data and the fitted line")
    grid = np.linspace(x.min(), x.max(), 2)
    ax_fit.plot(grid, true_w * grid + true_b, color=plots.COLORS["true"], linestyle="--",
                linewidth=1.5, label="true line")
    w_last, b_last = ws[-1], bs[-1]
    if np.isfinite(w_last) and np.isfinite(b_last):
        ax_fit.plot(grid, w_last * grid + b_last, color=plots.COLORS["prediction"],
                    label=f"fitted: {w_last:.2f}x + {b_last:.2f}")
    plots.place_legend(ax_fit)
    finite = np.isfinite(ws) & np.isfinite(bs) & (np.abs(ws) < 1e6) & (np.abs(bs) < 1e6)
    path = np.column_stack([ws[finite], bs[finite]])
    span_w = (min(path[:, 0].min(), true_w) - 1.0, max(path[:, 0].max(), true_w) + 1.0)
    span_b = (min(path[:, 1].min(), true_b) - 1.0, max(path[:, 1].max(), true_b) + 1.0)
    plots.plot_loss_contours(x, y, path=path, true_params=(true_w, true_b),
                             w_range=span_w, b_range=span_b, ax=ax_path)
    return axes


def gradient_descent_explorer(train_fn: TrainFn, x, y, true_w: float, true_b: float,
                              learning_rate: float = 0.1, epochs: int = 15,
                              w0: float = -1.0, b0: float = -1.0):
    """Sliders for the learning rate, the number of epochs and the starting w and b.

    Each change calls ``train_fn(learning_rate, epochs, w0, b0)``, which must return
    ``(ws, bs, losses)`` per epoch (starting with the initial values), and redraws the
    fitted line and the path on the loss contours. The verdict "converging" or "diverging"
    comes from the loss's Hessian H = 2·[[mean(x²), mean(x)], [mean(x), 1]], not from a
    short run (a rate just above 2/λ_max can lower the loss for dozens of epochs first):
    the error changes by max |1 − η·λ| per epoch in the long run. Displays the widget, with a
    picture of the default state for viewers without a kernel, and returns it.

    Introduced in 02_linear_regression.
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not callable(train_fn):
        raise ValueError(
            "train_fn must be a function "
            "train_fn(learning_rate, epochs, w0, b0) -> (ws, bs, losses)"
        )
    style = {"description_width": "initial"}
    lr = widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=0.2, step=0.05,
                                description="learning rate", readout_format=".3f", style=style,
                                continuous_update=False)
    n = widgets.IntSlider(value=epochs, min=1, max=100, description="epochs", style=style,
                          continuous_update=False)
    w_start = widgets.FloatSlider(value=w0, min=-5.0, max=8.0, step=0.5, description="start w",
                                  style=style, continuous_update=False)
    b_start = widgets.FloatSlider(value=b0, min=-5.0, max=8.0, step=0.5, description="start b",
                                  style=style, continuous_update=False)
    status = widgets.HTML()
    out = widgets.Output()
    x64 = np.asarray(x, dtype=np.float64)
    hessian = 2 * np.array([[np.mean(x64 ** 2), np.mean(x64)], [np.mean(x64), 1.0]])
    eigenvalues = np.linalg.eigvalsh(hessian)
    threshold = 2 / eigenvalues.max()

    def redraw(*_):
        ws, bs, losses = train_fn(lr.value, n.value, w_start.value, b_start.value)
        final = float(losses[-1])
        rate = max(abs(1 - lr.value * eigenvalue) for eigenvalue in eigenvalues)
        verdict = "converging" if rate < 1 else "diverging"
        status.value = (f"after {n.value} epochs: w = {float(ws[-1]):.3f}, "
                        f"b = {float(bs[-1]):.3f}, loss = {final:.4g} (<b>{verdict}</b>: "
                        f"in the long run the error changes by ×{rate:.3f} per epoch; "
                        f"2/λ_max = {threshold:.3f})")
        with out:
            # inside an Output widget, not a cell output: safe under nbval
            out.clear_output(wait=True)
            draw_gradient_descent(x, y, ws, bs, true_w, true_b)
            plt.show()
        return ws, bs

    for control in (lr, n, w_start, b_start):
        control.observe(redraw, names="value")
    ws, bs = redraw()
    (ax_fit, _) = draw_gradient_descent(x, y, ws, bs, true_w, true_b, title=RUN_TO_EXPLORE)
    static = {"image/png": _figure_png(ax_fit.figure), "text/plain": RUN_TO_EXPLORE}
    box = _explorer_box(
        [widgets.HBox([lr, n]), widgets.HBox([w_start, b_start]), status, out], static
    )
    display(box)
    return box


def _timeline_html(events, position: int, radius: int) -> str:
    from .tracing import event_window

    text = html.escape(event_window(events, position, radius))
    return f"<pre style='font-size: 90%; line-height: 1.35'>{text}</pre>"


def timeline_explorer(events, radius: int = 6, start: int = 0):
    """A slider over the recorded hook calls of a fit(): the calls around it, what fit() is doing.

    ``events`` is a ``TracingCallback`` (or its ``events``) that was passed to ``fit()``.
    Returns an ipywidgets ``VBox`` (display it, or leave it as the cell's last expression);
    without a running kernel its display shows the calls around ``start`` as text.

    Introduced in 05_inside_fit.
    """
    import ipywidgets as widgets

    from .tracing import _as_events, event_window

    events = _as_events(events)
    event_window(events, start, radius)  # validates start and radius with a clear message
    slider = widgets.IntSlider(
        value=start, min=0, max=len(events) - 1, step=1, description="hook call",
        continuous_update=True, layout=widgets.Layout(width="95%"),
        style={"description_width": "initial"},
    )
    view = widgets.HTML(value=_timeline_html(events, start, radius))

    def update(change) -> None:
        view.value = _timeline_html(events, change["new"], radius)

    slider.observe(update, names="value")
    static_text = f"{RUN_TO_EXPLORE}\n\n{event_window(events, start, radius)}"
    return _explorer_box([slider, view], {"text/plain": static_text})
