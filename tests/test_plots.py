"""The course's figure style: a palette every reader can tell apart."""
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from deepwhy import plots

# The first six colours are the ones figures use for categories; yellow and grey are for extras.
CATEGORY_COLORS = plots.COLORS[:6]


@pytest.mark.parametrize("vision", ["normal", "deuteranopia", "protanopia"])
def test_category_colours_stay_distinguishable(vision):
    d = plots.color_distances(CATEGORY_COLORS, vision)
    worst = min(d[i, j] for i, j in itertools.combinations(range(len(CATEGORY_COLORS)), 2))
    assert worst > 10, f"two palette colours look alike under {vision}: Delta E {worst:.1f}"


def test_the_simulation_catches_red_against_green():
    # The check must be able to fail: the course's former red and green, far apart for most
    # readers, look alike to a deuteranope.
    assert plots.color_distances(["#d1495b", "#2e933c"], "normal")[0, 1] > 40
    assert plots.color_distances(["#d1495b", "#2e933c"], "deuteranopia")[0, 1] < 10


def test_color_distances_rejects_unknown_vision():
    with pytest.raises(ValueError, match="vision"):
        plots.color_distances(["#000000"], "tritanopia")


def test_distances_are_symmetric_with_zero_diagonal():
    d = plots.color_distances(plots.COLORS, "protanopia")
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0)


def test_figures_fit_the_books_column():
    fig, axes = plots.figure(ncols=3, width=plots.COLUMN_WIDTH / 3)
    assert len(axes) == 3 and fig.get_size_inches()[0] <= plots.COLUMN_WIDTH + 1e-9
    plt.close(fig)
    with pytest.raises(ValueError, match="at most 6.84 inches"):
        plots.figure(ncols=2, width=3.6)
    with pytest.raises(ValueError, match="ncols must be 1, 2 or 3"):
        plots.figure(ncols=4, width=1.0)


def test_decision_boundary_writes_each_label_on_its_point():
    X, y = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]), np.array([0, 0, 1])
    fig, ax = plots.figure()
    plots.decision_boundary(ax, lambda P: P[:, 1] - P[:, 0], X, y)
    assert [(t.get_position(), t.get_text()) for t in ax.texts] == [((0.0, 0.0), "0"), ((1.0, 1.0), "0"),
                                                                     ((0.0, 1.0), "1")]
    with pytest.raises(ValueError, match="n labels"):
        plots.label_points(ax, X, [0, 1])
    plt.close(fig)
