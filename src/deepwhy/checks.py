"""Exercise checks with feedback a student can act on.

Each ``check_*`` function runs a student's function on cases the student has not seen,
compares with a reference, and prints ``✓ correct`` or ``✗ for input …, expected …, got …``
with a hint. On failure it raises :class:`CheckFailed` (an ``AssertionError``) carrying the
same message. A ``None``, a stub that raises ``NotImplementedError``, a wrong shape, or an
error inside the student's code all give one readable message, not a long traceback.

Used in: the Exercises section of every chapter, and ``python -m deepwhy.classroom grade``.
"""
from __future__ import annotations

import numpy as np
import torch


class CheckFailed(AssertionError):
    """A student's answer did not pass a check; the message says why and what to try."""

    def _render_traceback_(self):  # IPython shows just this instead of a traceback
        return [f"CheckFailed: {self}"]


def _short(x, limit: int = 120) -> str:
    """Return a compact one-line description of an array-like value."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        text = np.array2string(x, precision=4, suppress_small=True, threshold=12, max_line_width=10_000)
        text = " ".join(text.split())
        text = f"array{x.shape} {text}" if x.ndim else text
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(message: str, hint: str | None = None):
    """Print ``✗ message`` (and the hint) and raise :class:`CheckFailed` with the same text."""
    __tracebackhide__ = True
    text = message + (f"\n  hint: {hint}" if hint else "")
    print("✗ " + text)
    raise CheckFailed(text) from None


def passed(what: str) -> None:
    """Print the success line of a check."""
    print(f"✓ correct: {what}")


def call_student(fn, *args, exercise: str = "this exercise", describe: str | None = None):
    """Call ``fn(*args)`` and return its result, turning every way it can go wrong into one readable failure."""
    __tracebackhide__ = True
    if fn is None:
        fail(f"{exercise}: got None instead of a function.", "pass the function itself, e.g. check(my_fn), not check(my_fn()).")
    if not callable(fn):
        fail(f"{exercise}: expected a function, got {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError as e:
        fail(f"{exercise}: not attempted yet ({e}).", "replace the `raise NotImplementedError` line with your code.")
    except Exception as e:  # noqa: BLE001 - any error in student code becomes feedback
        where = describe or ", ".join(_short(a, 60) for a in args)
        fail(f"{exercise}: your function raised {type(e).__name__}: {e}\n  for input {where}")


def to_numpy(x, name: str = "the result") -> np.ndarray:
    """Return ``x`` as a float64 numpy array, or fail with a message if it is not array-like."""
    __tracebackhide__ = True
    if x is None:
        fail(f"{name} is None.", "did you forget a `return` statement?")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        fail(f"{name} is not a number or an array: got {type(x).__name__}.")


def compare(got, expected, *, inputs: str, exercise: str, atol: float = 1e-6, rtol: float = 1e-6,
            hint: str | None = None, name: str = "the result") -> None:
    """Fail unless ``got`` has ``expected``'s shape and matches it to ``atol``/``rtol``."""
    __tracebackhide__ = True
    g = to_numpy(got, name)
    e = to_numpy(expected, "the reference")
    if g.shape != e.shape:
        fail(f"{exercise}: for input {inputs}, expected shape {e.shape}, got shape {g.shape}.", hint)
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        fail(f"{exercise}: for input {inputs},\n  expected {_short(e)},\n  got      {_short(g)}", hint)


# --------------------------------------------------------------------------------------
# Introduction
# --------------------------------------------------------------------------------------

def _xor_cases():
    rng = np.random.default_rng(12345)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    yield corners
    yield corners[[3, 1, 2, 0]]
    yield corners[rng.integers(0, 4, size=9)]


def check_xor_by_hand(fn) -> None:
    """Check a hand-wired XOR network: ``fn(X)`` takes (n, 2) inputs in {0,1} and returns (n,) or (n, 1) outputs in {0,1}.

    Used in: the introduction's worked exercise.
    """
    __tracebackhide__ = True
    ex = "Exercise 0.1"
    for X in _xor_cases():
        out = to_numpy(call_student(fn, X.copy(), exercise=ex), "xor_by_hand(X)")
        expected = (X[:, 0] != X[:, 1]).astype(np.float64)
        if out.shape == (len(X), 1):
            out = out[:, 0]
        compare(out, expected, inputs=_short(X), exercise=ex,
                hint="XOR = OR and not AND: one hidden unit for OR, one for AND, output = OR - AND > 0.5.")
    passed("your two threshold units compute XOR on every input, in any order")
