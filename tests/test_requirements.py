"""The stated Python floor is true, and Binder can build.

- README, how_to_use.md, pyproject.toml (requires-python) and the Makefile's set-up check name
  the same oldest Python, and Binder's runtime.txt names a Python no older than it.
- Every pin of requirements.txt has a wheel on PyPI for Binder's Python and for the oldest
  Python (Linux x86_64, as on Binder and most laptops), so a pin bump that breaks either fails
  here. Nothing is installed or downloaded: the check reads PyPI's index (PEP 691 JSON), which
  is what pip reads too. It is skipped, with the reason, when PyPI cannot be reached.
"""
from __future__ import annotations

import concurrent.futures
import json
import pathlib
import re
import urllib.error
import urllib.request

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _floor() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return re.search(r'requires-python\s*=\s*">=(\d+\.\d+)"', text).group(1)


def _binder_python() -> str:
    return re.fullmatch(r"python-(\d+\.\d+)\s*", (ROOT / "binder" / "runtime.txt").read_text()).group(1)


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.+!-]+)", line)
        assert match, f"requirements.txt pins every package with ==, got {line!r}"
        pins[match.group(1)] = match.group(2)
    return pins


def test_the_stated_python_floor_agrees_everywhere():
    floor = _floor()
    assert re.search(rf"^PYTHON_MIN := {re.escape(floor)}$", (ROOT / "Makefile").read_text(), re.M)
    for page in ("README.md", "book/how_to_use.md"):
        stated = re.findall(r"Python (\d+\.\d+) or newer", (ROOT / page).read_text())
        assert stated and set(stated) == {floor}, f"{page} should say 'Python {floor} or newer', says {stated}"
    assert Version(_binder_python()) >= Version(floor)


def test_binder_installs_the_pinned_requirements():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in lines
    assert any("download.pytorch.org/whl/cpu" in line for line in lines), "Binder takes the CPU build of torch"


_PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(35, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def _supported(python: str) -> set:
    version = tuple(int(p) for p in python.split("."))
    return set(cpython_tags(version, platforms=_PLATFORMS)) | set(compatible_tags(version, platforms=_PLATFORMS))


def _files(name: str) -> list[dict]:
    request = urllib.request.Request(f"https://pypi.org/simple/{canonicalize_name(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["files"]


@pytest.fixture(scope="module")
def index():
    try:
        _files("pip")
    except (urllib.error.URLError, OSError) as e:
        pytest.skip(f"PyPI cannot be reached ({e}); the wheel check needs its index")
    pins = _pins()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return dict(zip(pins, pool.map(_files, pins)))


def _wheel_for(files, version: str, python: str) -> str | None:
    tags, wanted = _supported(python), Version(version)
    for f in files:
        if not f["filename"].endswith(".whl") or f.get("yanked"):
            continue
        _, v, _, wheel_tags = parse_wheel_filename(f["filename"])
        if Version(v.public) != wanted:  # torch's "+cpu" builds count as the pinned version
            continue
        requires = f.get("requires-python")
        if requires and python + ".0" not in SpecifierSet(requires):
            continue
        if wheel_tags & tags:
            return f["filename"]
    return None


@pytest.mark.parametrize("which", ["binder", "floor"])
def test_every_pin_has_a_wheel(index, which):
    python = _binder_python() if which == "binder" else _floor()
    missing = [f"{name}=={version}" for name, version in _pins().items()
               if _wheel_for(index[name], version, python) is None]
    assert not missing, f"no Linux x86_64 wheel for Python {python} ({which}) on PyPI: {', '.join(missing)}"


def test_the_wheel_check_can_fail(index):
    # numpy 2.4 dropped Python 3.10: the check must say so, or it proves nothing.
    assert _wheel_for(index["numpy"], _pins()["numpy"], "3.10") is None
