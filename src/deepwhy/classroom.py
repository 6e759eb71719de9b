"""Student copies, exercise lists and grading, all from the one source: the book's notebooks.

An exercise in a chapter notebook is a markdown ``{exercise}`` directive with a ``:label:``,
then a ``{solution-start} <label>`` ... ``{solution-end}`` block holding one code cell tagged
``solution``, then a code cell tagged ``check`` that calls :mod:`deepwhy.checks`. The code
above the ``# BEGIN SOLUTION`` line of a solution cell is the stub the student sees.

Command line::

    python -m deepwhy.classroom student book/ --out student/ [--check]
    python -m deepwhy.classroom grade student/06_failure_modes.ipynb [more notebooks or folders]
    python -m deepwhy.classroom list book/

``student`` writes a copy of every notebook in which each solution cell is replaced by its
stub (the code up to ``# BEGIN SOLUTION``, then ``raise NotImplementedError("Exercise N.k:
write your code here")`` at the marker's indentation); solution prose, outputs and non-standard
metadata are dropped and every other cell is kept as it is. A ``# END SOLUTION`` line, if
present, ends the cut: the code after it is kept. ``--check`` then verifies that no line of
any solution reached the copies. ``grade`` executes notebooks and prints one line per
exercise: passed, failed (with the message) or not attempted; it exits with status 1 if
any exercise failed.

Used in: ``make student``, the instructor guide (book/instructors.md).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import pathlib
import re
import sys

import nbformat

from . import _validate

BEGIN = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION\b", re.IGNORECASE)
END = re.compile(r"^\s*#\s*END\s+SOLUTION\b", re.IGNORECASE)
# An opening fence: ``` or ::: (three or more), optionally a {directive} and its argument.
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,})\s*(?:\{(?P<name>[\w-]+)\})?\s*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")
_NOT_ATTEMPTED = "not attempted yet"


class ClassroomError(ValueError):
    """A notebook does not follow the exercise format; the message names the notebook and cell."""


@dataclasses.dataclass
class Exercise:
    """One exercise of a notebook: its number (``"6.2"``), label, title and cell indices."""

    number: str
    label: str | None
    title: str
    statement_cell: int
    solution_cells: list = dataclasses.field(default_factory=list)
    check_cells: list = dataclasses.field(default_factory=list)
    checks: list = dataclasses.field(default_factory=list)  # names of deepwhy.checks functions called
    solution_lines: int = 0  # non-blank lines of the reference solution (instructor notebooks)


# ------------------------------------------------------------------------------------------
# Reading the format
# ------------------------------------------------------------------------------------------

def chapter_number(path) -> int | None:
    """Return the chapter number of a notebook from its file name: ``06_x`` -> 6, else None.

    A notebook without a number (the introduction) numbers its exercises 1, 2, ..., as the
    HTML book does.
    """
    stem = pathlib.Path(path).stem
    match = re.match(r"(\d+)_", stem)
    if match:
        return int(match.group(1))
    return None


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _closes(line: str, fence: str) -> bool:
    """True if ``line`` closes a fence opened with ``fence`` (same character, at least as long)."""
    s = line.strip()
    return len(s) >= len(fence) and set(s) == {fence[0]}


def _fence_end(lines, start: int, fence: str) -> int | None:
    """Return the index of the line closing the fence opened at ``start``, or None."""
    for j in range(start + 1, len(lines)):
        if _closes(lines[j], fence):
            return j
    return None


def _skip_blank(lines, j: int, kept) -> int:
    """Return the index after the blank lines at ``j`` if ``kept`` already ends blank (no double gaps)."""
    if not kept or not kept[-1].strip():
        while j < len(lines) and not lines[j].strip():
            j += 1
    return j


def _options(lines, start: int, end: int) -> dict:
    """Return the ``:key: value`` options at the top of a directive's body."""
    out = {}
    for line in lines[start + 1:end]:
        match = _OPTION.match(line)
        if not match:
            break
        out[match.group("key")] = match.group("value")
    return out


class _Reader:
    """Walks a notebook once: finds exercises, builds the student copy, collects solution lines."""

    def __init__(self, nb, name: str, strict: bool = True):
        self.nb, self.name, self.strict = nb, name, strict
        self.chapter = chapter_number(name)
        self.exercises: list[Exercise] = []
        self.secret: list[str] = []   # every line of solution text (code after markers, solution prose)
        self.public: list[str] = []   # every line the student copy keeps
        self.open_label = None        # label of the {solution-start} block we are inside, if any
        self.student = self._read()

    def _where(self, i: int) -> str:
        return f"{self.name}, cell {i}"

    def _number(self, k: int) -> str:
        return f"{self.chapter}.{k}" if self.chapter is not None else str(k)

    def _exercise(self, label):
        for ex in self.exercises:
            if ex.label == label:
                return ex
        return None

    # -- markdown ------------------------------------------------------------------------
    def _markdown(self, i: int, text: str) -> list[str]:
        """Return the lines of a markdown cell the student keeps; record exercises and secrets."""
        lines, kept, j = text.split("\n"), [], 0
        while j < len(lines):
            line = lines[j]
            match = _FENCE.match(line)
            name = match.group("name") if match else None
            if self.open_label is not None:          # inside a gated solution: drop everything
                if name == "solution-end":
                    end = _fence_end(lines, j, match.group("fence"))
                    if end is None:
                        raise ClassroomError(f"{self._where(i)}: the {{solution-end}} fence is not closed")
                    self.open_label, j = None, _skip_blank(lines, end + 1, kept)
                    continue
                if name == "solution-start":
                    raise ClassroomError(f"{self._where(i)}: {{solution-start}} inside the solution of "
                                         f"{self.open_label!r}; close it with {{solution-end}} first")
                if not match and not _OPTION.match(line):
                    self.secret.append(line)
                j += 1
                continue
            if not match:
                kept.append(line)
                j += 1
                continue
            end = _fence_end(lines, j, match.group("fence"))
            if name in ("solution-start", "solution-end", "solution"):
                if name == "solution-end":
                    raise ClassroomError(f"{self._where(i)}: {{solution-end}} without a {{solution-start}}")
                if end is None:
                    raise ClassroomError(f"{self._where(i)}: the {{{name}}} fence is not closed")
                label = match.group("arg")
                if self._exercise(label) is None:
                    raise ClassroomError(f"{self._where(i)}: {{{name}}} {label!r} names no exercise above it; "
                                         f"labels so far: {[ex.label for ex in self.exercises]}")
                body = lines[j + 1:end]
                self.secret += [s for s in body if not _OPTION.match(s)]
                if name == "solution-start":
                    self.open_label = label
                j = _skip_blank(lines, end + 1, kept)
                continue
            stop = len(lines) - 1 if end is None else end
            if name in ("exercise", "exercise-start"):
                opts = _options(lines, j, stop + 1)
                if "nonumber" not in opts:
                    k = sum(ex.number != "" for ex in self.exercises) + 1
                    number = self._number(k)
                else:
                    number = ""
                self.exercises.append(Exercise(number, opts.get("label"), match.group("arg"), i))
            kept += lines[j:stop + 1]
            j = stop + 1
        return kept

    # -- code ------------------------------------------------------------------------------
    def _stub(self, i: int, text: str, ex: Exercise) -> str:
        """Return the student's stub of a solution cell: code up to the marker, then a raise."""
        lines, out, cutting, found = text.split("\n"), [], False, False
        n_secret = len(self.secret)
        message = f"Exercise {ex.number or ex.label}: write your code here"
        for line in lines:
            if not cutting and BEGIN.match(line):
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}raise NotImplementedError({json.dumps(message)})")
                cutting = found = True
            elif END.match(line):
                if not cutting:
                    raise ClassroomError(f"{self._where(i)}: '# END SOLUTION' without a '# BEGIN SOLUTION' above it")
                cutting = False
            elif cutting:
                self.secret.append(line)
            else:
                out.append(line)
        if not found:
            raise ClassroomError(
                f"{self._where(i)}: this cell is tagged 'solution' but has no '# BEGIN SOLUTION' line, so the "
                "student version would show the whole solution. Put the marker below the signature and "
                "docstring the student should see.")
        stub = "\n".join(out).rstrip()
        plain = "\n".join(s for s in stub.split("\n") if not s.lstrip().startswith(("%", "!")))
        try:
            compile(plain, f"{self.name}:cell{i}", "exec")
        except SyntaxError as e:
            raise ClassroomError(f"{self._where(i)}: the student stub is not valid Python ({e.msg}, line "
                                 f"{e.lineno}); move '# BEGIN SOLUTION' to where a statement may start") from None
        ex.solution_lines += sum(1 for s in self.secret[n_secret:] if s.strip())
        return stub

    def _read(self):
        student = copy.deepcopy(self.nb)
        student.metadata = {k: v for k, v in self.nb.metadata.items() if k in _KEEP_NOTEBOOK_METADATA}
        cells = []
        for i, cell in enumerate(self.nb.cells):
            text, tags = _source(cell), _tags(cell)
            new = copy.deepcopy(cell)
            if cell.cell_type == "markdown":
                kept = self._markdown(i, text)
                if kept != text.split("\n"):           # part or all of it was solution text
                    new.source = "\n".join(kept).strip("\n")
                    if not new.source.strip():
                        continue
                    refs = set(re.findall(r"attachment:([^\s)\"'>]+)", new.source))
                    if "attachments" in new:
                        new.attachments = {k: v for k, v in new.attachments.items() if k in refs}
                        if not new.attachments:
                            del new["attachments"]
                cells.append(new)
                self.public += _source(new).split("\n")
                continue
            if cell.cell_type == "code":
                new.outputs, new.execution_count = [], None
            if "solution" in tags:
                if cell.cell_type != "code":
                    raise ClassroomError(f"{self._where(i)}: only code cells may be tagged 'solution'")
                if self.open_label is not None:
                    ex = self._exercise(self.open_label)
                elif self.strict:
                    raise ClassroomError(
                        f"{self._where(i)}: a 'solution' cell outside a {{solution-start}} ... "
                        "{solution-end} block: the book would show it unfolded")
                else:                                  # a student copy: the blocks are gone
                    ex = self.exercises[-1] if self.exercises else None
                if ex is not None:
                    ex.solution_cells.append(i)
                if ex is not None and (self.strict or any(BEGIN.match(s) for s in text.split("\n"))):
                    new = nbformat.v4.new_code_cell(self._stub(i, text, ex), metadata={"tags": tags})
                    if "id" in cell:                   # a neutral id: the original could name the answer
                        new.id = f"solution-stub-{i}"
                    else:
                        new.pop("id", None)
            elif self.open_label is not None:
                raise ClassroomError(
                    f"{self._where(i)}: a {cell.cell_type} cell inside the solution of {self.open_label!r} "
                    "that is not tagged 'solution'; tag it (with a '# BEGIN SOLUTION' marker) or move it "
                    "below {solution-end}")
            elif "check" in tags and self.exercises:
                ex = self.exercises[-1]
                ex.check_cells.append(i)
                ex.checks += re.findall(r"\b(check_\w+)\s*\(", text)
            cells.append(new)
            self.public += _source(new).split("\n")
        if self.open_label is not None:
            raise ClassroomError(f"{self.name}: the solution of {self.open_label!r} has no {{solution-end}}")
        student.cells = cells
        return student


def read_notebook(path) -> nbformat.NotebookNode:
    """Return the notebook at ``path`` (nbformat 4), or raise ValueError naming the path."""
    path = pathlib.Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    return nbformat.read(path, as_version=4)


def exercises(nb, name: str = "notebook") -> list[Exercise]:
    """Return the exercises of a notebook, in order, with their solution and check cells.

    Args:
        nb: a notebook (nbformat NotebookNode), instructor or student version.
        name: the notebook's file name; its ``NN_`` prefix numbers the exercises ``NN.k``.

    Raises ClassroomError if the exercise format is broken (the message names the cell).
    Used in: ``python -m deepwhy.classroom list`` and the instructor guide's exercise table.
    """
    return _Reader(nb, name, strict=False).exercises


def student_version(nb, name: str = "notebook") -> nbformat.NotebookNode:
    """Return the student copy of an instructor notebook: solutions cut at their markers.

    Args:
        nb: the instructor notebook (nbformat NotebookNode); it is not modified.
        name: its file name, used to number the exercises and in error messages.

    Raises ClassroomError if a solution cell has no ``# BEGIN SOLUTION`` marker, or the
    solution blocks are malformed. Used in: ``make student``.
    """
    return _Reader(nb, name).student


def leaks(instructor, student, name: str = "notebook") -> list[str]:
    """Return the problems of a student copy: solution lines it contains, markers, outputs.

    A line of solution text counts as leaked if it appears in the student copy but nowhere in
    the instructor notebook outside the solutions (a line like ``return out`` may well occur in
    public code too). An empty list means the copy is clean.

    Args:
        instructor: the instructor notebook the copy was made from.
        student: the student copy (as written to disk, re-read).
        name: the notebook's file name, for the messages.

    Used in: ``python -m deepwhy.classroom student --check`` and tests/test_classroom.py.
    """
    reader = _Reader(instructor, name)
    public = {s.strip() for s in reader.public}
    texts = list(_strings(student))
    lines = {s.strip() for t in texts for s in t.split("\n")}
    blob = "\n".join(texts)
    problems = []
    for secret in dict.fromkeys(s.strip() for s in reader.secret):
        if not secret or secret in public:
            continue
        if secret in lines or (len(secret) >= 12 and secret in blob):
            problems.append(f"{name}: solution line leaked: {secret!r}")
    for i, cell in enumerate(student.cells):
        if any(BEGIN.match(s) for s in _source(cell).split("\n")):
            problems.append(f"{name}, cell {i}: a '# BEGIN SOLUTION' marker is left")
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"{name}, cell {i}: has stored outputs")
        if "solution" in _tags(cell) and "raise NotImplementedError" not in _source(cell):
            problems.append(f"{name}, cell {i}: a solution cell without its NotImplementedError stub")
    extra = set(student.metadata) - set(_KEEP_NOTEBOOK_METADATA)
    if extra:
        problems.append(f"{name}: notebook metadata keeps {sorted(extra)}")
    return problems


def _strings(node):
    """Yield every string in a JSON-like structure: keys and values, at any depth."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _strings(v)


def _notebooks(paths) -> list[pathlib.Path]:
    """Expand files and folders into a sorted list of notebooks (checkpoints skipped)."""
    out = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.is_file() and p.suffix == ".ipynb":
            out.append(p)
        else:
            raise ValueError(f"paths must be notebooks or folders of notebooks, got {str(p)!r}")
    return out


# ------------------------------------------------------------------------------------------
# Student copies
# ------------------------------------------------------------------------------------------

def write_student(src, out, check: bool = False) -> list[pathlib.Path]:
    """Write the student copy of every notebook in ``src`` into ``out``; return the written paths.

    Args:
        src: a folder of instructor notebooks (searched recursively) or one notebook.
        out: the folder to write into (created if missing); sub-folders mirror ``src``.
        check: verify each copy, as it will be read back from disk, with :func:`leaks`, and raise
            ClassroomError if any solution leaked.

    Nothing is written unless every notebook converts (and, with ``check``, passes the check).
    Used in: ``make student``.
    """
    src, out = pathlib.Path(src), pathlib.Path(out)
    base = src if src.is_dir() else src.parent
    if out.resolve() == base.resolve():
        raise ValueError(f"out must differ from the source folder, got {str(out)!r}")
    sources = [p for p in _notebooks([src]) if out.resolve() not in p.resolve().parents]
    if not sources:
        raise ValueError(f"src must hold at least one .ipynb notebook, got {str(src)!r}")
    copies = []
    for p in sources:
        instructor = read_notebook(p)
        student = student_version(instructor, p.name)
        nbformat.validate(student)
        text = nbformat.writes(student) + "\n"
        copies.append((p, out / p.relative_to(base), instructor, text))
    if check:
        problems = [msg for p, _, instructor, text in copies
                    for msg in leaks(instructor, nbformat.reads(text, as_version=4), p.name)]
        if problems:
            raise ClassroomError("the student copies would leak solutions:\n  " + "\n  ".join(problems))
    for _, dest, _, text in copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return [dest for _, dest, _, _ in copies]


# ------------------------------------------------------------------------------------------
# Grading
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Grade:
    """The outcome of one exercise: status is "passed", "failed", "not attempted" or "no check"."""

    notebook: str
    exercise: Exercise
    status: str
    message: str = ""

    def line(self) -> str:
        """Return the one-line report: ``path: Exercise 6.2 (title): failed: message``."""
        ex = self.exercise
        what = f"Exercise {ex.number or ex.label}" + (f" ({ex.title})" if ex.title else "")
        tail = f": {' '.join(self.message.split())}" if self.message else ""
        return f"{self.notebook}: {what}: {self.status}{tail}"


def _error(cell):
    """Return (ename, evalue) of the error a code cell raised when it ran, or None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), out.get("evalue", "")
    return None


def _describe(error, timeout: float) -> str:
    """Return "raised X: ..." for an (ename, evalue) error output; an interrupt means the time limit."""
    ename, evalue = error
    if ename == "KeyboardInterrupt":
        return f"was stopped after the {timeout:g} s limit per cell"
    return f"raised {ename}: {' '.join(evalue.split())[:300]}"


def _verdict(nb, ex: Exercise, timeout: float) -> tuple[str, str]:
    """Return (status, message) of one exercise in an executed notebook."""
    if not ex.check_cells:
        return "no check", ""
    stub_hit = None  # what the student's own solution cell raised, if anything
    for i in ex.solution_cells:
        err = _error(nb.cells[i])
        if err:
            stub_hit = err
    verdicts = []
    for i in ex.check_cells:
        cell, err = nb.cells[i], _error(nb.cells[i])
        if err is None:
            ran = cell.get("execution_count") is not None
            verdicts.append(("passed", "") if ran else ("failed", "the check cell did not run"))
            continue
        ename, evalue = err
        if ename == "NotImplementedError" or (ename == "CheckFailed" and _NOT_ATTEMPTED in evalue):
            verdicts.append(("not attempted", ""))
        elif ename == "CheckFailed":
            verdicts.append(("failed", evalue))
        elif stub_hit and stub_hit[0] == "NotImplementedError":
            verdicts.append(("not attempted", ""))
        elif stub_hit:
            verdicts.append(("failed", f"your solution cell {_describe(stub_hit, timeout)}"))
        else:
            verdicts.append(("failed", f"the check cell {_describe(err, timeout)}"))
    for status in ("failed", "not attempted"):
        for v in verdicts:
            if v[0] == status:
                return v
    return "passed", ""


def grade(path, timeout: float = 300.0) -> tuple[list[Grade], list[str]]:
    """Execute a notebook and return (one Grade per exercise, notes on errors outside exercises).

    The notebook runs top to bottom in a fresh Python kernel, in its own folder, with errors
    allowed (a failing exercise does not stop the next one) and DEEPWHY_STATIC=1,
    DEEPWHY_PROGRESS=0. A cell that runs longer than ``timeout`` seconds is interrupted.

    Args:
        path: a notebook, instructor or student version.
        timeout: seconds allowed per cell, > 0.

    Used in: ``python -m deepwhy.classroom grade`` and the instructor guide.
    """
    from nbclient import NotebookClient  # imported here: only grading needs a kernel

    timeout = _validate.positive_float("timeout", timeout)
    path = pathlib.Path(path)
    nb = read_notebook(path)
    found = exercises(nb, path.name)
    for key, value in (("DEEPWHY_STATIC", "1"), ("DEEPWHY_PROGRESS", "0")):
        os.environ.setdefault(key, value)
    client = NotebookClient(nb, timeout=int(max(1, timeout)), allow_errors=True, interrupt_on_timeout=True,
                            kernel_name="python3", resources={"metadata": {"path": str(path.parent.resolve())}})
    notes = []
    try:
        client.execute()
    except Exception as e:  # noqa: BLE001 - a dead kernel or similar: report, grade what ran
        notes.append(f"{path}: the notebook stopped early: {type(e).__name__}: {' '.join(str(e).split())[:300]}")
    exercise_cells = {i for ex in found for i in ex.solution_cells + ex.check_cells}
    errors = [(i, _error(c)) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and i not in exercise_cells and _error(c)]
    if errors:  # the first one matters; the later ones usually follow from it
        i, err = errors[0]
        more = f" (and {len(errors) - 1} later cells raised errors)" if len(errors) > 1 else ""
        notes.append(f"{path}: cell {i}, not part of an exercise, {_describe(err, timeout)}{more}")
    return [Grade(str(path), ex, *_verdict(nb, ex, timeout)) for ex in found], notes


# ------------------------------------------------------------------------------------------
# The exercise table of the instructor guide
# ------------------------------------------------------------------------------------------

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


def exercise_table(toc) -> str:
    """Return a MyST markdown table of every exercise of the book: chapter, title, check, rough time.

    Args:
        toc: path of the book's ``_toc.yml``; only notebooks listed there are included.

    A notebook whose exercise format is broken gets a row that says so instead of failing.
    Used in: book/instructors.md.
    """
    rows = ["| Chapter | Exercise | Checked by | Reference solution | Rough time |",
            "|---|---|---|---|---|"]
    for path in book_notebooks(toc):
        nb = read_notebook(path)
        title = next((line.lstrip("# ").strip() for c in nb.cells if c.cell_type == "markdown"
                      for line in _source(c).split("\n") if line.startswith("# ")), path.stem)
        number = chapter_number(path)
        title = "Introduction" if path.stem == "intro" else f"{number}. {title}" if number else title
        try:
            found = exercises(nb, path.name)
        except ClassroomError as e:
            rows.append(f"| {title} | format error: {' '.join(str(e).split()).replace('|', '/')} | | | |")
            continue
        for ex in found:
            name = f"{{ref}}`Exercise {ex.number or ex.label} <{ex.label}>`" if ex.label else ex.title
            text = f"{name}: {ex.title}" if ex.label else name
            checks = ", ".join(f"`{c}`" for c in dict.fromkeys(ex.checks)) or "no automatic check"
            lines = _plural(ex.solution_lines, "line") if ex.solution_cells else "prose"
            minutes = f"{rough_minutes(ex.solution_lines)} min" if ex.solution_cells else "15 min"
            cells = (title, text, checks, lines, minutes)
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _cmd_student(args) -> int:
    try:
        written = write_student(args.src, args.out, check=args.check)
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for dest in written:
        print(f"wrote {dest}")
    if args.check:
        print(f"checked {_plural(len(written), 'notebook')}: no solution leaked")
    return 0


def _cmd_grade(args) -> int:
    try:
        paths = _notebooks(args.paths)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    counts = {"passed": 0, "failed": 0, "not attempted": 0, "no check": 0}
    for path in paths:
        try:
            grades, notes = grade(path, timeout=args.timeout)
        except (ClassroomError, ValueError) as e:
            print(f"{path}: cannot grade: {' '.join(str(e).split())}", flush=True)
            counts["failed"] += 1
            continue
        for g in grades:
            counts[g.status] += 1
            print(g.line(), flush=True)
        if not grades:
            print(f"{path}: no exercises", flush=True)
        for note in notes:
            print(note, flush=True)
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status != "no check")
    print(f"{_plural(total, 'exercise')} in {_plural(len(paths), 'notebook')}: {summary}")
    return 1 if counts["failed"] else 0


def _cmd_list(args) -> int:
    try:
        paths = _notebooks(args.paths)
        for path in paths:
            for ex in exercises(read_notebook(path), path.name):
                checks = ", ".join(dict.fromkeys(ex.checks)) or "no check"
                print(f"{path}: Exercise {ex.number or '-'} {ex.label} ({ex.title}): {checks}; "
                      f"solution {ex.solution_lines} lines")
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m deepwhy.classroom", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="write student copies of the notebooks, without solutions")
    p.add_argument("src", help="folder of instructor notebooks (e.g. book/) or one notebook")
    p.add_argument("--out", required=True, help="folder to write the student copies into (e.g. student/)")
    p.add_argument("--check", action="store_true", help="verify that no solution leaked into the copies")
    p.set_defaults(run=_cmd_student)
    p = sub.add_parser("grade", help="execute notebooks and report each exercise")
    p.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks (e.g. submissions/)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per cell (default 300)")
    p.set_defaults(run=_cmd_grade)
    p = sub.add_parser("list", help="list the exercises of notebooks")
    p.add_argument("paths", nargs="+", help="notebooks or folders")
    p.set_defaults(run=_cmd_list)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
