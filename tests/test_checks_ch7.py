"""The chapter 7 checks pass a correct answer and give a readable failure for wrong ones."""
import numpy as np
import pytest

from deepwhy import checks
from student_answers import raises, returns_none, stub


def good_relative_error(pred, target, k):
    fp, ft = np.fft.fft(pred)[k], np.fft.fft(target)[k]
    return abs(fp - ft) / abs(ft)


def good_effective_number(angles, amplitudes, bin_deg):
    idx = np.floor((np.asarray(angles) + 180) / bin_deg).astype(int)
    mass = np.bincount(idx, weights=amplitudes)
    p = mass[mass > 0] / mass.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


CASES = [
    (checks.check_relative_error_at, good_relative_error, [
        lambda p, t, k: abs(np.fft.rfft(p)[k] - np.fft.rfft(t)[k]),  # forgot to divide
        lambda p, t, k: np.abs(np.fft.rfft(p) - np.fft.rfft(t)) / np.abs(np.fft.rfft(t)),  # all k: wrong shape
        lambda p, t, k: abs(abs(np.fft.rfft(p)[k]) - abs(np.fft.rfft(t)[k])) / abs(np.fft.rfft(t)[k]),  # moduli
    ]),
    (checks.check_effective_number, good_effective_number, [
        lambda a, w, b: float(len(np.unique(np.floor((np.asarray(a) + 180) / b)))),  # unweighted count of bins
        lambda a, w, b: np.ones(3),  # wrong shape
        lambda a, w, b: -good_effective_number(a, w, b),
    ]),
]


@pytest.mark.parametrize("check, good, wrongs", CASES)
def test_a_correct_answer_passes(check, good, wrongs, capsys):
    check(good)
    assert "✓ correct" in capsys.readouterr().out


@pytest.mark.parametrize("check, good, wrongs", CASES)
def test_wrong_answers_fail_with_a_readable_message(check, good, wrongs):
    for wrong in wrongs:
        with pytest.raises(checks.CheckFailed) as info:
            check(wrong)
        assert "Exercise 7." in str(info.value)


@pytest.mark.parametrize("check, good, wrongs", CASES)
@pytest.mark.parametrize("bad, words", [(stub, "not attempted"), (returns_none, "None"),
                                         (raises, "raised IndexError"), (None, "got None")])
def test_stubs_and_errors_fail_readably(check, good, wrongs, bad, words):
    with pytest.raises(checks.CheckFailed) as info:
        check(bad)
    assert words in str(info.value)
