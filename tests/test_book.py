"""The built book, checked as a reader sees it.

Builds the HTML book exactly as ``make book`` does (a Sphinx warning fails the build), then
opens every page in headless Chromium and checks: no JavaScript errors, every image loads,
every chapter shows at least one figure, no request leaves the machine, every formula is
typeset by the book's own MathJax,
notebook pages have launch and download buttons, and exercise solutions start collapsed. One screenshot per page goes to _build/screenshots/.

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


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page, server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    tab = context.new_page()
    errors, external = [], []
    # The book must work offline: requests leaving this machine are cut, and listed.
    tab.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: (external.append(route.request.url),
                                                                      route.abort()))
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(f"{server}/{page}.html", wait_until="load")
    tab.wait_for_timeout(300)

    assert not external, f"{page}: requests that left this machine: {external}"
    assert not errors, f"{page}: JavaScript errors: {errors}"

    images = tab.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    broken = [src for src, width in images if not width and not src.startswith("http")]
    assert not broken, f"{page}: images that did not load: {broken}"
    if _is_chapter(page):
        figures = tab.eval_on_selector_all("main img", "els => els.filter(e => e.naturalWidth > 0).length")
        assert figures >= 1, f"{page}: a chapter page shows no figure"

    if _is_notebook(page):
        launch = tab.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
        assert any("mybinder" in h for h in launch), f"{page}: no Binder launch button ({launch})"
        assert any("colab" in h for h in launch), f"{page}: no Colab launch button ({launch})"
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
    context.close()


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
