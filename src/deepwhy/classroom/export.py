"""Exports of the grades: a gradebook CSV for a learning platform, and the Gradescope autograder.

- :func:`write_gradebook` writes one row per student: ``student``, one column per exercise
  number (``2.1``, ``2.2``, ...) with the points earned, then ``total`` and ``max``. A student
  who handed in a chapter twice keeps the better points of each exercise; one who did not hand
  it in gets 0 for its exercises.
- :func:`write_gradescope_zip` writes an autograder following Gradescope's documented contract:
  ``setup.sh`` installs Python, bubblewrap, the pinned packages and this course package (its
  exact source is in the zip); ``run_autograder`` grades ``/autograder/submission/*.ipynb``
  against the chapter's student copy with the same grader, and
  :func:`write_gradescope_results` writes ``/autograder/results/results.json``.

Used in: ``python -m deepwhy.classroom grade --gradebook`` and ``... gradescope``.
"""
from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import pathlib
import zipfile

import nbformat

import deepwhy

from .assemble import Sources
from .reading import read_notebook
from .sandbox import Limits
from .student import student_version

# The distributions a grading run imports: the kernel's chapter code and the grader itself.
RUNTIME = ("torch", "numpy", "scipy", "matplotlib", "tqdm", "ipywidgets", "scikit-learn", "threadpoolctl",
           "ipykernel", "ipython", "jupyter_client", "nbclient", "nbformat", "markdown-it-py", "mdit-py-plugins")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _number_key(number: str) -> tuple:
    parts = [int(p) if p.isdigit() else 0 for p in str(number).split(".")]
    return (0, *parts) if len(parts) == 1 else (1, *parts)   # the introduction's "1" before "1.1"


def _best(reports) -> dict:
    """Return {student: {number: points}}, keeping each exercise's best points over a student's reports."""
    out = {}
    for report in reports:
        row = out.setdefault(report.student, {})
        for g in report.grades:
            if g.status != "no check":
                row[g.exercise.number] = max(row.get(g.exercise.number, 0.0), g.points)
    return out


def gradebook(reports) -> str:
    """Return the gradebook CSV of ``reports``: student, one column per exercise number, total, max."""
    available = {}
    for report in reports:
        for g in report.grades:
            if g.status != "no check":
                available[g.exercise.number] = g.exercise.points
    numbers = sorted(available, key=_number_key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *numbers, "total", "max"])
    for student, row in sorted(_best(reports).items()):
        points = [row.get(n, 0.0) for n in numbers]
        writer.writerow([student, *(f"{p:g}" for p in points), f"{sum(points):g}",
                         f"{sum(available.values()):g}"])
    return out.getvalue()


def write_gradebook(reports, path) -> pathlib.Path:
    """Write :func:`gradebook` to ``path`` (UTF-8); return the path."""
    path = pathlib.Path(path)
    path.write_text(gradebook(list(reports)), encoding="utf-8")
    return path


def gradescope_results(reports, source) -> dict:
    """Return Gradescope's ``results.json`` for one student's submission of the chapter in ``source``.

    Every exercise of the chapter is a test (``name``, ``number``, ``score``, ``max_score``,
    ``status``, ``output``): the check's feedback, or why it failed. An exercise answered in
    several submitted notebooks keeps its best result; one not found in any scores 0.
    """
    reports = list(reports)
    chapter = Sources(source).chapters[0]
    tests = []
    for ex in chapter.exercises:
        if not ex.check_cells:
            continue
        found = [g for r in reports for g in r.grades if g.exercise.label == ex.label]
        best = max(found, key=lambda g: g.points, default=None)
        if best is None:
            status, score, output = "failed", 0.0, "No submitted notebook answers this exercise."
        else:
            status, score = ("passed" if best.status == "passed" else "failed"), best.points
            output = "\n\n".join(t for t in (best.status + (f": {best.message}" if best.message else ""),
                                             best.output) if t)
        tests.append({"name": ex.heading, "number": ex.number, "score": score, "max_score": ex.points,
                      "status": status, "output": output, "visibility": "visible"})
    notes = [f"{pathlib.Path(r.path).name}: {n}" for r in reports for n in r.notes]
    if not reports:
        notes.append("No notebook (.ipynb) was found in the submission.")
    return {"score": sum(t["score"] for t in tests), "tests": tests, "output": "\n".join(notes),
            "stdout_visibility": "hidden"}


def write_gradescope_results(reports, path, source) -> pathlib.Path:
    """Write :func:`gradescope_results` as JSON to ``path`` (its folder is created); return the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(reports, source), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def pinned_requirements() -> str:
    """Return ``name==version`` lines for the distributions a grading run imports, as installed here."""
    lines = []
    for name in RUNTIME:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return "\n".join(lines) + "\n"


_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. Pick the Ubuntu 24.04 base
# image (Python 3.12): the pinned packages need Python 3.11 or newer.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q --extra-index-url {index} -r /autograder/source/requirements.txt
/autograder/venv/bin/pip install -q --no-deps /autograder/source/deepwhy
"""

_RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission/*.ipynb against
# {name} and write /autograder/results/results.json. The grader runs the notebook in
# bubblewrap where the container allows it; where it does not (exit status 2, and it says
# why), it grades again without: Gradescope's container serves this one submission and is
# thrown away.
set -u
cd /autograder/source
PY="${{DEEPWHY_PYTHON:-/autograder/venv/bin/python}}"
RESULTS=/autograder/results/results.json
mkdir -p /autograder/results
rm -f "$RESULTS"
grade() {{
  "$PY" -m deepwhy.classroom grade /autograder/submission --source "/autograder/source/{name}" \\
    --gradescope-results "$RESULTS" --jobs 1 --timeout {cell:g} --notebook-timeout {notebook:g} --memory {memory} "$@"
}}
grade
if [ $? -eq 2 ] && [ ! -s "$RESULTS" ]; then
  grade --no-sandbox
fi
if [ ! -s "$RESULTS" ]; then
  echo '{{"score": 0, "tests": [], "output": "The autograder could not grade this submission; please tell your \
instructor."}}' > "$RESULTS"
fi
exit 0
"""

_PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "deepwhy"
version = "{version}"
requires-python = ">=3.11"

[tool.setuptools.packages.find]
where = ["src"]
"""


def _add(zf: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def write_gradescope_zip(notebook, out, limits: Limits | None = None) -> pathlib.Path:
    """Write a Gradescope autograder zip for one chapter; return its path.

    Args:
        notebook: the chapter's book notebook (e.g. ``book/06_failure_modes.ipynb``). The zip
            holds its student copy, not its solutions: the cells that run are the copy's, the
            checks come from the package.
        out: the zip file to write.
        limits: the time and memory limits ``run_autograder`` grades with.

    Used in: ``python -m deepwhy.classroom gradescope``.
    """
    path = pathlib.Path(notebook)
    nb = read_notebook(path)
    copy = student_version(nb, path.name, folder=path.parent)
    limits = limits or Limits()
    package = pathlib.Path(deepwhy.__file__).resolve().parent
    out = pathlib.Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"out must be a .zip file, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        _add(zf, "setup.sh", _SETUP.format(index=TORCH_CPU_INDEX), executable=True)
        _add(zf, "run_autograder", _RUN.format(name=path.name, cell=limits.cell_timeout,
                                               notebook=limits.notebook_timeout, memory=limits.memory),
             executable=True)
        _add(zf, path.name, nbformat.writes(copy) + "\n")
        _add(zf, "requirements.txt", pinned_requirements())
        _add(zf, "deepwhy/pyproject.toml", _PYPROJECT.format(version=deepwhy.__version__))
        for file in sorted(package.rglob("*.py")):
            _add(zf, f"deepwhy/src/deepwhy/{file.relative_to(package).as_posix()}", file.read_text(encoding="utf-8"))
    return out
