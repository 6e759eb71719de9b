"""Grading: run each submission in the sandbox and read every exercise's verdict back.

An exercise is *passed* only if each of its check cells printed the verdict line with the
secret nonce made for this run (:mod:`deepwhy.classroom.assemble`), which happens only when
the instructor's check ran to the end. Anything else (a ``CheckFailed``, an error, a dead or
hung kernel, a time limit, a run that returned nothing) is *failed*, or *not attempted* when
the stub's ``NotImplementedError`` is still in place. An exercise without a check cell is
*no check* (grade it by hand). A passed exercise earns its points (1 unless set, see
:mod:`deepwhy.classroom.reading`).

A class is graded ``jobs`` submissions at a time; each submission's student is the name of
its folder under the folder given (``submissions/<student>/<chapter>.ipynb``), or the file's
stem for a flat layout (``submissions/<student>.ipynb``).

Used in: ``python -m deepwhy.classroom grade`` and the Gradescope autograder.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib

import deepwhy

from .. import _validate
from .assemble import MARKER, Source, Sources, assemble
from .reading import ClassroomError, Exercise, read_notebook
from .sandbox import Limits, Result, run, stop_all
from .student import notebooks

NOT_ATTEMPTED = "not attempted yet"
STATUSES = ("passed", "failed", "not attempted", "no check")
CHECKS_PATH = str(pathlib.Path(deepwhy.__file__).resolve().parent / "checks.py")


@dataclasses.dataclass
class Grade:
    """The outcome of one exercise: its status, the check's message, the points earned, the output."""

    notebook: str
    exercise: Exercise
    status: str
    message: str = ""
    points: float = 0.0
    output: str = ""

    def line(self) -> str:
        """Return the one-line report: ``path: Exercise 6.2 (title): failed: message``."""
        ex = self.exercise
        what = ex.name + (f" ({ex.title})" if ex.title else "")
        tail = f": {' '.join(self.message.split())}" if self.message else ""
        return f"{self.notebook}: {what}: {self.status}{tail}"


@dataclasses.dataclass
class Report:
    """Everything graded in one submission: its student, chapter, grades, and notes for the instructor."""

    path: str
    student: str
    chapter: str | None = None
    grades: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)

    @property
    def total(self) -> float:
        """Return the points earned."""
        return sum(g.points for g in self.grades)

    @property
    def max(self) -> float:
        """Return the points available in the exercises that have a check."""
        return sum(g.exercise.points for g in self.grades if g.status != "no check")

    def lines(self) -> list[str]:
        """Return the report's lines: one per exercise, one per note, then the points."""
        out = [g.line() for g in self.grades] + [f"{self.path}: {note}" for note in self.notes]
        if self.chapter:
            out.append(f"{self.path}: {self.student}, {self.chapter}: {self.total:g} of {self.max:g} points")
        return out


def _error(cell):
    """Return (ename, evalue) of the error a code cell raised when it ran, or None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), out.get("evalue", "")
    return None


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def describe(error, limits: Limits) -> str:
    """Return "raised X: ..." for an (ename, evalue) error output, or what a limit did to the cell."""
    ename, evalue = error
    if ename == "KeyboardInterrupt":
        return f"was stopped at its time limit ({limits.cell_timeout:g} s per exercise cell)"
    if ename == "TimeLimit":
        return f"ran past its time limit ({limits.cell_timeout:g} s per exercise cell) and ignored the interrupt"
    if ename == "DeadKernel":
        return "ended when the kernel died (the code crashed, ran out of memory or exited)"
    if ename == "NotRun":
        return f"did not run: the notebook's {limits.notebook_timeout:g} s limit was reached"
    return f"raised {ename}: {' '.join(str(evalue).split())[:300]}"


def verdict(job, nb, ex: Exercise, limits: Limits) -> tuple[str, str]:
    """Return (status, message) of one exercise in the executed notebook of ``job``."""
    if not ex.check_cells:
        return "no check", ""
    if all(f"{MARKER} {job.nonces[i]}" in _printed(nb.cells[i]).split("\n") and _error(nb.cells[i]) is None
           for i in ex.check_cells):
        return "passed", ""
    stub_hit = None                              # what the student's own solution cell raised, if anything
    for i in ex.solution_cells:
        stub_hit = _error(nb.cells[i]) or stub_hit
    found = []
    for i in ex.check_cells:
        err = _error(nb.cells[i])
        if err is None:
            found.append(("failed", "the check did not run to the end"))
            continue
        ename, evalue = err
        if ename == "NotImplementedError" or (ename == "CheckFailed" and NOT_ATTEMPTED in evalue):
            found.append(("not attempted", ""))
        elif ename == "CheckFailed":
            found.append(("failed", evalue))
        elif stub_hit and stub_hit[0] == "NotImplementedError":
            found.append(("not attempted", ""))
        elif stub_hit:
            found.append(("failed", f"your solution cell {describe(stub_hit, limits)}"))
        else:
            found.append(("failed", f"the check {describe(err, limits)}"))
    for status in ("failed", "not attempted"):
        for v in found:
            if v[0] == status:
                return v
    return "failed", "the check did not run to the end"


def _feedback(nb, ex: Exercise) -> str:
    """Return what the exercise's check cells printed, without the verdict lines."""
    text = "".join(_printed(nb.cells[i]) for i in ex.check_cells)
    return "\n".join(line for line in text.split("\n") if not line.startswith(MARKER)).strip()


def grade(path, source=None, limits: Limits | None = None, sandbox: bool = True, student: str | None = None,
          sources: Sources | None = None) -> Report:
    """Grade one submitted notebook; return its :class:`Report`.

    Args:
        path: the student's notebook.
        source: the instructor's notebook or folder (book or student format); its cells are the
            ones that run, with the submission's solution code. None grades the notebook against
            itself (a student's self-check: its own check cells run, so a grade means little).
        limits: time and memory limits (default :class:`~deepwhy.classroom.sandbox.Limits`).
        sandbox: run in bubblewrap; False runs with your user rights (trusted notebooks only).
        student: the student's name for the report (default: the file's stem).
        sources: an already read :class:`~deepwhy.classroom.assemble.Sources` (overrides ``source``).

    A notebook that cannot be read or matched gets a report with a note and no grades.
    Used in: ``python -m deepwhy.classroom grade``.
    """
    limits = limits or Limits()
    path = pathlib.Path(path)
    report = Report(str(path), student or path.stem)
    try:
        submission = read_notebook(path)
        if sources is None and source is not None:
            sources = Sources(source)
        src = sources.match(submission) if sources is not None else Source(submission, path.name)
        job = assemble(src, submission, CHECKS_PATH)
    except (ClassroomError, ValueError) as e:
        report.notes.append(f"cannot grade: {' '.join(str(e).split())}")
        return report
    report.chapter = src.name
    report.notes += job.flags
    if sources is None:
        report.notes.append("graded against its own cells (no --source): its check cells could be forged")
    try:
        result = run(job.notebook, limits, sandbox=sandbox)
    except Exception as e:  # noqa: BLE001 - one notebook the grader could not run must not stop the class
        result = Result(None, [f"the grader could not run this notebook: {type(e).__name__}: {e}"])
    report.notes += result.notes
    nb = result.notebook
    for ex in src.exercises:
        if nb is None:
            status, message = ("failed", result.notes[-1]) if ex.check_cells else ("no check", "")
            report.grades.append(Grade(str(path), ex, status, message))
            continue
        status, message = verdict(job, nb, ex, limits)
        report.grades.append(Grade(str(path), ex, status, message, ex.points if status == "passed" else 0.0,
                                   _feedback(nb, ex)))
    if nb is not None:
        inside = {i for ex in src.exercises for i in ex.solution_cells + ex.check_cells}
        errors = [(i, _error(c)) for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and i not in inside and _error(c) and _error(c)[0] != "NotRun"]
        if errors:  # the first one matters; the later ones usually follow from it
            i, err = errors[0]
            more = f" (and {len(errors) - 1} later cells raised errors)" if len(errors) > 1 else ""
            report.notes.append(f"cell {i}, not part of an exercise, {describe(err, limits)}{more}")
    return report


def submissions(paths) -> list[tuple[str, pathlib.Path]]:
    """Return (student, notebook) for every notebook under ``paths``, in order.

    A notebook in a folder given as a path belongs to the student named by its first
    sub-folder (``submissions/alice/02_backprop.ipynb`` -> alice), or by its stem when it
    sits directly in that folder (``submissions/alice.ipynb`` -> alice); a notebook given as
    a path belongs to its stem. Raises ValueError for a path that is neither.
    """
    out = []
    for p in map(pathlib.Path, paths):
        for nb in notebooks([p]):
            rel = nb.relative_to(p) if p.is_dir() else pathlib.Path(nb.name)
            out.append((rel.parts[0] if len(rel.parts) > 1 else rel.stem, nb))
    return out


def grade_all(paths, source=None, limits: Limits | None = None, sandbox: bool = True, jobs: int | None = None):
    """Yield a :class:`Report` for every notebook under ``paths``, in order, grading ``jobs`` at a time.

    Args:
        paths: notebooks and folders of submissions (see :func:`submissions`).
        source: the instructor's notebook or folder; None grades each notebook against itself.
        limits: time and memory limits; each kernel gets ``cores // jobs`` threads.
        sandbox: run each notebook in bubblewrap (see :func:`grade`).
        jobs: submissions graded at once, >= 1 (default: the number of cores).
    """
    jobs = _validate.positive_int("jobs", (os.cpu_count() or 1) if jobs is None else jobs)
    found = submissions(paths)
    sources = Sources(source) if source is not None else None
    limits = limits or Limits()
    limits = dataclasses.replace(limits, threads=max(1, (os.cpu_count() or 1) // jobs))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        yield from pool.map(lambda item: grade(item[1], limits=limits, sandbox=sandbox, student=item[0],
                                               sources=sources), found)
    except BaseException:          # interrupted: nothing half-graded is reported, nothing keeps running
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    pool.shutdown()
