"""Hidden cases and hints of deepwhy.checks: what the grader adds, and what a hint may say."""
import ast
import pathlib
import re

import numpy as np
import pytest

from deepwhy import checks
from test_checks import xor_numpy
from test_checks_ch1 import step_ok, unit_ok
from test_checks_ch2 import linear_ok, tanh_ok, xent_ok
from test_checks_ch3 import momentum_ok, nesterov_ok, rmsprop_ok
from test_checks_ch4 import dropout_ok, mutual_information_ok, reparameterize_ok
from test_checks_ch5 import good_tree_compose, good_unit_shares
from test_checks_ch6 import straight_right, variance_right
from test_checks_ch7 import good_effective_number, good_relative_error

CORRECT = [
    (checks.check_xor_by_hand, xor_numpy),
    (checks.check_perceptron_step, step_ok), (checks.check_gmdh_unit, unit_ok),
    (checks.check_tanh_backward, tanh_ok), (checks.check_linear_backward, linear_ok),
    (checks.check_softmax_cross_entropy_backward, xent_ok),
    (checks.check_momentum_step, momentum_ok), (checks.check_nesterov_step, nesterov_ok),
    (checks.check_rmsprop_step, rmsprop_ok),
    (checks.check_reparameterize, reparameterize_ok), (checks.check_dropout_layer, dropout_ok),
    (checks.check_mutual_information_bits, mutual_information_ok),
    (checks.check_unit_shares, good_unit_shares), (checks.check_tree_compose, good_tree_compose),
    (checks.check_parity_gradient_variance, variance_right), (checks.check_straight_through, straight_right),
    (checks.check_relative_error_at, good_relative_error), (checks.check_effective_number, good_effective_number),
]


@pytest.fixture
def hidden():
    """Turn hidden cases on for one test, and off again afterwards."""
    yield checks.use_hidden_cases
    checks.use_hidden_cases(None)


def test_every_check_has_a_correct_answer_here():
    names = {name for name in dir(checks) if name.startswith("check_")}
    assert names == {check.__name__ for check, _ in CORRECT}


@pytest.mark.parametrize("check, ok", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass_the_hidden_cases_of_any_seed(check, ok, hidden, capsys):
    for seed in (0, 1, 2**31 - 1):
        hidden(seed)
        check(ok)
    assert capsys.readouterr().out.count("(and 3 hidden cases)") == 3


def test_an_answer_fitted_to_the_public_cases_fails_a_hidden_one(hidden, capsys):
    public = {(3, 4), (1, 7), (6, 2)}

    def memorized(dA, Z):
        return tanh_ok(dA, Z) if dA.shape in public else np.zeros_like(dA)

    checks.check_tanh_backward(memorized)            # the fixed cases alone cannot tell
    hidden(12345)
    with pytest.raises(checks.CheckFailed, match=r"\(a hidden case\)") as info:
        checks.check_tanh_backward(memorized)
    assert "hint:" in str(info.value)                # hidden cases keep the feedback


def test_the_same_seed_draws_the_same_cases(hidden):
    seen = {0: [], 1: []}
    for run in (0, 1):
        hidden(7)
        checks.check_linear_backward(lambda dZ, A, W: seen[run].append(A.shape) or linear_ok(dZ, A, W))
    assert seen[0] == seen[1] and len(seen[0]) == 3 + checks.HIDDEN_CASES


def test_use_hidden_cases_validates_its_seed():
    for bad in (-1, 1.5, "7", True):
        with pytest.raises(ValueError, match="seed"):
            checks.use_hidden_cases(bad)


# -- hints ---------------------------------------------------------------------------------

def _hints() -> list[str]:
    """Every hint checks.py can print: ``hint=`` arguments, second arguments of fail(), ``hint = ...``."""
    tree = ast.parse(pathlib.Path(checks.__file__).read_text(encoding="utf-8"))
    nodes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            nodes += [k.value for k in node.keywords if k.arg == "hint"]
            if getattr(node.func, "id", None) == "fail" and len(node.args) > 1:
                nodes.append(node.args[1])
            if getattr(node.func, "id", None) == "_ch3_check_rule":
                nodes.append(node.args[5])
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") in ("hint", "hints") for t in node.targets):
            nodes.append(node.value)
    texts = []
    for n in nodes:
        texts += [c.value for c in ast.walk(n) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return [t for t in texts if len(t) > 20]


CODE = [r"\b(np|numpy|torch)\.\w+\s*\(", r"\*\*", r"\.T\b", r"\.(sum|mean|std|max|apply)\(", r"\b\w+\s*=\s*[\w(\[]",
        r"\b(exp|log2?|sqrt|abs)\(", r" @ "]


def test_there_are_hints_to_review():
    assert len(_hints()) >= 30


@pytest.mark.parametrize("pattern", CODE)
def test_no_hint_writes_the_solutions_code(pattern):
    offending = [h for h in _hints() if re.search(pattern, h)]
    assert offending == []
