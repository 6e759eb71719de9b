"""The book's flipbook explorers: grids from controls, frames, and HTML that needs no kernel."""
import json
import re

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pytest

from deepwhy import flipbook, plots, widgets


def _draw(freq, kind="sin"):
    fig, ax = plots.figure(width=3, height=2)
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.sin(2 * np.pi * freq * x) if kind == "sin" else np.cos(2 * np.pi * freq * x))
    return fig


def test_slider_axes_span_the_range_and_keep_the_default():
    a = flipbook.axis("n", w.IntSlider(value=40, min=2, max=60))
    assert a.values == [2, 16, 31, 40, 46, 60] and a.values[a.default] == 40 and a.kind == "slider"
    log = flipbook.axis("lr", w.FloatLogSlider(value=0.01, base=10, min=-5, max=0, step=0.1))
    assert log.values[0] == pytest.approx(1e-5) and log.values[-1] == pytest.approx(1.0)
    assert log.values[log.default] == pytest.approx(0.01)
    chosen = flipbook.axis("g", w.FloatSlider(value=1.0, min=0.5, max=2.0, step=0.05), values=[0.5, 2.0])
    assert chosen.values == [0.5, 1.0, 2.0] and chosen.default == 1


def test_menu_axes_keep_every_option_or_the_chosen_ones():
    menu = flipbook.axis("kind", w.Dropdown(options=[("sine", "sin"), ("cosine", "cos")], value="cos"))
    assert menu.values == ["sin", "cos"] and menu.default == 1 and menu.text(0) == "sine" and menu.kind == "menu"
    some = flipbook.axis("b", w.SelectionSlider(options=[1, 2, 5, 10, 20], value=5), values=[1, 20])
    assert some.values == [1, 5, 20] and some.default == 1 and some.kind == "slider"
    with pytest.raises(ValueError, match="must be options"):
        flipbook.axis("b", w.SelectionSlider(options=[1, 2], value=1), values=[3])
    assert flipbook.axis("seed", [0, 1]).values == [0, 1]
    assert flipbook.axis("fixed", 7).kind == "fixed"


def test_grid_refuses_too_many_frames_and_unknown_names():
    controls = {"freq": w.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.1), "kind": ["sin", "cos"]}
    assert [len(a.values) for a in flipbook.grid(controls)] == [6, 2]     # five points and the default
    with pytest.raises(ValueError, match="more than max_frames=4"):
        flipbook.grid(controls, max_frames=4)
    with pytest.raises(ValueError, match="name no control"):
        flipbook.grid(controls, {"colour": [1]})


def test_flipbook_html_has_one_frame_per_combination_and_the_default_shown():
    controls = {"freq": w.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.1), "kind": ["sin", "cos"]}
    page = flipbook.flipbook(_draw, controls, alt="a wave <of some kind>")
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page).group(1))
    assert data["sizes"] == [6, 2] and len(data["index"]) == 12 and len(data["frames"]) == 12
    assert data["labels"][1] == ["sin", "cos"]
    shown = re.search(r'<img src="data:image/png;base64,([^"]+)"', page).group(1)
    default = np.ravel_multi_index([1, 0], [6, 2])                   # freq 1.0 is the 2nd value, sin the 1st
    assert shown == data["frames"][data["index"][default]]
    assert 'alt="a wave &lt;of some kind&gt;"' in page and "<div class=\"dw-controls\" hidden>" in page
    assert page.count('type="range"') == 1 and page.count("<select") == 1
    assert "http" not in page                                         # nothing to load from the network
    assert not plt.get_fignums()
    with pytest.raises(ValueError, match="alt"):
        flipbook.flipbook(_draw, controls, alt="")


def test_explorer_shows_the_flipbook_only_when_the_book_asks(monkeypatch, capsys):
    monkeypatch.setenv("DEEPWHY_STATIC", "1")
    monkeypatch.setenv("DEEPWHY_FRAMES", "1")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert widgets.explorer(_draw, alt="a wave", book_grid={"freq": [0.5, 2.0]},
                            freq=w.FloatSlider(value=1.0, min=0.5, max=3.0)) is None
    assert len(shown) == 1 and "dw-explorer" in shown[0].data
    monkeypatch.setenv("DEEPWHY_FRAMES", "0")
    fig = widgets.explorer(_draw, alt="a wave", freq=w.FloatSlider(value=1.0, min=0.5, max=3.0))
    assert fig is not None
    plt.close("all")
