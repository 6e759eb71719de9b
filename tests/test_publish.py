"""The repository address lives in _config.yml; every install line must agree with it."""
import pathlib
import shutil

import pytest

from deepwhy import publish

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_install_line_uses_the_configured_url():
    assert publish.disagreements(ROOT) == []
    places = publish.install_urls(ROOT)
    notebooks = sorted(p.name for p in (ROOT / "book").glob("*.ipynb"))
    assert [pathlib.Path(p).name for p in places if p.endswith(".ipynb")] == notebooks, \
        "every notebook's first cell installs the package on Colab"


@pytest.fixture()
def copy(tmp_path):
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "_config.yml", tmp_path)
    for name in ("intro.ipynb", "02_backprop.ipynb", "how_to_use.md"):
        shutil.copy(ROOT / "book" / name, tmp_path / "book")
    (tmp_path / "README.md").write_text('pip install "deepwhy @ git+https://example.org/old/place"\n')
    return tmp_path


def test_set_url_changes_every_place_and_check_finds_strays(copy):
    assert publish.disagreements(copy) == ["README.md installs from https://example.org/old/place, "
                                           f"but _config.yml says {publish.configured_url(copy)}"]
    changed = publish.set_url("https://github.com/someone/deepwhy-course", copy)
    assert set(changed) == {"_config.yml", "book/intro.ipynb", "book/02_backprop.ipynb", "README.md"}
    assert publish.configured_url(copy) == "https://github.com/someone/deepwhy-course"
    assert publish.disagreements(copy) == []
    assert publish.main(["--check", "--root", str(copy)]) == 0


@pytest.mark.parametrize("url", ["github.com/a/b", "https://github.com/a/b/", "https://github.com/a", 3])
def test_set_url_rejects_bad_urls(copy, url):
    with pytest.raises(ValueError, match="url must look like"):
        publish.set_url(url, copy)
