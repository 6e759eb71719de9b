"""A small Sphinx extension for the book's HTML: MathJax served locally, clean solutions, two console fixes.

- MathJax: when the ``mathjax`` package (PyPI: django-static-mathjax, MathJax 3 itself, no
  Django needed) is installed, the book ships its own copy in ``_static/mathjax/`` and loads it
  from there, so formulas render with no network, as the rest of the book does. Without the
  package, Sphinx's default (a CDN) is used.
- solutions: the ``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines that mark where a student
  copy cuts a solution cell (:mod:`deepwhy.classroom.reading`) are left out of the book's code.
- launch buttons: Binder and Colab open the reader's copy of a chapter (``notebooks/``, plain
  Markdown that any notebook front end renders; ``make notebooks``), not the book's MyST source.
- sphinx-thebe registers its configuration script twice under Jupyter Book 1.0, which makes
  the browser report "Identifier 'THEBE_JS_URL' has already been declared": keep one copy.
- the theme's colour mode defaults to an empty string, which the theme reports as an invalid
  mode on every first visit: default to "light".

Enabled in _config.yml (sphinx.extra_extensions). Checked by tests/test_book.py.
"""
from __future__ import annotations

import importlib.util
import pathlib
import re
import shutil

#: The parts of MathJax's es5 distribution the book needs: the combined TeX + MathML to
#: CommonHTML component, its fonts, and the TeX extensions it may load on demand.
MATHJAX_PARTS = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def mathjax_es5() -> pathlib.Path | None:
    """Return the folder of MathJax's es5 files from the installed ``mathjax`` package, or None."""
    spec = importlib.util.find_spec("mathjax")
    for root in (spec.submodule_search_locations or []) if spec else []:
        es5 = pathlib.Path(root) / "static" / "mathjax" / "es5"
        if all((es5 / part).exists() for part in MATHJAX_PARTS):
            return es5
    return None


def _use_local_mathjax(app, config):
    if mathjax_es5() is not None:
        config.mathjax_path = "mathjax/tex-mml-chtml.js"  # relative to _static


def _copy_mathjax(app, exception):
    es5 = mathjax_es5()
    if exception is not None or es5 is None or app.builder.format != "html":
        return
    target = pathlib.Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = es5 / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def without_solution_markers(code: str) -> str:
    """Return ``code`` without its ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines."""
    from .classroom.reading import BEGIN, END

    return "\n".join(line for line in code.split("\n") if not (BEGIN.match(line) or END.match(line)))


def _hide_solution_markers(app, doctree):
    from docutils import nodes

    for block in doctree.findall(nodes.literal_block):
        code = block.astext()
        kept = without_solution_markers(code)
        if kept != code:
            block.rawsource = kept
            block.children = [nodes.Text(kept)]


#: Where the reader's copies of the book's notebooks live in the repository.
READER_COPIES = "notebooks"


def reader_copy_url(url: str) -> str:
    """Return a Binder or Colab launch URL with the book's notebook swapped for its reader's copy."""
    if "mybinder" not in url and "colab" not in url:
        return url
    return re.sub(r"(?<=[/=])book/([^/?#&]+\.ipynb)", READER_COPIES + r"/\1", url)


def _launch_reader_copies(app, pagename, templatename, context, doctree):
    def visit(buttons):
        for button in buttons or []:
            if isinstance(button, dict):
                if isinstance(button.get("url"), str):
                    button["url"] = reader_copy_url(button["url"])
                visit(button.get("buttons"))
    visit(context.get("header_buttons"))


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # the same inline script is registered once with filename None and once with ""
        key = (getattr(js, "filename", js) or "", tuple(sorted(getattr(js, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique


def _default_mode(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "light"


def setup(app):
    """Register local MathJax, the solution clean-up and the two fixes with Sphinx."""
    app.connect("config-inited", _use_local_mathjax)
    app.connect("doctree-read", _hide_solution_markers)
    app.connect("build-finished", _copy_mathjax)
    app.connect("html-page-context", _default_mode)
    app.connect("html-page-context", _launch_reader_copies, priority=600)  # after the theme adds them (501)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
