"""Suite-wide pytest hooks: the per-notebook time budget.

nbval runs each notebook cell as a test item. This hook adds up the setup, call and
teardown time of every cell (kernel start included) per notebook, prints one line per
notebook at the end, and fails the run when a notebook exceeds NOTEBOOK_BUDGET_S or the
whole book exceeds BOOK_BUDGET_S, or when a notebook's opening does not say "runs in about
N s". The stated N is measured on the course's reference machine (2 cores); where the measured
time differs from it by more than 1.5 times either way, the run prints a note but does not
fail, because a faster or slower laptop is no fault of the notebook.
"""
from __future__ import annotations

import collections
import json
import os
import re

import pytest

NOTEBOOK_BUDGET_S = float(os.environ.get("DEEPWHY_NOTEBOOK_BUDGET_S", 90))
BOOK_BUDGET_S = float(os.environ.get("DEEPWHY_BOOK_BUDGET_S", 480))

_seconds: dict[str, float] = collections.defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


_STATED = re.compile(r"runs in about (\d+(?:\.\d+)?) s")


def stated_seconds(path: str) -> float | None:
    """Return the N of "runs in about N s" in a notebook's first markdown cells, or None."""
    try:
        cells = json.loads(open(path, encoding="utf-8").read())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    for cell in [c for c in cells if c["cell_type"] == "markdown"][:3]:
        match = _STATED.search("".join(cell["source"]))
        if match:
            return float(match.group(1))
    return None


def _notes():
    """Return the notebooks whose stated time is off by more than 1.5 times either way."""
    out = []
    for path, seconds in sorted(_seconds.items()):
        stated = stated_seconds(path)
        if stated is not None and not stated / 1.5 <= seconds <= 1.5 * stated:
            out.append(f"{path} says it runs in about {stated:g} s (on the reference machine); "
                       f"here it took {seconds:.1f} s")
    return out


def _problems():
    """Return the budget problems: notebooks over budget or without a stated time."""
    out = []
    for path, seconds in sorted(_seconds.items()):
        if seconds > NOTEBOOK_BUDGET_S:
            out.append(f"{path} took {seconds:.1f} s, over the {NOTEBOOK_BUDGET_S:.0f} s budget")
        if stated_seconds(path) is None:
            out.append(f"{path} does not say 'runs in about N s' in its first markdown cells")
    total = sum(_seconds.values())
    if total > BOOK_BUDGET_S:
        out.append(f"all notebooks took {total:.1f} s, over the {BOOK_BUDGET_S:.0f} s budget")
    return out


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    tr = terminalreporter
    tr.section("notebook run times")
    width = max(len(p) for p in _seconds)
    tr.write_line(f"{'notebook':<{width}}  seconds  stated")
    for path in sorted(_seconds):
        stated = stated_seconds(path)
        tr.write_line(f"{path:<{width}}  {_seconds[path]:7.1f}  {'-' if stated is None else f'{stated:g}':>6}")
    total = sum(_seconds.values())
    tr.write_line(f"{'all notebooks':<{width}}  {total:7.1f}  (budget {NOTEBOOK_BUDGET_S:.0f} s each, "
                  f"{BOOK_BUDGET_S:.0f} s in all)")
    for note in _notes():
        tr.write_line(f"note: {note}", yellow=True)
    for problem in _problems():
        tr.write_line(f"FAILED: {problem}", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    if _problems() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
