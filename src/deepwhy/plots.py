"""Every figure style in one place: the course look, spread bands, loss curves, decision boundaries.

Used in: every chapter. Import this module, not matplotlib's defaults, so that all figures match.
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

#: The Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), safe for the common forms
#: of colour blindness: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow,
#: grey. Where two categories are compared, give them a second cue too (marker or line style).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#555555"]

# Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
_CVD = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb):
    xyz = np.asarray(linear_rgb) @ np.array([[0.4124, 0.3576, 0.1805],
                                             [0.2126, 0.7152, 0.0722],
                                             [0.0193, 0.1192, 0.9505]]).T
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def color_distances(colors: Sequence[str], vision: str = "normal") -> np.ndarray:
    """Return the CIE76 colour differences (Delta E) between every pair of ``colors``, as seen with ``vision``.

    ``vision`` is ``"normal"``, ``"deuteranopia"`` or ``"protanopia"`` (simulated as in Machado et
    al. 2009). A Delta E above about 10 is easy to tell apart at a glance. Used in: the palette's
    unit test, which keeps :data:`COLORS` readable for colour-blind readers.
    """
    if vision not in ("normal", *_CVD):
        raise ValueError(f"vision must be 'normal', 'deuteranopia' or 'protanopia', got {vision!r}")
    rgb = _linear([mpl.colors.to_rgb(c) for c in colors])
    if vision != "normal":
        rgb = np.clip(rgb @ _CVD[vision].T, 0, 1)
    lab = _lab(rgb)
    return np.linalg.norm(lab[:, None] - lab[None], axis=-1)


def use_style() -> None:
    """Apply the course's matplotlib style: readable fonts, light grid, one colour cycle."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": mpl.cycler(color=COLORS),
        "legend.frameon": False,
        "image.cmap": "viridis",
    })
    _sharp_inline_figures()


def _sharp_inline_figures() -> None:
    # In Jupyter, draw PNGs at twice the resolution and the same size on the page, so figures are
    # sharp on high-DPI screens. Outside IPython (scripts, tests) there is nothing to set.
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


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
        X: (n, 2) data points; y: (n,) or (n, 1) labels, used for the marker colours and written
            on each marker (:func:`label_points`), so that no reader depends on the colours.
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
    if y is not None:
        label_points(ax, X, y)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def label_points(ax, X, y):
    """Write each point's label (``y``, e.g. 0 or 1) in white bold 9 pt on its marker at ``X`` (n, 2).

    Used in: :func:`decision_boundary`, and the history chapter's perceptron mosaic.
    """
    X = np.asarray(X, dtype=float)
    labels = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[1] != 2 or len(labels) != len(X):
        raise ValueError(f"X must have shape (n, 2) and y n labels, got {X.shape} and {len(labels)}")
    for (x1, x2), t in zip(X.tolist(), labels.tolist()):
        ax.text(x1, x2, f"{t:g}", color="white", ha="center", va="center", fontsize=9, fontweight="bold", zorder=4)
    return ax


def animation_html(animation, alt: str, **kwargs):
    """Return a matplotlib animation as an ``IPython.display.HTML`` player (``to_jshtml(**kwargs)``).

    ``alt`` is the text a screen reader gives for the player's frames: what the movie shows.

    In the built book (``DEEPWHY_STATIC=1``) the player's link to Font Awesome on a CDN is
    dropped: the book's theme has its own copy of the icons, and the page stays offline.

    Used in: optimizers (the saddle race), simplicity bias (the frequency principle movie).
    """
    import re
    from html import escape

    from IPython.display import HTML

    from .widgets import static_mode

    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description of the animation, got {alt!r}")
    html = animation.to_jshtml(**kwargs)
    html = re.sub(r'<img id="', lambda _: f'<img alt="{escape(alt)}" id="', html, count=1)
    if static_mode():
        html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    return HTML(html)


#: The widest figure in inches that the book's 688 px text column shows at its drawn size (at the
#: figures' 100 dpi, with the 0.02 in that the tight crop pads on each side), so that its 9 pt
#: text stays 9 pt on the page.
COLUMN_WIDTH = 6.84


def figure(ncols: int = 1, nrows: int = 1, width: float = 3.2, height: float = 3.0, **kwargs):
    """Return ``(fig, axes)`` sized ``width x height`` inches per panel, in the course style.

    At most three panels per row, and at most :data:`COLUMN_WIDTH` inches in all: a wider figure
    would be shrunk on the page and its text with it. Used in: every chapter.
    """
    if not 1 <= ncols <= 3:
        raise ValueError(f"ncols must be 1, 2 or 3 (panels per row in the book's column), got {ncols}")
    if ncols * width > COLUMN_WIDTH + 1e-9:
        raise ValueError(f"ncols * width must be at most {COLUMN_WIDTH} inches (the book's column), "
                         f"got {ncols} x {width} = {ncols * width:.2f}")
    use_style()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), constrained_layout=True, **kwargs)


# --- Optimizers and regularization ---

def surface_contours(ax, surface, levels: int = 15, resolution: int = 200, extent=None, color="0.7"):
    """Draw the contour lines of a 2-D loss surface (log-spaced above its minimum) and mark the minimum.

    Args:
        ax: a matplotlib Axes.
        surface: a :class:`deepwhy.optim.Surface` (anything with ``value``, ``extent``, ``minimum``).
        levels: number of contour levels, spaced evenly in log(f - f_min).
        extent: ``(xmin, xmax, ymin, ymax)``; default the surface's own.

    Used in: optimizers and regularization (the skier figures and the explorer).
    """
    if not hasattr(surface, "value") or not hasattr(surface, "extent"):
        raise ValueError(f"surface must have value() and extent, got {type(surface).__name__}")
    x0, x1, y0, y1 = surface.extent if extent is None else extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    f = surface.value(np.stack([gx, gy], axis=-1))
    gap = f - f.min()
    positive = gap[gap > 0]
    lo, hi = np.log10(positive.min() + 1e-12), np.log10(positive.max())
    lv = 10 ** np.linspace(lo + 0.35 * (hi - lo), hi, levels)
    ax.contour(gx, gy, gap, levels=lv, colors=color, linewidths=0.7)
    ax.plot(*np.asarray(surface.minimum)[:2], marker="*", color="k", markersize=10, linestyle="none", zorder=4)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def optimizer_path(ax, path, label: str | None = None, color=None, markevery: int | None = None, **kwargs):
    """Draw one optimizer's path (an array (steps+1, 2)) as a line with a dot at its end.

    Returns the line. Used in: optimizers and regularization.
    """
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"path must have shape (steps+1, 2), got {path.shape}")
    (line,) = ax.plot(path[:, 0], path[:, 1], label=label, color=color, linewidth=1.4,
                      marker="." if markevery else None, markevery=markevery, markersize=3, **kwargs)
    ax.plot(*path[-1], marker="o", color=line.get_color(), markersize=5, zorder=5)
    return line


# --- Why randomness matters ---

def go_board(ax, heat=None, size: int = 19, cmap: str = "Reds", vmax: float | None = None,
             star_points=((3, 3), (3, 15), (15, 3), (15, 15), (9, 9))):
    """Draw a Go board's grid lines and star points, optionally under a ``size x size`` heat map.

    Args:
        ax: a matplotlib Axes.
        heat: ``(size, size)`` values (e.g. move probabilities), row 0 at the top, or None.
        size: the board's width in lines.
        cmap, vmax: the heat map's colours and upper limit.
        star_points: (row, column) points drawn as small black dots.

    Returns the image (or None). Used in: why randomness matters (the first move).
    """
    size = int(size)
    image = None
    if heat is not None:
        heat = np.asarray(heat, dtype=float)
        if heat.shape != (size, size):
            raise ValueError(f"heat must have shape ({size}, {size}), got {heat.shape}")
        image = ax.imshow(heat, cmap=cmap, vmin=0, vmax=vmax, extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    else:
        ax.set_facecolor("#e8c887")
    for k in range(size):
        ax.plot([0, size - 1], [k, k], color="0.35", linewidth=0.5, zorder=1)
        ax.plot([k, k], [0, size - 1], color="0.35", linewidth=0.5, zorder=1)
    rows, cols = zip(*star_points) if star_points else ((), ())
    ax.scatter(cols, rows, s=9, color="k", zorder=2)
    ax.set_xlim(-0.7, size - 0.3)
    ax.set_ylim(size - 0.3, -0.7)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return image


# --- Simplicity bias ---

def orientations(ax, W, amplitude=None, label: str | None = None, color=None, normalize: bool = True,
                 **kwargs):
    """Scatter each neuron's orientation (the angle of its row (w, b), in degrees) against its amplitude.

    Args:
        ax: a matplotlib Axes.
        W: ``(neurons, 2)``, one row (input weight, bias) per neuron.
        amplitude: ``(neurons,)``, e.g. |a| ||(w, b)||; default the row norms.
        normalize: divide the amplitudes by their largest, so that before and after training
            share one axis however much the weights grew.

    Returns the PathCollection. Used in: simplicity bias (condensation).
    """
    W = np.asarray(W.detach().cpu() if isinstance(W, torch.Tensor) else W, dtype=float)
    if W.ndim != 2 or W.shape[1] != 2:
        raise ValueError(f"W must have shape (neurons, 2), got {W.shape}")
    amp = np.linalg.norm(W, axis=1) if amplitude is None else np.asarray(
        amplitude.detach().cpu() if isinstance(amplitude, torch.Tensor) else amplitude, dtype=float)
    if amp.shape != (W.shape[0],):
        raise ValueError(f"amplitude must have shape ({W.shape[0]},), got {amp.shape}")
    if normalize and amp.max() > 0:
        amp = amp / amp.max()
    angle = np.degrees(np.arctan2(W[:, 1], W[:, 0]))
    points = ax.scatter(angle, amp, s=kwargs.pop("s", 12), label=label, color=color, **kwargs)
    ax.set_xlim(-180, 180)
    ax.set_xticks([-180, -90, 0, 90, 180])
    ax.set_xlabel("orientation of (w, b) [degrees]")
    ax.set_ylabel("amplitude / max" if normalize else "amplitude")
    return points


def frequency_heatmap(ax, steps, freqs, values, vmin: float = 0.0, vmax: float = 1.0, cmap: str = "magma_r",
                      label: str = "relative error"):
    """Draw ``values`` (records, freqs) as an image: training step across, frequency upwards.

    Returns the image (for a colorbar). Used in: simplicity bias (relative error by frequency).
    """
    steps = np.asarray(steps, dtype=float)
    freqs = np.asarray(freqs, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.shape != (steps.size, freqs.size):
        raise ValueError(f"values must have shape (len(steps), len(freqs)) = ({steps.size}, {freqs.size}), "
                         f"got {values.shape}")
    image = ax.pcolormesh(steps, freqs, values.T, vmin=vmin, vmax=vmax, cmap=cmap, shading="nearest")
    ax.set_xlabel("training step")
    ax.set_ylabel("frequency")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=label)
    return image


# --- Why depth ---

def truth_table(ax, pred, target, row_labels: Sequence[str], col_labels: Sequence[str], threshold: float = 0.5):
    """Draw predictions against targets as a table: one cell per (row, column), coloured by the prediction.

    Each cell shows the prediction and, below it, the target; a cell whose prediction is
    ``threshold`` or more away from its target (wrong, or undecided) gets a red frame.

    Args:
        pred, target: (rows, cols) arrays of numbers in [0, 1].
        row_labels, col_labels: the names of the rows (inputs) and columns (tasks).

    Used in: why depth (memorizing vs features).
    """
    from matplotlib.patches import Rectangle

    pred = np.asarray(pred, dtype=float)
    target = np.asarray(target, dtype=float)
    if pred.ndim != 2 or pred.shape != target.shape:
        raise ValueError(f"pred and target must be 2-D arrays of equal shape, got {pred.shape} and {target.shape}")
    if pred.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"pred has shape {pred.shape} but there are {len(row_labels)} row labels and "
                         f"{len(col_labels)} column labels")
    ax.imshow(pred, cmap="RdBu_r", vmin=-0.25, vmax=1.25, aspect="auto")
    for r in range(pred.shape[0]):
        for c in range(pred.shape[1]):
            ax.text(c, r, f"{pred[r, c]:.2f}\n({target[r, c]:g})", ha="center", va="center", fontsize=9)
            if abs(pred[r, c] - target[r, c]) >= threshold - 1e-3:
                ax.add_patch(Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False,
                                       edgecolor=COLORS[1], linewidth=2.5))
    ax.set_xticks(range(len(col_labels)), col_labels)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return ax
