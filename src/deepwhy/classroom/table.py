"""The instructor guide's table of every exercise in the book, with a rough time for each.

Used in: book/instructors.md and ``python -m deepwhy.classroom list``.
"""
from __future__ import annotations

import pathlib
import re

from .. import _validate
from . import myst
from .reading import ClassroomError, chapter_number, exercises, read_notebook, source


def rough_minutes(solution_lines: int) -> int:
    """Return a rough time for an exercise: 10 min plus 2 min per line of the reference solution, to 5 min.

    A rule of thumb from the length of the reference solution, not a measurement with students.
    Used in: the instructor guide's exercise table.
    """
    _validate.positive_int("solution_lines", solution_lines, minimum=0)
    return int(-(-(10 + 2 * solution_lines) // 5) * 5)


def book_notebooks(toc) -> list[pathlib.Path]:
    """Return the notebooks listed in a Jupyter Book ``_toc.yml``, in its order.

    Args:
        toc: path of ``_toc.yml``; its ``root:`` and ``file:`` entries are relative to its folder.

    Used in: the instructor guide's exercise table.
    """
    toc = pathlib.Path(toc)
    if not toc.is_file():
        raise ValueError(f"toc must be an existing _toc.yml file, got {str(toc)!r}")
    names = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)\s*$", toc.read_text(), flags=re.MULTILINE)
    paths = [toc.parent / (n if n.endswith(".ipynb") else n + ".ipynb") for n in names]
    return [p for p in paths if p.is_file()]


def plural(n, word: str) -> str:
    """Return "1 line", "2 lines": ``n`` and ``word``, plural unless n is 1."""
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def notebook_title(nb, path) -> str:
    """Return a chapter's name for tables: "Introduction", "6. Failure modes", or its title."""
    title = next((t for c in nb.cells if c.cell_type == "markdown"
                  for level, t in myst.headings(source(c)) if level == 1), pathlib.Path(path).stem)
    number = chapter_number(path)
    return "Introduction" if pathlib.Path(path).stem == "intro" else f"{number}. {title}" if number else title


def exercise_table(toc) -> str:
    """Return a MyST markdown table of every exercise of the book: chapter, title, check, points, rough time.

    Args:
        toc: path of the book's ``_toc.yml``; only notebooks listed there are included.

    A notebook whose exercise format is broken gets a row that says so instead of failing.
    Used in: book/instructors.md.
    """
    rows = ["| Chapter | Exercise | Checked by | Points | Reference solution | Rough time |",
            "|---|---|---|---|---|---|"]
    for path in book_notebooks(toc):
        nb = read_notebook(path)
        title = notebook_title(nb, path)
        try:
            found = exercises(nb, path.name)
        except ClassroomError as e:
            rows.append(f"| {title} | format error: {' '.join(str(e).split()).replace('|', '/')} | | | | |")
            continue
        for ex in found:
            name = f"{{ref}}`{ex.name} <{ex.label}>`" if ex.label else ex.name
            text = f"{name}: {ex.title}" if ex.title else name
            checks = ", ".join(f"`{c}`" for c in dict.fromkeys(ex.checks)) or "no automatic check"
            lines = plural(ex.solution_lines, "line") if ex.solution_cells else "prose"
            minutes = f"{rough_minutes(ex.solution_lines)} min" if ex.solution_cells else "15 min"
            cells = (title, text, checks, f"{ex.points:g}", lines, minutes)
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)
