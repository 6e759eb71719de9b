"""The course's repository address: read it from ``_config.yml``, find every copy, set it everywhere.

The address lives in ``_config.yml`` (``repository: url:``), which drives the book's repository,
Binder and Colab buttons. Two other kinds of place repeat it, because they cannot read the
configuration: the Colab install cell of every notebook and the install line of the pages,
both as ``deepwhy @ git+<url>``. Publishing the course under its real address is one command::

    python -m deepwhy.publish https://github.com/OWNER/REPO      # set it everywhere
    python -m deepwhy.publish --check                            # exit 1 if the places disagree

Used in: tests/test_publish.py (the places must agree), the README.
"""
from __future__ import annotations

import argparse
import pathlib
import re

_CONFIG_URL = re.compile(r"^(?P<head>repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)(?P<url>\S+)", re.M)
_INSTALL = re.compile(r"deepwhy @ git\+(?P<url>[^\s\"'`\\]+)")
_URL = re.compile(r"^https://[\w.-]+/[\w.-]+/[\w.-]+$")
#: where install lines may stand, relative to the repository root
PLACES = ("book/*.ipynb", "book/*.md", "README.md")


def configured_url(root=".") -> str:
    """Return the repository URL that ``_config.yml`` under ``root`` gives."""
    text = (pathlib.Path(root) / "_config.yml").read_text(encoding="utf-8")
    match = _CONFIG_URL.search(text)
    if not match:
        raise ValueError(f"{root}/_config.yml has no 'repository: url:' entry")
    return match.group("url")


def install_urls(root=".") -> dict[str, list[str]]:
    """Return, for every file with a ``deepwhy @ git+URL`` install line, the URLs it names."""
    root = pathlib.Path(root)
    found = {}
    for pattern in PLACES:
        for path in sorted(root.glob(pattern)):
            urls = _INSTALL.findall(path.read_text(encoding="utf-8"))
            if urls:
                found[str(path.relative_to(root))] = urls
    return found


def disagreements(root=".") -> list[str]:
    """Return one line per install line whose URL differs from ``_config.yml``'s; empty if all agree."""
    url = configured_url(root)
    return [f"{path} installs from {u}, but _config.yml says {url}"
            for path, urls in install_urls(root).items() for u in urls if u != url]


def set_url(url: str, root=".") -> list[str]:
    """Write ``url`` into ``_config.yml`` and every install line; return the files changed."""
    if not isinstance(url, str) or not _URL.match(url):
        raise ValueError(f"url must look like https://github.com/OWNER/REPO (no trailing slash), got {url!r}")
    root = pathlib.Path(root)
    changed = []
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    configured_url(root)  # fails clearly when the entry is missing
    new = _CONFIG_URL.sub(lambda m: m.group("head") + url, text, count=1)
    if new != text:
        config.write_text(new, encoding="utf-8")
        changed.append("_config.yml")
    for rel in install_urls(root):
        path = root / rel
        text = path.read_text(encoding="utf-8")
        new = _INSTALL.sub(f"deepwhy @ git+{url}", text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(rel)
    return changed


def main(argv=None) -> int:
    """Command line: ``python -m deepwhy.publish URL`` or ``python -m deepwhy.publish --check``."""
    parser = argparse.ArgumentParser(prog="python -m deepwhy.publish", description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="the repository's address, https://github.com/OWNER/REPO")
    parser.add_argument("--check", action="store_true", help="exit 1 if any place disagrees with _config.yml")
    parser.add_argument("--root", default=".", help="the repository's root folder (default: .)")
    args = parser.parse_args(argv)
    if args.check or not args.url:
        problems = disagreements(args.root)
        for line in problems:
            print(line)
        if not problems:
            print(f"every place uses {configured_url(args.root)}")
        return 1 if problems else 0
    changed = set_url(args.url, args.root)
    print(f"set {args.url} in {len(changed)} file(s): {', '.join(changed) or 'none changed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
