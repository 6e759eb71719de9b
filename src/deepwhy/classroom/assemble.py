"""The notebook that is graded: the instructor's cells, the student's solution code, guarded checks.

The instructor's source decides, not the student's copy:

- The source (``--source``: book notebooks or student copies) gives every cell; only the code
  of the submission's solution cells replaces the stubs. A submission's chapter is found from
  its exercises' labels (or, where its tool dropped them, the "Exercise 2.1" headings), never
  from its file name.
- Check, setup and in-between code cells that differ from the source's student copy are
  flagged ("check cell of Exercise 2.1 was edited; the original was used").
- Each check cell loads ``deepwhy.checks`` afresh from the instructor's installed copy, after
  the student's code ran, binds the names the check uses to it, asks it for hidden cases drawn
  from a seed picked for this run, and, only if the check ran to the end, prints a verdict line
  holding a secret nonce made for this run. The grader counts an exercise as passed only when
  it reads that line back in the executed notebook (:mod:`deepwhy.classroom.grading`).
- Solution code that reaches into the interpreter (assigning module attributes, ``sys.modules``,
  frames, ``os._exit``, sockets, ...) is flagged for review: a check runs in the same process
  as the student's code, so such code could still fool it.

Used in: :mod:`deepwhy.classroom.grading`.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import pathlib
import secrets
import threading

import nbformat

from . import myst
from .deps import python_source, without_magics
from .reading import META, ClassroomError, read_layout, read_notebook, source
from .student import notebooks, student_version

MARKER = "deepwhy-verdict"          # printed with a nonce when a check ran to the end
RUN_META = "deepwhy_grading"        # cell metadata of the graded notebook, read by the runner
_SUSPICIOUS_NAMES = {"get_ipython": "IPython's shell", "globals": "globals()", "setattr": "setattr()",
                     "__builtins__": "the builtins", "exec": "exec()", "eval": "eval()"}
_SUSPICIOUS_MODULES = {"sys": {"modules", "_getframe", "settrace", "setprofile", "exit", "stdout", "stderr"},
                       "os": {"_exit", "kill", "killpg", "fork", "system", "execv", "execl", "popen"},
                       "inspect": None, "gc": None, "ctypes": None, "subprocess": None, "socket": None,
                       "signal": None, "builtins": None, "importlib": None, "threading": None,
                       "multiprocessing": None}


class Source:
    """One chapter of the instructor's source; its student copy is made when first needed.

    Args:
        nb: the chapter's notebook, book or student format.
        name: its file name (a book notebook's ``NN_`` prefix numbers its exercises).
        ctx: the :class:`~deepwhy.classroom.myst.Context` for converting its MyST (optional).
    """

    def __init__(self, nb, name: str, ctx=None):
        self.name, self._nb, self._ctx = name, nb, ctx
        found = read_layout(nb, name, strict=False).exercises
        self.labels = {ex.label for ex in found if ex.label}       # for matching submissions
        self.numbers = {ex.number for ex in found if ex.number}
        self._made = None
        self._lock = threading.Lock()

    def _make(self):
        with self._lock:
            if self._made is None:
                nb = self._nb
                if read_layout(nb, self.name, strict=False).book_format:
                    nb = student_version(nb, self.name, ctx=self._ctx)
                else:
                    nb = copy.deepcopy(nb)
                    nb.cells = [c for c in nb.cells if "remove-cell" not in c.get("metadata", {}).get("tags", [])]
                    for cell in nb.cells:
                        if cell.cell_type == "code":
                            cell.outputs, cell.execution_count = [], None
                self._made = (nb, read_layout(nb, self.name, strict=False))
            return self._made

    @property
    def copy(self) -> nbformat.NotebookNode:
        """Return the chapter's student copy: the cells that run when a submission is graded."""
        return self._make()[0]

    @property
    def exercises(self) -> list:
        """Return the chapter's exercises (cell indices into :attr:`copy`)."""
        return self._make()[1].exercises


class Sources:
    """The instructor's source: one notebook, or a folder of them (book or student format).

    Args:
        path: a notebook or a folder of notebooks; ``.ipynb_checkpoints`` are skipped.

    Raises ValueError if ``path`` holds no notebook with exercises.
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)
        if not self.path.exists():
            raise ValueError(f"source must be a notebook or a folder of notebooks, got {str(self.path)!r}")
        self.chapters: list[Source] = []
        contexts = {}
        for p in notebooks([self.path]):
            nb = read_notebook(p)
            ctx = contexts.setdefault(p.parent, myst.Context(p.parent))
            self.chapters.append(Source(nb, p.name, ctx))
        self.chapters = [c for c in self.chapters if c.labels or c.numbers]
        if not self.chapters:
            raise ValueError(f"source must hold at least one notebook with exercises, got {str(self.path)!r}")

    def match(self, submission) -> Source:
        """Return the chapter whose exercises a submission answers, found from labels, else numbers.

        Raises ClassroomError naming the submission's labels if no chapter matches.
        """
        found = read_layout(submission, "submission", strict=False).exercises
        labels = {ex.label for ex in found if ex.label}
        numbers = {ex.number for ex in found if ex.number}
        best = max(self.chapters, key=lambda c: (len(labels & c.labels), len(numbers & c.numbers)))
        if not (labels & best.labels or numbers & best.numbers):
            raise ClassroomError(f"none of its exercises ({sorted(labels) or sorted(numbers) or 'none found'}) "
                                 f"is in the source {self.path}")
        return best


# ------------------------------------------------------------------------------------------
# Comparing a submission with the source
# ------------------------------------------------------------------------------------------

def _norm(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().split("\n"))


def _submitted(sub_layout, ex):
    """Return the submission's exercise that answers source exercise ``ex`` (by label, else number)."""
    for other in sub_layout.exercises:
        if ex.label and other.label == ex.label:
            return other
    for other in sub_layout.exercises:
        if not other.label and other.number == ex.number:
            return other
    return None


def edits(src: Source, submission, sub_layout) -> list[str]:
    """Return one flag per check cell, and one for the other code cells, that differ from the source."""
    flags = []
    for ex in src.exercises:
        theirs = _submitted(sub_layout, ex)
        original = [_norm(source(src.copy.cells[i])) for i in ex.check_cells]
        if not original:
            continue
        got = [_norm(source(submission.cells[i])) for i in theirs.check_cells] if theirs else []
        if not got:
            flags.append(f"check cell of {ex.name} is missing; the original was used")
        elif got != original:
            flags.append(f"check cell of {ex.name} was edited; the original was used")
    exercise_cells = {i for ex in src.exercises for i in ex.solution_cells + ex.check_cells}
    ours = [_norm(source(c)) for i, c in enumerate(src.copy.cells)
            if c.cell_type == "code" and i not in exercise_cells and source(c).strip()]
    theirs = [info.index for info in sub_layout.cells if info.role == "code"]   # not solution, check, book-only
    changed = [i for i in theirs
               if source(submission.cells[i]).strip() and _norm(source(submission.cells[i])) not in ours]
    if changed:
        where = ", ".join(map(str, changed[:5])) + (", ..." if len(changed) > 5 else "")
        many = len(changed) > 1
        flags.append(f"{len(changed)} code cell{'s' if many else ''} outside the solutions "
                     f"differ{'' if many else 's'} from the student copy (cell {where}); "
                     f"{'they were' if many else 'it was'} not run, the originals were")
    return flags


def suspicious(code: str) -> list[str]:
    """Return what in a solution's code reaches into the interpreter, e.g. "assigns to np.allclose"."""
    try:
        tree = ast.parse(without_magics(code))
    except SyntaxError:
        return []
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                top = (node.module or alias.name).split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
                modules.add((alias.asname or alias.name).split(".")[0])
                names = _SUSPICIOUS_MODULES.get(top, ())
                if top in _SUSPICIOUS_MODULES and names is None:
                    found.append(f"imports {top}")
                elif isinstance(node, ast.ImportFrom) and alias.name in names:
                    found.append(f"uses {top}.{alias.name}")
    modules |= {"np", "numpy", "torch", "deepwhy", "checks", "sys", "os", "math"}
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for t in targets:
            base = t
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(t, (ast.Attribute, ast.Subscript)) and isinstance(base, ast.Name) and base.id in modules:
                found.append(f"assigns to {ast.unparse(t)}")
        if isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
            found.append(f"uses {_SUSPICIOUS_NAMES[node.id]}")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names = _SUSPICIOUS_MODULES.get(node.value.id)
            if names and node.attr in names:
                found.append(f"uses {node.value.id}.{node.attr}")
    return list(dict.fromkeys(found))


# ------------------------------------------------------------------------------------------
# The guarded check cell
# ------------------------------------------------------------------------------------------

def _checks_bindings(src: Source) -> dict:
    """Return {name: expression} for every name the source binds to deepwhy.checks or one of its functions."""
    out = {}
    for cell in src.copy.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(source(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "deepwhy":
                out.update({a.asname or a.name: "_dw_checks" for a in node.names if a.name == "checks"})
            elif isinstance(node, ast.ImportFrom) and node.module == "deepwhy.checks":
                out.update({a.asname or a.name: f"_dw_checks.{a.name}" for a in node.names})
            elif isinstance(node, ast.Import):
                out.update({a.asname: "_dw_checks" for a in node.names if a.name == "deepwhy.checks" and a.asname})
    return out


def guarded_check(code: str, bindings: dict, checks_path: str, seed: int, nonce: str) -> str:
    """Return a check cell's code that loads the checks afresh and prints the verdict line at its end.

    Imports of ``deepwhy.checks`` in ``code`` are replaced by the fresh module, and every name
    in ``bindings`` the code reads is bound to it again, so nothing the student's code did to
    ``deepwhy.checks`` or to those names counts. The verdict line ``deepwhy-verdict <nonce>``
    is printed only if every statement of the check finished.
    """
    tree = ast.parse(python_source(code))

    class Imports(ast.NodeTransformer):
        """Turns ``from deepwhy import checks`` and friends into assignments from the fresh module."""

        def visit_ImportFrom(self, node):
            if node.module == "deepwhy.checks":
                fresh, kept = node.names, []
            elif node.module == "deepwhy":
                fresh = [a for a in node.names if a.name == "checks"]
                kept = [a for a in node.names if a.name != "checks"]
            else:
                return node
            out = [ast.parse(f"{a.asname or a.name} = _dw_checks"
                             + ("" if node.module == "deepwhy" else f".{a.name}")).body[0] for a in fresh]
            return out + ([ast.ImportFrom(node.module, kept, node.level)] if kept else [])

        def visit_Import(self, node):
            fresh = [a for a in node.names if a.name == "deepwhy.checks" and a.asname]
            kept = [a for a in node.names if a not in fresh]
            out = [ast.parse(f"{a.asname} = _dw_checks").body[0] for a in fresh]
            return out + ([ast.Import(kept)] if kept else [])

    body = ast.unparse(ast.fix_missing_locations(Imports().visit(tree)))
    reads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    rebind = "\n".join(f"{name} = {expr}" for name, expr in sorted(bindings.items()) if name in reads)
    return (f"# deepwhy grader: the instructor's check, with deepwhy.checks loaded afresh\n"
            f"import importlib.util as _dw_util, sys as _dw_sys\n"
            f"_dw_spec = _dw_util.spec_from_file_location('deepwhy_checks_{nonce[:8]}', {checks_path!r})\n"
            f"_dw_checks = _dw_util.module_from_spec(_dw_spec)\n"
            f"_dw_spec.loader.exec_module(_dw_checks)\n"
            f"_dw_checks.use_hidden_cases({seed})\n"
            f"{rebind}\n{body}\n"
            f"_dw_sys.stdout.write('\\n{MARKER} {nonce}\\n')\n")


@dataclasses.dataclass
class Job:
    """A notebook ready to run, with what the grader needs to read its verdicts back."""

    source: Source
    notebook: nbformat.NotebookNode
    nonces: dict                    # check cell index -> nonce
    flags: list                     # edited cells, suspicious code
    seed: int                       # the hidden cases' seed


def assemble(src: Source, submission, checks_path: str) -> Job:
    """Return the :class:`Job` that grades ``submission`` against one chapter of the source.

    Args:
        src: the chapter (see :meth:`Sources.match`).
        submission: the student's notebook.
        checks_path: where the sandboxed kernel finds the instructor's ``deepwhy/checks.py``.
    """
    sub_layout = read_layout(submission, "submission", strict=False)
    nb = copy.deepcopy(src.copy)
    flags = edits(src, submission, sub_layout)
    seed, nonces = secrets.randbits(31), {}
    bindings = _checks_bindings(src)
    for cell in nb.cells:
        cell.metadata.pop(RUN_META, None)
    for ex in src.exercises:
        theirs = _submitted(sub_layout, ex)
        code = "\n\n".join(source(submission.cells[i]) for i in theirs.solution_cells) if theirs else ""
        for k, i in enumerate(ex.solution_cells):
            if theirs and theirs.solution_cells:
                nb.cells[i].source = code if k == 0 else ""
            nb.cells[i].metadata[RUN_META] = {"exercise": ex.label or ex.number, "role": "solution"}
        flags += [f"solution of {ex.name} {what}; check it by hand" for what in suspicious(code)] if code else []
        for i in ex.check_cells:
            nonces[i] = secrets.token_hex(16)
            try:
                nb.cells[i].source = guarded_check(source(nb.cells[i]), bindings, checks_path, seed, nonces[i])
            except SyntaxError as e:
                raise ClassroomError(f"{src.name}: the check cell of {ex.name} is not valid Python: {e}") from None
            nb.cells[i].metadata[RUN_META] = {"exercise": ex.label or ex.number, "role": "check"}
    for cell in nb.cells:
        cell.metadata.pop(META, None)
    return Job(src, nb, nonces, flags, seed)
