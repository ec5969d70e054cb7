"""The tutorials' pictures, as matplotlib figures for TensorBoard's images tab.

matplotlib itself is imported by the first picture drawn, so a run that draws none never loads it.
"""

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Figures = dict[str, "Figure"]  # pictures by name: figures/<name> in TensorBoard
SIZE = (6.4, 4.8)  # inches; at 100 dpi every image is 640 x 480
DPI = 100


def _axes(title: str, xlabel: str, ylabel: str):
    import matplotlib

    # Off-screen drawing for TensorBoard's pixels, unless a backend is named: Jupyter's kernel names its
    # inline one, which a learner's own plots need
    if not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return figure, axes


def loss_curve(losses: np.ndarray) -> "Figure":
    """Tutorial 000's plot: the loss at every step (log scale when it spans orders of magnitude)."""
    figure, axes = _axes("Loss over steps", "step", "loss")
    axes.plot(np.arange(len(losses)), losses)
    finite = losses[np.isfinite(losses)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        axes.set_yscale("log")
    return figure


def fitted_line(x: np.ndarray, y: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> "Figure":
    """Tutorial 000's plot: the data points and the model's line through them."""
    figure, axes = _axes("Data and fitted line", "x", "y")
    axes.scatter(x, y, label="data")
    grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 100)
    axes.plot(grid, predict(grid), "r-", label="model")
    axes.legend()
    return figure


def predictions_vs_targets(predictions: np.ndarray, targets: np.ndarray) -> "Figure":
    """Each prediction against its target: points on the diagonal are predicted exactly."""
    figure, axes = _axes("Predictions against targets", "target", "prediction")
    low, high = min(targets.min(), predictions.min()), max(targets.max(), predictions.max())
    axes.plot([low, high], [low, high], "k--", linewidth=1, label="prediction = target")
    axes.scatter(targets, predictions, label="data")
    axes.legend()
    return figure


def descent_on_curve(function: Callable[[np.ndarray], np.ndarray], path: np.ndarray, label: str) -> "Figure":
    """Tutorial 003's plot: the curve, and a dot at every point gradient descent visited."""
    figure, axes = _axes(f"Gradient descent on y = {label}", "x", "y")
    span = max(abs(path).max(), 1.0) * 1.2
    grid = np.linspace(-span - 1, span, 200)
    axes.plot(grid, function(grid))
    axes.plot(path, function(path), "o-", markersize=4, color="tab:red", label="steps")
    axes.legend()
    return figure


def loss_landscape(
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray], w_path: np.ndarray, b_path: np.ndarray
) -> "Figure":
    """The loss as contours over (w, b), with the path gradient descent took across them."""
    from matplotlib.colors import LogNorm

    figure, axes = _axes("Loss landscape and descent path", "w", "b")
    w_low, w_high = min(w_path.min(), 0.0) - 1, max(w_path.max(), 2.0) + 1
    b_low, b_high = min(b_path.min(), 0.0) - 1, max(b_path.max(), 1.0) + 1
    w, b = np.meshgrid(np.linspace(w_low, w_high, 120), np.linspace(b_low, b_high, 120))
    values = loss(w, b)
    levels = np.geomspace(max(values.min(), values.max() * 1e-6), values.max(), 30)  # the valley needs detail
    contours = axes.contourf(w, b, values, levels=levels, norm=LogNorm(), cmap="viridis", extend="min")
    figure.colorbar(contours, ax=axes, label="loss (log scale)", ticks=levels[::5], format="%.3g")
    axes.plot(w_path, b_path, ".-", color="white", markersize=3, label="descent")
    axes.legend()
    return figure


def loss_along_w(loss: Callable[[np.ndarray], np.ndarray], w_path: np.ndarray) -> "Figure":
    """The loss as a function of the one weight w, with the values gradient descent visited."""
    figure, axes = _axes("Loss over w and descent path", "w", "loss")
    grid = np.linspace(min(w_path.min(), 0.0) - 1, max(w_path.max(), 2.0) + 1, 200)
    axes.plot(grid, loss(grid))
    axes.plot(w_path, loss(w_path), "o-", markersize=3, color="tab:red", label="steps")
    axes.legend()
    return figure


def decision_curve(x: np.ndarray, y: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> "Figure":
    """A one-input classifier: its predicted probability over x, the 0.5 threshold, and the points."""
    figure, axes = _axes("Decision boundary", "x", "P(y = 1)")
    grid = np.linspace(x.min() - 1, x.max() + 1, 200)
    axes.plot(grid, predict(grid), label="model")
    axes.axhline(0.5, color="k", linestyle="--", linewidth=1, label="threshold 0.5")
    axes.scatter(x, y, color="tab:red", zorder=3, label="data")
    axes.legend()
    return figure


def decision_regions(x: np.ndarray, y: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> "Figure":
    """A two-input classifier: its predicted probability as colour, the 0.5 boundary, the labelled points."""
    figure, axes = _axes("Decision boundary", "feature 1", "feature 2")
    grid_x, grid_y = np.meshgrid(
        np.linspace(x[:, 0].min() - 1, x[:, 0].max() + 1, 100),
        np.linspace(x[:, 1].min() - 1, x[:, 1].max() + 1, 100),
    )
    probability = predict(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)).reshape(grid_x.shape)
    regions = axes.contourf(
        grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6
    )
    figure.colorbar(regions, ax=axes, label="P(y = 1)")
    axes.contour(grid_x, grid_y, probability, levels=[0.5], colors="k")
    axes.scatter(x[:, 0], x[:, 1], c=y.ravel(), cmap="coolwarm", edgecolors="k", vmin=0, vmax=1)
    return figure
