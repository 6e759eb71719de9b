"""Fixtures shared by the browser tests (the built book, and JupyterLab): one headless Chromium.

Playwright's sync API allows one running instance per thread, so every browser test uses this
one session-wide browser. It is skipped, with the reason, when Chromium is not installed; CI
installs it.
"""
from __future__ import annotations

import pathlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright, for the whole test session."""
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
