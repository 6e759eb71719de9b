"""Synthetic tasks the chapters learn: logic gates, and more as chapters need them.

Every function that draws random numbers takes ``seed`` and uses its own generator.
"""
from __future__ import annotations

import torch

from ._validate import one_of

_GATE_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
_GATE_OUTPUTS = {
    "and": [0.0, 0.0, 0.0, 1.0],
    "or": [0.0, 1.0, 1.0, 1.0],
    "xor": [0.0, 1.0, 1.0, 0.0],
    "nand": [1.0, 1.0, 1.0, 0.0],
}


def logic_gate(name: str, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for a two-input logic gate: X is (4, 2) in {0,1}, y is (4, 1).

    Args:
        name: ``"and"``, ``"or"``, ``"xor"`` or ``"nand"``.
        dtype: a floating torch dtype.

    Used in: the introduction, history (perceptron, backprop revival), why depth.
    """
    one_of("name", name, _GATE_OUTPUTS)
    X = torch.tensor(_GATE_INPUTS, dtype=dtype)
    y = torch.tensor(_GATE_OUTPUTS[name], dtype=dtype).unsqueeze(1)
    return X, y


def xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for XOR: X is (4, 2) in {0,1}, y is (4, 1) with y = x1 XOR x2."""
    return logic_gate("xor", dtype)


def and_gate(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for AND, as :func:`logic_gate`."""
    return logic_gate("and", dtype)


def or_gate(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for OR, as :func:`logic_gate`."""
    return logic_gate("or", dtype)


def inverse_xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(y, X)`` for the inverse of XOR, a non-function: y is (4, 1), X is (4, 2).

    Each output value of XOR has two preimages, (0,0) and (1,1) for 0, and (0,1) and
    (1,0) for 1, so "predict the input from the output" has no single right answer.

    Used in: why depth (non-functions), randomness (one input, many outputs).
    """
    X, y = xor(dtype)
    return y, X
