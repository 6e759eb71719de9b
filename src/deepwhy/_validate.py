"""Small argument checks shared by the package: each raises a ValueError that names
the argument, the value it got and what was expected (scikit-learn style)."""
from __future__ import annotations

import numbers


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive_float(name: str, value, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is > 0 (or >= 0)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = value >= 0 if allow_zero else value > 0
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return float(value)


def one_of(name: str, value, options) -> str:
    """Return ``value``, or raise ValueError unless it is one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def sizes(name: str, value) -> list[int]:
    """Return layer sizes as a list of ints: at least 2 entries, each a positive integer."""
    try:
        out = list(value)
    except TypeError:
        raise ValueError(f"{name} must be a list of at least 2 positive integers, got {value!r}") from None
    if len(out) < 2:
        raise ValueError(f"{name} must have at least 2 entries (input and output width), got {value!r}")
    for s in out:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"{name} must contain positive integers only, got {value!r}")
    return [int(s) for s in out]
