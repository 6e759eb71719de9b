"""Suite-wide pytest hooks: the per-notebook time budget.

nbval runs each notebook cell as a test item. This hook adds up the setup, call and
teardown time of every cell (kernel start included) per notebook, prints one line per
notebook at the end, and fails the run when a notebook exceeds NOTEBOOK_BUDGET_S or the
whole book exceeds BOOK_BUDGET_S.
"""
from __future__ import annotations

import collections
import os

import pytest

NOTEBOOK_BUDGET_S = float(os.environ.get("DEEPWHY_NOTEBOOK_BUDGET_S", 90))
BOOK_BUDGET_S = float(os.environ.get("DEEPWHY_BOOK_BUDGET_S", 480))

_seconds: dict[str, float] = collections.defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def _over_budget():
    over = [(p, s) for p, s in _seconds.items() if s > NOTEBOOK_BUDGET_S]
    total = sum(_seconds.values())
    return over, total


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    tr = terminalreporter
    tr.section("notebook run times")
    width = max(len(p) for p in _seconds)
    for path in sorted(_seconds):
        flag = "  OVER BUDGET" if _seconds[path] > NOTEBOOK_BUDGET_S else ""
        tr.write_line(f"{path:<{width}}  {_seconds[path]:6.1f}{flag}")
    over, total = _over_budget()
    tr.write_line(f"{'all notebooks':<{width}}  {total:6.1f}  (budget {NOTEBOOK_BUDGET_S:.0f} s each, "
                  f"{BOOK_BUDGET_S:.0f} s in all)")
    if over or total > BOOK_BUDGET_S:
        tr.write_line("FAILED: the notebook time budget was exceeded", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    over, total = _over_budget()
    if (over or total > BOOK_BUDGET_S) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
