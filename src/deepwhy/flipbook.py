"""An explorer that moves in the HTML book: its figure drawn for a grid of control values.

The book has no kernel, so a slider there cannot redraw anything. Instead, when the book is built
(``DEEPWHY_FRAMES=1``, set by ``make html``), :func:`deepwhy.widgets.explorer` calls
:func:`flipbook` with the explorer's controls: every control gets a few values (every option of a
menu, a handful of points of a slider's range, or the values the chapter chose), the figure is
drawn once for every combination, and the page receives the frames, small HTML controls that
step over the same values, and a few lines of JavaScript that show the frame for the chosen
values. Nothing is loaded from the network, and a reader without JavaScript sees the figure at
the default values, as before. With ``DEEPWHY_FRAMES_LOG=<file>`` each flipbook appends its frame
count, size and CPU time to that file.

Used in: the "Explore" section of every chapter, through :func:`deepwhy.widgets.explorer`.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import io
import itertools
import json
import math
import os
import time
from typing import Callable, Sequence

import numpy as np

#: At most this many frames per explorer unless the chapter asks for more: drawing them must
#: stay cheap (the whole book's flipbooks add at most about 30 s to a build) and the page light.
MAX_FRAMES = 16

#: Frames are drawn at this multiple of the figure's resolution (sharper on high-DPI screens)
#: and reduced to this many colours, which keeps a frame near 25 KB.
RESOLUTION, COLOURS = 1.5, 32

#: Points of a slider's range drawn when the chapter does not choose them.
SLIDER_POINTS = 5


@dataclasses.dataclass
class Axis:
    """One control of a flipbook: its name, the label shown, its values, and which is the default."""
    name: str
    label: str
    values: list
    default: int
    kind: str                     # "slider", "menu" or "fixed"
    labels: list | None = None    # the text shown for each value; default: the value, floats to 3 digits

    def text(self, k: int) -> str:
        """Return the text shown for the ``k``-th value."""
        if self.labels is not None:
            return str(self.labels[k])
        v = self.values[k]
        return f"{v:.3g}" if isinstance(v, float) else str(v)


def _snap(x: float, lo: float, step: float) -> float:
    return lo + round((x - lo) / step) * step


def axis(name: str, control, values: Sequence | None = None, points: int = SLIDER_POINTS) -> Axis:
    """Return the grid :class:`Axis` of one explorer control.

    Args:
        name: the keyword the draw function takes.
        control: an ipywidgets control (slider, dropdown, selection slider, checkbox), a list of
            options (the first is the default), or a fixed value.
        values: the values to draw, chosen by the chapter; default: every option of a menu, or
            ``points`` evenly spaced points of a slider's range (log-spaced for a log slider),
            always with the control's default value among them.
    """
    import ipywidgets as w

    label = (getattr(control, "description", "") or name) if isinstance(control, w.Widget) else name
    if isinstance(control, w.Widget) and hasattr(control, "_options_values"):
        options, labels = list(control._options_values), list(control._options_labels)
        default = options.index(control.value)
        kind = "slider" if isinstance(control, w.SelectionSlider) else "menu"
        if values is not None:
            wanted = list(values) if control.value in values else [control.value, *values]
            missing = [v for v in wanted if v not in options]
            if missing:
                raise ValueError(f"values for {name!r} must be options of its control {options}, got {missing}")
            keep = sorted(options.index(v) for v in wanted)
            options, labels, default = [options[i] for i in keep], [labels[i] for i in keep], keep.index(default)
        return Axis(name, label, options, default, kind, labels)
    if isinstance(control, w.Checkbox):
        return Axis(name, label, [False, True], int(bool(control.value)), "menu")
    if isinstance(control, (w.IntSlider, w.FloatSlider, w.FloatLogSlider)):
        default_value = control.value
        if values is None:
            if points < 2:
                raise ValueError(f"points must be at least 2, got {points}")
            if isinstance(control, w.FloatLogSlider):
                exps = np.linspace(control.min, control.max, points)
                values = [float(control.base ** _snap(e, control.min, control.step)) for e in exps]
            elif isinstance(control, w.IntSlider):
                values = [int(_snap(x, control.min, control.step)) for x in np.linspace(control.min, control.max, points)]
            else:
                values = [float(_snap(x, control.min, control.step)) for x in np.linspace(control.min, control.max, points)]
        else:
            values = list(values)
        if not any(math.isclose(v, default_value, rel_tol=1e-9, abs_tol=1e-12) for v in values):
            values.append(default_value)
        values = sorted(set(values))
        default = min(range(len(values)), key=lambda k: abs(values[k] - default_value))
        return Axis(name, label, values, default, "slider")
    if isinstance(control, (list, tuple)) and control and not isinstance(control, str):
        options = list(control) if values is None else list(values)
        return Axis(name, label, options, options.index(control[0]) if control[0] in options else 0, "menu")
    return Axis(name, label, [control], 0, "fixed")


def grid(controls: dict, chosen: dict | None = None, max_frames: int = MAX_FRAMES) -> list[Axis]:
    """Return the axes of an explorer's flipbook; raise ValueError if it would exceed ``max_frames`` frames.

    ``chosen`` maps a control's name to the values the chapter wants drawn for it.
    """
    chosen = dict(chosen or {})
    unknown = set(chosen) - set(controls)
    if unknown:
        raise ValueError(f"chosen values name no control: {sorted(unknown)}; the controls are {sorted(controls)}")
    axes = [axis(name, control, chosen.get(name)) for name, control in controls.items()]
    frames = math.prod(len(a.values) for a in axes)
    if frames > max_frames:
        sizes = {a.name: len(a.values) for a in axes}
        raise ValueError(f"the flipbook would draw {frames} frames ({sizes}), more than max_frames={max_frames}; "
                         "choose fewer values per control with book_grid={name: [values]}")
    return axes


def _png(fig) -> bytes:
    """Return a figure as a compact PNG at :data:`RESOLUTION` times its size, reduced to :data:`COLOURS` colours."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=RESOLUTION * fig.dpi, bbox_inches=None)
    image = Image.open(buf).convert("RGB").quantize(colors=COLOURS, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def frames(draw: Callable, axes: list[Axis]) -> tuple[list[bytes], list[int], tuple[int, int]]:
    """Draw every combination of the axes' values; return the distinct PNGs, the frame of each
    combination (in row-major order of ``axes``), and the figure size in CSS pixels."""
    import matplotlib.pyplot as plt

    pngs, index, seen, size = [], [], {}, None
    for combo in itertools.product(*(a.values for a in axes)):
        plt.close("all")
        result = draw(**{a.name: v for a, v in zip(axes, combo)})
        fig = result if hasattr(result, "savefig") else plt.gcf()
        size = size or (round(fig.get_figwidth() * fig.dpi), round(fig.get_figheight() * fig.dpi))
        png = _png(fig)
        plt.close(fig)
        if png not in seen:
            seen[png] = len(pngs)
            pngs.append(png)
        index.append(seen[png])
    return pngs, index, size


_SCRIPT = """(function (root) {
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var img = root.querySelector('img'), inputs = root.querySelectorAll('[data-axis]');
  function show() {
    var k = 0;
    inputs.forEach(function (el, a) {
      var i = Number(el.value);
      k = k * data.sizes[a] + i;
      var out = root.querySelector('output[data-shows="' + a + '"]');
      if (out) out.textContent = data.labels[a][i];
    });
    img.src = 'data:image/png;base64,' + data.frames[data.index[k]];
  }
  inputs.forEach(function (el) { el.addEventListener('input', show); });
  root.querySelector('.dw-controls').hidden = false;
})(document.currentScript.parentElement);"""


def flipbook(draw: Callable, controls: dict, alt: str, chosen: dict | None = None,
             max_frames: int = MAX_FRAMES) -> str:
    """Return the HTML of an explorer that moves without a kernel: frames, controls and a small script.

    Args:
        draw: the explorer's function; it takes the control values as keywords and draws a figure.
        controls: the explorer's controls by keyword (see :func:`axis`).
        alt: what the figure shows, for screen readers.
        chosen: the values to draw for some controls (see :func:`grid`).
        max_frames: the most frames allowed.

    Raises ValueError for an empty ``alt`` or a grid larger than ``max_frames``.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must describe the explorer's figure in words, got {alt!r}")
    start = time.process_time()
    axes = grid(controls, chosen, max_frames)
    pngs, index, (width, height) = frames(draw, axes)
    moving = [(a_i, a) for a_i, a in enumerate(axes) if len(a.values) > 1]
    data = {"sizes": [len(a.values) for a in axes], "index": index,
            "labels": [[a.text(k) for k in range(len(a.values))] for a in axes],
            "frames": [base64.b64encode(p).decode() for p in pngs]}
    payload = json.dumps(data).replace("</", "<\\/")          # never closes the script element early
    default = np.ravel_multi_index([a.default for a in axes], data["sizes"]) if axes else 0
    rows = []
    for a_i, a in enumerate(axes):
        if len(a.values) == 1:
            rows.append(f'<input type="hidden" data-axis="{a_i}" value="0">')
            continue
        label = html.escape(a.label)
        if a.kind == "menu":
            options = "".join(f'<option value="{k}"{" selected" if k == a.default else ""}>{html.escape(a.text(k))}</option>'
                              for k in range(len(a.values)))
            rows.append(f'<label>{label}</label><select data-axis="{a_i}" aria-label="{label}">{options}</select><span></span>')
        else:
            rows.append(f'<label>{label}</label><input type="range" data-axis="{a_i}" min="0" max="{len(a.values) - 1}" '
                        f'step="1" value="{a.default}" aria-label="{label}">'
                        f'<output data-shows="{a_i}">{html.escape(a.text(a.default))}</output>')
    steps = ", ".join(f"{a.label}: {len(a.values)}" for _, a in moving)
    fixed = [a for a in axes if len(a.values) == 1 and a.kind != "fixed"]
    held = f" {' and '.join(a.label for a in fixed)} stay{'s' if len(fixed) == 1 else ''} at the default here." if fixed else ""
    note = html.escape(f"These {len(index)} figures were drawn when the book was built ({steps} values), and the "
                       f"controls step through them.{held} Run the notebook to explore every value.")
    page = (f'<div class="dw-explorer">'
            f'<img src="data:image/png;base64,{data["frames"][index[default]]}" alt="{html.escape(alt)}" '
            f'width="{width}" height="{height}">'
            f'<div class="dw-controls" hidden>{"".join(rows)}<p class="dw-note">{note}</p></div>'
            f'<script type="application/json">{payload}</script>'
            f"<script>{_SCRIPT}</script></div>")
    log = os.environ.get("DEEPWHY_FRAMES_LOG")
    if log:                                  # what the flipbook cost: for the authors, never on the page
        with open(log, "a") as f:
            f.write(f"{getattr(draw, '__name__', 'draw')}: {len(index)} frames ({len(pngs)} distinct), "
                    f"{len(page) / 1e6:.2f} MB, {time.process_time() - start:.1f} s CPU\n")
    return page
