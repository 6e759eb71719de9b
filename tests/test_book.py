"""The built book, checked as a reader sees it.

Builds the HTML book exactly as ``make book`` does (a Sphinx warning fails the build), then
opens every page in headless Chromium and checks: no JavaScript errors, every image loads and
has alt text, every figure is shown at the size it was drawn (so its text keeps its size), every
chapter shows at least one figure, no request leaves the machine, every formula is typeset by the
book's own MathJax, notebook pages have launch and download buttons, every chapter's explorer
moves (one control of each is moved and its figure must change), exercise solutions start
collapsed, and no text meant for authors (solution markers, notes) reaches the page. Each page is
then read again at a phone's width in dark mode. Nothing scrolls sideways at either width, except
code on a phone. Screenshots of both go to _build/screenshots/.

The browser part is skipped, with the reason, when Chromium is not installed; CI installs it.
"""
from __future__ import annotations

import functools
import http.server
import os
import pathlib
import re
import subprocess
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


def _toc_pages() -> list[str]:
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)\s*$", text, flags=re.M)


PAGES = _toc_pages()


@pytest.fixture(scope="session")
def built_book():
    """Build the book as `make book` does (`make html`, the same build without the set-up); fail with the warnings if Sphinx reported any."""
    env = dict(os.environ, DEEPWHY_PROGRESS="0", DEEPWHY_STATIC="1")
    result = subprocess.run(["make", "--no-print-directory", "html"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines()
                if re.search(r"WARNING|ERROR", line) and "Kernel is running over TCP" not in line]
    assert result.returncode == 0 and not warnings, "the book build failed or warned:\n" + "\n".join(
        warnings or log.splitlines()[-40:])
    return HTML


def test_book_builds_with_zero_warnings(built_book):
    for page in PAGES:
        assert (built_book / f"{page}.html").exists(), f"{page}.html was not built"


@pytest.fixture(scope="session")
def server(built_book):
    """Serve the built book on 127.0.0.1 (a real HTTP origin, as a reader's browser would see it)."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _is_chapter(page: str) -> bool:
    return re.match(r"book/\d\d_", page) is not None


def _is_notebook(page: str) -> bool:
    return (ROOT / f"{page}.ipynb").exists()


#: Text that is for the book's authors, never for its readers (the instructors' page may explain
#: the solution markers; no solution may show them).
AUTHORS_ONLY = ("reference run", "experiment notes", "do not edit")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")

# Boxes inside <main> that scroll sideways or stick out of the page; at phone width, code may scroll.
_OVERFLOW_JS = """code_may_scroll => {
  const code = e => e.closest('pre, div.highlight');
  const page = document.documentElement.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                    (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : '');
  const found = [];
  if (document.documentElement.scrollWidth > page + 1)
    found.push('the page: ' + (document.documentElement.scrollWidth - page) + ' px');
  for (const e of document.querySelectorAll('main *')) {
    const s = getComputedStyle(e);
    if (e.getClientRects().length === 0 || s.visibility === 'hidden') continue;
    const scrolls = (s.overflowX === 'auto' || s.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 1;
    if (scrolls && !(code_may_scroll && code(e)))
      found.push(name(e) + ' scrolls ' + (e.scrollWidth - e.clientWidth) + ' px');
    const box = e.getBoundingClientRect();
    let inside = e.parentElement, hidden = false;
    for (; inside && inside.tagName !== 'MAIN'; inside = inside.parentElement) {
      const o = getComputedStyle(inside).overflowX;
      if (o !== 'visible' && o !== 'clip' || inside.closest('details:not([open])')) { hidden = true; break; }
    }
    if (!hidden && box.width > 0 && box.right > page + 1) found.push(name(e) + ' sticks out ' + Math.round(box.right - page) + ' px');
  }
  return [...new Set(found)].slice(0, 8);
}"""


def _open(browser, server, page, width, dark=False):
    """Open a page in a fresh tab of ``width`` CSS px; return the tab and its lists of JS errors and external requests."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    if dark:
        context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    tab = context.new_page()
    errors, external = [], []
    # The book must work offline: requests leaving this machine are cut, and listed.
    tab.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: (external.append(route.request.url),
                                                                      route.abort()))
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(f"{server}/{page}.html", wait_until="load")
    tab.wait_for_timeout(300)
    return tab, errors, external


def _move_every_explorer(tab, page):
    """Move one control of each explorer in the page (deepwhy.flipbook); its figure must change."""
    explorers = tab.locator(".dw-explorer")
    assert explorers.count() >= 1, f"{page}: a chapter page has no explorer that moves"
    for i in range(explorers.count()):
        box = explorers.nth(i)
        assert box.locator(".dw-controls").is_visible(), f"{page}: explorer {i} shows no controls"
        before = box.locator("img").get_attribute("src")
        control = box.locator("input[type=range], select").first
        if control.evaluate("e => e.tagName") == "SELECT":
            options = control.evaluate("e => [...e.options].map(o => o.value)")
            current = control.evaluate("e => e.value")
            control.select_option(next(v for v in options if v != current))
        else:
            control.focus()
            tab.keyboard.press("Home" if control.evaluate("e => Number(e.value) > 0") else "End")
        after = box.locator("img").get_attribute("src")
        assert after != before, f"{page}: moving a control of explorer {i} did not change its figure"


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page, server, browser, tmp_path):
    tab, errors, external = _open(browser, server, page, 1300)

    assert not external, f"{page}: requests that left this machine: {external}"
    assert not errors, f"{page}: JavaScript errors: {errors}"

    images = tab.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    broken = [src for src, width in images if not width and not src.startswith("http")]
    assert not broken, f"{page}: images that did not load: {broken}"
    no_alt = tab.eval_on_selector_all("main img", "els => els.filter(e => !(e.getAttribute('alt') || '').trim())"
                                                  ".map(e => (e.getAttribute('src') || '').slice(0, 60))")
    assert not no_alt, f"{page}: images without alt text: {no_alt}"
    # A figure drawn for the column is shown at the size it was drawn: a shrunk one shrinks its text.
    shrunk = tab.eval_on_selector_all(
        "main img", "els => els.filter(e => e.naturalWidth > 0 && e.getClientRects().length)"
                    ".map(e => [(e.getAttribute('src') || '').slice(0, 60), parseFloat(e.style.width) ||"
                    " Number(e.getAttribute('width')) || e.naturalWidth, e.getBoundingClientRect().width])"
                    ".filter(([src, drawn, shown]) => shown < drawn - 1)")
    assert not shrunk, f"{page}: figures shrunk to fit the column ([src, drawn px, shown px]): {shrunk}"
    text = tab.eval_on_selector("main", "e => e.textContent")
    leaked = [words for words in AUTHORS_ONLY if words.lower() in text.lower()]
    assert not leaked, f"{page}: text meant for authors is on the page: {leaked}"
    solutions = " ".join(tab.eval_on_selector_all("main div.solution", "els => els.map(e => e.textContent)"))
    markers = [words for words in SOLUTION_MARKERS if words in solutions]
    assert not markers, f"{page}: a solution shows its markers: {markers}"
    overflow = tab.evaluate(_OVERFLOW_JS, False)
    assert not overflow, f"{page}: sideways scrolling at 1300 px: {overflow}"
    if _is_chapter(page):
        figures = tab.eval_on_selector_all("main img", "els => els.filter(e => e.naturalWidth > 0).length")
        assert figures >= 1, f"{page}: a chapter page shows no figure"
        _move_every_explorer(tab, page)

    if _is_notebook(page):
        launch = tab.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
        # Binder and Colab open the reader's copy, which reads as plain Markdown there.
        copy = f"notebooks/{pathlib.Path(page).name}.ipynb"
        assert any("mybinder" in h and copy in h for h in launch), f"{page}: no Binder button to {copy} ({launch})"
        assert any("colab" in h and h.endswith(copy) for h in launch), f"{page}: no Colab button to {copy} ({launch})"
        download = tab.eval_on_selector_all(".dropdown-download-buttons a, .dropdown-download-buttons button",
                                            "els => els.length")
        assert download >= 1, f"{page}: no download button"

    # Formulas are typeset by the book's own copy of MathJax
    formulas = tab.locator("main .math").count()
    if formulas:
        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
        typeset = tab.evaluate("async () => { await MathJax.startup.promise;"
                               " return document.querySelectorAll('main .math mjx-container').length; }")
        assert typeset >= formulas, f"{page}: {typeset} of {formulas} formulas typeset"

    solutions = tab.locator("div.solution")
    for i in range(solutions.count()):
        body = solutions.nth(i).locator(":scope > :not(.admonition-title)").first
        assert "dropdown" in (solutions.nth(i).get_attribute("class") or ""), f"{page}: solution {i} is not a dropdown"
        assert not body.is_visible(), f"{page}: solution {i} is open; it must start collapsed"

    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{pathlib.Path(page).name}.png"), full_page=False)
    tab.context.close()


@pytest.mark.parametrize("page", PAGES)
def test_page_on_a_phone_in_dark_mode(page, server, browser):
    tab, errors, external = _open(browser, server, page, 400, dark=True)
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark", f"{page}: dark mode did not apply"
    assert not external, f"{page}: requests that left this machine: {external}"
    assert not errors, f"{page}: JavaScript errors in dark mode: {errors}"
    overflow = tab.evaluate(_OVERFLOW_JS, True)
    assert not overflow, f"{page}: sideways scrolling at 400 px: {overflow}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{pathlib.Path(page).name}-phone-dark.png"), full_page=False)
    tab.context.close()


def test_local_mathjax_is_found_and_copied(tmp_path):
    from types import SimpleNamespace

    from deepwhy import sphinxext

    es5 = sphinxext.mathjax_es5()
    assert es5 is not None, "the mathjax package (django-static-mathjax in requirements.txt) is not installed"
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    sphinxext._copy_mathjax(app, None)
    target = tmp_path / "_static" / "mathjax"
    assert (target / "tex-mml-chtml.js").stat().st_size > 500_000
    assert any((target / "output/chtml/fonts/woff-v2").glob("MathJax_Main-Regular.woff"))
    config = SimpleNamespace(mathjax_path="https://cdn.example/mathjax.js")
    sphinxext._use_local_mathjax(app, config)
    assert config.mathjax_path == "mathjax/tex-mml-chtml.js"


def test_launch_buttons_open_the_reader_copies():
    from deepwhy import sphinxext

    book = "https://colab.research.google.com/github/o/r/blob/main/book/02_backprop.ipynb"
    assert sphinxext.reader_copy_url(book).endswith("/blob/main/notebooks/02_backprop.ipynb")
    binder = "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/book/02_backprop.ipynb"
    assert sphinxext.reader_copy_url(binder).endswith("urlpath=lab/tree/notebooks/02_backprop.ipynb")
    source = "https://github.com/o/r/blob/main/book/02_backprop.ipynb"
    assert sphinxext.reader_copy_url(source) == source          # the repository's own link is left alone
    context = {"header_buttons": [{"type": "group", "buttons": [{"url": book}, {"url": source}]}]}
    sphinxext._launch_reader_copies(None, "book/02_backprop", None, context, None)
    assert [b["url"] for b in context["header_buttons"][0]["buttons"]] == [sphinxext.reader_copy_url(book), source]


def test_solution_markers_are_left_out_of_the_book():
    from deepwhy import sphinxext

    code = "def f(x):\n    # BEGIN SOLUTION\n    y = 2 * x\n    # END SOLUTION\n    return y"
    assert sphinxext.without_solution_markers(code) == "def f(x):\n    y = 2 * x\n    return y"
