"""The Chapter 1 exercise checks: a correct answer passes; every kind of wrong answer fails readably."""
import numpy as np
import pytest

from deepwhy import checks
from student_answers import raises as _raises, returns_none as _none, stub as _stub


def step_ok(w, b, x, y):
    error = y - float(np.dot(w, x) + b > 0)
    return w + error * x, b + error


def unit_ok(a, b, y):
    A = np.stack([np.ones_like(a), a, b, a * a, b * b, a * b], axis=1)
    return np.linalg.lstsq(A, y, rcond=None)[0]


CASES = {
    "perceptron": (checks.check_perceptron_step, step_ok, [
        ("tie counts as 1", lambda w, b, x, y: (w + (y - float(w @ x + b >= 0)) * x,
                                                b + (y - float(w @ x + b >= 0))), "tie"),
        ("forgets the bias", lambda w, b, x, y: (step_ok(w, b, x, y)[0], b), "new b"),
        ("updates always", lambda w, b, x, y: (w + (2 * y - 1) * x, b + (2 * y - 1)), "already gets right"),
        ("wrong shape", lambda w, b, x, y: (step_ok(w, b, x, y)[0][None, :], step_ok(w, b, x, y)[1]),
         "expected shape"),
        ("returns only w", lambda w, b, x, y: step_ok(w, b, x, y)[0], "expected a tuple"),
    ]),
    "gmdh": (checks.check_gmdh_unit, unit_ok, [
        ("columns in another order", lambda a, b, y: unit_ok(a, b, y)[[0, 1, 2, 5, 3, 4]], "expected"),
        ("no intercept", lambda a, b, y: np.r_[0.0, np.linalg.lstsq(
            np.stack([a, b, a * a, b * b, a * b], 1), y, rcond=None)[0]], "design matrix"),
        ("wrong shape", lambda a, b, y: unit_ok(a, b, y)[:, None], "expected shape"),
        ("linear only", lambda a, b, y: np.linalg.lstsq(np.stack([np.ones_like(a), a, b], 1), y,
                                                         rcond=None)[0], "expected shape"),
    ]),
}


@pytest.mark.parametrize("name", CASES)
def test_a_correct_answer_passes(name, capsys):
    check, ok, _ = CASES[name]
    check(ok)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("name, label, wrong, expect",
                         [(n, lab, fn, e) for n, (_, _, ws) in CASES.items() for lab, fn, e in ws])
def test_a_wrong_answer_fails_with_a_readable_message(name, label, wrong, expect):
    check = CASES[name][0]
    with pytest.raises(checks.CheckFailed) as info:
        check(wrong)
    assert expect in str(info.value), (label, str(info.value))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("broken, expect", [(_stub, "not attempted"), (_none, "None"),
                                            (_raises, "IndexError"), (None, "got None instead of a function")])
def test_stubs_nones_and_errors_fail_readably(name, broken, expect):
    with pytest.raises(checks.CheckFailed) as info:
        CASES[name][0](broken)
    assert expect in str(info.value)
