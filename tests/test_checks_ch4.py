"""The Chapter 4 exercise checks: a correct answer passes; every kind of wrong answer fails readably."""
import numpy as np
import pytest
import torch

from deepwhy import checks
from student_answers import raises as _raises, returns_none as _returns_none, stub as _stub

# --------------------------------------------------------------------------------------
# Exercise 4.1: the reparameterization trick
# --------------------------------------------------------------------------------------


def reparameterize_ok(mu, log_var, eps):
    return mu + torch.exp(0.5 * log_var) * eps


def reparameterize_variance_as_std(mu, log_var, eps):
    return mu + torch.exp(log_var) * eps


def reparameterize_new_noise(mu, log_var, eps):
    return mu + torch.exp(0.5 * log_var) * torch.randn_like(eps)


def reparameterize_detached(mu, log_var, eps):
    return (mu + torch.exp(0.5 * log_var) * eps).detach()


def reparameterize_numpy(mu, log_var, eps):
    return mu.detach().numpy() + np.exp(0.5 * log_var.detach().numpy()) * eps.numpy()


def reparameterize_wrong_shape(mu, log_var, eps):
    return reparameterize_ok(mu, log_var, eps).reshape(-1)


def test_reparameterize_correct_passes(capsys):
    checks.check_reparameterize(reparameterize_ok)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, message", [
    (reparameterize_variance_as_std, "not of the standard deviation"),
    (reparameterize_new_noise, "do not draw new noise"),
    (reparameterize_detached, "cut off from mu and log_var"),
    (reparameterize_numpy, "cut off from mu and log_var"),
    (reparameterize_wrong_shape, "expected shape"),
])
def test_reparameterize_wrong_answers_fail_readably(fn, message):
    with pytest.raises(checks.CheckFailed, match="Exercise 4.1") as info:
        checks.check_reparameterize(fn)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------
# Exercise 4.2: a dropout layer
# --------------------------------------------------------------------------------------


def dropout_ok(h, p, training, generator):
    if not training or p == 0:
        return h
    keep = torch.rand(h.shape, generator=generator) >= p
    return h * keep / (1 - p)


def dropout_bernoulli_ok(h, p, training, generator):
    """Also correct: a different way to draw the mask."""
    if not training:
        return h.clone()
    keep = torch.bernoulli(torch.full(h.shape, 1 - p, dtype=h.dtype), generator=generator)
    return h * keep / (1 - p)


def dropout_scaled_at_eval(h, p, training, generator):
    if training:
        return h * (torch.rand(h.shape, generator=generator) >= p)
    return h * (1 - p)


def dropout_no_scaling(h, p, training, generator):
    if not training:
        return h
    return h * (torch.rand(h.shape, generator=generator) >= p)


def dropout_keeps_p(h, p, training, generator):
    if not training or p == 0:
        return h
    keep = torch.rand(h.shape, generator=generator) < p
    return h * keep / (1 - p)


def dropout_global_generator(h, p, training, generator):
    if not training or p == 0:
        return h
    return h * (torch.rand(h.shape) >= p) / (1 - p)


def dropout_in_place(h, p, training, generator):
    if not training or p == 0:
        return h
    h *= (torch.rand(h.shape, generator=generator) >= p) / (1 - p)
    return h


def dropout_wrong_shape(h, p, training, generator):
    out = dropout_ok(h, p, training, generator)
    return out.reshape(-1) if training and p > 0 else out


def test_dropout_correct_answers_pass(capsys):
    checks.check_dropout_layer(dropout_ok)
    checks.check_dropout_layer(dropout_bernoulli_ok)
    assert capsys.readouterr().out.count("✓ correct") == 2


@pytest.mark.parametrize("fn, message", [
    (dropout_scaled_at_eval, "evaluation mode dropout does nothing"),
    (dropout_no_scaling, "scale the entries you keep"),
    (dropout_keeps_p, "expected about p"),
    (dropout_global_generator, "the generator you are given"),
    (dropout_in_place, "in place"),
    (dropout_wrong_shape, "expected shape"),
])
def test_dropout_wrong_answers_fail_readably(fn, message):
    with pytest.raises(checks.CheckFailed, match="Exercise 4.2") as info:
        checks.check_dropout_layer(fn)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------
# Exercise 4.3: mutual information from counts
# --------------------------------------------------------------------------------------


def mutual_information_ok(counts):
    P = np.asarray(counts, dtype=float)
    P = P / P.sum()
    outer = P.sum(1, keepdims=True) * P.sum(0, keepdims=True)
    mask = P > 0
    return float(np.sum(P[mask] * np.log2(P[mask] / outer[mask])))


def mutual_information_nats(counts):
    return mutual_information_ok(counts) * np.log(2)


def mutual_information_with_zeros(counts):
    P = np.asarray(counts, dtype=float)
    P = P / P.sum()
    outer = P.sum(1, keepdims=True) * P.sum(0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(P * np.log2(P / outer)))


def mutual_information_unnormalized(counts):
    P = np.asarray(counts, dtype=float)
    outer = P.sum(1, keepdims=True) * P.sum(0, keepdims=True)
    mask = P > 0
    return float(np.sum(P[mask] * np.log2(P[mask] / outer[mask])))


def mutual_information_per_cell(counts):
    P = np.asarray(counts, dtype=float)
    return P / P.sum()


def test_mutual_information_correct_passes(capsys):
    checks.check_mutual_information_bits(mutual_information_ok)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, message", [
    (mutual_information_nats, "log base 2"),
    (mutual_information_with_zeros, "leave empty cells out"),
    (mutual_information_unnormalized, "joint distribution"),
    (mutual_information_per_cell, "expected shape"),
])
def test_mutual_information_wrong_answers_fail_readably(fn, message):
    with pytest.raises(checks.CheckFailed, match="Exercise 4.3") as info:
        checks.check_mutual_information_bits(fn)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------
# What every check does with a stub, None, a non-function, and code that raises
# --------------------------------------------------------------------------------------

CHECKS = [checks.check_reparameterize, checks.check_dropout_layer, checks.check_mutual_information_bits]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn, message", [
    (_stub, "not attempted yet"),
    (_returns_none, "None"),
    (_raises, "raised IndexError"),
    (None, "got None instead of a function"),
    (42, "expected a function"),
])
def test_every_check_handles_stubs_none_and_errors(check, fn, message):
    with pytest.raises(checks.CheckFailed) as info:
        check(fn)
    assert message in str(info.value)
