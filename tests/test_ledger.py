import json
import pathlib

import pytest

from deepwhy import ledger

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _notebook(tmp_path, name, *sources):
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
             for s in sources]
    path = tmp_path / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_claim_records_and_formats():
    assert ledger.claim("t-one", "Test", "A claim.", 0.123456, "reproduced", experiment="fig-x", unit="s") is None
    rec = ledger.RECORDS[-1]
    assert rec["value"] == "0.123 s" and rec["verdict"] == "reproduced"
    ledger.claim("t-two", "Test", "Another.", [1, 2.5], "nuanced")
    assert ledger.RECORDS[-1]["value"] == "1 / 2.5"
    ledger.claim("t-three", "Test", "Text.", "exact", "not reproduced")
    assert ledger.RECORDS[-1]["value"] == "exact"
    ledger.claim("t-four", "Test", "Shown.", 3, "illustration")
    assert ledger.RECORDS[-1]["verdict"] == "illustration"
    assert [r["key"] for r in ledger.RECORDS][-4:] == ["t-one", "t-two", "t-three", "t-four"]


def test_paste_formats_and_checks_its_key():
    assert ledger.paste("t-paste", 2.345, "{:.1f}") == "2.3"
    assert ledger.paste("t-paste-two", [1, 2]) == "1 / 2"
    with pytest.raises(ValueError, match="key"):
        ledger.paste("Bad Key", 1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(key="Bad Key"), "key"), (dict(verdict="maybe"), "verdict"), (dict(text=" "), "text"),
    (dict(value=object()), "value"),
])
def test_claim_rejects_bad_arguments(kwargs, match):
    args = dict(key="t-k", chapter="Test", text="A claim.", value=1.0, verdict="reproduced")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ledger.claim(**args)


def test_find_claims_reads_literal_calls_and_skips_magics(tmp_path):
    nb = _notebook(tmp_path, "01_x.ipynb",
                   "if False:\n    %pip install nothing\n",
                   "from deepwhy import ledger\nx = 3\n"
                   "ledger.claim('ch1-a', 'Ch', 'Claim a.', x, 'reproduced', experiment='fig-a')\n"
                   "ledger.claim(key='ch1-b', chapter='Ch', text='Claim b.', value=x, verdict='nuanced')")
    claims = ledger.find_claims(nb)
    assert [c["key"] for c in claims] == ["ch1-a", "ch1-b"]
    assert claims[0]["experiment"] == "fig-a" and claims[1]["experiment"] is None


def test_find_claims_rejects_unknown_verdicts(tmp_path):
    nb = _notebook(tmp_path, "02_y.ipynb", "ledger.claim('ch2-a', 'Ch', 'Text.', 1, 'maybe')")
    with pytest.raises(ValueError, match="verdict must be one of"):
        ledger.find_claims(nb)


def test_find_claims_rejects_computed_text(tmp_path):
    nb = _notebook(tmp_path, "02_y.ipynb", "t = 'x'\nledger.claim('ch2-a', 'Ch', t, 1, 'reproduced')")
    with pytest.raises(ValueError, match="literal string"):
        ledger.find_claims(nb)


def test_render_page_glues_every_value_counts_verdicts_and_rejects_duplicate_keys(tmp_path):
    a = _notebook(tmp_path, "01_a.ipynb", "ledger.claim('ch1-a', 'One', 'Claim.', 1, 'reproduced', 'fig-a')\n"
                  "ledger.claim('ch1-b', 'One', 'Other.', 2, 'illustration')")
    page = ledger.render_page(tmp_path, [a])
    assert "{glue:text}`01_a.ipynb::ch1-a:s`" in page and "{glue:text}`01_a.ipynb::ch1-b:s`" in page
    assert "{numref}`fig-a`" in page and "## One" in page
    assert "* - {doc}`One <01_a>`\n  - 1\n  - 0\n  - 0\n  - 1\n  - 2" in page  # the overview's counts
    assert page.count(ledger.VERDICT_BADGES["illustration"]) == 3  # legend, overview header, row
    assert "do not edit" not in page.split("\n", 1)[1]  # the notice is a comment, not text
    b = _notebook(tmp_path, "02_b.ipynb", "ledger.claim('ch1-a', 'Two', 'Claim.', 1, 'reproduced')")
    with pytest.raises(ValueError, match="used in both"):
        ledger.render_page(tmp_path, [a, b])


def test_toc_notebooks_lists_only_existing_notebooks_in_order(tmp_path):
    (tmp_path / "book").mkdir()
    for n in ("intro", "02_b", "01_a"):
        (tmp_path / "book" / f"{n}.ipynb").write_text("{}")
    toc = tmp_path / "_toc.yml"
    toc.write_text("root: book/intro\nchapters:\n  - file: book/01_a\n  - file: book/notes\n  - file: book/02_b\n")
    assert [p.name for p in ledger.toc_notebooks(toc, tmp_path)] == ["intro.ipynb", "01_a.ipynb", "02_b.ipynb"]


def test_committed_ledger_page_is_up_to_date():
    toc = ROOT / "_toc.yml"
    expected = ledger.render_page(ROOT / "book", ledger.toc_notebooks(toc, ROOT))
    actual = (ROOT / "book" / "claims.md").read_text(encoding="utf-8")
    assert actual == expected, "book/claims.md is stale: run python -m deepwhy.ledger page book/ --out book/claims.md"


def test_summary_groups_a_chapters_claims_by_verdict():
    ledger.claim("s-one", "Summary test", "Claim one.", 1.0, "nuanced", finding="Held only sometimes.")
    ledger.claim("s-two", "Summary test", "Claim two.", 2.0, "reproduced", unit="x")
    ledger.claim("s-three", "Other chapter", "Not here.", 3.0, "reproduced")
    text = ledger.summary_markdown("Summary test", not_tested=["Claim four, described only."])
    assert text.index("**Reproduced.**") < text.index("Claim two.") < text.index("**Nuanced")
    assert "- Claim one. Held only sometimes. (measured: 1.)" in text
    assert "Not here." not in text and "**Not reproduced" not in text
    assert text.rstrip().endswith("- Claim four, described only.")


@pytest.mark.parametrize("kwargs, match", [
    (dict(chapter="Nobody"), "no claims"), (dict(chapter=""), "chapter"),
    (dict(chapter="Summary test", not_tested="one string"), "not_tested"),
])
def test_summary_rejects_bad_arguments(kwargs, match):
    ledger.claim("s-one", "Summary test", "Claim one.", 1.0, "nuanced")
    with pytest.raises(ValueError, match=match):
        ledger.summary_markdown(**kwargs)


def test_scientific_notation_for_the_book():
    assert ledger.scientific(5.2e-13) == "5 × 10⁻¹³"
    assert ledger.scientific(3.94e-13, digits=2) == "3.9 × 10⁻¹³"
    assert ledger.scientific(1e-6) == "10⁻⁶" and ledger.scientific(2.4e4) == "2 × 10⁴"
    assert ledger.scientific(1.26, digits=2) == "1.3"
    assert ledger.format_value([5.2e-13, 1e-6], "sci") == "5 × 10⁻¹³ / 10⁻⁶"
    with pytest.raises(ValueError, match="digits"):
        ledger.scientific(1.0, digits=0)
