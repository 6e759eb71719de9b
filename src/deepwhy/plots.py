"""Every figure style in one place: the course look, spread bands, loss curves, decision boundaries.

Used in: every chapter. Import this module, not matplotlib's defaults, so that all figures match.
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

COLORS = ["#1f5a99", "#d1495b", "#2e933c", "#edae49", "#6c4f99", "#00798c", "#8c6d31", "#555555"]


def use_style() -> None:
    """Apply the course's matplotlib style: readable fonts, light grid, one colour cycle."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "savefig.bbox": "tight",
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": mpl.cycler(color=COLORS),
        "legend.frameon": False,
        "image.cmap": "viridis",
    })


def band(ax, steps, values, q: Sequence[float] = (10, 90), label: str | None = None, color=None,
         alpha: float = 0.25, log: bool = False, **line_kwargs):
    """Draw the median of ``values`` over members as a line, with a band from the q[0] to the q[1] percentile.

    Args:
        ax: a matplotlib Axes.
        steps: ``(records,)`` x values.
        values: ``(records, members)`` array (a History's ``loss`` or a metric).
        q: the lower and upper percentiles of the band.
        log: use a log y-axis.

    Returns the median line. Used in: every figure that shows a spread over seeds.
    """
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != steps.shape[0]:
        raise ValueError(f"values must have shape (len(steps), members) = ({steps.shape[0]}, m), got {values.shape}")
    lo_q, hi_q = q
    if not 0 <= lo_q < hi_q <= 100:
        raise ValueError(f"q must be two percentiles with 0 <= q[0] < q[1] <= 100, got {q!r}")
    med = np.median(values, axis=1)
    lo, hi = np.percentile(values, [lo_q, hi_q], axis=1)
    (line,) = ax.plot(steps, med, label=label, color=color, **line_kwargs)
    ax.fill_between(steps, lo, hi, color=line.get_color(), alpha=alpha, linewidth=0)
    if log:
        ax.set_yscale("log")
    return line


def loss_curve(ax, history, label: str | None = None, log: bool = True, **kwargs):
    """Plot a History's loss against steps: one line, or a median with a 10-90 % band for an ensemble."""
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    return band(ax, history.steps, history.loss, label=label, log=log, **kwargs)


def decision_boundary(ax, predict: Callable, X, y=None, extent=(-0.5, 1.5, -0.5, 1.5), resolution: int = 200,
                      threshold: float = 0.0, cmap: str = "RdBu_r"):
    """Shade the regions where ``predict(points) > threshold`` over a 2-D box, and scatter the data.

    Args:
        predict: callable taking an (m, 2) float tensor and returning (m,) or (m, 1) scores.
        X: (n, 2) data points; y: (n,) or (n, 1) labels used for the marker colours.
        extent: (xmin, xmax, ymin, ymax) of the shaded box.

    Used in: the introduction, history (perceptron, XOR), why depth.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = torch.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32)
    with torch.no_grad():
        scores = np.asarray(predict(grid), dtype=float).reshape(gy.shape)
    ax.contourf(gx, gy, scores > threshold, levels=[-0.5, 0.5, 1.5], cmap=cmap, alpha=0.25)
    ax.contour(gx, gy, scores, levels=[threshold], colors="k", linewidths=1)
    c = None if y is None else np.asarray(y, dtype=float).ravel()
    ax.scatter(X[:, 0], X[:, 1], c=c, cmap=cmap, edgecolors="k", s=80, zorder=3, vmin=0, vmax=1)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def figure(ncols: int = 1, nrows: int = 1, width: float = 3.2, height: float = 3.0, **kwargs):
    """Return ``(fig, axes)`` sized ``width x height`` inches per panel, in the course style."""
    use_style()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), constrained_layout=True, **kwargs)
