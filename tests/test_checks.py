"""The core of deepwhy.checks (fail, passed, call_student, to_numpy, compare) and check_xor_by_hand."""
import numpy as np
import pytest
import torch

from deepwhy import checks
from deepwhy.checks import CheckFailed


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return str(info.value)


# -- the core -----------------------------------------------------------------------------

def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)


def test_fail_prints_the_message_and_hint_and_raises_it(capsys):
    msg = _message(checks.fail, "Exercise 9.1: wrong sign.", hint="flip it")
    assert msg == "Exercise 9.1: wrong sign.\n  hint: flip it"
    assert capsys.readouterr().out == "✗ Exercise 9.1: wrong sign.\n  hint: flip it\n"


def test_ipython_shows_one_line_after_fail_printed_the_details():
    with pytest.raises(CheckFailed) as info:
        checks.fail("Exercise 9.1: wrong sign.", hint="flip it")
    assert info.value._render_traceback_() == ["CheckFailed: Exercise 9.1: wrong sign."]
    # Raised directly, nothing was printed: IPython shows the whole message.
    assert CheckFailed("a\nb")._render_traceback_() == ["CheckFailed: a\nb"]


def test_passed_prints_the_verdict(capsys):
    checks.passed("all cases")
    assert capsys.readouterr().out == "✓ correct: all cases\n"


def test_call_student_returns_the_result():
    assert checks.call_student(lambda a, b: a + b, 2, 3) == 5


def test_call_student_none_and_non_callable():
    assert "got None instead of a function" in _message(checks.call_student, None, exercise="Ex")
    assert "expected a function, got int" in _message(checks.call_student, 3, exercise="Ex")


def test_call_student_stub_is_not_attempted_without_repeating_the_stub_message():
    def stub(x):
        raise NotImplementedError("Exercise 9.1: write your code here")

    msg = _message(checks.call_student, stub, 1, exercise="Exercise 9.1")
    assert msg.startswith("Exercise 9.1: not attempted yet.")
    assert msg.count("Exercise 9.1") == 1


def test_call_student_keeps_other_not_implemented_messages():
    def helper_missing(x):
        raise NotImplementedError("my helper")

    assert "not attempted yet (my helper)" in _message(checks.call_student, helper_missing, 1, exercise="Ex")


def test_call_student_turns_an_exception_into_one_message():
    def broken(x):
        return x[5]

    msg = _message(checks.call_student, broken, np.zeros(2), exercise="Exercise 9.1")
    assert "your function raised IndexError" in msg and "for input" in msg
    assert len(msg.splitlines()) <= 3


def test_to_numpy():
    assert checks.to_numpy(torch.ones(2, requires_grad=True)).dtype == np.float64
    assert checks.to_numpy([1, 2]).tolist() == [1.0, 2.0]
    assert "is None" in _message(checks.to_numpy, None, "f(x)")
    assert "not a number or an array: got str" in _message(checks.to_numpy, "abc")


def test_compare_accepts_equal_values_within_tolerance():
    checks.compare(np.array([1.0, 2.0]) + 1e-9, [1.0, 2.0], inputs="x", exercise="Ex")


def test_compare_reports_shape_and_values():
    msg = _message(checks.compare, np.zeros((2, 2)), np.zeros(4), inputs="x", exercise="Ex")
    assert "expected shape (4,), got shape (2, 2)" in msg
    msg = _message(checks.compare, [1.0, 5.0], [1.0, 2.0], inputs="x", exercise="Ex", hint="look again")
    assert "expected" in msg and "got" in msg and "hint: look again" in msg
    assert "expected" in _message(checks.compare, [np.nan], [1.0], inputs="x", exercise="Ex")


# -- check_xor_by_hand ---------------------------------------------------------------------

def xor_numpy(X):
    return (X[:, 0] != X[:, 1]).astype(float)


def xor_torch_column(X):
    X = torch.as_tensor(X)
    return ((X[:, 0] + X[:, 1]) == 1).float()[:, None]


def test_xor_accepts_correct_functions(capsys):
    checks.check_xor_by_hand(xor_numpy)
    checks.check_xor_by_hand(xor_torch_column)
    assert capsys.readouterr().out.count("✓ correct") == 2


def _stub(X):
    raise NotImplementedError("Exercise 1: write your code here")


@pytest.mark.parametrize("fn, expected", [
    (lambda X: np.maximum(X[:, 0], X[:, 1]), "expected"),                  # OR, not XOR
    (_stub, "not attempted yet"),
    (lambda X: None, "is None"),
    (lambda X: np.zeros((len(X), 2)), "expected shape"),
    (lambda X: X[:, 2], "your function raised IndexError"),
], ids=["wrong", "stub", "none", "wrong-shape", "raises"])
def test_xor_rejects_with_a_readable_message(fn, expected, capsys):
    msg = _message(checks.check_xor_by_hand, fn)
    assert expected in msg
    assert msg.startswith(("Exercise 1", "xor_by_hand(X)"))  # names the exercise or the function
    assert len(msg.splitlines()) <= 4
    assert "✗ " + msg in capsys.readouterr().out
