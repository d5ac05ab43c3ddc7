"""Plots used across the course, in one colour-blind-safe palette.

Colours are Okabe and Ito's palette, and each one means the same thing in every notebook:
data and training curves in blue, predictions and the descent path in vermillion,
validation in orange, true values in black (dashed). Every function takes ``ax=None``
(or ``axes=None``) and returns what it drew on, so tests can inspect lines, labels and
legends without looking at pixels.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common
# colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORS = {
    "data": PALETTE["blue"],
    "prediction": PALETTE["vermillion"],
    "true": PALETTE["black"],
    "train": PALETTE["blue"],
    "validation": PALETTE["orange"],
    "w": PALETTE["green"],
    "b": PALETTE["purple"],
    "path": PALETTE["vermillion"],
}
CYCLE = [PALETTE[k] for k in
         ("blue", "vermillion", "orange", "green", "purple", "sky", "black", "yellow")]


def use_course_style() -> None:
    """Readable sizes (for a projector too) and the course palette as the default colour cycle.

    Introduced in 01_gradient_tape.
    """
    plt.rcParams.update(
        {
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.labelsize": 12,
            "legend.fontsize": 11,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": plt.cycler(color=CYCLE),
            "lines.linewidth": 2.0,
        }
    )


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


_LEGEND_PLACES = ("upper right", "upper left", "lower left", "lower right", "center right",
                  "center left", "upper center", "lower center", "center")


def _data_points(ax) -> np.ndarray:
    """Every plotted point of ``ax`` in display (pixel) coordinates, with each line's segments
    sampled densely, so a legend that hides a stretch of a line between markers counts too."""
    chunks = []
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        if len(xy) == 0 or not line.get_visible() or str(line.get_label()).startswith("_"):
            continue
        xy = line.get_transform().transform(xy[np.isfinite(xy).all(axis=1)])
        if len(xy) > 1:
            t = np.linspace(0.0, 1.0, 25)[:, None]
            xy = np.concatenate([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:], strict=True)])
        chunks.append(xy)
    for collection in ax.collections:
        offsets = np.asarray(collection.get_offsets(), dtype=float)
        if len(offsets):
            chunks.append(collection.get_offset_transform().transform(offsets))
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def legend_overlap(ax) -> int:
    """How many plotted points (and samples along lines) the legend of ``ax`` covers; 0 when it
    hides no data, or when ``ax`` has no legend.

    Introduced in 02_linear_regression.
    """
    legend = ax.get_legend()
    if legend is None:
        return 0
    ax.figure.draw_without_rendering()  # settle limits and layout first
    box = legend.get_window_extent()
    points = _data_points(ax)
    inside = ((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
              & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1))
    return int(inside.sum())


def place_legend(ax, **kwargs):
    """Draw the legend of ``ax`` where it hides no data: the first corner or edge that covers no
    point or line, else outside the axes on the right. Returns the legend.

    Introduced in 02_linear_regression.
    """
    if "loc" in kwargs or "bbox_to_anchor" in kwargs:
        raise ValueError("place_legend chooses the place itself; call ax.legend(loc=...) to fix it")
    for loc in _LEGEND_PLACES:
        legend = ax.legend(loc=loc, **kwargs)
        if legend_overlap(ax) == 0:
            return legend
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def _as_1d(name: str, values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim > 1 and sum(d > 1 for d in array.shape) <= 1:
        # a column or row such as (n, 1) from model(x): one value per point
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (one value per point), got shape {np.shape(values)}"
        )
    return array


def plot_data_and_predictions(x, y, predictions=None, ax=None, title: str = "Data and predictions"):
    """Data as blue dots and (optionally) model predictions as vermillion crosses.

    Introduced in 02_linear_regression.
    """
    x, y = _as_1d("x", x), _as_1d("y", y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    ax = _axes(ax)
    ax.scatter(x, y, s=12, color=COLORS["data"], alpha=0.6, label="data")
    if predictions is not None:
        predictions = _as_1d("predictions", predictions)
        if len(predictions) != len(x):
            raise ValueError(
                f"predictions must have one value per x ({len(x)}), got {len(predictions)}"
            )
        ax.scatter(x, predictions, s=18, marker="x", color=COLORS["prediction"],
                   label="predictions")
    ax.set(xlabel="x", ylabel="y", title=title)
    place_legend(ax)
    return ax


def plot_params_over_epochs(ws, bs, true_w: float, true_b: float, ax=None,
                            title: str = "w and b during training"):
    """The values of w and b after each epoch, against their true values (dashed).

    ``ws[0]`` and ``bs[0]`` are the values before training (0 epochs done).

    Introduced in 02_linear_regression.
    """
    ws, bs = _as_1d("ws", ws), _as_1d("bs", bs)
    if len(ws) != len(bs):
        raise ValueError(
            f"ws and bs must have one value per epoch each, got {len(ws)} and {len(bs)}"
        )
    ax = _axes(ax)
    epochs = np.arange(len(ws))
    ax.plot(epochs, ws, color=COLORS["w"], marker="o", markersize=3, label="w")
    ax.plot(epochs, bs, color=COLORS["b"], marker="o", markersize=3, label="b")
    ax.axhline(true_w, color=COLORS["w"], linestyle="--", linewidth=1.5, label="true w")
    ax.axhline(true_b, color=COLORS["b"], linestyle="--", linewidth=1.5, label="true b")
    ax.set(xlabel="epochs done", ylabel="value", title=title)
    place_legend(ax, ncols=2)
    return ax


def plot_loss_vs_weight(values, losses, name: str, true_value: float | None = None, ax=None):
    """The loss at each value a weight took during training (one point per epoch).

    Introduced in 02_linear_regression.
    """
    values, losses = _as_1d("values", values), _as_1d("losses", losses)
    if len(values) != len(losses):
        raise ValueError(
            f"values and losses must have the same length, got {len(values)} and {len(losses)}"
        )
    ax = _axes(ax)
    color = COLORS.get(name, COLORS["prediction"])
    ax.plot(values, losses, color=color, marker="o", markersize=4,
            label=f"loss at each epoch's {name}")
    if true_value is not None:
        ax.axvline(true_value, color=COLORS["true"], linestyle="--", linewidth=1.5,
                   label=f"true {name}")
    ax.set(xlabel=name, ylabel="loss (mean squared error)", title=f"Loss against {name}")
    place_legend(ax)
    return ax


def mse_grid(x, y, w_values, b_values) -> np.ndarray:
    """Mean squared error of ``w*x + b`` for every (w, b) on a grid.

    The result has shape (len(b_values), len(w_values)).

    Introduced in 02_linear_regression.
    """
    x, y = _as_1d("x", x), _as_1d("y", y)
    w = _as_1d("w_values", w_values)[None, :, None]
    b = _as_1d("b_values", b_values)[:, None, None]
    return np.mean((w * x[None, None, :] + b - y[None, None, :]) ** 2, axis=-1)


def plot_loss_contours(x, y, path=None, true_params=None, w_range=None, b_range=None, ax=None,
                       title: str = "Loss surface and the path of gradient descent"):
    """Contours of the mean squared error over (w, b), with the path gradient descent took.

    ``path`` is a sequence of (w, b) pairs, one per epoch; ``true_params`` a (w, b) pair
    marked with a black star. The ranges default to cover the path and the true values.

    Introduced in 02_linear_regression.
    """
    points = []
    if path is not None:
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path must be a sequence of (w, b) pairs, got shape {path.shape}")
        points.append(path)
    if true_params is not None:
        points.append(np.asarray(true_params, dtype=float).reshape(1, 2))
    span = np.concatenate(points) if points else np.array([[0.0, 0.0]])

    def _range(given, column):
        if given is not None:
            return given
        low, high = span[:, column].min(), span[:, column].max()
        pad = max(1.0, 0.25 * (high - low))
        return (low - pad, high + pad)

    w_range, b_range = _range(w_range, 0), _range(b_range, 1)
    w_values = np.linspace(*w_range, 121)
    b_values = np.linspace(*b_range, 121)
    losses = mse_grid(x, y, w_values, b_values)
    ax = _axes(ax)
    levels = np.quantile(losses, np.linspace(0.0, 0.95, 15))
    contours = ax.contour(w_values, b_values, losses, levels=np.unique(levels), cmap="viridis",
                          linewidths=1.0)
    ax.clabel(contours, fontsize=8, fmt="%.1f")
    if path is not None:
        ax.plot(path[:, 0], path[:, 1], color=COLORS["path"], marker="o", markersize=3,
                label="gradient descent")
        ax.plot(*path[0], marker="s", markersize=8, color=COLORS["path"], linestyle="none",
                label="start")
    if true_params is not None:
        ax.plot(*true_params, marker="*", markersize=14, color=COLORS["true"], linestyle="none",
                label="true (w, b)")
    ax.set(xlabel="w", ylabel="b", title=title, xlim=w_range, ylim=b_range)
    if path is not None or true_params is not None:  # outside: the contours fill the axes
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax


_HISTORY_KEYS = {
    # course loops record train_*/val_*;
    # keras.callbacks.History records loss/val_loss/accuracy/val_accuracy
    "accuracy": (("train_accuracy", "accuracy"), ("val_accuracy",)),
    "loss": (("train_loss", "loss"), ("val_loss",)),
}


def _history_dict(history) -> Mapping[str, Sequence[float]]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        return history.history
    if isinstance(history, Mapping):
        return history
    raise ValueError(
        "history must be a dict of per-epoch lists or the History object fit() returns"
    )


def plot_history(history, axes=None, title: str = "Training history"):
    """Accuracy (top) and loss (bottom) per epoch, training in blue and validation in orange.

    Accepts a dict with ``train_accuracy``, ``val_accuracy``, ``train_loss``, ``val_loss``
    (the course's own loops) or the ``History`` returned by ``fit()`` (``accuracy``,
    ``val_accuracy``, ``loss``, ``val_loss``). Returns the two axes.

    Introduced in 03_custom_training_loop.
    """
    data = _history_dict(history)
    if axes is None:
        fig, axes = plt.subplots(2, 1, sharex=True, figsize=(8.0, 6.0))
        fig.suptitle(title)
    if len(axes) != 2:
        raise ValueError("axes must be a pair: (accuracy axes, loss axes)")
    drew_any = False
    for ax, (quantity, (train_names, val_names)) in zip(axes, _HISTORY_KEYS.items(), strict=True):
        for names, label, color in ((train_names, "training", COLORS["train"]),
                                    (val_names, "validation", COLORS["validation"])):
            key = next((k for k in names if k in data), None)
            if key is None:
                continue
            values = _as_1d(key, data[key])
            ax.plot(np.arange(1, len(values) + 1), values, color=color, marker="o", markersize=4,
                    label=label)
            drew_any = True
        ax.set_ylabel(quantity)
        ax.set_title(quantity.capitalize())
        if ax.lines:
            place_legend(ax)
    if not drew_any:
        raise ValueError(
            "history has none of the expected keys (train_/val_ accuracy and loss); "
            f"it has {sorted(data)}"
        )
    axes[-1].set_xlabel("epoch")
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    return axes


def plot_digits(images, labels, predictions=None, ncols: int = 8, title: str | None = None):
    """A gallery of MNIST digits with their labels (and predictions, wrong ones in vermillion).

    ``images`` may be (n, 28, 28) or flattened (n, 784). Returns the figure.

    Introduced in 03_custom_training_loop.
    """
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784), got {images.shape}")
    n = len(images)
    if n == 0:
        raise ValueError("there are no images to show")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != n or (
        predictions is not None and len(np.asarray(predictions).reshape(-1)) != n
    ):
        raise ValueError("labels (and predictions) must have one entry per image")
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    figsize = (1.4 * ncols, 1.7 * nrows + (0.4 if title else 0))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r")
        if predictions is None:
            ax.set_title(f"{labels[i]}", fontsize=11)
        else:
            pred = np.asarray(predictions).reshape(-1)[i]
            wrong = pred != labels[i]
            ax.set_title(f"true {labels[i]}\npred {pred}", fontsize=10,
                         color=COLORS["prediction"] if wrong else COLORS["true"])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
