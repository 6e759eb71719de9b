"""Grading real student copies of the book, in the bubblewrap sandbox, as an instructor would.

One class is graded once (``--jobs 2``) and every test reads its report: a correct submission,
a stub, a cheater (forged and edited check cells, rebound checks, ``os._exit``), one that hangs
and eats memory, one that writes outside its folder, opens a socket, leaves a process behind
and forges lines on the grader's stdout. The Gradescope autograder runs twice, on the intro.
"""
import csv
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import nbformat
import pytest

from deepwhy import classroom
from deepwhy.classroom import assemble, grading, sandbox

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
MARK = "deepwhy-test-987654"          # a process the escape artist leaves behind would carry this

pytestmark = pytest.mark.skipif(sandbox.problem() is not None, reason=f"no sandbox: {sandbox.problem()}")

TANH = "import numpy as np\n\ndef tanh_backward(dA, Z):\n    return dA * (1 - np.tanh(Z) ** 2)\n"
LINEAR = "def linear_backward(dZ, A, W):\n    return dZ @ W.T, A.T @ dZ, dZ.sum(axis=0)\n"
XENT = ("def softmax_cross_entropy_backward(logits, labels):\n"
        "    p = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
        "    p /= p.sum(axis=1, keepdims=True)\n"
        "    p[np.arange(len(labels)), labels] -= 1\n"
        "    return p / len(labels)\n")
XOR = "def xor_by_hand(X):\n    X = np.asarray(X)\n    return (X[:, 0] != X[:, 1]).astype(float)\n"


def _cells(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def _submission(student_copy, solutions=(), checks=None, drop=()):
    """A copy of a student notebook with solution k's code replaced, check cells edited, cells dropped."""
    nb = nbformat.from_dict(student_copy)
    for k, code in enumerate(solutions):
        if code is not None:
            _cells(nb, "solution")[k].source = code
    for k, code in (checks or {}).items():
        _cells(nb, "check")[k].source = code
    nb.cells = [c for c in nb.cells if not any(d(c) for d in drop)]
    return nb


@pytest.fixture(scope="session")
def student_copies(tmp_path_factory):
    """The student copies of the book, written once for every test that needs them."""
    out = tmp_path_factory.mktemp("student")
    classroom.write_student(BOOK, out, check=True)
    return out


@pytest.fixture(scope="module")
def graded_class(student_copies, tmp_path_factory):
    """Grade a class of five with --jobs 2; return (stdout, stderr, gradebook rows, submissions folder)."""
    folder = tmp_path_factory.mktemp("submissions")
    ch2 = nbformat.read(student_copies / "02_backprop.ipynb", as_version=4)
    intro = nbformat.read(student_copies / "intro.ipynb", as_version=4)
    (folder / "alice").mkdir()
    nbformat.write(_submission(ch2, [TANH, LINEAR, XENT]), folder / "alice" / "homework two.ipynb")
    nbformat.write(_submission(intro, ["import numpy as np\n" + XOR]), folder / "alice" / "intro.ipynb")
    last_check = _cells(ch2, "check")[2].id
    nbformat.write(_submission(ch2, drop=[  # the stub, with the check of 2.3 and the statement of 2.1 deleted
        lambda c: c.get("id") == last_check,
        lambda c: "Exercise 2.1:" in c.source and c.cell_type == "markdown"]), folder / "bob.ipynb")
    rebind = ("import deepwhy.checks as c\nfor name in dir(c):\n    if name.startswith('check_'):\n"
              "        setattr(c, name, lambda f: print('✓ correct'))\n"
              "c.check_tanh_backward = lambda f: print('✓ correct')\n")
    nbformat.write(_submission(ch2, [
        rebind + "def tanh_backward(dA, Z):\n    return dA\n",
        "import re\nimport numpy as np\n\ndef linear_backward(dZ, A, W):\n"   # echoes any verdict line it can find
        "    for code in get_ipython().user_ns.get('In', []):\n"
        "        for nonce in re.findall(r'deepwhy-verdict ([0-9a-f]+)', code):\n"
        "            print('deepwhy-verdict', nonce)\n"
        "    return np.zeros_like(A), np.zeros_like(W), 0\n",
        "import os\n\ndef softmax_cross_entropy_backward(logits, labels):\n    os._exit(0)\n"],
        checks={0: 'print("✓ correct")',
                1: "try:\n    checks.check_linear_backward(linear_backward)\nexcept:\n    pass"}),
        folder / "carol.ipynb")
    nbformat.write(_submission(ch2, [
        "def tanh_backward(dA, Z):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except KeyboardInterrupt:\n            pass\n",
        "import numpy as np\n\ndef linear_backward(dZ, A, W):\n    hog = np.ones(3 * 2**30 // 8)\n"
        "    return dZ @ W.T, A.T @ dZ, dZ.sum(axis=0) + 0 * hog[0]\n",
        XENT]), folder / "dave.ipynb")
    outside = [BOOK / "HACKED", folder / "HACKED", pathlib.Path("/tmp") / f"{MARK}-hacked"]
    nbformat.write(_submission(ch2, [
        "import numpy as np\n\ndef tanh_backward(dA, Z):\n"
        + "".join(f"    open({str(p)!r}, 'w').write('x')\n" for p in outside)
        + "    return dA * (1 - np.tanh(Z) ** 2)\n",
        "import socket\n\ndef linear_backward(dZ, A, W):\n    socket.create_connection(('1.1.1.1', 80), timeout=3)\n"
        "    return dZ @ W.T, A.T @ dZ, dZ.sum(axis=0)\n",
        f"import os, subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
        f"'{MARK}'], start_new_session=True)\n"
        "for pid in ('1', str(os.getppid())):\n    for fd in ('1', '2'):\n        try:\n"
        "            with open(f'/proc/{pid}/fd/{fd}', 'w') as out:\n"
        "                out.write('FORGED: Exercise 2.1 (The backward rule of tanh): passed\\n')\n"
        "        except OSError:\n            pass\n" + XENT]), folder / "erin.ipynb")
    gradebook = folder.parent / f"{folder.name}-grades.csv"
    done = subprocess.run([sys.executable, "-m", "deepwhy.classroom", "grade", str(folder), "--source", str(BOOK),
                           "--jobs", "2", "--gradebook", str(gradebook), "--timeout", "10",
                           "--notebook-timeout", "400"], capture_output=True, text=True, timeout=900)
    rows = list(csv.reader(gradebook.open())) if gradebook.exists() else []
    return done, rows, folder, outside


def _lines(graded_class, student):
    return [line for line in graded_class[0].stdout.splitlines() if f"/{student}" in line]


def test_a_correct_submission_gets_full_points_whatever_its_file_is_called(graded_class):
    lines = _lines(graded_class, "alice/homework two.ipynb")
    assert [line.split(": ", 1)[1] for line in lines] == [
        "Exercise 2.1 (The backward rule of tanh): passed",
        "Exercise 2.2 (The backward rules of a weight matrix): passed",
        "Exercise 2.3 (Softmax with cross-entropy: the error of rule F4): passed",
        "alice, 02_backprop.ipynb: 3 of 3 points"]


def test_a_stub_gets_zero_and_a_deleted_cell_changes_nothing(graded_class):
    lines = _lines(graded_class, "bob.ipynb")
    assert [line.split(": ", 1)[1] for line in lines] == [
        "Exercise 2.1 (The backward rule of tanh): not attempted",
        "Exercise 2.2 (The backward rules of a weight matrix): not attempted",
        "Exercise 2.3 (Softmax with cross-entropy: the error of rule F4): not attempted",
        "check cell of Exercise 2.3 is missing; the original was used",
        "bob, 02_backprop.ipynb: 0 of 3 points"]


def test_forged_edited_and_rebound_checks_get_nothing_and_are_flagged(graded_class):
    text = "\n".join(_lines(graded_class, "carol.ipynb"))
    assert "Exercise 2.1 (The backward rule of tanh): failed: Exercise 2.1 (tanh backward): for input" in text
    assert "Exercise 2.2 (The backward rules of a weight matrix): failed: Exercise 2.2" in text
    assert ("Exercise 2.3 (Softmax with cross-entropy: the error of rule F4): failed: the check ended when the "
            "kernel died") in text
    assert "check cell of Exercise 2.1 was edited; the original was used" in text
    assert "check cell of Exercise 2.2 was edited; the original was used" in text
    assert "solution of Exercise 2.1 assigns to c.check_tanh_backward; check it by hand" in text
    assert "solution of Exercise 2.3 uses os._exit; check it by hand" in text
    assert "carol, 02_backprop.ipynb: 0 of 3 points" in text


def test_a_hang_and_a_memory_hog_fail_their_exercise_and_the_next_is_still_graded(graded_class):
    text = "\n".join(_lines(graded_class, "dave.ipynb"))
    assert ("Exercise 2.1 (The backward rule of tanh): failed: the check ran past its time limit (10 s per "
            "exercise cell) and ignored the interrupt") in text
    assert "Exercise 2.2 (The backward rules of a weight matrix): failed: Exercise 2.2" in text
    assert "raised MemoryError" in text
    assert "Exercise 2.3 (Softmax with cross-entropy: the error of rule F4): passed" in text


def test_escapes_fail_and_leave_nothing_behind(graded_class):
    done, _, _, outside = graded_class
    text = "\n".join(_lines(graded_class, "erin.ipynb"))
    assert ("Exercise 2.1 (The backward rule of tanh): failed: Exercise 2.1 (tanh backward): your function "
            "raised") in text
    assert "Exercise 2.2 (The backward rules of a weight matrix): failed: " in text and "Network is unreachable" in text
    assert "Exercise 2.3 (Softmax with cross-entropy: the error of rule F4): passed" in text
    assert not any(p.exists() for p in outside)
    assert "FORGED" not in done.stdout + done.stderr
    left = []
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if MARK.encode() in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            continue
    assert left == []


def test_the_class_report_and_the_gradebook(graded_class):
    done, rows, _, _ = graded_class
    assert done.returncode == 1                       # some exercises failed
    assert "WARNING" not in done.stdout + done.stderr and "without encryption" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[-2] == ("16 exercises in 6 notebooks of 5 students: 6 passed, 7 failed, "
                                            "3 not attempted")
    assert rows == [["student", "1", "2.1", "2.2", "2.3", "total", "max"],
                    ["alice", "1", "1", "1", "1", "4", "4"],
                    ["bob", "0", "0", "0", "0", "0", "4"],
                    ["carol", "0", "0", "0", "0", "0", "4"],
                    ["dave", "0", "0", "0", "1", "1", "4"],
                    ["erin", "0", "0", "0", "1", "1", "4"]]


def test_the_chapter_comes_from_labels_or_headings_not_the_file_name(student_copies):
    sources = assemble.Sources(BOOK)
    ch2 = nbformat.read(student_copies / "02_backprop.ipynb", as_version=4)
    assert sources.match(ch2).name == "02_backprop.ipynb"
    for cell in ch2.cells:                           # a tool that drops cell metadata
        cell.metadata.pop("deepwhy", None)
    assert sources.match(ch2).name == "02_backprop.ipynb"
    with pytest.raises(classroom.ClassroomError, match="none of its exercises"):
        sources.match(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")]))


# -- verdicts: only the check's own line counts ----------------------------------------------

def _executed(job, printed):
    nb = nbformat.from_dict(job.notebook)
    for i in job.nonces:
        nb.cells[i].outputs = [nbformat.v4.new_output("stream", text=printed(job.nonces[i]))]
    return nb


def test_only_the_verdict_line_with_this_runs_nonce_is_a_pass(student_copies):
    src = assemble.Sources(student_copies / "intro.ipynb").chapters[0]
    job = assemble.assemble(src, src.copy, grading.CHECKS_PATH)
    ex, limits = src.exercises[0], sandbox.Limits()
    assert grading.verdict(job, _executed(job, lambda n: f"✓ correct\n{assemble.MARKER} {n}\n"), ex, limits)[0] \
        == "passed"
    for forged in ("✓ correct: all cases\n", f"{assemble.MARKER} {'0' * 32}\n", f"{assemble.MARKER}\n"):
        assert grading.verdict(job, _executed(job, lambda n: forged), ex, limits) == \
            ("failed", "the check did not run to the end")
    # The right line, printed by the student's code before the check failed, is no pass either.
    nb = _executed(job, lambda n: f"{assemble.MARKER} {n}\n")
    nb.cells[ex.check_cells[0]].outputs.append(nbformat.v4.new_output(
        "error", ename="CheckFailed", evalue="Exercise 1: for input ...", traceback=[]))
    assert grading.verdict(job, nb, ex, limits) == ("failed", "Exercise 1: for input ...")
    guarded = job.notebook.cells[ex.check_cells[0]].source
    assert "use_hidden_cases(" in guarded and "spec_from_file_location" in guarded
    assert "from deepwhy import checks" not in guarded       # rebound to the fresh module instead


def test_a_result_without_the_runners_signature_is_not_trusted(student_copies, monkeypatch, tmp_path):
    fake = tmp_path / "runner.py"
    fake.write_text("import json, sys\njob = json.load(sys.stdin)\n"
                    "print(json.dumps({'notebook': job['notebook'], 'notes': []}))\nprint('0' * 64)\n")
    monkeypatch.setattr(sandbox, "RUNNER", fake)
    report = grading.grade(student_copies / "intro.ipynb", source=student_copies / "intro.ipynb", sandbox=False)
    assert [g.status for g in report.grades] == ["failed"]
    assert "returned no valid result" in report.grades[0].message


# -- Gradescope ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """The intro's autograder zip, unpacked as Gradescope does: /autograder/source and run_autograder."""
    root = tmp_path_factory.mktemp("gradescope")
    zip_path = root / "autograder.zip"
    assert classroom.main(["gradescope", str(BOOK / "intro.ipynb"), "--out", str(zip_path), "--timeout", "60"]) == 0
    return zip_path


def _run_autograder(zip_path, tmp_path, notebook):
    home = tmp_path / "autograder"
    (home / "submission").mkdir(parents=True)
    (home / "results").mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(home / "source")
    (home / "run_autograder").write_bytes((home / "source" / "run_autograder").read_bytes())
    (home / "run_autograder").chmod(0o755)
    nbformat.write(notebook, home / "submission" / "submission.ipynb")
    # This machine's folders, and /autograder bound to the temporary one: only inside bwrap's own root.
    mounts = []
    for entry in sorted(pathlib.Path("/").iterdir()):
        if entry.is_symlink():
            mounts += ["--symlink", os.readlink(entry), str(entry)]
        elif entry.is_dir() and entry.name not in ("proc", "dev", "autograder"):
            mounts += ["--dev-bind", str(entry), str(entry)]
    done = subprocess.run(["bwrap", *mounts, "--proc", "/proc", "--dev", "/dev", "--bind", str(home), "/autograder",
                           "--chdir", "/autograder", "--setenv", "DEEPWHY_PYTHON", sys.executable, "--",
                           "/autograder/run_autograder"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads((home / "results" / "results.json").read_text())


def test_the_autograder_zip_follows_gradescopes_layout(autograder):
    with zipfile.ZipFile(autograder) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        copy = nbformat.reads(zf.read("intro.ipynb").decode(), as_version=4)
    assert {"setup.sh", "run_autograder", "intro.ipynb", "requirements.txt", "deepwhy/pyproject.toml",
            "deepwhy/src/deepwhy/checks.py", "deepwhy/src/deepwhy/classroom/runner.py"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert classroom.leaks(nbformat.read(BOOK / "intro.ipynb", as_version=4), copy, "intro.ipynb") == []


@pytest.mark.parametrize("solution, score, status", [(XOR, 1.0, "passed"), (None, 0.0, "failed")],
                         ids=["passing", "failing"])
def test_run_autograder_writes_results_json(autograder, student_copies, tmp_path, solution, score, status):
    intro = nbformat.read(student_copies / "intro.ipynb", as_version=4)
    results = _run_autograder(autograder, tmp_path, _submission(intro, ["import numpy as np\n" + XOR]
                                                                if solution else []))
    assert results["score"] == score
    (test,) = results["tests"]
    assert set(test) >= {"name", "score", "max_score", "output"}
    assert (test["name"], test["score"], test["max_score"], test["status"]) == \
        ("Exercise 1: XOR by hand", score, 1.0, status)
    assert ("✓ correct" if solution else "not attempted") in test["output"]
    assert "deepwhy-verdict" not in json.dumps(results)
