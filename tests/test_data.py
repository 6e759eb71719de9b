import pytest
import torch

from deepwhy import data


@pytest.mark.parametrize("name, y", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]),
                                     ("xor", [0, 1, 1, 0]), ("nand", [1, 1, 1, 0])])
def test_logic_gates_truth_tables(name, y):
    X, t = data.logic_gate(name)
    assert X.shape == (4, 2) and t.shape == (4, 1)
    assert t[:, 0].tolist() == y
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_shortcuts_and_dtype():
    X, y = data.xor(torch.float64)
    assert X.dtype == torch.float64 and y[:, 0].tolist() == [0, 1, 1, 0]
    assert data.and_gate()[1][:, 0].tolist() == [0, 0, 0, 1]
    assert data.or_gate()[1][:, 0].tolist() == [0, 1, 1, 1]


def test_inverse_xor_has_two_preimages_per_output():
    y, X = data.inverse_xor()
    assert y.shape == (4, 1) and X.shape == (4, 2)
    for v in (0.0, 1.0):
        assert int((y[:, 0] == v).sum()) == 2


def test_unknown_gate_is_rejected():
    with pytest.raises(ValueError, match="name must be one of"):
        data.logic_gate("xnor")
