"""The student-version generator, the leak check, the exercise table and the command line of deepwhy.classroom.

Grading real chapters in the sandbox is tested in tests/test_classroom_grading.py.
"""
import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from deepwhy import classroom
from deepwhy.classroom import ClassroomError, grading, sandbox

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

# Words that occur only in the fixture's solutions: none may reach a student copy.
SECRETS = ["2 * x", "secret_value", "multiply x by itself", "hidden reason", "leaky", "solved-before"]

DOUBLE_SOLUTION = '''def double(x):
    """Return twice x."""
    # BEGIN SOLUTION
    return 2 * x'''

SQUARE_SOLUTION = '''class Squarer:
    """Squares numbers."""

    def __call__(self, x):
        """Return x squared."""
        # BEGIN SOLUTION
        secret_value = x * x
        return secret_value
        # END SOLUTION

    def name(self):
        return "squarer"'''


def _check(name, call, expected):
    return (f"from deepwhy import checks\n\n"
            f"out = checks.call_student({call}, 3, exercise='Exercise 9.{name}')\n"
            f"checks.compare(out, {expected}, inputs='3', exercise='Exercise 9.{name}')\n"
            f"checks.passed('ok')")


def demo_notebook(double=DOUBLE_SOLUTION):
    """An instructor notebook with three exercises: a function, a method (END marker), a prose one."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# Demo chapter\n\nSome text."),
        code("x = 1", metadata={"tags": ["hide-input"]},
             outputs=[nbformat.v4.new_output("stream", text="an old output\n")], execution_count=3),
        md("## Exercises\n\n```{exercise} Double\n:label: ex-demo-double\n\nWrite `double(x)`.\n```\n\n"
           "```{solution-start} ex-demo-double\n:class: dropdown\n```"),
        code(double, metadata={"tags": ["solution"], "note": "leaky"},
             outputs=[nbformat.v4.new_output("stream", text="solved-before\n")]),
        md("```{solution-end}\n```"),
        code(_check(1, "double", 6), metadata={"tags": ["check"]}),
        md("```{exercise} Square\n:label: ex-demo-square\n\nWrite `Squarer`.\n```\n\n"
           "```{solution-start} ex-demo-square\n:class: dropdown\n```\nThe trick: multiply x by itself."),
        code(SQUARE_SOLUTION, metadata={"tags": ["solution"]}),
        md("Why it works: the hidden reason.", attachments={"leaky.png": {"image/png": "AAAA"}}),
        md("```{solution-end}\n```\n\nAfter the solution: public text."),
        code(_check(2, "Squarer()", 9), metadata={"tags": ["check"]}),
        md(":::{exercise} Why\n:label: ex-demo-why\n\nExplain.\n:::\n\n"
           "````{solution} ex-demo-why\n:class: dropdown\n\nBecause of the hidden reason.\n```python\nleaky()\n```\n"
           "````\n\nThe end."),
        code("y = 2"),
    ]
    for i, cell in enumerate(cells):
        cell.id = f"c{i:03d}"
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}, "secret": "leaky"})
    nbformat.validate(nb)
    return nb


def _text(nb) -> str:
    return json.dumps(nb)


def _stubs(nb) -> list:
    return [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]


def _run_cell(source: str) -> dict:
    namespace = {}
    exec(compile(source, "stub", "exec"), namespace)  # noqa: S102 - our own generated stub
    return namespace


# -- the generator ------------------------------------------------------------------------

def test_student_copy_leaks_nothing():
    nb = demo_notebook()
    student = classroom.student_version(nb, "09_demo.ipynb")
    text = _text(student)
    for secret in SECRETS:
        assert secret not in text, secret
    assert classroom.leaks(nb, student, "09_demo.ipynb") == []
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in student.cells if c.cell_type == "code")
    assert set(student.metadata) == {"kernelspec", "language_info"}
    nbformat.validate(student)


def test_instructor_notebook_is_left_alone():
    nb = demo_notebook()
    before = _text(nb)
    classroom.student_version(nb, "09_demo.ipynb")
    assert _text(nb) == before


def test_stubs_raise_with_the_exercise_number_and_label():
    student = classroom.student_version(demo_notebook(), "09_demo.ipynb")
    stubs = _stubs(student)
    assert len(stubs) == 2
    double = _run_cell(stubs[0].source)["double"]
    assert double.__doc__ == "Return twice x."
    with pytest.raises(NotImplementedError, match=r"^Exercise 9\.1: write your code here$"):
        double(3)
    squarer = _run_cell(stubs[1].source)["Squarer"]()
    with pytest.raises(NotImplementedError, match=r"^Exercise 9\.2: "):
        squarer(3)
    assert squarer.name() == "squarer"  # the code after '# END SOLUTION' is kept
    assert stubs[0].source.splitlines()[-1] == '    raise NotImplementedError("Exercise 9.1: write your code here")'


def test_everything_else_is_identical():
    nb = demo_notebook()
    student = classroom.student_version(nb, "09_demo.ipynb")
    by_id = {c.id: c for c in student.cells}
    # Cells outside the exercises: identical, except that stored outputs are dropped (and a
    # hide-input cell starts folded in JupyterLab).
    for i in (0, 1, 12):
        original = dict(nb.cells[i], outputs=[], execution_count=None) if i == 1 else nb.cells[i]
        if i == 1:
            original["metadata"] = {"tags": ["hide-input"], "jupyter": {"source_hidden": True}}
        assert by_id[f"c{i:03d}"] == original
    # Statements become a heading and their text, up to the solution; text after a solution stays.
    assert by_id["c002"].source == "## Exercises\n\n### Exercise 9.1: Double\n\nWrite `double(x)`."
    assert by_id["c006"].source == "### Exercise 9.2: Square\n\nWrite `Squarer`."
    assert by_id["c009"].source == "After the solution: public text."
    assert by_id["c011"].source == "### Exercise 9.3: Why\n\nExplain.\n\nThe end."
    # The solution-end cell and the cell of solution prose are gone; nothing else is.
    assert [c.id for c in student.cells] == ["c000", "c001", "c002", "solution-stub-3", "c005", "c006",
                                             "solution-stub-7", "c009", "c010", "c011", "c012"]
    # The grader finds each exercise from the metadata, whatever the file is called.
    assert by_id["c002"].metadata["deepwhy"] == {"exercises": [
        {"label": "ex-demo-double", "number": "9.1", "title": "Double", "points": 1.0}]}
    assert by_id["solution-stub-3"].metadata["deepwhy"] == {"exercise": "ex-demo-double", "role": "solution"}
    assert by_id["c005"].metadata["deepwhy"] == {"exercise": "ex-demo-double", "role": "check", "points": 1.0}


def test_book_only_cells_are_dropped_but_what_visible_cells_need_is_kept():
    nb = demo_notebook()
    code = nbformat.v4.new_code_cell
    nb.cells[1:1] = [code("import math\nscale = 3\nassert scale > 2\nledger_claim = print(scale)",
                          metadata={"tags": ["remove-cell"]}),
                     code("print(scale * 2)"),
                     code("ledger.summary('Demo')", metadata={"tags": ["remove-input"]})]  # no claims there
    student = classroom.student_version(nb, "09_demo.ipynb")
    assert not any("remove-cell" in c.metadata.get("tags", []) for c in student.cells)
    assert not any("ledger" in c.source for c in student.cells)
    kept = student.cells[1]
    assert kept.source.splitlines()[1:] == ["scale = 3"]            # no assert, nothing unused
    assert kept.metadata["jupyter"] == {"source_hidden": True}


def test_points_come_from_cell_metadata():
    nb = demo_notebook()
    nb.cells[5].metadata["deepwhy"] = {"points": 2}                       # on the check cell
    nb.cells[6].metadata["deepwhy"] = {"points": {"ex-demo-square": 3}}   # on the statement cell
    assert [ex.points for ex in classroom.exercises(nb, "09_demo.ipynb")] == [2.0, 3.0, 1.0]
    student = classroom.student_version(nb, "09_demo.ipynb")
    assert [ex.points for ex in classroom.exercises(student, "09_demo.ipynb")] == [2.0, 3.0, 1.0]
    nb.cells[5].metadata["deepwhy"] = {"points": -1}
    with pytest.raises(ClassroomError, match="cell 5: points must be a number >= 0"):
        classroom.exercises(nb, "09_demo.ipynb")


def test_exercises_are_found_with_their_cells():
    found = classroom.exercises(demo_notebook(), "09_demo.ipynb")
    assert [(e.number, e.label, e.title) for e in found] == [
        ("9.1", "ex-demo-double", "Double"), ("9.2", "ex-demo-square", "Square"), ("9.3", "ex-demo-why", "Why")]
    assert [(e.solution_cells, e.check_cells, e.solution_lines) for e in found] == [
        ([3], [5], 1), ([7], [10], 2), ([], [], 0)]
    # The student copy has the same exercises, found by position now that the blocks are gone.
    student = classroom.student_version(demo_notebook(), "09_demo.ipynb")
    assert [e.label for e in classroom.exercises(student, "09_demo.ipynb")] == [e.label for e in found]


def _broken(index, source, tags=("solution",), keep=None):
    """The demo notebook with cell ``index`` replaced (a markdown cell if tags is None), cut to ``keep`` cells."""
    nb = demo_notebook()
    nb.cells[index] = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}) \
        if tags is not None else nbformat.v4.new_markdown_cell(source)
    nb.cells = nb.cells[:keep]
    return nb


@pytest.mark.parametrize("nb, expected", [
    (_broken(3, "def double(x):\n    return 2 * x"), r"09_demo\.ipynb, cell 3: .*no '# BEGIN SOLUTION' line"),
    (_broken(1, "# BEGIN SOLUTION\nx = 1"), r"cell 1: a 'solution' cell outside"),
    (_broken(3, "print(1)", tags=()), r"cell 3: a code cell inside the solution of 'ex-demo-double'"),
    (_broken(9, "no end", tags=None, keep=10), r"the solution of 'ex-demo-square' has no \{solution-end\}"),
    (_broken(3, "f(1,\n# BEGIN SOLUTION\n2)"), r"cell 3: the student stub is not valid Python"),
    (_broken(3, "x = 1\n# END SOLUTION"), r"cell 3: '# END SOLUTION' without"),
], ids=["no-marker", "outside-block", "untagged-inside", "unclosed", "bad-stub", "end-first"])
def test_format_errors_name_the_notebook_and_cell(nb, expected):
    with pytest.raises(ClassroomError, match=expected):
        classroom.student_version(nb, "09_demo.ipynb")


def test_unknown_solution_label_is_an_error():
    nb = demo_notebook()
    nb.cells[2].source = nb.cells[2].source.replace("{solution-start} ex-demo-double", "{solution-start} ex-typo")
    with pytest.raises(ClassroomError, match="'ex-typo' names no exercise"):
        classroom.student_version(nb, "09_demo.ipynb")


def test_leaks_reports_solution_lines_markers_and_outputs():
    nb = demo_notebook()
    student = classroom.student_version(nb, "09_demo.ipynb")
    student.cells[3].source += "\n    return 2 * x"                     # a solution line
    student.cells[4].metadata["comment"] = "hint: secret_value = x * x"  # in metadata, inside a longer text
    student.cells[5].source += "\n# BEGIN SOLUTION"
    student.cells[0].attachments = {"a.png": {"text/plain": "Because of the hidden reason."}}
    student.cells[1].outputs = [nbformat.v4.new_output("stream", text="out")]
    problems = "\n".join(classroom.leaks(nb, student, "09_demo.ipynb"))
    for expected in ["'return 2 * x'", "'secret_value = x * x'", "cell 5: a solution marker is left",
                     "'Because of the hidden reason.'", "cell 1: has stored outputs"]:
        assert expected in problems


def test_a_public_line_equal_to_a_solution_line_is_no_leak():
    nb = demo_notebook()
    nb.cells[12].source = "def triple(x):\n    return 2 * x + x\n    return 2 * x"
    student = classroom.student_version(nb, "09_demo.ipynb")
    assert classroom.leaks(nb, student, "09_demo.ipynb") == []


def test_student_command_writes_checked_copies(tmp_path, capsys):
    src, out = tmp_path / "book", tmp_path / "student"
    (src / "part").mkdir(parents=True)
    nbformat.write(demo_notebook(), src / "09_demo.ipynb")
    nbformat.write(demo_notebook(), src / "part" / "10_more.ipynb")
    assert classroom.main(["student", str(src), "--out", str(out), "--check"]) == 0
    assert "no solution leaked, no book markup left" in capsys.readouterr().out
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ipynb"))
    assert written == ["09_demo.ipynb", "part/10_more.ipynb"]
    for secret in SECRETS:
        assert secret not in (out / "09_demo.ipynb").read_text()


def test_student_command_writes_nothing_if_a_notebook_is_broken(tmp_path, capsys):
    src, out = tmp_path / "book", tmp_path / "student"
    src.mkdir()
    nbformat.write(demo_notebook(), src / "09_demo.ipynb")
    nbformat.write(_broken(3, "def double(x):\n    return 2 * x"), src / "10_bad.ipynb")
    assert classroom.main(["student", str(src), "--out", str(out)]) == 1
    assert "10_bad.ipynb, cell 3" in capsys.readouterr().err
    assert not out.exists()


def test_check_writes_nothing_when_a_copy_would_leak(tmp_path, monkeypatch):
    src, out = tmp_path / "book", tmp_path / "student"
    src.mkdir()
    nbformat.write(demo_notebook(), src / "09_demo.ipynb")
    real = classroom.student_version

    def leaky(nb, name, **kwargs):
        student = real(nb, name, **kwargs)
        student.cells[0].source += "\n    return 2 * x"
        return student

    monkeypatch.setattr(classroom.student, "student_version", leaky)
    with pytest.raises(ClassroomError, match="would leak solutions or keep book markup:\n  09_demo.ipynb: solution"):
        classroom.write_student(src, out, check=True)
    assert not out.exists()


def test_a_student_folder_inside_the_source_is_not_read_as_instructor_notebooks(tmp_path):
    nbformat.write(demo_notebook(), tmp_path / "09_demo.ipynb")
    classroom.write_student(tmp_path, tmp_path / "student")
    assert classroom.write_student(tmp_path, tmp_path / "student", check=True) == [tmp_path / "student" / "09_demo.ipynb"]


def test_write_student_validates_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="src must hold"):
        classroom.write_student(tmp_path, tmp_path / "out")
    nbformat.write(demo_notebook(), tmp_path / "09_demo.ipynb")
    with pytest.raises(ValueError, match="out must differ"):
        classroom.write_student(tmp_path, tmp_path)
    with pytest.raises(ValueError, match="existing .ipynb"):
        classroom.read_notebook(tmp_path / "missing.ipynb")


def test_every_book_notebook_converts_without_a_leak(tmp_path):
    written = classroom.write_student(BOOK, tmp_path, check=True)
    assert len(written) == len([p for p in BOOK.glob("*.ipynb")])


# -- the reader's copies (notebooks/, opened by the book's Binder and Colab buttons) --------------

def test_reader_copy_keeps_each_solution_folded_and_reads_as_plain_markdown():
    reader = classroom.student_version(demo_notebook(), "09_demo.ipynb", solutions=True)
    solutions = _stubs(reader)
    assert [c.source for c in solutions] == ['def double(x):\n    """Return twice x."""\n    return 2 * x',
                                             SQUARE_SOLUTION.replace("        # BEGIN SOLUTION\n", "")
                                                            .replace("        # END SOLUTION\n", "")]
    assert all(c.metadata["jupyter"]["source_hidden"] for c in solutions)
    before = [reader.cells[reader.cells.index(c) - 1].source for c in solutions]
    assert before == ["*A solution to Exercise 9.1, folded: try it yourself first.*",
                      "*A solution to Exercise 9.2, folded: try it yourself first.*"]
    assert classroom.student.markup(reader, "09_demo.ipynb") == []
    assert classroom.student.markup(demo_notebook(), "09_demo.ipynb")     # the book's own notebook is not plain
    nbformat.validate(reader)


def test_committed_reader_copies_are_up_to_date(tmp_path):
    written = classroom.write_student(BOOK, tmp_path, check=True, solutions=True)
    committed = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert committed == sorted(p.name for p in written), "notebooks/ must hold one reader's copy per book notebook"
    stale = [p.name for p in written if p.read_text() != (ROOT / "notebooks" / p.name).read_text()]
    assert not stale, f"notebooks/ is out of date for {stale}: run `make notebooks` and commit the result"


def test_reader_copy_of_the_intro_runs_to_the_end(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPWHY_STATIC", "1")
    monkeypatch.setenv("DEEPWHY_PROGRESS", "0")
    reader = _execute(nbformat.read(ROOT / "notebooks" / "intro.ipynb", as_version=4), tmp_path)
    check = next(c for c in reader.cells if "check" in c.metadata.get("tags", []))
    assert "✓" in "".join(o.get("text", "") for o in check.outputs if o.output_type == "stream")


# -- running student notebooks ---------------------------------------------------------------

def _execute(nb, cwd, **kwargs):
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                            **kwargs)
    client.execute()
    return nb


def test_student_intro_runs_until_its_exercise_then_stops_with_one_readable_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPWHY_STATIC", "1")
    monkeypatch.setenv("DEEPWHY_PROGRESS", "0")
    student = classroom.student_version(classroom.read_notebook(BOOK / "intro.ipynb"), "intro.ipynb")
    check = next(i for i, c in enumerate(student.cells) if "check" in c.metadata.get("tags", []))
    with pytest.raises(CellExecutionError):
        _execute(student, tmp_path)
    errors = [i for i, c in enumerate(student.cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors == [check]                     # clean up to the check, which stops the notebook
    assert all(c.get("execution_count") is None for c in student.cells[check + 1:] if c.cell_type == "code")
    outputs = student.cells[check].outputs
    error = next(o for o in outputs if o.output_type == "error")
    assert error.ename == "CheckFailed" and "not attempted yet" in error.evalue
    assert error.traceback == ["CheckFailed: Exercise 1: not attempted yet."]  # one line, no stack
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.startswith("✗ Exercise 1: not attempted yet.") and "hint:" in printed


def test_grade_reports_each_exercise_of_each_notebook(tmp_path, capsys):
    folder, source = tmp_path / "submissions", tmp_path / "09_demo.ipynb"
    nbformat.write(demo_notebook(), source)
    (folder / "bob").mkdir(parents=True)
    half = classroom.student_version(demo_notebook(), "09_demo.ipynb")
    _stubs(half)[0].source = DOUBLE_SOLUTION.replace("    # BEGIN SOLUTION\n", "")  # exercise 9.1 solved
    nbformat.write(half, folder / "alice.ipynb")
    wrong = classroom.student_version(demo_notebook(), "09_demo.ipynb")
    _stubs(wrong)[0].source = "def double(x):\n    return x + 2"                   # a wrong answer
    _stubs(wrong)[1].source = "Squarer = None\nundefined_name"                    # the cell itself fails
    nbformat.write(wrong, folder / "bob" / "renamed.ipynb")

    status = classroom.main(["grade", str(folder), "--source", str(source), "--timeout", "60", "--jobs", "2",
                             "--gradebook", str(tmp_path / "grades.csv")])
    lines = capsys.readouterr().out.strip().splitlines()
    alice, bob = str(folder / "alice.ipynb"), str(folder / "bob" / "renamed.ipynb")
    assert lines[:4] == [f"{alice}: Exercise 9.1 (Double): passed",
                         f"{alice}: Exercise 9.2 (Square): not attempted",
                         f"{alice}: Exercise 9.3 (Why): no check",
                         f"{alice}: alice, 09_demo.ipynb: 1 of 2 points"]
    assert lines[4].startswith(f"{bob}: Exercise 9.1 (Double): failed: Exercise 9.1: for input 3, expected")
    assert lines[5] == (f"{bob}: Exercise 9.2 (Square): failed: your solution cell raised NameError: "
                        "name 'undefined_name' is not defined")
    assert lines[-2] == "6 exercises in 2 notebooks of 2 students: 1 passed, 2 failed, 1 not attempted, 2 no check"
    assert status == 1
    assert (tmp_path / "grades.csv").read_text() == "student,9.1,9.2,total,max\nalice,1,0,1,2\nbob,0,0,0,2\n"


def test_limits_are_described_in_the_report():
    limits = sandbox.Limits(cell_timeout=30, notebook_timeout=300)
    assert grading.describe(("KeyboardInterrupt", ""), limits) == \
        "was stopped at its time limit (30 s per exercise cell)"
    assert "ignored the interrupt" in grading.describe(("TimeLimit", ""), limits)
    assert "the kernel died" in grading.describe(("DeadKernel", ""), limits)
    assert grading.describe(("ValueError", "bad\n  value"), limits) == "raised ValueError: bad value"


def test_limits_validate_their_arguments(tmp_path):
    with pytest.raises(ValueError, match="cell_timeout"):
        sandbox.Limits(cell_timeout=0)
    with pytest.raises(ValueError, match="memory must be a positive size"):
        sandbox.Limits(memory="lots")
    assert sandbox.parse_memory("1.5G") == 3 * 2**29 and sandbox.parse_memory("512M") == 2**29
    assert classroom.main(["grade", str(tmp_path / "nothing.txt")]) == 2
    with pytest.raises(ValueError, match="jobs"):
        list(grading.grade_all([tmp_path], jobs=0))


def test_grade_refuses_without_a_sandbox_and_says_why(tmp_path, monkeypatch, capsys):
    nbformat.write(demo_notebook(), tmp_path / "09_demo.ipynb")
    monkeypatch.setattr(sandbox, "problem", lambda: "bubblewrap (bwrap) is not installed; install it")
    assert classroom.main(["grade", str(tmp_path)]) == 2
    assert "cannot grade in a sandbox: bubblewrap (bwrap) is not installed" in capsys.readouterr().err


def test_the_sandbox_is_available_here():
    """CI installs bubblewrap (.ci/run); the grading tests need it."""
    assert sandbox.problem() is None


# -- the instructor guide's table -------------------------------------------------------------

def test_exercise_table_lists_the_book_exercises(tmp_path):
    (tmp_path / "book").mkdir()
    nbformat.write(demo_notebook(), tmp_path / "book" / "09_demo.ipynb")
    nbformat.write(_broken(3, "x = 1", tags=()), tmp_path / "book" / "10_bad.ipynb")
    nbformat.write(demo_notebook(), tmp_path / "book" / "11_not_in_toc.ipynb")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/09_demo\nchapters:\n"
                                       "  - file: book/10_bad\n  - file: book/missing\n")
    table = classroom.exercise_table(tmp_path / "_toc.yml").splitlines()
    assert table[2:] == [
        "| 9. Demo chapter | {ref}`Exercise 9.1 <ex-demo-double>`: Double | no automatic check | 1 | 1 line | 15 min |",
        "| 9. Demo chapter | {ref}`Exercise 9.2 <ex-demo-square>`: Square | no automatic check | 1 | 2 lines | "
        "15 min |",
        "| 9. Demo chapter | {ref}`Exercise 9.3 <ex-demo-why>`: Why | no automatic check | 1 | prose | 15 min |",
        "| 10. Demo chapter | format error: 10_bad.ipynb, cell 3: a code cell inside the solution of "
        "'ex-demo-double' that is not tagged 'solution'; tag it (with a '# BEGIN SOLUTION' marker) or move it "
        "below {solution-end} | | | | |"]
    with pytest.raises(ValueError, match="toc"):
        classroom.exercise_table(tmp_path / "nope.yml")


def test_rough_minutes():
    assert [classroom.rough_minutes(n) for n in (0, 1, 5, 12)] == [10, 15, 20, 35]
    with pytest.raises(ValueError, match="solution_lines"):
        classroom.rough_minutes(-1)


def test_chapter_number():
    assert [classroom.chapter_number(p) for p in ("book/06_failure_modes.ipynb", "intro.ipynb", "x.ipynb")] \
        == [6, None, None]
