"""Student copies of the book's notebooks, readable in any notebook front end.

The student copy of a chapter keeps the story and the experiments and changes four things:

- each solution cell becomes its stub: the code above ``# BEGIN SOLUTION``, then
  ``raise NotImplementedError("Exercise 2.1: write your code here")`` at the marker's
  indentation (a ``# END SOLUTION`` line ends the cut; the code after it is kept), and
  solution prose, outputs and non-standard notebook metadata are dropped;
- the MyST of the markdown becomes plain Markdown (:mod:`deepwhy.classroom.myst`): each
  exercise statement a heading "Exercise 2.1: The backward rule of tanh" and its text;
- book-only cells are dropped: those tagged ``remove-cell`` (hidden asserts and ledger
  records), except for the statements that define a name a visible cell below uses, and those
  that only assert or call the claims ledger (``ledger.summary``), which has no claims there;
- figure captions (``mystnb.figure.caption``) follow their figure as a markdown cell, and
  ``hide-input`` cells start with their code folded in JupyterLab.

The statement, solution and check cells carry the exercise's label, number, title and points
in ``metadata["deepwhy"]``, which the grader reads (:mod:`deepwhy.classroom.reading`).

The *reader's copy* (``solutions=True``) is the same plain-Markdown notebook with each solution
kept, its markers removed and its code folded, as the book's dropdown folds it. These copies are
committed under ``notebooks/``: the book's Binder and Colab buttons open them, so a reader on
Colab, where no MyST extension can be installed, sees formatted text and a Run All that ends.

Used in: ``make student`` (``python -m deepwhy.classroom student``), ``make notebooks``, and the
grader, which compares a submission with the student copy of the instructor's source.
"""
from __future__ import annotations

import copy
import json
import pathlib
import re

import nbformat

from . import deps, myst
from .reading import BEGIN, END, META, ClassroomError, read_layout, read_notebook, source, tags

KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def stub(text: str, ex, where: str) -> str:
    """Return the student's stub of a solution cell: the code up to the marker, then a raise."""
    out, cutting = [], False
    message = f"{ex.name}: write your code here"
    for line in text.split("\n"):
        if not cutting and BEGIN.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({json.dumps(message)})")
            cutting = True
        elif END.match(line):
            cutting = False
        elif not cutting:
            out.append(line)
    result = "\n".join(out).rstrip()
    try:
        compile(deps.without_magics(result), where, "exec")
    except SyntaxError as e:
        raise ClassroomError(f"{where}: the student stub is not valid Python ({e.msg}, line {e.lineno}); move "
                             "'# BEGIN SOLUTION' to where a statement may start") from None
    return result


def _entry(ex) -> dict:
    return {"label": ex.label, "number": ex.number, "title": ex.title, "points": ex.points}


class _Builder:
    """Builds the student copy of one book notebook from its layout."""

    def __init__(self, nb, name: str, folder=None, ctx=None, solutions: bool = False):
        self.nb, self.name, self.solutions = nb, name, solutions
        self.layout = read_layout(nb, name, strict=True)
        self.ctx = ctx or myst.Context(folder)
        self.ctx.start_notebook(self.layout.labels)
        self.level = 2                                 # the level of the last heading seen

    def statement(self, ex) -> str:
        """Return an exercise statement as a Markdown heading and its text."""
        level = min(self.level + 1, 6)
        return f"{'#' * level} {ex.heading}\n\n{self.ctx.convert(ex.statement)}".rstrip()

    def markdown(self, info, cell):
        lines = source(cell).split("\n")
        parts = []
        for piece in info.pieces:
            if piece.kind == "exercise":
                parts.append(self.statement(piece.exercise))
            elif piece.kind == "keep":
                text = "\n".join(lines[piece.start:piece.end])
                parts.append(self.ctx.convert(text) if text.strip() else text)
                levels = [level for level, _ in myst.headings(text)]
                self.level = levels[-1] if levels else self.level
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(parts)).strip("\n")
        if not text.strip():
            return None
        new = copy.deepcopy(cell)
        new.source = text
        found = [ex for ex in self.layout.exercises if ex.statement_cell == info.index]
        if found:
            new.metadata[META] = {"exercises": [_entry(ex) for ex in found]}
        if "attachments" in new:
            refs = set(re.findall(r"attachment:([^\s)\"'>]+)", text))
            new.attachments = {k: v for k, v in new.attachments.items() if k in refs}
            if not new.attachments:
                del new["attachments"]
        return new

    def code(self, info, cell) -> list:
        new = copy.deepcopy(cell)
        new.outputs, new.execution_count = [], None
        if info.role == "solution" and self.solutions:
            kept = "\n".join(line for line in source(cell).split("\n") if not (BEGIN.match(line) or END.match(line)))
            new = nbformat.v4.new_code_cell(kept, metadata={"tags": tags(cell), "jupyter": {"source_hidden": True}})
            new.id = cell.get("id", f"solution-{info.index}")
            label = nbformat.v4.new_markdown_cell(f"*A solution to {info.exercise.name if info.exercise else 'the exercise'}, "
                                                  "folded: try it yourself first.*")
            label.id = f"{new.id}-label"[-64:]
        elif info.role == "solution" and info.exercise is not None:
            where = f"{self.name}, cell {info.index}"
            new = nbformat.v4.new_code_cell(stub(source(cell), info.exercise, where),
                                            metadata={"tags": tags(cell)})
            new.id = f"solution-stub-{info.index}"        # a neutral id: the original could name the answer
        if info.role in ("solution", "check") and info.exercise is not None:
            new.metadata[META] = {"exercise": info.exercise.label, "role": info.role}
            if info.role == "check":
                new.metadata[META]["points"] = info.exercise.points
        if "hide-input" in tags(cell):
            new.metadata.setdefault("jupyter", {})["source_hidden"] = True
        out = [label, new] if info.role == "solution" and self.solutions else [new]
        caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
        if caption:
            text = self.ctx.convert(str(caption))
            md = nbformat.v4.new_markdown_cell(f"*Figure: {text}*")
            md.id = f"{cell.get('id', info.index)}-caption"[-64:]
            out.append(md)
        return out

    def build(self) -> nbformat.NotebookNode:
        student = copy.deepcopy(self.nb)
        student.metadata = {k: v for k, v in self.nb.metadata.items() if k in KEEP_NOTEBOOK_METADATA}
        cells = []                                     # (info, [cells]) in order
        for info in self.layout.cells:
            cell = self.nb.cells[info.index]
            if info.role == "markdown":
                new = self.markdown(info, cell)
                cells.append((info, [new] if new is not None else []))
            elif info.role == "book-only":
                cells.append((info, []))
            elif info.role == "raw":
                cells.append((info, [copy.deepcopy(cell)]))
            else:
                cells.append((info, self.code(info, cell)))
        self.keep_needed_book_only(cells)
        student.cells = [c for _, group in cells for c in group]
        return student

    def keep_needed_book_only(self, cells) -> None:
        """Keep the statements of book-only cells that define names a visible cell below uses."""
        needed = set()
        for k in range(len(cells) - 1, -1, -1):
            info, group = cells[k]
            if info.role == "book-only":
                code = deps.needed_statements(source(self.nb.cells[info.index]), needed)
                if code:
                    code = "# Defined in a cell the book hides; the cells below use it.\n" + code
                    new = nbformat.v4.new_code_cell(code, metadata={"tags": ["hide-input"],
                                                                    "jupyter": {"source_hidden": True}})
                    new.id = f"book-setup-{info.index}"
                    cells[k] = (info, [new])
                else:
                    continue
            for cell in group:
                if cell.cell_type == "code":
                    bound, free = deps.cell_names(source(cell))
                    needed = (needed - bound) | free


def student_version(nb, name: str = "notebook", folder=None, ctx=None, solutions: bool = False) -> nbformat.NotebookNode:
    """Return the student copy of a book notebook (see the module docstring).

    Args:
        nb: the book notebook (nbformat NotebookNode); it is not modified.
        name: its file name, used to number the exercises and in error messages.
        folder: the book's folder, for the bibliography and page titles of roles (optional).
        ctx: a :class:`~deepwhy.classroom.myst.Context` to reuse (optional; overrides ``folder``).
        solutions: keep each solution, folded and without its markers: the reader's copy.

    Raises ClassroomError if a solution cell has no ``# BEGIN SOLUTION`` marker, or the
    solution blocks are malformed. Used in: ``make student`` and the grader.
    """
    return _Builder(nb, name, folder, ctx, solutions).build()


def public_lines(instructor, name: str = "notebook") -> set:
    """Return the stripped lines of a book notebook that its student copy may show."""
    layout = read_layout(instructor, name, strict=True)
    secret = set(s.strip() for s in layout.secret)
    out = set()
    for info in layout.cells:
        lines = source(instructor.cells[info.index]).split("\n")
        if info.role == "markdown":
            for piece in info.pieces:
                if piece.kind != "drop":
                    out |= {s.strip() for s in lines[piece.start:piece.end]}
        elif info.role != "solution":
            out |= {s.strip() for s in lines}
        else:
            out |= {s.strip() for s in lines if s.strip() not in secret}
    return out


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


def leaks(instructor, student, name: str = "notebook") -> list[str]:
    """Return the problems of a student copy: solution lines it contains, markers, outputs, MyST.

    A line of solution text counts as leaked if it appears in the student copy but nowhere in
    the instructor notebook outside the solutions (a line like ``return out`` may well occur in
    public code too). An empty list means the copy is clean.

    Args:
        instructor: the book notebook the copy was made from.
        student: the student copy (as written to disk, re-read).
        name: the notebook's file name, for the messages.

    Used in: ``python -m deepwhy.classroom student --check`` and tests/test_classroom.py.
    """
    layout = read_layout(instructor, name, strict=True)
    public = public_lines(instructor, name)
    texts = list(_strings(student))
    lines = {s.strip() for t in texts for s in t.split("\n")}
    blob = "\n".join(texts)
    problems = []
    for secret in dict.fromkeys(s.strip() for s in layout.secret):
        if not secret or secret in public:
            continue
        if secret in lines or (len(secret) >= 12 and secret in blob):
            problems.append(f"{name}: solution line leaked: {secret!r}")
    for i, cell in enumerate(student.cells):
        if "solution" in tags(cell) and "raise NotImplementedError" not in source(cell):
            problems.append(f"{name}, cell {i}: a solution cell without its NotImplementedError stub")
    return problems + markup(student, name)


def markup(copy_, name: str = "notebook") -> list[str]:
    """Return what a plain copy must not keep: solution markers, outputs, book-only cells, MyST, metadata.

    An empty list means the copy reads cleanly in any notebook front end. Used in: :func:`leaks`
    and the reader's copies' check.
    """
    problems = []
    for i, cell in enumerate(copy_.cells):
        text = source(cell)
        if any(BEGIN.match(s) or END.match(s) for s in text.split("\n")):
            problems.append(f"{name}, cell {i}: a solution marker is left")
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"{name}, cell {i}: has stored outputs")
        if "remove-cell" in tags(cell):
            problems.append(f"{name}, cell {i}: a book-only (remove-cell) cell is left")
        if cell.cell_type == "markdown" and myst.has_myst(text):
            problems.append(f"{name}, cell {i}: MyST markup is left (a role, directive or target)")
    extra = set(copy_.metadata) - set(KEEP_NOTEBOOK_METADATA)
    if extra:
        problems.append(f"{name}: notebook metadata keeps {sorted(extra)}")
    return problems


def notebooks(paths) -> list[pathlib.Path]:
    """Expand files and folders into a sorted list of notebooks (checkpoints skipped).

    Raises ValueError naming a path that is neither a notebook nor a folder.
    """
    out = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.is_file() and p.suffix == ".ipynb":
            out.append(p)
        else:
            raise ValueError(f"paths must be notebooks or folders of notebooks, got {str(p)!r}")
    return out


def write_student(src, out, check: bool = False, solutions: bool = False) -> list[pathlib.Path]:
    """Write the student copy of every notebook in ``src`` into ``out``; return the written paths.

    Args:
        src: a folder of book notebooks (searched recursively) or one notebook.
        out: the folder to write into (created if missing); sub-folders mirror ``src``.
        check: verify each copy, as it will be read back from disk, with :func:`leaks` (with
            ``solutions``, :func:`markup`), and raise ClassroomError if any solution leaked or
            any MyST or book-only cell is left.
        solutions: write the reader's copies, solutions kept (see the module docstring).

    Nothing is written unless every notebook converts (and, with ``check``, passes the check).
    Used in: ``make student``.
    """
    src, out = pathlib.Path(src), pathlib.Path(out)
    base = src if src.is_dir() else src.parent
    if out.resolve() == base.resolve():
        raise ValueError(f"out must differ from the source folder, got {str(out)!r}")
    sources = [p for p in notebooks([src]) if out.resolve() not in p.resolve().parents]
    if not sources:
        raise ValueError(f"src must hold at least one .ipynb notebook, got {str(src)!r}")
    copies, contexts = [], {}
    for p in sources:
        instructor = read_notebook(p)
        ctx = contexts.setdefault(p.parent, myst.Context(p.parent))
        student = student_version(instructor, p.name, ctx=ctx, solutions=solutions)
        nbformat.validate(student)
        text = nbformat.writes(student) + "\n"
        copies.append((p, out / p.relative_to(base), instructor, text))
    if check:
        check_one = (lambda instructor, copy_, name: markup(copy_, name)) if solutions else leaks
        problems = [msg for p, _, instructor, text in copies
                    for msg in check_one(instructor, nbformat.reads(text, as_version=4), p.name)]
        if problems:
            raise ClassroomError("the student copies would leak solutions or keep book markup:\n  "
                                 + "\n  ".join(problems))
    for _, dest, _, text in copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return [dest for _, dest, _, _ in copies]
