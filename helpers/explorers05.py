"""Interactive explorer for 05_inside_fit: step through a recorded fit() hook timeline.

The text each position shows comes from ``helpers.tracing.event_window`` (tested without
widgets); this module only wires it to an ipywidgets slider.
"""
from __future__ import annotations

import html

from .tracing import _as_events, event_window


def _html(events, position: int, radius: int) -> str:
    return f"<pre style='font-size: 90%; line-height: 1.35'>{html.escape(event_window(events, position, radius))}</pre>"


def timeline_explorer(events, radius: int = 6, start: int = 0):
    """A slider over the recorded hook calls of a fit(); shows the calls around it and what fit() is doing.

    ``events`` is a ``TracingCallback`` (or its ``events``) that was passed to ``fit()``.
    Returns an ipywidgets ``VBox`` (display it, or leave it as the cell's last expression).

    Introduced in 05_inside_fit.
    """
    import ipywidgets as widgets

    events = _as_events(events)
    event_window(events, start, radius)  # validates start and radius with a clear message
    slider = widgets.IntSlider(
        value=start, min=0, max=len(events) - 1, step=1, description="hook call",
        continuous_update=True, layout=widgets.Layout(width="95%"),
        style={"description_width": "initial"},
    )
    view = widgets.HTML(value=_html(events, start, radius))

    def update(change) -> None:
        view.value = _html(events, change["new"], radius)

    slider.observe(update, names="value")
    return widgets.VBox([slider, view])
