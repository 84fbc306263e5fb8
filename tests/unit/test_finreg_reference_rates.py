"""Reference rate series: a publication holds from its day until the day before the next; nothing is assumed
before the first or after the series is known; bad data is refused whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gzgov.finreg import reference_rates as rr


def test_each_publication_holds_until_the_next():
    lpr = rr.load()["lpr_1y"]
    assert lpr.rate_on(date(2024, 10, 20)) == Decimal("0.0335")
    assert lpr.rate_on(date(2024, 10, 21)) == Decimal("0.0310")
    assert lpr.rate_on(date(2019, 8, 19)) is None  # before the reformed LPR existed
    assert lpr.rate_on(date(2019, 8, 20)) == Decimal("0.0425")


def test_nothing_is_assumed_after_the_series_is_known():
    lpr = rr.load()["lpr_1y"]
    assert lpr.published_through == date(2025, 10, 20)
    assert lpr.rate_on(date(2025, 11, 19)) == Decimal("0.0300")  # the October publication holds to the next due day
    assert lpr.rate_on(date(2025, 11, 20)) is None  # the November publication is not recorded here
    pboc = rr.load()["pboc_6m"]  # no new benchmark rates have been published since 2015: it holds on
    assert pboc.rate_on(date(2030, 1, 1)) == Decimal("0.0435") and pboc.rate_on(date(2015, 10, 23)) is None


def test_the_engine_table_has_every_span_with_closed_ends():
    t = rr.arrow_table().to_pylist()
    assert len(t) == sum(len(s.spans) for s in rr.load().values())
    last = [r for r in t if r["field"] == "lpr_1y_at_contract"][-1]
    assert (last["valid_to"], last["rate"]) == (date(2025, 11, 19), "0.0300")
    assert rr.by_field()["pboc_6m_rate"].date_field == "start_date"


@pytest.mark.parametrize("pubs,through,problem", [
    ('[{date: 2020-02-20, rate: "0.04"}, {date: 2020-01-20, rate: "0.05"}]', "null", "date order"),
    ('[{date: 2020-01-20, rate: 0.04}]', "null", "quoted rate"),
    ('[{date: 2020-01-20, rate: "4.35"}]', "null", "annual decimal"),
    ('[{date: 2020-01-20, rate: "0.04"}]', "2019-12-31", "published_through"),
    ('[]', "null", "no publications"),
])
def test_bad_series_are_refused(tmp_path, pubs, through, problem):
    f = tmp_path / "rates.yaml"
    f.write_text(f"series:\n  x:\n    zh: x\n    en: x\n    basis: x\n    field: x\n    date_field: d\n"
                 f"    published_through: {through}\n    publications: {pubs}\n", encoding="utf-8")
    with pytest.raises(rr.ReferenceRatesError, match=problem):
        rr.load(f)
