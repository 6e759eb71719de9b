"""Student copies, exercise lists and trustworthy grading, all from one source: the book's notebooks.

One module per job:

- :mod:`~deepwhy.classroom.reading`   the exercise format: which cells make up which exercise
- :mod:`~deepwhy.classroom.myst`      the book's MyST, parsed with markdown-it-py, as plain Markdown
- :mod:`~deepwhy.classroom.student`   student copies (``make student``) and their leak check
- :mod:`~deepwhy.classroom.assemble`  the notebook that is graded: the instructor's cells, the
  student's solution code, checks loaded fresh, each verdict tied to a secret per run
- :mod:`~deepwhy.classroom.sandbox`   running that notebook in a bubblewrap sandbox with limits
- :mod:`~deepwhy.classroom.runner`    the script that executes it inside the sandbox
- :mod:`~deepwhy.classroom.grading`   verdicts, points, a class graded in parallel
- :mod:`~deepwhy.classroom.export`    the gradebook CSV and the Gradescope autograder
- :mod:`~deepwhy.classroom.table`     the instructor guide's table of exercises

Command line (``python -m deepwhy.classroom``)::

    student book/ --out student/ [--check] [--solutions]
    grade submissions/ --source book/ [--jobs 2] [--gradebook grades.csv] [--timeout 60]
          [--notebook-timeout 600] [--memory 2G] [--no-sandbox]
    gradescope book/02_backprop.ipynb --out autograder.zip
    list book/

The instructor guide (book/instructors.md) walks through a whole assignment.
"""
from __future__ import annotations

from .assemble import Sources
from .cli import main
from .grading import Grade, Report, grade, grade_all
from .reading import ClassroomError, Exercise, chapter_number, exercises, read_notebook
from .sandbox import Limits
from .student import leaks, student_version, write_student
from .table import book_notebooks, exercise_table, rough_minutes

__all__ = ["ClassroomError", "Exercise", "chapter_number", "exercises", "read_notebook", "leaks",
           "student_version", "write_student", "book_notebooks", "exercise_table", "rough_minutes",
           "Sources", "Limits", "Grade", "Report", "grade", "grade_all", "main"]
