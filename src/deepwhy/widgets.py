"""Interactive explorers, each with a static fallback.

In a live notebook (JupyterLab, Binder, Colab) :func:`explorer` shows sliders and menus that
redraw a figure. When the environment sets ``DEEPWHY_STATIC=1``, as ``make test`` does, it draws
the figure once with every control at its default value, so the tests exercise the drawing code.
When it also sets ``DEEPWHY_FRAMES=1``, as the book build does, it draws the figure for a grid of
control values and shows controls that step through them without a kernel
(:mod:`deepwhy.flipbook`).

Used in: the "Explore" section of every chapter.
"""
from __future__ import annotations

import os
from typing import Callable


def static_mode() -> bool:
    """Return True when explorers should draw one static figure (DEEPWHY_STATIC=1)."""
    return os.environ.get("DEEPWHY_STATIC", "0") == "1"


def frames_mode() -> bool:
    """Return True when a static explorer should draw its book flipbook too (DEEPWHY_FRAMES=1)."""
    return os.environ.get("DEEPWHY_FRAMES", "0") == "1"


def _default(control):
    """Return the starting value of a control: a widget's value, a list's first item, else the value itself."""
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - ipywidgets is a dependency
        ipywidgets = None
    if ipywidgets is not None and isinstance(control, ipywidgets.ValueWidget):
        return control.value
    if isinstance(control, (list, tuple)) and control and not isinstance(control, str):
        return control[0]
    return control


def explorer(draw: Callable, static: bool | None = None, alt: str | None = None, book_grid: dict | None = None,
             **controls):
    """Show ``draw(**values)`` with interactive controls, or once with the defaults in static mode.

    Args:
        draw: a function that takes the control values as keyword arguments and draws a
            matplotlib figure (it may return it).
        static: force static (True) or interactive (False); default :func:`static_mode`.
        alt: what the figure shows, in words (the book's flipbook needs it for screen readers).
        book_grid: the values the book's flipbook draws for some controls, by name (see
            :func:`deepwhy.flipbook.grid`); the others get every option or a few points.
        **controls: ipywidgets controls (``IntSlider(...)``, ``Dropdown(...)``), lists of
            options (the first is the default), or fixed values.

    Returns the figure drawn in static mode, None when the flipbook was shown
    (:func:`frames_mode`), else the ``ipywidgets.interactive`` object.
    """
    if not callable(draw):
        raise ValueError(f"draw must be a callable that draws a figure, got {draw!r}")
    if static is None:
        static = static_mode()
    if static and frames_mode():
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        from .flipbook import flipbook

        page = flipbook(draw, controls, alt, book_grid)
        plt.close("all")
        display(HTML(page))
        return None
    if static:
        import matplotlib.pyplot as plt

        result = draw(**{k: _default(v) for k, v in controls.items()})
        fig = result if result is not None else plt.gcf()
        return fig
    import ipywidgets
    from IPython.display import display

    widget = ipywidgets.interactive(draw, **controls)
    display(widget)
    return widget
