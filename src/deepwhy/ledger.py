"""The claims ledger: each chapter records every claim it tests, with the number it measured.

A chapter calls :func:`claim` in a ``remove-cell`` cell right after the assert that backs it.
The value and the verdict are glued into the executed notebook with myst-nb, and the book's
"Claims ledger" page pastes them from there, so no measured number is ever typed by hand.

Keep ``key``, ``chapter``, ``text`` and ``experiment`` literal strings in the call: the ledger
page is assembled by reading them from the notebook source.

Used in: every chapter; the "Claims ledger" page.
"""
from __future__ import annotations

import numbers
import re

VERDICTS = ("reproduced", "nuanced", "not reproduced")
_KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

#: every claim recorded in this Python session, in order
RECORDS: list[dict] = []


def format_value(value, fmt: str = "{:.3g}") -> str:
    """Return ``value`` as text: numbers through ``fmt``, sequences joined by " / ", strings as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return fmt.format(value)
    try:
        return " / ".join(format_value(v, fmt) for v in value)
    except TypeError:
        raise ValueError(f"value must be a number, a string or a sequence of them, got {value!r}") from None


def claim(key: str, chapter: str, text: str, value, verdict: str, experiment: str | None = None,
          fmt: str = "{:.3g}", unit: str = "") -> dict:
    """Record one claim of a source article, the value measured for it, and the verdict.

    Args:
        key: a unique id, lowercase words joined by hyphens, e.g. ``"ch1-perceptron-xor"``.
        chapter: the chapter's short name, e.g. ``"History"``.
        text: the claim in one sentence, attributed ("Dettmers: ...").
        value: the measured number(s) that back the verdict, straight from the experiment.
        verdict: one of :data:`VERDICTS`.
        experiment: the label of the figure that shows it (``"fig-xor-width"``), if any.
        fmt: how numbers are written; ``unit`` is appended.

    Glues ``key`` (the value as text) and ``key-verdict``. Returns the record as a dict.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"key must be lowercase words joined by hyphens (e.g. 'ch1-xor-width'), got {key!r}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    for name, s in (("chapter", chapter), ("text", text)):
        if not isinstance(s, str) or not s.strip():
            raise ValueError(f"{name} must be a non-empty string, got {s!r}")
    shown = format_value(value, fmt) + (f" {unit}" if unit else "")
    record = {"key": key, "chapter": chapter, "text": text, "value": shown, "verdict": verdict,
              "experiment": experiment}
    RECORDS[:] = [r for r in RECORDS if r["key"] != key] + [record]
    try:
        from myst_nb import glue
    except ImportError:  # outside the book (e.g. Colab without myst-nb): record only
        return record
    glue(key, shown, display=False)
    glue(f"{key}-verdict", verdict, display=False)
    return record
