"""Each chapter's summary agrees with the claims ledger, because it is generated from it.

A chapter's "## Summary" section shows its verdicts through one ``ledger.summary(...)`` call in a
cell tagged ``remove-input``, which lists every claim the chapter recorded under its verdict.
The typed prose of the summary may interpret, but it may not hand out verdicts of its own: a bold
verdict label ("**Reproduced.**", "**Held.**", "**Did not reproduce.**", ...) in the summary's
markdown fails this test, and so does a summary for a chapter name that no claim uses.
"""
import ast
import json
import pathlib
import re

import pytest

from deepwhy import ledger

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = [p for p in sorted((ROOT / "book").glob("*.ipynb")) if ledger.find_claims(p)]
VERDICT_LABEL = re.compile(r"\*\*(what\s+)?(held|reproduced|nuanced|did not reproduce|not reproduced|"
                           r"illustrat\w*|not tested|failed)\b[^*]*\*\*", re.I)


def _summary_cells(path):
    cells = json.loads(path.read_text())["cells"]
    start = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                  and re.search(r"^## Summary\s*$", "".join(c["source"]), re.M)), None)
    assert start is not None, f"{path.name} has no '## Summary' section"
    section = [cells[start]]
    for c in cells[start + 1:]:
        if c["cell_type"] == "markdown" and re.search(r"^#{1,2} ", "".join(c["source"]), re.M):
            break
        section.append(c)
    return section


def _summary_calls(source: str) -> list[ast.Call]:
    tree = ast.parse(source)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "summary" and getattr(n.func.value, "id", None) == "ledger"]


def test_there_are_chapters_with_claims():
    assert len(CHAPTERS) >= 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_summary_is_generated_from_the_ledger(path):
    section = _summary_cells(path)
    calls = [(c, call) for c in section if c["cell_type"] == "code"
             for call in _summary_calls("".join(c["source"]))]
    assert len(calls) == 1, f"{path.name}: the Summary section needs exactly one ledger.summary(...) call"
    cell, call = calls[0]
    assert "remove-input" in cell.get("metadata", {}).get("tags", []), \
        f"{path.name}: the ledger.summary cell must be tagged remove-input (readers see its output only)"
    chapter = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
    names = {c["chapter"] for c in ledger.find_claims(path)}
    assert chapter in names, f"{path.name}: ledger.summary({chapter!r}) names no chapter its claims use ({names})"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_summary_prose_hands_out_no_verdicts(path):
    for cell in _summary_cells(path):
        if cell["cell_type"] == "markdown":
            label = VERDICT_LABEL.search("".join(cell["source"]))
            assert not label, f"{path.name}: the summary's prose gives a verdict of its own: {label.group(0)!r}"
