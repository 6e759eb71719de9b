"""Interactive explorers, each with a static fallback.

In a live notebook (JupyterLab, Binder, Colab) :func:`explorer` shows sliders and menus that
redraw a figure. When the environment sets ``DEEPWHY_STATIC=1``, as ``make book`` and
``make test`` do, it draws the figure once with every control at its default value, so the
HTML book shows a real figure and the tests exercise the drawing code.

Used in: the "Explore" section of every chapter.
"""
from __future__ import annotations

import os
from typing import Callable


def static_mode() -> bool:
    """Return True when explorers should draw one static figure (DEEPWHY_STATIC=1)."""
    return os.environ.get("DEEPWHY_STATIC", "0") == "1"


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


def explorer(draw: Callable, static: bool | None = None, **controls):
    """Show ``draw(**values)`` with interactive controls, or once with the defaults in static mode.

    Args:
        draw: a function that takes the control values as keyword arguments and draws a
            matplotlib figure (it may return it).
        static: force static (True) or interactive (False); default :func:`static_mode`.
        **controls: ipywidgets controls (``IntSlider(...)``, ``Dropdown(...)``), lists of
            options (the first is the default), or fixed values.

    Returns the figure drawn in static mode, else the ``ipywidgets.interactive`` object.
    """
    if not callable(draw):
        raise ValueError(f"draw must be a callable that draws a figure, got {draw!r}")
    if static is None:
        static = static_mode()
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
