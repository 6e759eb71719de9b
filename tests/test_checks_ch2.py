"""The Chapter 2 exercise checks: a correct answer passes; every kind of wrong answer fails readably."""
import numpy as np
import pytest

from deepwhy import checks
from student_answers import raises as _raises, returns_none as _none, stub as _stub


def tanh_ok(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)


def linear_ok(dZ, A, W):
    return dZ @ W.T, A.T @ dZ, dZ.sum(axis=0)


def xent_ok(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


CASES = {
    "tanh": (checks.check_tanh_backward, tanh_ok, [
        ("uses the output formula", lambda dA, Z: dA * (1 - Z ** 2), "the input Z, not the output"),
        ("transposed", lambda dA, Z: (dA * (1 - np.tanh(Z) ** 2)).T, "expected shape"),
        ("matrix product", lambda dA, Z: dA @ (1 - np.tanh(Z) ** 2).T, "expected shape"),
    ]),
    "linear": (checks.check_linear_backward, linear_ok, [
        ("dW transposed", lambda dZ, A, W: (dZ @ W.T, dZ.T @ A, dZ.sum(axis=0)), "dW"),
        ("db not summed", lambda dZ, A, W: (dZ @ W.T, A.T @ dZ, dZ), "db"),
        ("db averaged", lambda dZ, A, W: (dZ @ W.T, A.T @ dZ, dZ.mean(axis=0)), "db"),
        ("only dA", lambda dZ, A, W: dZ @ W.T, "expected a tuple"),
        ("dA with W instead of W.T", lambda dZ, A, W: (dZ @ W.T @ W @ W.T, A.T @ dZ, dZ.sum(0)), "dA"),
    ]),
    "xent": (checks.check_softmax_cross_entropy_backward, xent_ok, [
        ("no 1/n", lambda y, t: xent_ok(y, t) * len(t), "mean over the n examples, not a sum"),
        ("forgot the one-hot", lambda y, t: xent_ok(y, t) + np.eye(y.shape[1])[t] / len(t), "one-hot"),
        ("overflows", lambda y, t: (np.exp(y) / np.exp(y).sum(1, keepdims=True) - np.eye(y.shape[1])[t])
         / len(t), "nan or inf"),
        ("transposed", lambda y, t: xent_ok(y, t).T, "expected shape"),
    ]),
}


@pytest.mark.parametrize("name", CASES)
def test_correct_answer_passes(name, capsys):
    check, ok, _ = CASES[name]
    check(ok)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("bad,match", [(_stub, "not attempted yet"), (_none, "None"),
                                       (_raises, "raised IndexError"), (None, "got None instead of a function"),
                                       ("text", "expected a function")])
def test_generic_wrong_answers_fail_readably(name, bad, match, capsys):
    check, _, _ = CASES[name]
    with pytest.raises(checks.CheckFailed, match=match):
        check(bad)
    assert "✗" in capsys.readouterr().out


@pytest.mark.parametrize("name,i", [(n, i) for n, (_, _, wrong) in CASES.items() for i in range(len(wrong))])
def test_typical_mistakes_fail_with_a_hint(name, i, capsys):
    check, _, wrong = CASES[name]
    _, fn, match = wrong[i]
    with np.errstate(all="ignore"):
        with pytest.raises(checks.CheckFailed, match=match) as info:
            check(fn)
    assert "hint" in str(info.value)
    assert "Traceback" not in capsys.readouterr().out


def test_checks_use_shapes_the_notebook_does_not():
    """The notebook's examples use 4x3 inputs; the checks must include non-square, n=1 cases."""
    seen = []

    def spy(dZ, A, W):
        seen.append((dZ.shape, A.shape, W.shape))
        return linear_ok(dZ, A, W)

    checks.check_linear_backward(spy)
    assert any(a[0] == 1 for _, a, _ in seen)
    assert all(w[0] != w[1] for _, _, w in seen)
