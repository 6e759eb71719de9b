"""A small Sphinx extension for the book's HTML: two fixes for console errors of the theme stack.

- sphinx-thebe registers its configuration script twice under Jupyter Book 1.0, which makes
  the browser report "Identifier 'THEBE_JS_URL' has already been declared": keep one copy.
- the theme's colour mode defaults to an empty string, which the theme reports as an invalid
  mode on every first visit: default to "light".

Enabled in _config.yml (sphinx.extra_extensions). Checked by tests/test_book.py.
"""
from __future__ import annotations


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
    """Register the two fixes with Sphinx."""
    app.connect("html-page-context", _default_mode)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
