import re
from pathlib import Path

import pytest

from deepwhy import history

BIB = Path(__file__).resolve().parents[1] / "book" / "references.bib"


def test_every_milestone_the_article_names_is_on_the_timeline():
    years = {(m.year, m.label) for m in history.timeline()}
    for year in [1958, 1965, 1969, 1970, 1979, 1982, 1986, 1989, 1992, 1995, 1997, 2006, 2011, 2012]:
        assert any(y == year for y, _ in years), year
    assert len(history.winters()) == 2


def test_winters_are_periods_and_events_are_not():
    for m in history.winters():
        assert m.kind == "winter" and m.end is not None and m.end > m.year
    for m in history.timeline(kind="milestone"):
        assert m.end is None


def test_fields_are_filled_and_valid():
    for m in history.MILESTONES:
        assert m.theme in history.THEMES and m.kind in history.KINDS
        assert m.label and m.event and m.why and m.cite_keys
        assert m.kind == "winter" or m.people


def test_every_citation_key_is_in_references_bib():
    keys = set(re.findall(r"^@\w+\{([^,]+),", BIB.read_text(), flags=re.M))
    missing = [k for k in history.citation_keys() if k not in keys]
    assert not missing, missing


def test_timeline_is_sorted_and_filters_by_year():
    rows = history.timeline()
    assert [m.year for m in rows] == sorted(m.year for m in rows)
    assert all(1980 <= m.year <= 1995 for m in history.timeline(start=1980, end=1995))
    assert [m.label for m in history.timeline(start=2012)] == ["AlexNet"]


def test_citation_keys_have_no_repeats():
    keys = history.citation_keys()
    assert len(keys) == len(set(keys)) and "crevier1993ai" in keys


@pytest.mark.parametrize("kwargs, word", [({"kind": "decade"}, "kind"), ({"start": 1.5}, "start"),
                                          ({"start": 2000, "end": 1990}, "start")])
def test_timeline_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        history.timeline(**kwargs)
