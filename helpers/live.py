"""A live training plot that redraws in place while a training loop runs.

In a notebook, ``LivePlot`` shows its figure once, with a display id, and afterwards
replaces that same output (``handle.update(fig)``) every time new numbers arrive. It never
calls ``clear_output()``: under nbval, cleared outputs pile up instead of disappearing.

nbval compares a cell's outputs as they were first displayed with the stored ones (the
notebook keeps the final state of an updated display), and it compares the figure's
``text/plain`` form, ``<Figure size WxH with N Axes>``. So every axes is created up front
and the same figure object is updated to the end: its text form never changes.

Outside an IPython kernel (plain Python, tests) nothing is shown while the loop runs;
``show_final()`` returns the finished figure to save or show.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .plots import COLORS, CYCLE, place_legend

DEFAULT_PANELS: dict[str, tuple[str, ...]] = {
    "loss": ("train_loss", "val_loss"),
    "accuracy": ("train_accuracy", "val_accuracy"),
}


def in_notebook_kernel() -> bool:
    """True when running inside a Jupyter (IPython) kernel, where outputs can be updated in place.

    Introduced in 03_custom_training_loop.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is not installed: certainly not in a kernel
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(fig) -> Any:
    """Display ``fig`` once and return the handle that updates that output in place."""
    from IPython.display import display

    return display(fig, display_id=True)


def _style(series: str, index: int) -> tuple[str, str]:
    """Colour and legend label of a series: train_* blue "training", val_* orange "validation"."""
    if series.startswith("train_"):
        return COLORS["train"], "training"
    if series.startswith("val_"):
        return COLORS["validation"], "validation"
    return CYCLE[index % len(CYCLE)], series


class LivePlot:
    """Training curves (one panel per quantity) that update in place during a loop.

    ``LivePlot(epochs=10)`` draws two panels, loss and accuracy, each with a training
    (blue) and a validation (orange) line. Call ``update(epoch, train_loss=...,
    val_loss=..., ...)`` as numbers arrive (any subset of the series; ``epoch`` may be
    fractional for updates inside an epoch). ``show_final()`` redraws once more and
    returns the figure.

    Introduced in 03_custom_training_loop.
    """

    def __init__(
        self,
        epochs: int,
        panels: Mapping[str, Sequence[str]] | None = None,
        title: str = "Training progress",
        live: bool | None = None,
    ) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(
                "epochs must be a positive integer (the number of epochs the loop will run), "
                f"got {epochs!r}"
            )
        panels = dict(DEFAULT_PANELS if panels is None else panels)
        if not panels:
            raise ValueError(
                'panels must name at least one quantity, e.g. {"loss": ["train_loss", "val_loss"]}'
            )
        seen: set[str] = set()
        for quantity, series_names in panels.items():
            if (
                isinstance(series_names, str)
                or not isinstance(series_names, Sequence)
                or not series_names
            ):
                raise ValueError(
                    f"panels[{quantity!r}] must be a list of series names such as "
                    f"['train_loss', 'val_loss'], got {series_names!r}"
                )
            for name in series_names:
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(
                        f"series names must be identifiers such as 'train_loss', got {name!r}"
                    )
                if name in seen:
                    raise ValueError(
                        f"the series {name!r} appears in more than one panel; "
                        "give each series one panel"
                    )
                seen.add(name)
        self.epochs = int(epochs)
        self.live = in_notebook_kernel() if live is None else bool(live)

        # Every axes and line is created now, so the figure's text form never changes later.
        self.fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.8),
                                      squeeze=False)
        self.axes = list(axes.flat)
        self.fig.suptitle(title)
        self._lines: dict[str, Any] = {}
        self._axes_of: dict[str, Any] = {}
        self._data: dict[str, tuple[list[float], list[float]]] = {}
        index = 0
        for ax, (quantity, series_names) in zip(self.axes, panels.items(), strict=True):
            for name in series_names:
                color, label = _style(name, index)
                index += 1
                (line,) = ax.plot([], [], color=color, marker="o", markersize=4, label=label)
                self._lines[name] = line
                self._axes_of[name] = ax
                self._data[name] = ([], [])
            ax.set(title=quantity.capitalize(), xlabel="epoch", ylabel=quantity,
                   xlim=(0.0, self.epochs + 0.5))
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.legend(loc="best")
        self.fig.tight_layout()
        # Take the figure away from pyplot: the inline backend would otherwise show it a
        # second time at the end of the cell. It can still be displayed and drawn.
        plt.close(self.fig)
        self._handle = _show(self.fig) if self.live else None

    @property
    def series(self) -> list[str]:
        """The names of the series, in panel order."""
        return list(self._data)

    def data(self, series: str) -> tuple[np.ndarray, np.ndarray]:
        """The x (epoch) and y values recorded so far for one series."""
        if series not in self._data:
            raise ValueError(f"there is no series {series!r}; the series are {self.series}")
        xs, ys = self._data[series]
        return np.array(xs, dtype=float), np.array(ys, dtype=float)

    def update(self, epoch: float, **values: float) -> None:
        """Add one point to each named series at x = ``epoch`` and redraw in place."""
        if (
            isinstance(epoch, bool)
            or not isinstance(epoch, (int, float, np.integer, np.floating))
            or not math.isfinite(epoch)
        ):
            raise ValueError(
                f"epoch must be a finite number (the x position of the new points), got {epoch!r}"
            )
        if not values:
            raise ValueError(
                f"pass at least one value, e.g. update({epoch}, train_loss=0.3); "
                f"the series are {self.series}"
            )
        unknown = sorted(set(values) - set(self._data))
        if unknown:
            raise ValueError(f"unknown series {unknown}; this plot has {self.series}")
        numbers = {}
        for name, value in values.items():
            try:
                numbers[name] = float(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name} must be a number (a float or a scalar tensor), got {value!r}"
                ) from None
        for name, number in numbers.items():
            xs, ys = self._data[name]
            xs.append(float(epoch))
            ys.append(number)
            self._lines[name].set_data(xs, ys)
        for ax in {id(self._axes_of[name]): self._axes_of[name] for name in numbers}.values():
            ax.relim()
            ax.autoscale_view(scalex=False)
            place_legend(ax)  # the curves moved: keep the legend off them
        if self._handle is not None:
            self._handle.update(self.fig)

    def show_final(self):
        """Redraw the live output one last time (in a notebook) and return the figure."""
        if self._handle is not None:
            self._handle.update(self.fig)
        return self.fig
