"""The claims ledger: each chapter records every claim it tests, with the number it measured.

A chapter calls :func:`claim` in a ``remove-cell`` cell right after the assert that backs it.
The value and the verdict are glued into the executed notebook with myst-nb, and the book's
"Claims ledger" page pastes them from there, so no measured number is ever typed by hand.

Keep ``key``, ``chapter``, ``text`` and ``experiment`` literal strings in the call: the ledger
page is assembled by reading them from the notebook source.

Used in: every chapter; the "Claims ledger" page.
"""
from __future__ import annotations

import numbers
import re

#: "illustration": the experiment shows the claim but could not have contradicted it (it holds by
#: construction or by arithmetic), so it is not evidence for the claim.
VERDICTS = ("reproduced", "nuanced", "not reproduced", "illustration")
_KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

#: every claim recorded in this Python session, in order
RECORDS: list[dict] = []


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: float, digits: int = 1) -> str:
    """Return a number in the book's scientific notation with ``digits`` significant digits: 3 × 10⁻¹⁰ (1.3 for 1.3)."""
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    mantissa, exponent = f"{float(value):.{digits - 1}e}".split("e")
    if int(exponent) == 0:
        return mantissa
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPTS)
    return power if float(mantissa) == 1 else f"{mantissa} × {power}"


def format_value(value, fmt: str = "{:.3g}") -> str:
    """Return ``value`` as text: numbers through ``fmt``, sequences joined by " / ", strings as they are.

    ``fmt`` is a format string, or ``"sci"`` / ``"sci2"`` for :func:`scientific` with one or two
    significant digits (5 × 10⁻¹³, 3.9 × 10⁻¹³).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if fmt in ("sci", "sci2"):
            return scientific(value, 2 if fmt == "sci2" else 1)
        return fmt.format(value)
    try:
        return " / ".join(format_value(v, fmt) for v in value)
    except TypeError:
        raise ValueError(f"value must be a number, a string or a sequence of them, got {value!r}") from None


def claim(key: str, chapter: str, text: str, value, verdict: str, experiment: str | None = None,
          fmt: str = "{:.3g}", unit: str = "", finding: str = "") -> None:
    """Record one claim of a source article, the value measured for it, and the verdict.

    Args:
        key: a unique id, lowercase words joined by hyphens, e.g. ``"ch1-perceptron-xor"``.
        chapter: the chapter's short name, e.g. ``"History"``.
        text: the claim in one sentence, attributed ("Dettmers: ...").
        value: the measured number(s) that back the verdict, straight from the experiment.
        verdict: one of :data:`VERDICTS`.
        experiment: the label of the figure that shows it (``"fig-xor-width"``), if any.
        fmt: how numbers are written; ``unit`` is appended.
        finding: what the experiment showed, in one sentence for the chapter's summary
            (:func:`summary`); computed numbers may be formatted into it.

    Glues ``key`` (the value as text) and ``key-verdict``, and appends the record to
    :data:`RECORDS`. Returns nothing, so a notebook cell that ends with the call shows nothing.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"key must be lowercase words joined by hyphens (e.g. 'ch1-xor-width'), got {key!r}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    for name, s in (("chapter", chapter), ("text", text)):
        if not isinstance(s, str) or not s.strip():
            raise ValueError(f"{name} must be a non-empty string, got {s!r}")
    shown = format_value(value, fmt) + (f" {unit}" if unit else "")
    if not isinstance(finding, str):
        raise ValueError(f"finding must be a string (one sentence for the summary), got {finding!r}")
    record = {"key": key, "chapter": chapter, "text": text, "value": shown, "verdict": verdict,
              "experiment": experiment, "finding": finding.strip()}
    RECORDS[:] = [r for r in RECORDS if r["key"] != key] + [record]
    paste(key, shown)
    paste(f"{key}-verdict", verdict)


#: how a chapter's summary names each verdict, in the order it lists them
SUMMARY_HEADINGS = {"reproduced": "Reproduced", "nuanced": "Nuanced: holds only with a qualification",
                    "not reproduced": "Not reproduced", "illustration": "Illustrated, not tested: the result holds by "
                    "construction"}


def summary_markdown(chapter: str, not_tested=()) -> str:
    """Return the Markdown of a chapter's verdicts, built from the claims it recorded in :data:`RECORDS`.

    One bold heading per verdict that occurs, in the order of :data:`SUMMARY_HEADINGS`, then a
    bullet per claim: the claim, what was found, and the measured value. ``not_tested`` lists
    claims of the article that the chapter describes but does not test, each a sentence; they
    come last, under "Not tested". A summary built this way cannot disagree with the ledger.
    """
    if not isinstance(chapter, str) or not chapter.strip():
        raise ValueError(f"chapter must be a chapter's short name, e.g. 'History', got {chapter!r}")
    if isinstance(not_tested, str) or not all(isinstance(t, str) and t.strip() for t in not_tested):
        raise ValueError(f"not_tested must be a list of sentences, got {not_tested!r}")
    records = [r for r in RECORDS if r["chapter"] == chapter]
    if not records:
        raise ValueError(f"no claims recorded for chapter {chapter!r}: run the chapter's cells first")
    parts = []
    for verdict, heading in SUMMARY_HEADINGS.items():
        rows = [r for r in records if r["verdict"] == verdict]
        if rows:
            bullets = [f"- {r['text']}" + (f" {r['finding']}" if r["finding"] else "") + f" (measured: {r['value']}.)"
                       for r in rows]
            parts.append(f"**{heading}.**\n\n" + "\n".join(bullets))
    if not_tested:
        parts.append("**Not tested.**\n\n" + "\n".join(f"- {t.strip()}" for t in not_tested))
    return "\n\n".join(parts) + "\n"


def summary(chapter: str, not_tested=()):
    """Display a chapter's verdicts as formatted Markdown (see :func:`summary_markdown`); return None.

    Call it in the chapter's Summary section, in a cell tagged ``remove-input``.
    Used in: every chapter's summary.
    """
    from IPython.display import Markdown, display

    display(Markdown(summary_markdown(chapter, not_tested)))


def paste(key: str, value, fmt: str = "{:.3g}") -> str:
    """Glue ``value`` as text under ``key`` for the page's ``{glue:text}`` roles; return the text.

    Numbers are written through ``fmt``, sequences joined by " / ". Outside the book (no myst-nb,
    e.g. on Colab) the text is only returned. Displays nothing.

    Used in: every chapter, for each computed number its prose or captions quote.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"key must be lowercase words joined by hyphens (e.g. 'ch2-time-ratio'), got {key!r}")
    text = format_value(value, fmt)
    try:
        from myst_nb import glue
    except ImportError:
        return text
    glue(key, text, display=False)
    return text


# --------------------------------------------------------------------------------------
# The ledger page: assembled from the claim(...) calls in the chapter notebooks
# --------------------------------------------------------------------------------------

_FIELDS = ("key", "chapter", "text", "value", "verdict", "experiment")
_LITERAL_FIELDS = ("key", "chapter", "text", "verdict", "experiment")
#: each verdict as a sphinx-design badge: a symbol and the word, so colour is never the only cue
VERDICT_BADGES = {"reproduced": "{bdg-primary}`✔ reproduced`", "nuanced": "{bdg-warning}`≈ nuanced`",
                  "not reproduced": "{bdg-dark}`✘ not reproduced`", "illustration": "{bdg-info-line}`◇ illustration`"}


def _code_cells(path):
    import json

    nb = json.loads(open(path, encoding="utf-8").read())
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            # IPython magics and shell escapes are not Python: blank them out before parsing
            lines = [line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                     else line for line in source.splitlines()]
            yield index, "\n".join(lines)


def find_claims(path) -> list[dict]:
    """Return the claims recorded in one notebook: key, chapter, text and experiment of every ``claim(...)`` call.

    Reads the notebook's source without running it. Raises ValueError when a call's key, chapter,
    text or experiment is not a literal string, since the ledger page could not show it.
    """
    import ast

    found = []
    for index, source in _code_cells(path):
        try:
            tree = ast.parse(source)
        except SyntaxError as e:
            raise ValueError(f"{path}: code cell {index} is not valid Python ({e})") from None
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
            if name != "claim" or owner not in ("ledger", None):
                continue
            args = dict(zip(_FIELDS, node.args))
            args.update({kw.arg: kw.value for kw in node.keywords if kw.arg in _FIELDS})
            record = {}
            for field in _LITERAL_FIELDS:
                value = args.get(field)
                if value is None and field == "experiment":
                    record[field] = None
                    continue
                if not (isinstance(value, ast.Constant) and isinstance(value.value, (str, type(None)))):
                    raise ValueError(f"{path}: code cell {index}, line {node.lineno}: ledger.claim's {field!r} "
                                     f"must be a literal string so the ledger page can show it")
                record[field] = value.value
            if record["verdict"] not in VERDICTS:
                raise ValueError(f"{path}: code cell {index}, line {node.lineno}: verdict must be one of "
                                 f"{VERDICTS}, got {record['verdict']!r}")
            found.append(record)
    return found


def toc_notebooks(toc_path, root_dir=".") -> list:
    """Return the notebooks that a Jupyter Book ``_toc.yml`` lists, in the order it lists them."""
    import pathlib
    import re

    root = pathlib.Path(root_dir)
    text = pathlib.Path(toc_path).read_text(encoding="utf-8")
    entries = re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)\s*$", text, flags=re.M)
    return [root / f"{e}.ipynb" for e in entries if (root / f"{e}.ipynb").exists()]


def render_page(book_dir, notebooks=None) -> str:
    """Return the Markdown of the "Claims ledger" page for ``notebooks`` (default: every one in ``book_dir``).

    The page opens with the number of claims per verdict and chapter, then gives one table per
    chapter: the verdict as a badge (symbol and word), the claim with the figure that tests it,
    and the measured value, pasted from the executed notebook with myst-nb's cross-document
    ``glue:text`` role, so the page holds no typed-in number.
    """
    import pathlib

    book = pathlib.Path(book_dir)
    paths = list(notebooks) if notebooks is not None else sorted(book.glob("*.ipynb"))
    seen: dict[str, str] = {}
    sections, counts = [], []
    for path in paths:
        claims = find_claims(path)
        if not claims:
            continue
        rel = pathlib.Path(path).name
        rows = []
        for c in claims:
            if c["key"] in seen:
                raise ValueError(f"claim key {c['key']!r} is used in both {seen[c['key']]} and {rel}")
            seen[c["key"]] = rel
            figure = f" ({{numref}}`{c['experiment']}`)" if c["experiment"] else ""
            rows.append(f"* - {VERDICT_BADGES[c['verdict']]}\n"
                        f"  - {c['text']}{figure}\n"
                        f"  - {{glue:text}}`{rel}::{c['key']}:s`")
        chapter, stem = claims[0]["chapter"], pathlib.Path(rel).stem
        counts.append((chapter, stem, [sum(c["verdict"] == v for c in claims) for v in VERDICTS]))
        sections.append(f"## {chapter}\n\nFrom {{doc}}`{stem}`.\n\n"
                        ":::{list-table}\n:header-rows: 1\n:widths: 18 50 32\n:class: ledger-table\n\n"
                        "* - Verdict\n  - Claim\n  - Measured\n" + "\n".join(rows) + "\n:::\n")
    overview = [":::{list-table}\n:header-rows: 1\n:class: ledger-overview\n",
                "* - Chapter\n" + "".join(f"  - {VERDICT_BADGES[v]}\n" for v in VERDICTS) + "  - all"]
    for chapter, stem, row in counts:
        overview.append(f"* - {{doc}}`{chapter} <{stem}>`\n" + "".join(f"  - {n}\n" for n in row) + f"  - {sum(row)}")
    totals = [sum(row[i] for _, _, row in counts) for i in range(len(VERDICTS))]
    overview.append("* - **all chapters**\n" + "".join(f"  - **{n}**\n" for n in totals) + f"  - **{sum(totals)}**")
    intro = (
        "% Generated by `python -m deepwhy.ledger page book/ --out book/claims.md` from the chapters' "
        "ledger.claim calls; edit those, not this page.\n\n"
        "# Claims ledger\n\n"
        "Every claim from the source articles that a chapter tests, with the number it measured when this book "
        "was built and a verdict:\n\n"
        f"- {VERDICT_BADGES['reproduced']} the claim holds in the experiment as stated, and the experiment "
        "could have shown otherwise;\n"
        f"- {VERDICT_BADGES['nuanced']} it holds only under conditions the article did not state, which the "
        "chapter names;\n"
        f"- {VERDICT_BADGES['not reproduced']} the experiment contradicts it;\n"
        f"- {VERDICT_BADGES['illustration']} the experiment shows what the claim says, but it could not have "
        "come out otherwise (the result holds by construction or by arithmetic), so it is a demonstration, "
        "not a test.\n\n"
        "The numbers are pasted from the executed notebooks, never typed by hand, and each verdict is backed by "
        "an assertion that fails the course's tests if a change breaks it. Claims that a chapter describes "
        "but does not test are listed in that chapter's summary, not here.\n\n"
        "## Overview\n\n" + "\n".join(overview) + "\n:::\n\n"
    )
    return intro + "\n".join(sections)


def main(argv=None) -> int:
    """Command line: ``python -m deepwhy.ledger page BOOK_DIR --out FILE [--check]``."""
    import argparse
    import pathlib

    parser = argparse.ArgumentParser(prog="python -m deepwhy.ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    page = sub.add_parser("page", help="write the Claims ledger page")
    page.add_argument("book_dir")
    page.add_argument("--out", required=True)
    page.add_argument("--toc", default="_toc.yml", help="only notebooks this table of contents lists")
    page.add_argument("--check", action="store_true", help="exit 1 if the page is out of date; write nothing")
    args = parser.parse_args(argv)
    toc = pathlib.Path(args.toc)
    text = render_page(args.book_dir, toc_notebooks(toc, toc.parent) if toc.exists() else None)
    out = pathlib.Path(args.out)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date: run python -m deepwhy.ledger page {args.book_dir} --out {out}")
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
