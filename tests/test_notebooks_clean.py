"""Notebooks are committed without outputs: a reader's first run is the first run."""
import json
import pathlib
import re

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "book/ should hold the chapter notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have stored outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_every_figure_has_alt_text_and_folded_plotting_code(path):
    """A figure's cell says in words what the figure shows (for screen readers), and its plotting
    code starts folded in the book, so that the figure follows its experiment directly. An
    explorer's figure gets its words from the explorer's ``alt=`` (the book shows it as a flipbook)."""
    nb = json.loads(path.read_text())
    problems = []
    for i, c in enumerate(nb["cells"]):
        meta = c.get("metadata", {})
        if c["cell_type"] != "code" or "figure" not in meta.get("mystnb", {}):
            continue
        explorer_alt = re.search(r"explorer\([^)]*?\balt=", "".join(c["source"]), flags=re.S)
        if not str(meta["mystnb"].get("image", {}).get("alt", "")).strip() and not explorer_alt:
            problems.append(f"cell {i}: no alt text (metadata mystnb.image.alt, or alt= of an explorer)")
        if not {"hide-input", "remove-input"} & set(meta.get("tags", [])):
            problems.append(f"cell {i}: plotting code not folded (tag hide-input)")
    assert not problems, f"{path.name}: " + "; ".join(problems)
