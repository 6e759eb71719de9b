"""The book's MyST markdown, parsed with markdown-it-py, and turned into plain Markdown.

The chapters are written in MyST for the HTML book: roles such as ``{term}`` and
``{footcite:t}``, directives such as ``{exercise}``, and ``(label)=`` targets. Plain Jupyter,
JupyterLab without an extension, and Colab show those as raw text. :func:`to_plain` rewrites
them as Markdown every notebook front end renders: terms and citations as text, ``{doc}`` and
``{ref}`` as links, admonitions as block quotes, ``{footbibliography}`` as a reference list.

The parser is markdown-it-py with the mdit-py-plugins that myst-parser itself uses, so a
role inside a code span or a math formula is left alone, as the book leaves it.

Used in: student copies (:mod:`deepwhy.classroom.student`) and the exercise reader.
"""
from __future__ import annotations

import dataclasses
import functools
import pathlib
import re

from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

CITE_ROLES = {"cite", "cite:p", "cite:t", "footcite", "footcite:p", "footcite:t", "cite:ps", "cite:ts",
              "cite:author", "cite:year"}
CODE_ROLES = {"code", "literal", "samp", "file", "kbd", "command", "program", "envvar", "any", "py:func", "py:class",
              "py:mod", "py:meth", "py:attr", "py:obj", "func", "class", "mod", "meth", "attr", "obj", "data"}
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso",
               "admonition"}
DROPPED_DIRECTIVES = {"toctree", "tableofcontents", "glue", "glue:any", "glue:figure", "glue:math", "raw",
                      "nb-exec-table", "only", "index", "margin"}
GLUE_TEXT = "*[value in the book]*"


@functools.lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """Return the markdown-it parser for the book's MyST; role tokens record where they sit.

    Each ``myst_role`` token gets ``meta["span"] = (start, end)``: its offsets in the inline
    text it was parsed from, so that a role can be replaced in the source in place.
    """
    md = (MarkdownIt("commonmark", {"typographer": False}).enable("table")
          .use(myst_block_plugin).use(myst_role_plugin).use(colon_fence_plugin)
          .use(dollarmath_plugin).use(amsmath_plugin).use(deflist_plugin))
    rules = md.inline.ruler
    index = rules.__find__("myst_role")
    plain_rule = rules.__rules__[index].fn

    def role_with_span(state, silent):
        start = state.pos
        found = plain_rule(state, silent)
        if found and not silent:
            state.tokens[-1].meta["span"] = (start, state.pos)
        return found

    rules.at("myst_role", role_with_span)
    return md


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> tuple:
    """Return the markdown-it tokens of ``text`` (block tokens, inline tokens with children).

    The result is cached and shared: do not modify the tokens.
    """
    return tuple(parser().parse(text))


@dataclasses.dataclass
class Directive:
    """A MyST directive: ``{name} argument``, its ``:key: value`` options and its body."""

    name: str
    argument: str
    options: dict
    body: str


def directive(token) -> Directive | None:
    """Return the directive a fence token opens (```` ```{name} ```` or ``:::{name}``), or None."""
    if token.type not in ("fence", "colon_fence"):
        return None
    match = re.match(r"^\{([\w:+-]+)\}\s*(.*)$", token.info.strip())
    if not match:
        return None
    lines = token.content.split("\n")
    options, k = {}, 0
    if lines and lines[0].strip() == "---":          # a YAML block of options
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), None)
        if end is not None:
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                if key.strip():
                    options[key.strip()] = value.strip()
            k = end + 1
    while k < len(lines):                             # :key: value lines
        line = lines[k].strip()
        if not (line.startswith(":") and line.count(":") >= 2):
            break
        key, _, value = line[1:].partition(":")
        options[key.strip()] = value.strip()
        k += 1
    body = "\n".join(lines[k:]).strip("\n")
    return Directive(match.group(1), match.group(2).strip(), options, body)


def heading_anchor(text: str) -> str:
    """Return the anchor JupyterLab and Jupyter give a heading: its text, spaces replaced by '-'."""
    return "-".join(text.split())


def inline_text(token) -> str:
    """Return the plain text of an inline token: code spans and emphasis reduced to their words."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "math_inline"):
            parts.append(child.content)
        elif child.type == "myst_role":
            parts.append(_split_target(child.content)[0] or _split_target(child.content)[1])
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def headings(text: str) -> list[tuple[int, str]]:
    """Return the (level, plain text) of every heading in a markdown text, in order."""
    tokens = parse(text)
    return [(int(tok.tag[1]), inline_text(tokens[i + 1])) for i, tok in enumerate(tokens)
            if tok.type == "heading_open"]


def _split_target(content: str) -> tuple[str | None, str]:
    """Split a role's content ``text <target>`` into (text, target); plain ``target`` gives (None, target)."""
    match = re.match(r"^(.*?)\s*<([^<>]+)>\s*$", content, flags=re.DOTALL)
    if match and match.group(1).strip():
        return " ".join(match.group(1).split()), match.group(2).strip()
    return None, content.strip()


# ------------------------------------------------------------------------------------------
# What a notebook's roles refer to
# ------------------------------------------------------------------------------------------

class Context:
    """What the roles of the notebooks in one folder refer to: bibliography, pages, labels.

    Args:
        folder: the folder of the notebooks (``book/``); ``references.bib`` there, or in its
            parent, gives the citations; sibling ``.ipynb``/``.md`` files give page titles.
    """

    def __init__(self, folder=None):
        self.folder = pathlib.Path(folder) if folder is not None else None
        self.cited: list[str] = []                 # keys cited in the notebook being converted
        self.labels: dict[str, tuple[str, str]] = {}  # label -> (link text, #anchor) in this notebook

    def start_notebook(self, labels: dict | None = None) -> None:
        """Forget the citations and labels of the previous notebook; use ``labels`` for this one."""
        self.cited, self.labels = [], dict(labels or {})

    @functools.cached_property
    def bibliography(self) -> dict:
        """Return {key: pybtex entry} from the folder's references.bib, or {} if there is none."""
        if self.folder is None:
            return {}
        for bib in (self.folder / "references.bib", self.folder.parent / "references.bib"):
            if bib.is_file():
                try:
                    from pybtex.database import parse_file
                except ImportError:  # pybtex comes with the book's tools, not with the package
                    return {}
                return dict(parse_file(str(bib)).entries)
        return {}

    def page_title(self, target: str) -> tuple[str | None, str | None]:
        """Return (title, file name of the notebook) of a ``{doc}`` target; None where unknown."""
        if self.folder is None:
            return None, None
        for suffix in (".ipynb", ".md"):
            path = (self.folder / target.lstrip("/")).with_suffix(suffix)
            if path.is_file():
                return _first_heading(path), path.name if suffix == ".ipynb" else None
        return None, None

    # -- citations ------------------------------------------------------------------------
    def cite(self, role: str, content: str) -> str:
        """Return an author-year citation for a cite role: ``Dettmers (2015)`` or ``(Dettmers, 2015)``."""
        keys = [k.strip() for k in content.split(",") if k.strip()]
        for key in keys:
            if key not in self.cited:
                self.cited.append(key)
        parts = [self._author_year(k) for k in keys]
        if role.endswith(":t") or role.endswith(":ts"):
            return "; ".join(f"{a} ({y})" for a, y in parts)
        if role.endswith(":author"):
            return "; ".join(a for a, _ in parts)
        if role.endswith(":year"):
            return "; ".join(y for _, y in parts)
        return "(" + "; ".join(f"{a}, {y}" for a, y in parts) + ")"

    def _author_year(self, key: str) -> tuple[str, str]:
        entry = self.bibliography.get(key)
        if entry is None:
            return key, "n.d."
        names = [_latex_text(" ".join(p.last_names)) for p in entry.persons.get("author", [])]
        if not names:
            author = _latex_text(entry.fields.get("organization", entry.fields.get("title", key)))
        elif len(names) == 1:
            author = names[0]
        elif len(names) == 2:
            author = f"{names[0]} and {names[1]}"
        else:
            author = f"{names[0]} et al."
        return author, _latex_text(entry.fields.get("year", "n.d."))

    def reference_list(self) -> str:
        """Return the Markdown list of the works cited so far, in the order they were first cited."""
        lines = []
        for key in self.cited:
            entry = self.bibliography.get(key)
            if entry is None:
                lines.append(f"- {key}")
                continue
            authors = ", ".join(_latex_text(" ".join(p.first_names + p.middle_names + p.last_names))
                                for p in entry.persons.get("author", []))
            fields = {k.lower(): _latex_text(v) for k, v in entry.fields.items()}
            where = fields.get("journal") or fields.get("booktitle") or fields.get("howpublished") \
                or fields.get("publisher") or fields.get("school") or ""
            text = f"{authors} ({fields.get('year', 'n.d.')}). *{fields.get('title', key)}*."
            text += f" {where}." if where else ""
            text += f" <{fields['url']}>" if fields.get("url") else ""
            lines.append("- " + " ".join(text.split()))
        return "\n".join(lines)

    # -- roles ----------------------------------------------------------------------------
    def role(self, name: str, content: str) -> str:
        """Return the plain Markdown for one role."""
        text, target = _split_target(content)
        if name in CITE_ROLES:
            return self.cite(name, content)
        if name == "doc":
            title, file = self.page_title(target)
            label = text or title or target
            return f"[{label}]({file})" if file else label
        if name in ("ref", "numref"):
            found = self.labels.get(target)
            label = (text or (found[0] if found else target)).replace("%s", "").replace("{number}", "").strip()
            return f"[{label}]({found[1]})" if found else label
        if name.startswith("glue"):
            return GLUE_TEXT
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name == "eq":
            return f"({target})"
        if name in CODE_ROLES:
            return "`" + (text or target.lstrip("~!")) + "`"
        return text or target                      # term, abbr and the rest: their text

    # -- directives -------------------------------------------------------------------------
    def directive(self, d: Directive) -> str:
        """Return the plain Markdown for a directive other than exercises and solutions."""
        name = d.name
        if name in DROPPED_DIRECTIVES:
            return ""
        if name in ("footbibliography", "bibliography"):
            return self.reference_list()
        if name in ADMONITIONS:
            title = d.argument if name == "admonition" else (d.argument or name.capitalize())
            body = self.convert(d.body)
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
            return f"> **{title}**\n>\n{quoted}" if body else f"> **{title}**"
        if name == "math":
            return f"$$\n{d.body}\n$$"
        if name in ("code-block", "code", "sourcecode", "code-cell"):
            return f"```{d.argument}\n{d.body}\n```"
        if name in ("figure", "image"):
            alt = d.options.get("alt", "")
            caption = self.convert(d.body) if name == "figure" else ""
            return f"![{alt}]({d.argument})" + (f"\n\n*{caption}*" if caption else "")
        if name in ("epigraph", "pull-quote", "highlights"):
            return "\n".join(f"> {line}" if line else ">" for line in self.convert(d.body).split("\n"))
        return self.convert(d.body)

    def convert(self, text: str) -> str:
        """Return ``text`` with its MyST written as plain Markdown (see :func:`to_plain`)."""
        return to_plain(text, self)


@functools.lru_cache(maxsize=None)
def _text_backend():
    from pybtex.plugin import find_plugin  # looking a plugin up is slow: once per process
    return find_plugin("pybtex.backends", "text")()


@functools.lru_cache(maxsize=4096)
def _latex_text(value: str) -> str:
    """Return a BibTeX field as plain text: braces, ``\\url{}`` and accents decoded."""
    value = re.sub(r"\\(?:url|href)\{([^}]*)\}", r"\1", value)
    try:
        from pybtex.richtext import Text
        return str(Text.from_latex(value).render(_text_backend()))
    except Exception:  # noqa: BLE001 - a field pybtex cannot read stays as it is, minus braces
        return value.replace("{", "").replace("}", "")


def _first_heading(path: pathlib.Path) -> str | None:
    """Return the text of the first level-1 heading of a notebook or markdown page."""
    if path.suffix == ".ipynb":
        import nbformat

        texts = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    for text in texts:
        for level, title in headings(text):
            if level == 1:
                return title
    return None


# ------------------------------------------------------------------------------------------
# Rewriting
# ------------------------------------------------------------------------------------------

def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _inline_edits(token, text: str, starts: list[int], cursor: dict, ctx: Context) -> list:
    """Return (start, end, replacement) edits in ``text`` for the roles of one inline token."""
    roles = [c for c in token.children or [] if c.type == "myst_role" and "span" in c.meta]
    if not roles:
        return []
    src_lines = text.split("\n")
    content_lines = token.content.split("\n")
    # Where each line of the inline content sits in the source: a line of a paragraph, heading,
    # list item or table cell is a substring of its source line (indentation and markers removed).
    offsets, first = [], token.map[0]
    for k, line in enumerate(content_lines):
        row = first + k
        if row >= len(src_lines):
            return []
        column = src_lines[row].find(line, cursor.get(row, 0))
        if column < 0:
            return []
        offsets.append(starts[row] + column)
        cursor[row] = column + len(line)
    line_of = _line_starts(token.content)

    def absolute(pos: int) -> int:
        k = max(i for i, s in enumerate(line_of) if s <= pos)
        return offsets[k] + pos - line_of[k]

    edits = []
    for role in roles:
        start, end = role.meta["span"]
        edits.append((absolute(start), absolute(end), ctx.role(role.meta["name"], role.content)))
    return edits


def to_plain(text: str, ctx: Context | None = None) -> str:
    """Return markdown ``text`` with its MyST roles, directives and targets as plain Markdown.

    Args:
        text: the markdown of one cell (or one directive's body).
        ctx: what the roles refer to (bibliography, pages, labels); a bare :class:`Context`
            if None.

    Text outside MyST constructs is kept byte for byte.
    """
    ctx = ctx or Context()
    tokens = parse(text)
    starts = _line_starts(text)
    n_lines = len(starts)
    edits, cursor = [], {}

    def line_span(token):
        a, b = token.map
        end = starts[b] - 1 if b < n_lines else len(text)
        return starts[a], end

    for token in tokens:
        if token.type == "inline" and token.map:
            edits += _inline_edits(token, text, starts, cursor, ctx)
        elif token.type in ("myst_target", "myst_line_comment") and token.map:
            start, end = line_span(token)
            edits.append((start, min(end + 1, len(text)), ""))            # the line and its newline
        elif token.type == "myst_block_break" and token.map:
            edits.append((*line_span(token), "---"))
        elif (d := directive(token)) is not None and token.map:
            start, end = line_span(token)
            line = text[start:end].split("\n")[0]
            prefix = line[: max(0, line.find(token.markup))]
            out = ctx.directive(d)
            edits.append((start, end, "\n".join(prefix + s if s else prefix.rstrip() for s in out.split("\n"))))
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + new + text[end:]
    return text


def has_myst(text: str) -> bool:
    """Return True if markdown ``text`` holds a MyST role, directive, target or comment."""
    for token in parse(text):
        if token.type in ("myst_target", "myst_line_comment", "myst_block_break") or directive(token):
            return True
        if token.type == "inline" and any(c.type == "myst_role" for c in token.children or []):
            return True
    return False
