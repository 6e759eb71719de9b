"""Reading the exercise format of a notebook: which cells make up which exercise.

In a chapter notebook (the *book format*), an exercise is a markdown ``{exercise}`` directive
with a ``:label:``, then a ``{solution-start} <label>`` ... ``{solution-end}`` block holding one
code cell tagged ``solution``, then a code cell tagged ``check`` that calls
:mod:`deepwhy.checks`. The code above the ``# BEGIN SOLUTION`` line of a solution cell is the
stub the student sees. Markdown is parsed with markdown-it-py (:mod:`deepwhy.classroom.myst`).

A student copy (the *student format*, written by :mod:`deepwhy.classroom.student`) has plain
Markdown statements ("### Exercise 2.1: The backward rule of tanh"); the statement, solution
and check cells carry the exercise's label in their metadata (``metadata["deepwhy"]``), so the
grader can tell which exercise a cell belongs to whatever the file is called. Where a student's
tool dropped that metadata, the headings still give the numbers.

An exercise is worth 1 point unless the metadata of its statement or check cell sets
``{"deepwhy": {"points": 2}}`` (on a statement cell holding several exercises, a dict
``{label: points}``).

Used in: student copies, grading, ``python -m deepwhy.classroom list`` and the instructor guide.
"""
from __future__ import annotations

import dataclasses
import numbers
import pathlib
import re

import nbformat

from . import myst
from .deps import book_only

BEGIN = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION\b", re.IGNORECASE)
END = re.compile(r"^\s*#\s*END\s+SOLUTION\b", re.IGNORECASE)
META = "deepwhy"                       # the cell metadata key of the student format
SOLUTION_DIRECTIVES = ("solution-start", "solution-end", "solution")
_HEADING = re.compile(r"^Exercise\s+(?P<number>\d+(?:\.\d+)?)\s*(?::\s*(?P<title>.*))?$")


class ClassroomError(ValueError):
    """A notebook does not follow the exercise format; the message names the notebook and cell."""


@dataclasses.dataclass
class Exercise:
    """One exercise of a notebook: its number (``"6.2"``), label, title, points and cell indices."""

    number: str
    label: str | None
    title: str
    statement_cell: int
    solution_cells: list = dataclasses.field(default_factory=list)
    check_cells: list = dataclasses.field(default_factory=list)
    checks: list = dataclasses.field(default_factory=list)  # names of deepwhy.checks functions called
    solution_lines: int = 0  # non-blank lines of the reference solution (book notebooks)
    points: float = 1.0
    statement: str = ""      # the statement's body, MyST as written

    @property
    def name(self) -> str:
        """Return "Exercise 6.2" (or "Exercise <label>" for an unnumbered one)."""
        return f"Exercise {self.number or self.label}"

    @property
    def heading(self) -> str:
        """Return the student copy's heading text: "Exercise 6.2: Title"."""
        return f"{self.name}: {self.title}" if self.title else self.name


@dataclasses.dataclass
class Piece:
    """A run of lines [start, end) of a markdown cell: kept, dropped, or an exercise statement."""

    start: int
    end: int
    kind: str                       # "keep", "drop" or "exercise"
    exercise: Exercise | None = None


@dataclasses.dataclass
class CellInfo:
    """What one cell is: role "markdown", "solution", "check", "book-only", "raw" or "code"."""

    index: int
    role: str
    exercise: Exercise | None = None
    pieces: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Layout:
    """A notebook read once: exercises, the role of each cell, solution text, labels."""

    name: str
    book_format: bool
    exercises: list
    cells: list
    secret: list                    # every line of solution text (code after markers, solution prose)
    labels: dict                    # label -> (link text, "#anchor") for {ref} roles

    def exercise(self, label: str) -> Exercise | None:
        """Return the exercise with ``label``, or None."""
        return next((ex for ex in self.exercises if ex.label == label), None)


def chapter_number(path) -> int | None:
    """Return the chapter number of a notebook from its file name: ``06_x`` -> 6, else None.

    Only instructor notebooks are numbered this way; a submission's chapter comes from its
    exercises' labels. A notebook without a number (the introduction) numbers its exercises
    1, 2, ..., as the HTML book does.
    """
    match = re.match(r"(\d+)_", pathlib.Path(path).stem)
    return int(match.group(1)) if match else None


def read_notebook(path) -> nbformat.NotebookNode:
    """Return the notebook at ``path`` (nbformat 4), or raise ValueError naming the path."""
    path = pathlib.Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - not JSON, not a notebook: one readable message
        raise ValueError(f"{path} is not a readable notebook: {type(e).__name__}: {e}") from None


def source(cell) -> str:
    """Return a cell's source as one string."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell) -> list:
    """Return a cell's tags."""
    return list(cell.get("metadata", {}).get("tags", []))


def cell_meta(cell) -> dict:
    """Return the cell's ``metadata["deepwhy"]`` dict ({} if absent or not a dict)."""
    meta = cell.get("metadata", {}).get(META, {})
    return meta if isinstance(meta, dict) else {}


def _points(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ClassroomError(f"{where}: points must be a number >= 0, got {value!r}")
    return float(value)


def _closed(token, lines: list) -> bool:
    """True if a fence token ends with its closing fence (markdown-it closes it at the cell's end)."""
    last = lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
    return len(last) >= len(token.markup) and set(last) == {token.markup[0]}


class _Reader:
    """Walks a notebook once, cell by cell, and builds its :class:`Layout`."""

    def __init__(self, nb, name: str, strict: bool):
        self.nb, self.name, self.strict = nb, name, strict
        self.chapter = chapter_number(name)
        self.exercises: list[Exercise] = []
        self.cells: list[CellInfo] = []
        self.secret: list[str] = []
        self.labels: dict = {}
        self.pending_targets: list[str] = []
        self.open_label = None        # label of the {solution-start} block we are inside, if any
        self.book_format = False

    def where(self, i: int) -> str:
        return f"{self.name}, cell {i}"

    def number(self) -> str:
        k = sum(ex.number != "" for ex in self.exercises) + 1
        return f"{self.chapter}.{k}" if self.chapter is not None else str(k)

    def find(self, label):
        return next((ex for ex in self.exercises if ex.label == label), None)

    def add_exercise(self, ex: Exercise) -> None:
        self.exercises.append(ex)
        if ex.label:
            self.labels[ex.label] = (ex.name, "#" + myst.heading_anchor(ex.heading))

    # -- markdown ------------------------------------------------------------------------
    def markdown(self, i: int, cell) -> CellInfo:
        text = source(cell)
        info = CellInfo(i, "markdown")
        student = cell_meta(cell).get("exercises")
        if isinstance(student, list) and student:     # a student copy's statement cell
            self.student_statements(i, text, student)
            info.pieces = [Piece(0, len(text.split("\n")), "keep")]
            return info
        lines, tokens = text.split("\n"), myst.parse(text)
        blocks = [t for t in tokens if t.level == 0 and t.map]
        pos = 0
        for tok in blocks:
            a, b = tok.map
            if a > pos:
                info.pieces.append(Piece(pos, a, "drop" if self.open_label else "keep"))
            info.pieces.append(self.block(i, tok, lines))
            pos = b
            self.note_targets(tokens, tok)
        if pos < len(lines):
            info.pieces.append(Piece(pos, len(lines), "drop" if self.open_label else "keep"))
        if not self.strict and not any(ex.statement_cell == i for ex in self.exercises):
            self.heading_statements(i, tokens)
        return info

    def note_targets(self, tokens, tok) -> None:
        """Remember ``(label)=`` targets; the next heading names them."""
        if tok.type == "myst_target":
            self.pending_targets.append(tok.content.strip())
        elif tok.type == "heading_open" and self.pending_targets:
            title = myst.inline_text(tokens[list(tokens).index(tok) + 1])
            for label in self.pending_targets:
                self.labels[label] = (title, "#" + myst.heading_anchor(title))
            self.pending_targets = []

    def block(self, i: int, tok, lines) -> Piece:
        """Classify one top-level block of a book-format markdown cell."""
        a, b = tok.map
        d = myst.directive(tok)
        name = d.name if d else None
        if d and not _closed(tok, lines):
            raise ClassroomError(f"{self.where(i)}: the {{{name}}} fence is not closed")
        if self.open_label is not None:               # inside a gated solution: drop everything
            if name == "solution-end":
                self.open_label = None
            elif name == "solution-start":
                raise ClassroomError(f"{self.where(i)}: {{solution-start}} inside the solution of "
                                     f"{self.open_label!r}; close it with {{solution-end}} first")
            else:
                self.secret += [s for s in lines[a:b] if not s.strip().startswith(("```", ":::", "~~~"))]
            return Piece(a, b, "drop")
        if name in SOLUTION_DIRECTIVES:
            self.book_format = True
            if name == "solution-end":
                raise ClassroomError(f"{self.where(i)}: {{solution-end}} without a {{solution-start}}")
            if self.find(d.argument) is None:
                raise ClassroomError(f"{self.where(i)}: {{{name}}} {d.argument!r} names no exercise above it; "
                                     f"labels so far: {[ex.label for ex in self.exercises]}")
            self.secret += d.body.split("\n")
            if name == "solution-start":
                self.open_label = d.argument
            return Piece(a, b, "drop")
        if name in ("exercise", "exercise-start"):
            self.book_format = True
            number = "" if "nonumber" in d.options else self.number()
            ex = Exercise(number, d.options.get("label"), d.argument, i, statement=d.body)
            self.add_exercise(ex)
            return Piece(a, b, "exercise", ex)
        return Piece(a, b, "keep")

    def student_statements(self, i: int, text: str, entries: list) -> None:
        """Record the exercises of a student copy's statement cell from its metadata."""
        titles = [t for _, t in myst.headings(text)]
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("label"):
                raise ClassroomError(f"{self.where(i)}: metadata {META}.exercises must hold "
                                     f"{{'label': ..., 'number': ..., 'title': ...}} entries, got {entry!r}")
            number = str(entry.get("number", "")) or self.number()
            ex = Exercise(number, entry["label"], str(entry.get("title", "")), i)
            if "points" in entry:
                ex.points = _points(entry["points"], self.where(i))
            if not ex.title:
                ex.title = next((t.split(":", 1)[-1].strip() for t in titles if t.startswith(ex.name)), "")
            self.add_exercise(ex)

    def heading_statements(self, i: int, tokens) -> None:
        """Record exercises from "Exercise 2.1: Title" headings (a copy whose metadata was lost)."""
        for k, tok in enumerate(tokens):
            if tok.type != "heading_open":
                continue
            match = _HEADING.match(myst.inline_text(tokens[k + 1]))
            if match:
                self.add_exercise(Exercise(match.group("number"), None, (match.group("title") or "").strip(), i))

    # -- code ------------------------------------------------------------------------------
    def solution_lines(self, i: int, text: str, ex: Exercise) -> None:
        """Check a book-format solution cell's markers and record its solution text as secret."""
        cutting = found = False
        n_secret = len(self.secret)
        for line in text.split("\n"):
            if not cutting and BEGIN.match(line):
                cutting = found = True
            elif END.match(line):
                if not cutting:
                    raise ClassroomError(f"{self.where(i)}: '# END SOLUTION' without a '# BEGIN SOLUTION' above it")
                cutting = False
            elif cutting:
                self.secret.append(line)
        if not found:
            raise ClassroomError(
                f"{self.where(i)}: this cell is tagged 'solution' but has no '# BEGIN SOLUTION' line, so the "
                "student version would show the whole solution. Put the marker below the signature and "
                "docstring the student should see.")
        ex.solution_lines += sum(1 for s in self.secret[n_secret:] if s.strip())

    def code(self, i: int, cell) -> CellInfo:
        text, cell_tags, meta = source(cell), tags(cell), cell_meta(cell)
        labelled = self.find(meta.get("exercise")) if meta.get("exercise") else None
        if labelled is None and meta.get("exercise") and not self.strict:   # its statement was deleted
            labelled = Exercise("", str(meta["exercise"]), "", i)
            self.add_exercise(labelled)
        if "solution" in cell_tags or (labelled and meta.get("role") == "solution"):
            if self.open_label is not None:
                ex = self.find(self.open_label)
            elif labelled is not None:
                ex = labelled
            elif self.strict:
                raise ClassroomError(f"{self.where(i)}: a 'solution' cell outside a {{solution-start}} ... "
                                     "{solution-end} block: the book would show it unfolded")
            else:
                ex = self.exercises[-1] if self.exercises else None
            if ex is not None:
                ex.solution_cells.append(i)
                if self.open_label is not None or (not self.strict and any(BEGIN.match(s) for s in text.split("\n"))):
                    self.solution_lines(i, text, ex)
            return CellInfo(i, "solution", ex)
        if self.open_label is not None:
            raise ClassroomError(
                f"{self.where(i)}: a {cell.cell_type} cell inside the solution of {self.open_label!r} "
                "that is not tagged 'solution'; tag it (with a '# BEGIN SOLUTION' marker) or move it "
                "below {solution-end}")
        if "check" in cell_tags and (labelled or self.exercises):
            ex = labelled or self.exercises[-1]
            ex.check_cells.append(i)
            ex.checks += re.findall(r"\b(check_\w+)\s*\(", text)
            if "points" in meta:
                ex.points = _points(meta["points"], self.where(i))
            return CellInfo(i, "check", ex)
        if "remove-cell" in cell_tags or book_only(text):
            return CellInfo(i, "book-only")
        return CellInfo(i, "code")

    def statement_points(self) -> None:
        """Apply points set on statement cells (a number, or {label: points})."""
        for ex in self.exercises:
            value = cell_meta(self.nb.cells[ex.statement_cell]).get("points")
            if isinstance(value, dict):
                value = value.get(ex.label)
            if value is not None:
                ex.points = _points(value, self.where(ex.statement_cell))

    def read(self) -> Layout:
        for i, cell in enumerate(self.nb.cells):
            if cell.cell_type == "markdown":
                self.cells.append(self.markdown(i, cell))
            elif cell.cell_type == "code":
                self.cells.append(self.code(i, cell))
            else:
                if self.open_label is not None:
                    raise ClassroomError(f"{self.where(i)}: a {cell.cell_type} cell inside the solution of "
                                         f"{self.open_label!r}")
                self.cells.append(CellInfo(i, "raw"))
        if self.open_label is not None:
            raise ClassroomError(f"{self.name}: the solution of {self.open_label!r} has no {{solution-end}}")
        self.statement_points()
        return Layout(self.name, self.book_format, self.exercises, self.cells, self.secret, self.labels)


def read_layout(nb, name: str = "notebook", strict: bool = True) -> Layout:
    """Return the :class:`Layout` of a notebook: its exercises and the role of every cell.

    Args:
        nb: a notebook (nbformat NotebookNode), book or student format.
        name: the notebook's file name; a book notebook's ``NN_`` prefix numbers its exercises.
        strict: raise ClassroomError on every break of the book format (for book notebooks);
            False reads leniently (student copies and submissions).
    """
    return _Reader(nb, name, strict).read()


def exercises(nb, name: str = "notebook") -> list[Exercise]:
    """Return the exercises of a notebook, in order, with their solution and check cells.

    Args:
        nb: a notebook (nbformat NotebookNode), book or student format.
        name: the notebook's file name; its ``NN_`` prefix numbers a book notebook's exercises.

    Raises ClassroomError if the exercise format is broken (the message names the cell).
    Used in: ``python -m deepwhy.classroom list`` and the instructor guide's exercise table.
    """
    return read_layout(nb, name, strict=False).exercises
