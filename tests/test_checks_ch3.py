"""The Chapter 3 exercise checks: a correct answer passes; every kind of wrong answer fails readably."""
import numpy as np
import pytest

from deepwhy import checks
from student_answers import raises as _raises, returns_none as _none, stub as _stub


def momentum_ok(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def nesterov_ok(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * (grad + momentum * velocity), velocity


def rmsprop_ok(param, grad, square_avg, lr, alpha, eps):
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def _in_place(param, grad, velocity, lr, momentum):
    """A correct answer that also overwrites its inputs: allowed."""
    velocity *= momentum
    velocity += grad
    param -= lr * velocity
    return param, velocity


CASES = {
    "momentum": (checks.check_momentum_step, momentum_ok, [
        ("plain gradient descent", lambda p, g, v, lr, mu: (p - lr * g, v), "decays by the momentum factor"),
        ("dampened velocity", lambda p, g, v, lr, mu: momentum_ok(p, (1 - mu) * g, v, lr, mu), "velocity"),
        ("Nesterov instead", nesterov_ok, "velocity"),
        ("velocity flattened", lambda p, g, v, lr, mu: (momentum_ok(p, g, v, lr, mu)[0],
                                                        momentum_ok(p, g, v, lr, mu)[1].ravel()[:1]), "shape"),
        ("only the parameter", lambda p, g, v, lr, mu: momentum_ok(p, g, v, lr, mu)[0], "expected a pair"),
        ("parameter transposed", lambda p, g, v, lr, mu: (momentum_ok(p, g, v, lr, mu)[0].T,
                                                          momentum_ok(p, g, v, lr, mu)[1]), "shape"),
    ]),
    "nesterov": (checks.check_nesterov_step, nesterov_ok, [
        ("heavy ball instead", momentum_ok, "looks ahead"),
        ("old velocity in the look-ahead", lambda p, g, v, lr, mu: (p - lr * (g + mu * v), mu * v + g), "the velocity you just updated"),
        ("returns None", _none, "returned None"),
    ]),
    "rmsprop": (checks.check_rmsprop_step, rmsprop_ok, [
        ("eps inside the root", lambda p, g, s, lr, a, e: (
            p - lr * g / np.sqrt(a * s + (1 - a) * g**2 + e), a * s + (1 - a) * g**2), "after taking the root"),
        ("no (1 - alpha) weight", lambda p, g, s, lr, a, e: (
            p - lr * g / (np.sqrt(a * s + g**2) + e), a * s + g**2), "square_avg"),
        ("alpha swapped", lambda p, g, s, lr, a, e: rmsprop_ok(p, g, s, lr, 1 - a, e), "square_avg"),
    ]),
}


@pytest.mark.parametrize("name", CASES)
def test_correct_answer_passes(name, capsys):
    check, ok, _ = CASES[name]
    check(ok)
    assert "✓ correct" in capsys.readouterr().out


def test_an_answer_that_overwrites_its_inputs_still_passes(capsys):
    checks.check_momentum_step(_in_place)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("name,label,wrong,needle",
                         [(n, lab, w, nd) for n, (_, _, ws) in CASES.items() for lab, w, nd in ws],
                         ids=lambda x: x if isinstance(x, str) else "")
def test_wrong_answers_fail_with_a_readable_message(name, label, wrong, needle, capsys):
    check = CASES[name][0]
    with pytest.raises(checks.CheckFailed) as err:
        check(wrong)
    message = str(err.value)
    assert needle in message, message
    assert "Exercise 3." in message
    assert "✗" in capsys.readouterr().out


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("bad,needle", [(_stub, "not attempted"), (_none, "returned None"),
                                        (_raises, "IndexError"), (None, "got None instead of a function")])
def test_stubs_and_broken_functions_fail_readably(name, bad, needle):
    with pytest.raises(checks.CheckFailed, match=needle):
        CASES[name][0](bad)
