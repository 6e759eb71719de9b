"""Tests of the chapter-6 exercise checks: right answers pass, every kind of wrong answer fails readably."""
import itertools

import numpy as np
import pytest
import torch

from deepwhy import checks

# ----------------------------------------------------------------------------- Exercise 6.1


def variance_right(J, X):
    d = X.shape[1]
    C = []
    for v in itertools.product([0, 1], repeat=d):
        chi = np.prod(np.where(np.array(v, dtype=bool), X, 1.0), axis=1)
        C.append((chi[:, None] * J).mean(axis=0))
    C = np.array(C)
    return ((C - C.mean(axis=0)) ** 2).sum(axis=1).mean()


def variance_sum_not_mean(J, X):
    return variance_right(J, X) * 2 ** X.shape[1]


def variance_skips_empty_subset(J, X):
    d = X.shape[1]
    C = []
    for v in itertools.product([0, 1], repeat=d):
        if not any(v):
            continue
        chi = np.prod(np.where(np.array(v, dtype=bool), X, 1.0), axis=1)
        C.append((chi[:, None] * J).mean(axis=0))
    C = np.array(C)
    return ((C - C.mean(axis=0)) ** 2).sum(axis=1).mean()


def variance_per_coordinate(J, X):
    d = X.shape[1]
    C = np.array([(np.prod(np.where(np.array(v, dtype=bool), X, 1.0), axis=1)[:, None] * J).mean(0)
                  for v in itertools.product([0, 1], repeat=d)])
    return ((C - C.mean(axis=0)) ** 2).mean(axis=0)  # an array, not one number


def test_variance_check_passes_a_right_answer(capsys):
    checks.check_parity_gradient_variance(variance_right)
    assert "✓ correct" in capsys.readouterr().out


def test_variance_check_accepts_torch_and_0d_results():
    checks.check_parity_gradient_variance(lambda J, X: torch.tensor(variance_right(J, X)))
    checks.check_parity_gradient_variance(lambda J, X: np.array([variance_right(J, X)]))


@pytest.mark.parametrize("fn, match", [
    (variance_sum_not_mean, "expected"),
    (variance_skips_empty_subset, "expected"),
    (variance_per_coordinate, "expected one number"),
    (lambda J, X: None, "is None"),
    (lambda J, X: {"variance": 0.5}, "not a number"),
])
def test_variance_check_rejects_wrong_answers(fn, match):
    with pytest.raises(checks.CheckFailed, match=match):
        checks.check_parity_gradient_variance(fn)


# ----------------------------------------------------------------------------- Exercise 6.2


class _Straight(torch.autograd.Function):
    @staticmethod
    def forward(ctx, r, levels):
        idx = torch.clamp(torch.searchsorted(levels, r.contiguous(), right=True) - 1, min=0)
        return levels[idx]

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


def straight_right(r, levels):
    return _Straight.apply(r, levels)


def straight_detach_trick(r, levels):
    idx = torch.clamp(torch.searchsorted(levels, r.detach().contiguous(), right=True) - 1, min=0)
    return r + (levels[idx] - r).detach()


class _ZeroGrad(_Straight):
    @staticmethod
    def backward(ctx, grad_output):
        return torch.zeros_like(grad_output), None


class _RoundNearest(_Straight):
    @staticmethod
    def forward(ctx, r, levels):
        return levels[(r[..., None] - levels).abs().argmin(dim=-1)]


class _BadBackwardArity(_Straight):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_straight_through_check_passes_right_answers(capsys):
    checks.check_straight_through(straight_right)
    checks.check_straight_through(straight_detach_trick)
    assert capsys.readouterr().out.count("✓ correct") == 2


@pytest.mark.parametrize("fn, match", [
    (_ZeroGrad.apply, "backward pass"),
    (_RoundNearest.apply, "forward pass"),
    (lambda r, levels: r, "forward pass"),
    (lambda r, levels: straight_right(r, levels).detach(), "does not require a gradient"),
    (lambda r, levels: straight_right(r, levels).flatten()[:3], "shape"),
    (lambda r, levels: straight_right(r, levels).detach().numpy(), "expected a torch.Tensor"),
    (lambda r, levels: None, "expected a torch.Tensor"),
    (_BadBackwardArity.apply, "backward pass raised"),
])
def test_straight_through_check_rejects_wrong_answers(fn, match):
    with pytest.raises(checks.CheckFailed, match=match):
        checks.check_straight_through(fn)


@pytest.mark.parametrize("check, broken, error", [
    (checks.check_parity_gradient_variance, lambda J, X: J @ X, "ValueError"),
    (checks.check_straight_through, lambda r, levels: r @ levels, "RuntimeError"),
])
def test_checks_report_stubs_none_and_errors(check, broken, error):
    def stub(*args):
        raise NotImplementedError("write your function")

    with pytest.raises(checks.CheckFailed, match="not attempted yet"):
        check(stub)
    with pytest.raises(checks.CheckFailed, match=f"raised {error}"):
        check(broken)
    with pytest.raises(checks.CheckFailed, match="got None instead of a function"):
        check(None)
