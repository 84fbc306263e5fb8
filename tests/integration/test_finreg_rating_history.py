"""Ratings kept per period (history that stays as rated), complaints and the rating's complaints dimension, and
the pages: the period's ratings with their charts and export, an institution's rating history, the rule
catalogue with each rule's basis — each scoped to its reader."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gzgov.core.audit import AuditEntry
from gzgov.core.errors import GzgovError, PermissionDenied, StaleAction
from gzgov.finreg import cases, complaints, rating
from gzgov.finreg import registry as reg
from gzgov.finreg.models import InstitutionRating
from gzgov.finreg.rules import load_rules
from tests.integration.test_finreg_registry import small_loan
from tests.integration.test_web_support import logged_in, post
from tests.personas import AUDITOR, INSTITUTION, SUPERVISOR, TIANHE_SUP


def breach(code: str, rule: str, period: str, level: str) -> None:
    return cases.Breach(code, rule, period, level, Decimal("0.2"), Decimal("0.1"), "x", {})


@pytest.fixture
def two(session):
    reg.register_institution(session, SUPERVISOR, small_loan(chief_risk_officer="王风控"))  # Tianhe
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2, district="440113"))  # Panyu
    return session


# ------------------------------------------------------------------ complaints in the rating


def test_complaints_cost_points_once_found_or_left_pending(two):
    s = two
    c1 = complaints.record(s, SUPERVISOR, "SL-0001", date(2025, 9, 3), "hotline_12345", "collection", "夜间电话催收",
                           today=date(2025, 9, 3))
    complaints.record(s, SUPERVISOR, "SL-0001", date(2025, 9, 20), "letter", "fees", "砍头息", today=date(2025, 9, 20))
    complaints.record(s, SUPERVISOR, "SL-0001", date(2025, 8, 30), "mailbox", "other", "上期的投诉", today=date(2025, 9, 1))

    def part(today):
        [r] = [r for r in rating.rate_period(s, SUPERVISOR, "2025-09", today) if r.institution == "SL-0001"]
        return next(p for p in r.parts if p.dimension == "complaints")

    assert (part(date(2025, 10, 1)).score, part(date(2025, 10, 1)).reasons) == (5, [])  # pending, not yet 30 days
    late = part(date(2025, 10, 21))  # the 3 September one has been pending for 48 days, the other 31
    assert late.score == 3 and len(late.reasons) == 2 and "pending_over_30_days −1" in late.reasons[0]
    complaints.find(s, SUPERVISOR, c1.id, "substantiated", version=1)
    found = part(date(2025, 10, 21))
    assert found.score == 2 and f"#{c1.id} 2025-09-03 substantiated −2" in found.reasons
    with pytest.raises(StaleAction):  # a second officer acting on the page they loaded before
        complaints.find(s, SUPERVISOR, c1.id, "unfounded", version=1)


def test_complaints_are_checked_and_district_scoped(two):
    s = two
    with pytest.raises(GzgovError, match="bad_channel|渠道"):
        complaints.record(s, SUPERVISOR, "SL-0001", date(2025, 9, 3), "wechat", "fees", "x", today=date(2025, 9, 3))
    with pytest.raises(GzgovError) as e:
        complaints.record(s, SUPERVISOR, "SL-0001", date(2025, 9, 30), "letter", "fees", "x", today=date(2025, 9, 3))
    assert e.value.code == "future_date"
    with pytest.raises(PermissionDenied):  # Tianhe's supervisor, a Panyu company
        complaints.record(s, TIANHE_SUP, "SL-0002", date(2025, 9, 3), "letter", "fees", "x", today=date(2025, 9, 3))
    for who in (AUDITOR, INSTITUTION):
        with pytest.raises(PermissionDenied):
            complaints.record(s, who, "SL-0001", date(2025, 9, 3), "letter", "fees", "x", today=date(2025, 9, 3))
    assert complaints.record(s, TIANHE_SUP, "SL-0001", date(2025, 9, 3), "letter", "fees", "x",
                             today=date(2025, 9, 3)).recorded_by == "tianhe_sup"


# ------------------------------------------------------------------ recorded ratings


def test_a_period_is_recorded_and_kept_as_rated(two):
    s = two
    cases.raise_warning(s, SUPERVISOR, breach("SL-0002", "SL_SINGLE_BORROWER", "2025-08", "red"))
    assert rating.record_period(s, SUPERVISOR, "2025-08", date(2025, 9, 1)) == {"A": 1, "B": 1, "C": 0, "D": 0}
    cases.raise_warning(s, SUPERVISOR, breach("SL-0002", "SL_NONSTANDARD_LEVERAGE", "2025-09", "red"))
    cases.raise_warning(s, SUPERVISOR, breach("SL-0002", "CD_NPL_RATIO", "2025-09", "red"))
    rating.record_period(s, SUPERVISOR, "2025-09", date(2025, 10, 1))
    inst = reg.get_institution(s, SUPERVISOR, "SL-0002")
    hist = rating.history(s, inst)
    assert [(r.period, r.klass, r.score) for r in hist] == [("2025-08", "B", 80), ("2025-09", "C", 68)]
    parts = json.loads(hist[1].parts)
    assert parts["leverage"]["score"] == 5 and parts["asset_quality"]["score"] == 8
    assert hist[1].model_version == rating.model()["version"] and hist[1].rated_by == "supervisor"
    # the August record stays as rated even though the data behind it would now rate differently
    cases.raise_warning(s, SUPERVISOR, breach("SL-0002", "CD_NPL_RATIO", "2025-08", "red"))
    assert rating.history(s, inst)[0].klass == "B"
    # re-rating August replaces its record, audited with the class before and after
    rating.record_period(s, SUPERVISOR, "2025-08", date(2025, 9, 2))
    assert rating.history(s, inst)[0].score == 68
    entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "finreg.rating.record",
                                              AuditEntry.entity_id == "SL-0002/2025-08").order_by(AuditEntry.seq.desc()))
    assert entry.before["class"] == "B" and entry.after["class"] == "C"
    # an unchanged re-rating writes nothing
    n = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
    rating.record_period(s, SUPERVISOR, "2025-09", date(2025, 10, 1))
    assert s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())) == n


def test_only_the_regulator_records_ratings(two):
    for who in (TIANHE_SUP, AUDITOR, INSTITUTION):
        with pytest.raises(PermissionDenied):
            rating.record_period(two, who, "2025-09", date(2025, 10, 1))
    assert two.scalar(select(InstitutionRating)) is None


def test_the_rating_command_saves_with_save(session, users):
    from tests.integration.test_cli import run

    reg.register_institution(session, SUPERVISOR, small_loan(chief_risk_officer="王风控"))
    session.commit()
    assert run("finreg", "rating", "--period", "2025-13", "--json", user="supervisor").exit_code != 0
    out = run("finreg", "rating", "--period", "2025-09", "--as-of", "2025-10-01", "--save", user="supervisor")
    assert out.exit_code == 0, out.output
    assert "A 1" in out.output
    session.expire_all()
    assert [(r.period, r.klass) for r in session.scalars(select(InstitutionRating))] == [("2025-09", "A")]


# ------------------------------------------------------------------ pages


def test_the_ratings_page_rates_filters_and_exports(two, users):
    cases.raise_warning(two, SUPERVISOR, breach("SL-0002", "SL_SINGLE_BORROWER", "2025-09", "red"))
    two.commit()
    sup = logged_in("supervisor")
    assert "尚未评定" in sup.get("/finreg/ratings").text
    r = post(sup, "/finreg/ratings", {"period": "2025-09", "as_of": "2025-10-01"})
    assert r.status_code == 303 and r.headers["location"] == "/finreg/ratings?period=2025-09"
    page = sup.get("/finreg/ratings?period=2025-09").text
    assert 'data-institution="SL-0001" data-class="A"' in page and 'data-institution="SL-0002" data-class="B"' in page
    assert "SL_SINGLE_BORROWER red −10" in page and "data-chart" in page
    only_b = sup.get("/finreg/ratings?period=2025-09&klass=B", headers={"HX-Request": "true"}).text
    assert "SL-0002" in only_b and "SL-0001" not in only_b and "<html" not in only_b
    x = sup.get("/finreg/ratings.xlsx?period=2025-09")
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["SL-0002"][5:7] == ("B", 80) and "SL_SINGLE_BORROWER" in rows["SL-0002"][-4]
    bad = post(sup, "/finreg/ratings", {"period": "2025/09"})
    assert bad.status_code == 303 and "YYYY-MM" in sup.get(bad.headers["location"]).text


def test_ratings_are_scoped_and_rating_is_the_regulators(two, users):
    rating.record_period(two, SUPERVISOR, "2025-09", date(2025, 10, 1))
    two.commit()
    tianhe = logged_in("tianhe_sup")
    page = tianhe.get("/finreg/ratings?period=2025-09").text
    assert "SL-0001" in page and "SL-0002" not in page and 'id="rate-form"' not in page
    assert post(tianhe, "/finreg/ratings", {"period": "2025-09"}).status_code == 403
    assert tianhe.get("/finreg/ratings?district=440113").status_code == 403
    ws = load_workbook(io.BytesIO(tianhe.get("/finreg/ratings.xlsx?period=2025-09").content)).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == ["SL-0001"]
    inst = logged_in("sl0001")
    assert inst.get("/finreg/ratings").status_code == 403 and inst.get("/finreg/rules").status_code == 403
    own = inst.get("/finreg/institutions/SL-0001").text  # its own history, without the complaints register
    assert 'data-period="2025-09"' in own and 'id="complaints"' not in own


def test_the_profile_shows_history_and_takes_complaints(two, users):
    for period in ("2025-08", "2025-09"):
        rating.record_period(two, SUPERVISOR, period, date(2025, 10, 1))
    two.commit()
    sup = logged_in("tianhe_sup")
    page = sup.get("/finreg/institutions/SL-0001").text
    assert 'data-period="2025-08"' in page and 'data-period="2025-09"' in page and "data-chart" in page
    today = date.today().isoformat()
    r = post(sup, "/finreg/institutions/SL-0001/complaints", {"received_on": today, "channel": "hotline_12345",
                                                              "category": "collection", "summary": "暴力催收"})
    assert r.status_code == 303
    page = sup.get("/finreg/institutions/SL-0001").text
    assert "暴力催收" in page
    cid = complaints.of_institution(two, reg.get_institution(two, SUPERVISOR, "SL-0001"))[0].id
    assert post(sup, f"/finreg/complaints/{cid}/finding", {"finding": "substantiated", "version": "1"}).status_code == 303
    two.expire_all()
    assert complaints.of_institution(two, reg.get_institution(two, SUPERVISOR, "SL-0001"))[0].finding == "substantiated"
    assert post(sup, "/finreg/institutions/SL-0002/complaints", {"received_on": today, "channel": "letter",
                                                                 "category": "fees", "summary": "x"}).status_code == 403


def test_the_rule_catalogue_cites_every_rule(users):
    book = load_rules()
    sup = logged_in("auditor")
    page = sup.get("/finreg/rules").text
    for r in book:
        assert f'data-rule="{r.id}"' in page
    gu = sup.get("/finreg/rules?kind=guarantee", headers={"HX-Request": "true"}).text
    assert 'data-rule="GU_LEVERAGE"' in gu and 'data-rule="SL_SINGLE_BORROWER"' not in gu
    history = sup.get("/finreg/rules?on=2023-06-30").text  # the 86号 versions were then in force
    assert 'data-rule="SL_SINGLE_BORROWER_2020"' in history and 'data-rule="SL_SINGLE_BORROWER"' not in history
    rule = book.rule("SL_SINGLE_BORROWER")
    detail = sup.get("/finreg/rules/SL_SINGLE_BORROWER").text
    assert rule.basis.document_number in detail and rule.basis.article in detail
    assert "SL_SINGLE_BORROWER_2020" in detail  # its earlier version
    assert "loans.balance_fen" in detail
    assert sup.get("/finreg/rules/NO_SUCH_RULE").status_code == 404


def test_the_dashboard_shows_the_warning_trend_and_the_latest_classes(two, users):
    for period in ("2025-08", "2025-09"):
        cases.raise_warning(two, SUPERVISOR, breach("SL-0002", "SL_SINGLE_BORROWER", period, "red"))
    cases.raise_warning(two, SUPERVISOR, breach("SL-0001", "CD_NPL_RATIO", "2025-09", "yellow"))
    rating.record_period(two, SUPERVISOR, "2025-09", date(2025, 10, 1))
    two.commit()
    page = logged_in("supervisor").get("/finreg/").text
    trend = json.loads(__import__("html").unescape(page.split('id="warning-trend"')[1].split("data-chart='")[1].split("'")[0]))
    assert trend["xAxis"]["data"] == ["2025-08", "2025-09"]
    assert [s["data"] for s in trend["series"]] == [[1, 1], [0, 0], [0, 1]]  # red, orange, yellow
    assert 'id="class-chart"' in page and "/finreg/ratings?period=2025-09" in page
    tianhe = logged_in("tianhe_sup").get("/finreg/").text  # Tianhe sees its own company's warnings only
    trend = json.loads(__import__("html").unescape(tianhe.split('id="warning-trend"')[1].split("data-chart='")[1].split("'")[0]))
    assert trend["xAxis"]["data"] == ["2025-09"] and [s["data"] for s in trend["series"]] == [[0], [0], [1]]
