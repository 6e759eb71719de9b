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
