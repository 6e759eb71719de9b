import ipywidgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from deepwhy import widgets  # noqa: E402


def _draw(width=3, act="relu"):
    fig, ax = plt.subplots()
    ax.set_title(f"{width} {act}")
    return fig


def test_static_mode_draws_once_with_defaults(monkeypatch):
    monkeypatch.setenv("DEEPWHY_STATIC", "1")
    assert widgets.static_mode()
    fig = widgets.explorer(_draw, width=ipywidgets.IntSlider(value=5, min=1, max=9), act=["tanh", "relu"])
    assert fig.axes[0].get_title() == "5 tanh"
    plt.close("all")


def test_interactive_mode_builds_a_widget(monkeypatch):
    monkeypatch.setenv("DEEPWHY_STATIC", "0")
    w = widgets.explorer(_draw, width=ipywidgets.IntSlider(value=2, min=1, max=9))
    assert isinstance(w, ipywidgets.interactive)
    plt.close("all")


def test_explorer_rejects_non_callables():
    with pytest.raises(ValueError, match="callable"):
        widgets.explorer(42)


def test_animation_html_drops_the_cdn_stylesheet_only_in_the_book(monkeypatch):
    from matplotlib.animation import FuncAnimation

    from deepwhy import plots

    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=2)
    monkeypatch.setenv("DEEPWHY_STATIC", "1")
    book = plots.animation_html(anim, alt="a line <rising>", default_mode="once").data
    monkeypatch.setenv("DEEPWHY_STATIC", "0")
    live = plots.animation_html(anim, alt="a line <rising>", default_mode="once").data
    assert "font-awesome" in live and "font-awesome" not in book
    assert '<img alt="a line &lt;rising&gt;" id="' in book
    with pytest.raises(ValueError, match="alt"):
        plots.animation_html(anim, alt=" ")
    plt.close(fig)
