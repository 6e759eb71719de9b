"""The command line: ``python -m deepwhy.classroom student|grade|list|gradescope``.

Used in: ``make student``, the instructor guide (book/instructors.md) and the Gradescope
autograder's ``run_autograder``.
"""
from __future__ import annotations

import argparse
import sys

from . import export, sandbox
from .grading import STATUSES, grade_all
from .reading import ClassroomError, exercises, read_notebook
from .student import notebooks, write_student
from .table import plural


def _cmd_student(args) -> int:
    try:
        written = write_student(args.src, args.out, check=args.check, solutions=args.solutions)
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for dest in written:
        print(f"wrote {dest}")
    if args.check:
        print(f"checked {plural(len(written), 'notebook')}: "
              + ("no book markup left" if args.solutions else "no solution leaked, no book markup left"))
    return 0


def _limits(args) -> sandbox.Limits:
    return sandbox.Limits(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout, memory=args.memory)


def _cmd_grade(args) -> int:
    try:
        limits = _limits(args)
        if args.gradescope_results and not args.source:
            raise ValueError("--gradescope-results needs --source, the chapter the submission answers")
        if not args.no_sandbox and sandbox.problem():
            print(f"error: cannot grade in a sandbox: {sandbox.problem()}", file=sys.stderr)
            return 2
        reports = grade_all(args.paths, source=args.source, limits=limits, sandbox=not args.no_sandbox,
                            jobs=args.jobs)
        counts, done = dict.fromkeys(STATUSES, 0), []
        for report in reports:
            done.append(report)
            for line in report.lines():
                print(line, flush=True)
            for g in report.grades:
                counts[g.status] += 1
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: {plural(len(done), 'notebook')} graded; the others were not, and no grade was "
              "written", file=sys.stderr)
        return 130
    failed = counts["failed"] + sum(1 for r in done if r.chapter is None)
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status != "no check")
    students = len({r.student for r in done})
    print(f"{plural(total, 'exercise')} in {plural(len(done), 'notebook')} of {plural(students, 'student')}: "
          f"{summary}")
    if args.gradebook:
        export.write_gradebook(done, args.gradebook)
        print(f"wrote {args.gradebook}")
    if args.gradescope_results:
        export.write_gradescope_results(done, args.gradescope_results, args.source)
    return 1 if failed else 0


def _cmd_list(args) -> int:
    try:
        for path in notebooks(args.paths):
            for ex in exercises(read_notebook(path), path.name):
                checks = ", ".join(dict.fromkeys(ex.checks)) or "no check"
                print(f"{path}: {ex.name} {ex.label} ({ex.title}): {checks}; {plural(ex.points, 'point')}; "
                      f"solution {ex.solution_lines} lines")
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _cmd_gradescope(args) -> int:
    try:
        out = export.write_gradescope_zip(args.notebook, args.out, limits=_limits(args))
    except (ClassroomError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


def _limit_options(p) -> None:
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds allowed per exercise cell, solution or check (default 60)")
    p.add_argument("--notebook-timeout", type=float, default=600.0,
                   help="seconds allowed per notebook (default 600)")
    p.add_argument("--memory", default="2G", help="address space per process, e.g. 2G or 1500M (default 2G)")


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m deepwhy.classroom",
                                     description="Student copies, exercise lists and grading of the book's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="write student copies of the notebooks, without solutions")
    p.add_argument("src", help="folder of book notebooks (e.g. book/) or one notebook")
    p.add_argument("--out", required=True, help="folder to write the student copies into (e.g. student/)")
    p.add_argument("--check", action="store_true", help="verify that no solution or book markup reached the copies")
    p.add_argument("--solutions", action="store_true",
                   help="keep the solutions, folded: the reader's copies that Binder and Colab open (notebooks/)")
    p.set_defaults(run=_cmd_student)

    p = sub.add_parser("grade", help="grade submissions in a sandbox and report each exercise")
    p.add_argument("paths", nargs="+", help="notebooks, or folders of submissions (e.g. submissions/)")
    p.add_argument("--source", help="the instructor's notebooks (e.g. book/): their cells are the ones that run; "
                                    "without it each notebook is graded against its own cells")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the number of cores)")
    p.add_argument("--gradebook", help="write a CSV: student, one column per exercise, total, max")
    p.add_argument("--gradescope-results", help=argparse.SUPPRESS)   # used by run_autograder
    p.add_argument("--no-sandbox", action="store_true",
                   help="run without bubblewrap, with your own user rights (only for notebooks you trust)")
    _limit_options(p)
    p.set_defaults(run=_cmd_grade)

    p = sub.add_parser("list", help="list the exercises of notebooks")
    p.add_argument("paths", nargs="+", help="notebooks or folders")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("gradescope", help="write a Gradescope autograder zip for one chapter")
    p.add_argument("notebook", help="the chapter's book notebook, e.g. book/06_failure_modes.ipynb")
    p.add_argument("--out", required=True, help="the zip to write, e.g. autograder-ch6.zip")
    _limit_options(p)
    p.set_defaults(run=_cmd_gradescope)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
