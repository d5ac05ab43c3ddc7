"""Plots draw what they claim: the right lines, markers, colours, labels and legends."""
import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import data, plots


def same_colour(a, b):
    return np.allclose(mcolors.to_rgba(a)[:3], mcolors.to_rgba(b)[:3])


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_palette_is_okabe_ito_and_roles_are_consistent():
    assert plots.COLORS["data"] == plots.COLORS["train"] == "#0072B2"
    assert plots.COLORS["prediction"] == plots.COLORS["path"] == "#D55E00"
    assert plots.COLORS["validation"] == "#E69F00"
    assert set(plots.CYCLE) == set(plots.PALETTE.values())


def test_course_style_sets_readable_sizes_and_the_palette():
    with matplotlib.rc_context():  # restores every setting afterwards
        plt.rcdefaults()
        assert plt.rcParams["font.size"] == 10  # the control: matplotlib's default
        plots.use_course_style()
        assert plt.rcParams["font.size"] == 12 and plt.rcParams["axes.titlesize"] == 14
        assert [c["color"] for c in plt.rcParams["axes.prop_cycle"]] == plots.CYCLE
        assert plots.CYCLE[0] == plots.PALETTE["blue"]


def test_data_and_predictions_blue_dots_red_crosses():
    x, y = data.make_linear_data(n=30, seed=0)
    ax = plots.plot_data_and_predictions(x, y, predictions=2 * x)
    dots, crosses = ax.collections
    assert same_colour(dots.get_facecolor()[0], plots.COLORS["data"])
    assert same_colour(crosses.get_facecolor()[0], plots.COLORS["prediction"])
    np.testing.assert_allclose(crosses.get_offsets()[:, 1], 2 * x, rtol=1e-6)
    assert legend_texts(ax) == ["data", "predictions"]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"


def test_data_and_predictions_validates_lengths():
    with pytest.raises(ValueError, match="one value per x"):
        plots.plot_data_and_predictions([1, 2, 3], [1, 2, 3], predictions=[1, 2])
    with pytest.raises(ValueError, match="same length"):
        plots.plot_data_and_predictions([1, 2, 3], [1, 2])


def test_params_over_epochs_with_true_values():
    ax = plots.plot_params_over_epochs([0.0, 1.0, 2.0], [0.5, 1.0, 1.5], true_w=3.0, true_b=2.0)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"w", "b", "true w", "true b"}
    np.testing.assert_array_equal(lines["w"].get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(lines["true w"].get_ydata(), [3.0, 3.0])
    assert lines["true b"].get_linestyle() == "--"
    assert ax.get_xlabel() == "epochs done"


def test_loss_vs_weight():
    ax = plots.plot_loss_vs_weight([0.0, 1.0, 2.0], [9.0, 4.0, 1.0], "w", true_value=3.0)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), [9.0, 4.0, 1.0])
    assert ax.get_xlabel() == "w" and "loss" in ax.get_ylabel()
    assert "true w" in legend_texts(ax)
    with pytest.raises(ValueError, match="same length"):
        plots.plot_loss_vs_weight([1.0], [1.0, 2.0], "b")


def test_mse_grid_is_the_mean_squared_error():
    x = np.array([0.0, 1.0, 2.0])
    y = 3 * x + 2
    grid = plots.mse_grid(x, y, w_values=[3.0, 4.0], b_values=[2.0, 0.0])
    assert grid.shape == (2, 2)
    assert grid[0, 0] == 0.0  # w=3, b=2 is exact
    np.testing.assert_allclose(grid[0, 1], np.mean(x ** 2))  # w=4, b=2
    np.testing.assert_allclose(grid[1, 0], 4.0)  # w=3, b=0


def test_loss_contours_with_path_and_true_point():
    x, y = data.make_linear_data(n=100, seed=0)
    path = [(0.0, 0.0), (1.5, 1.0), (2.9, 1.9)]
    ax = plots.plot_loss_contours(x, y, path=path, true_params=(3.0, 2.0))
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["gradient descent"].get_xdata(), [0.0, 1.5, 2.9])
    np.testing.assert_array_equal(lines["true (w, b)"].get_xdata(), [3.0])
    assert same_colour(lines["gradient descent"].get_color(), plots.COLORS["path"])
    # the default ranges cover the path and the true point, padded by at least 1
    assert ax.get_xlim() == (-1.0, 4.0)  # w from 0 to 3
    assert ax.get_ylim() == (-1.0, 3.0)  # b from 0 to 2
    assert ax.get_xlabel() == "w" and ax.get_ylabel() == "b"
    with pytest.raises(ValueError, match=r"\(w, b\) pairs"):
        plots.plot_loss_contours(x, y, path=[1, 2, 3])


def test_history_from_course_dict_and_from_keras_history():
    course = {"train_accuracy": [0.8, 0.9], "val_accuracy": [0.85, 0.88],
              "train_loss": [0.5, 0.3], "val_loss": [0.4, 0.35]}
    acc_ax, loss_ax = plots.plot_history(course)
    assert [line.get_label() for line in acc_ax.get_lines()] == ["training", "validation"]
    np.testing.assert_array_equal(acc_ax.get_lines()[1].get_ydata(), [0.85, 0.88])
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_xdata(), [1, 2])  # epochs count from 1
    assert same_colour(loss_ax.get_lines()[1].get_color(), plots.COLORS["validation"])
    assert loss_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy"

    class FakeHistory:
        history = {"loss": [1.0, 0.5, 0.2], "accuracy": [0.1, 0.5, 0.9]}

    acc_ax, loss_ax = plots.plot_history(FakeHistory())
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_ydata(), [1.0, 0.5, 0.2])
    assert len(acc_ax.get_lines()) == 1  # no validation recorded, none drawn


def test_history_rejects_unknown_input():
    with pytest.raises(ValueError, match="expected keys"):
        plots.plot_history({"precision": [0.1]})
    with pytest.raises(ValueError, match="History"):
        plots.plot_history([0.1, 0.2])


def test_digits_gallery_marks_wrong_predictions():
    images = np.zeros((3, 784), dtype=np.uint8)
    fig = plots.plot_digits(images, labels=[1, 2, 3], predictions=[1, 7, 3], ncols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["true 1\npred 1", "true 2\npred 7", "true 3\npred 3"]
    assert same_colour(fig.axes[1].title.get_color(), plots.COLORS["prediction"])
    assert same_colour(fig.axes[0].title.get_color(), plots.COLORS["true"])
    with pytest.raises(ValueError, match="one entry per image"):
        plots.plot_digits(images, labels=[1, 2])


def test_legend_overlap_counts_points_and_stretches_of_line_under_the_legend():
    fig, ax = plt.subplots()
    # a falling curve whose first segment runs through the upper-left corner, between markers
    ax.plot([1, 2, 3, 4], [1.0, 0.2, 0.15, 0.1], marker="o", label="loss")
    ax.legend(loc="upper left")
    assert plots.legend_overlap(ax) > 0
    ax.legend(loc="upper right")
    assert plots.legend_overlap(ax) == 0
    plt.close(fig)


def test_place_legend_finds_a_free_corner_or_goes_outside():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3, 4], [1.0, 0.2, 0.15, 0.1], marker="o", label="training")
    ax.plot([1, 2, 3, 4], [0.9, 0.3, 0.25, 0.2], marker="o", label="validation")
    plots.place_legend(ax)
    assert plots.legend_overlap(ax) == 0
    ax.scatter(*np.meshgrid(np.linspace(1, 4, 30), np.linspace(0.1, 1.0, 30)), s=2, label="grid")
    legend = plots.place_legend(ax)  # every corner covers data now: outside, on the right
    assert plots.legend_overlap(ax) == 0
    assert legend.get_window_extent().x0 > ax.get_window_extent().x1
    with pytest.raises(ValueError, match="chooses the place itself"):
        plots.place_legend(ax, loc="best")
    plt.close(fig)


def test_helpers_legends_hide_no_data():
    x, y = data.make_linear_data(n=200, seed=0)
    ax = plots.plot_data_and_predictions(x, y, predictions=2.0 * x + 1.0)
    assert plots.legend_overlap(ax) == 0
    ax = plots.plot_params_over_epochs(np.linspace(0, 3, 11), np.linspace(0, 2, 11), 3.0, 2.0)
    assert plots.legend_overlap(ax) == 0
    ax = plots.plot_loss_vs_weight(np.linspace(-1, 5, 50), (np.linspace(-1, 5, 50) - 3) ** 2,
                                   "w", true_value=3.0)
    assert plots.legend_overlap(ax) == 0
    # early stopping's shape: validation loss falls, then rises; training keeps falling
    history = {"train_loss": [0.9, 0.4, 0.3, 0.25, 0.2], "val_loss": [0.5, 0.35, 0.33, 0.36, 0.4],
               "train_accuracy": [0.7, 0.88, 0.91, 0.93, 0.95],
               "val_accuracy": [0.85, 0.9, 0.91, 0.9, 0.89]}
    for ax in plots.plot_history(history):
        assert plots.legend_overlap(ax) == 0
    plt.close("all")
