"""The student's path, tested the way a student takes it: a student copy in JupyterLab, in Chromium.

`make student` writes a chapter's student copy; JupyterLab, started from the project's
environment on 127.0.0.1, opens it in headless Chromium; Run All must run the chapter and stop
at the first exercise with its one-line message. On the way, no raw MyST markup may be
visible, no JavaScript error may occur and no request may leave the machine. Then one slider of
the chapter's explorer is moved, and the figure must change.

Skipped, with the reason, when Chromium is not installed; CI installs it.
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTER = "02_backprop"  # the quickest chapter with an explorer and exercises
RAW_MYST = ("{term}", "{footcite", "{glue", "{doc}", "{ref}", "{numref}", ":label:", "```{", ":::{")


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    subprocess.run([sys.executable, "-m", "deepwhy.classroom", "student", str(ROOT / "book"), "--out", str(out)],
                   check=True, capture_output=True, text=True, cwd=ROOT)
    path = out / f"{CHAPTER}.ipynb"
    assert path.exists(), f"make student wrote no {path.name}"
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(student_copy, tmp_path_factory, browser):
    """JupyterLab from the project's environment, serving the student copies on 127.0.0.1."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPWHY_", "JUPYTER_", "JPY_"))}
    env.update(HOME=str(home), DEEPWHY_PROGRESS="0")  # a live notebook: real widgets, no static figures
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={student_copy.parent}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            if proc.poll() is not None:
                pytest.fail("JupyterLab exited at start:\n" + (home / "lab.log").read_text()[-3000:])
            time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not answer within 60 s:\n" + (home / "lab.log").read_text()[-3000:])
        yield url, token
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_run_all_stops_at_the_first_exercise_and_the_explorer_moves(lab, student_copy, browser):
    url, token = lab
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        tab = context.new_page()
        errors, external = [], []
        tab.route(re.compile(r"^https?://(?!127\.0\.0\.1)"),
                  lambda route: (external.append(route.request.url), route.abort()))
        tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.goto(f"{url}/lab/tree/{student_copy.name}?token={token}")
        tab.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')",
                              timeout=90_000)
        tab.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                              " return w && w.sessionContext && w.sessionContext.session"
                              " && w.sessionContext.session.kernel"
                              " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=90_000)

        markdown = tab.eval_on_selector_all(".jp-MarkdownCell .jp-RenderedMarkdown", "els => els.map(e => e.textContent)")
        assert markdown, "no markdown cell was rendered"
        raw = sorted({m for text in markdown for m in RAW_MYST if m in text})
        assert not raw, f"raw MyST markup is visible in the student copy: {raw}"

        tab.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        error = tab.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first
        error.wait_for(timeout=240_000)
        message = error.text_content()
        assert "Exercise 2.1" in message and len(message.strip().splitlines()) <= 3, message
        tab.wait_for_timeout(1000)  # let the queue settle: nothing after the failing cell may run
        counts = tab.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                              ".filter(c => c.model.type === 'code').map(c => c.model.executionCount)")
        failing = tab.eval_on_selector_all(
            ".jp-CodeCell", "cells => cells.findIndex(c => c.querySelector("
            "\".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']\"))")
        assert all(n is not None for n in counts[:failing + 1]), f"Run All skipped cells before the first exercise: {counts}"
        assert all(n is None for n in counts[failing + 1:]), f"cells after the first exercise ran: {counts}"
        assert counts[:failing + 1] == sorted(counts[:failing + 1]), f"cells ran out of order: {counts}"

        slider = tab.locator(".widget-interact .widget-slider .noUi-handle").first
        slider.wait_for(timeout=30_000)
        figure = tab.locator(".widget-interact .jp-OutputArea-output img").first
        figure.wait_for(timeout=30_000)
        before = figure.get_attribute("src")
        slider.focus()
        tab.keyboard.press("End")
        tab.wait_for_function("before => { const img = document.querySelector("
                              "'.widget-interact .jp-OutputArea-output img');"
                              " return img && img.getAttribute('src') !== before; }", arg=before, timeout=60_000)
        tab.screenshot(path=str(student_copy.parent / "jupyterlab.png"))
    finally:
        context.close()
    assert not external, f"requests that left this machine: {external}"
    assert not errors, f"JavaScript errors in JupyterLab: {errors}"
