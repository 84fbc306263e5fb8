"""Programme totals reproduce the document's figures (forest §1, §4(1)3, §4(2)2)."""

from __future__ import annotations

import pytest

from gzgov.core.errors import PermissionDenied
from gzgov.forest.registry import import_registry
from gzgov.forest.standards import NoStandard, approve_standard, propose_standard, rates_for
from gzgov.forest.totals import compute_totals, totals_json
from tests.factories import csv_bytes, document_registry
from tests.personas import AUDITOR, CITY, CONGHUA, FINANCE, OUTSIDER


@pytest.fixture
def registry(session):
    import_registry(session, CITY, csv_bytes(document_registry()), "doc.csv")
    session.commit()


def test_2021_totals_equal_the_documents_figures(session, registry):
    out = totals_json(compute_totals(session, AUDITOR, 2021))
    assert out["compensation"]["I"] == {"area_mu": "335500", "rate": "159.00", "amount": "53344500.00"}
    assert out["compensation"]["total"] == "289751700.00"  # 28,975.17万元
    assert out["management"]["total"] == "83675500.00"  # 8,367.55万元
    assert out["total"] == "373427200.00"  # 37,342.72万元, the document's 约3.7亿元


def test_2025_compensation_uses_the_raised_standard(session, registry):
    out = totals_json(compute_totals(session, AUDITOR, 2025))
    assert out["compensation"]["total"] == "306274400.00"  # 30,627.44万元
    assert out["compensation"]["III"]["rate"] == "90.00"


def test_2020_rate_is_2019_raised_six_percent(session):
    rates = rates_for(session, 2020, need_management=False)
    assert [rates.compensation[g] for g in rates.compensation] == [15900, 10600, 8480]
    assert rates.compensation_basis == "forest §2(3)"


def test_district_totals_add_up_to_the_city_total(session, registry):
    t = compute_totals(session, AUDITOR, 2021)
    assert sum(d["total"] for d in t.by_district.values()) == t.total_fen


def test_a_year_without_an_approved_standard_is_refused(session, registry):
    with pytest.raises(NoStandard) as err:
        compute_totals(session, AUDITOR, 2026)
    assert "2026" in err.value.zh and "2026" in err.value.en


def test_a_new_years_standard_is_proposed_then_approved_by_someone_else(session, registry):
    rates = {"I": "170", "II": "113", "III": "91"}
    mgmt = {"state_forest_farm": "60", "central_south": "40", "northern_mountain": "26"}
    propose_standard(session, CITY, 2026, rates, mgmt, "市政府批复（示例）", "2026 年标准")
    with pytest.raises(NoStandard):
        rates_for(session, 2026)
    with pytest.raises(PermissionDenied):
        approve_standard(session, CONGHUA, 2026)
    approve_standard(session, FINANCE, 2026, "同意")
    assert rates_for(session, 2026).compensation
    assert compute_totals(session, AUDITOR, 2026).compensation_fen > 0


def test_a_district_officer_sees_only_their_own_district(session, registry):
    t = compute_totals(session, CONGHUA, 2021)
    assert set(t.by_district) == {"440117"}
    with pytest.raises(PermissionDenied):
        compute_totals(session, CONGHUA, 2021, "440114")


def test_the_public_cannot_compute(session, registry):
    with pytest.raises(PermissionDenied):
        compute_totals(session, OUTSIDER, 2021)
