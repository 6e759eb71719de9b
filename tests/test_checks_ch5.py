"""The chapter 5 checks pass a correct answer and give a readable failure for wrong ones."""
import numpy as np
import pytest

from deepwhy import checks
from student_answers import raises, returns_none, stub


def good_unit_shares(v, H):
    work = np.abs(v) * H.std(axis=0)
    total = work.sum()
    return work / total if total > 0 else np.zeros_like(work)


def good_tree_compose(node, X):
    cols = [X[:, j] for j in range(X.shape[1])]
    while len(cols) > 1:
        cols = [node(cols[i], cols[i + 1]) for i in range(0, len(cols), 2)]
    return cols[0]


def _left_fold(node, X):  # a chain, not a tree
    h = X[:, 0]
    for j in range(1, X.shape[1]):
        h = node(h, X[:, j])
    return h


def _nan_when_nobody_varies(v, H):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(v) * H.std(0) / (np.abs(v) * H.std(0)).sum()


def _swapped(node, X):  # node(right, left)
    return good_tree_compose(lambda a, b: node(b, a), X)


CASES = [
    (checks.check_unit_shares, good_unit_shares, [
        lambda v, H: np.abs(v) / np.abs(v).sum(),                       # weights only: a constant unit counts
        lambda v, H: v * H.std(0) / (v * H.std(0)).sum(),               # forgot the absolute value
        _nan_when_nobody_varies,
        lambda v, H: good_unit_shares(v, H)[None, :],                   # wrong shape
    ]),
    (checks.check_tree_compose, good_tree_compose, [
        _left_fold,
        _swapped,
        lambda node, X: np.stack([good_tree_compose(node, X)] * 2, axis=1),  # wrong shape
    ]),
]


@pytest.mark.parametrize("check, good, wrongs", CASES)
def test_a_correct_answer_passes(check, good, wrongs, capsys):
    check(good)
    assert "✓ correct" in capsys.readouterr().out


def test_tree_compose_accepts_a_column_vector(capsys):
    checks.check_tree_compose(lambda node, X: good_tree_compose(node, X)[:, None])
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("check, good, wrongs", CASES)
def test_wrong_answers_fail_readably(check, good, wrongs):
    for wrong in wrongs:
        with pytest.raises(checks.CheckFailed) as info:
            check(wrong)
        text = str(info.value)
        assert "Exercise 5." in text and len(text) < 1500


@pytest.mark.parametrize("check", [checks.check_unit_shares, checks.check_tree_compose])
@pytest.mark.parametrize("bad, words", [(stub, "not attempted"), (returns_none, "None"),
                                        (raises, "IndexError"), (None, "got None instead of a function")])
def test_stub_none_and_errors_fail_readably(check, bad, words):
    with pytest.raises(checks.CheckFailed) as info:
        check(bad)
    assert words in str(info.value)
