"""Which names a notebook cell binds and which it needs from the cells above it.

A book notebook hides some cells (``remove-cell``: asserts and ledger records) that a student
copy drops. When a visible cell below uses a name that only such a cell defines, the student
copy keeps just the statements that define it (:func:`needed_statements`), so that the
student's Run All still reaches the exercises.

Used in: student copies (:mod:`deepwhy.classroom.student`).
"""
from __future__ import annotations

import ast


def without_magics(code: str) -> str:
    """Return a cell's code with each ``%magic`` or ``!shell`` line replaced by ``pass``."""
    return "\n".join(line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                     else line for line in code.split("\n"))


def python_source(code: str) -> str:
    """Return a cell's code as plain Python: IPython's ``%magics`` and ``!shell`` lines rewritten."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(code)
    except Exception:  # noqa: BLE001 - no IPython, or code it cannot transform: drop magic lines
        return without_magics(code)


class _Names(ast.NodeVisitor):
    """Collects the names a statement binds at the top level, and the names it reads from outside.

    A function, lambda, class body or comprehension is its own scope: its parameters and the
    names it assigns are local, and only the names it reads but does not bind count as read.
    """

    def __init__(self):
        self.bound, self.loaded = set(), set()

    def visit_Name(self, node):
        (self.loaded if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def _import(self, node):
        for alias in node.names:
            if alias.name != "*":
                self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_Import = visit_ImportFrom = _import

    def _scope(self, node, outside, inside):
        """Visit ``outside`` nodes in this scope and ``inside`` nodes in a new one."""
        for child in outside:
            self.visit(child)
        inner = _Names()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            inner.bound |= {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            inner.bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        for child in inside:
            inner.visit(child)
        self.loaded |= inner.loaded - inner.bound

    def visit_FunctionDef(self, node):
        self.bound.add(node.name)
        args = node.args
        self._scope(node, node.decorator_list + args.defaults + [d for d in args.kw_defaults if d], node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.bound.add(node.name)
        self._scope(node, node.decorator_list + node.bases + [k.value for k in node.keywords], node.body)

    def visit_Lambda(self, node):
        self._scope(node, node.args.defaults, [node.body])

    def _comprehension(self, node):
        first = node.generators[0]
        rest = [first.target] + first.ifs + [part for g in node.generators[1:]
                                             for part in [g.iter, g.target] + g.ifs]
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._scope(node, [first.iter], rest + elements)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension


def _statement_names(stmt) -> tuple[set, set]:
    visitor = _Names()
    visitor.visit(stmt)
    return visitor.bound, visitor.loaded


def _statements(code: str) -> tuple[str, list] | None:
    text = python_source(code)
    try:
        return text, ast.parse(text).body
    except SyntaxError:
        return None


def cell_names(code: str) -> tuple[set, set]:
    """Return (names the cell binds at the top level, names it reads before binding them).

    A cell that is not valid Python binds nothing and needs nothing.
    """
    parsed = _statements(code)
    if parsed is None:
        return set(), set()
    bound, free = set(), set()
    for stmt in parsed[1]:
        binds, loads = _statement_names(stmt)
        free |= loads - bound
        bound |= binds
    return bound, free


def book_only(code: str) -> bool:
    """Return True if every statement of ``code`` is an assert or a call of ``ledger.<function>``.

    Such a cell checks or records the book's claims (``ledger.claim``, ``ledger.summary``); a
    student copy, which has none of the claims, drops it.
    """
    parsed = _statements(code)
    if parsed is None or not parsed[1]:
        return False

    def ledger_call(stmt):
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "ledger"

    return all(isinstance(stmt, ast.Assert) or ledger_call(stmt) for stmt in parsed[1])


def needed_statements(code: str, needed: set) -> str:
    """Return the statements of ``code`` that bind a name in ``needed``, with what they need in turn.

    Asserts and bare expressions (a ``ledger.claim(...)`` call, a value shown as output) are
    never kept. Returns "" when no statement is needed. Whole source lines are kept, with
    their decorators.
    """
    parsed = _statements(code)
    if parsed is None:
        return ""
    text, body = parsed
    lines, want, kept = text.split("\n"), set(needed), []
    for stmt in reversed(body):
        if isinstance(stmt, (ast.Assert, ast.Expr)):
            continue
        binds, loads = _statement_names(stmt)
        if isinstance(stmt, (ast.For, ast.AsyncFor)):   # a loop variable is not what a later cell needs
            binds = set().union(*(_statement_names(s)[0] for s in stmt.body + stmt.orelse))
        if binds & want:
            kept.append(stmt)
            want = (want - binds) | loads
    out = []
    for stmt in reversed(kept):
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        out.append("\n".join(lines[first - 1:stmt.end_lineno]))
    return "\n".join(out)
