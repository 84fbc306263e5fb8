"""Supervision pages: the dashboard scoped to the reader, an institution's profile, the case workspace taking
a warning to closure (the institution answering with evidence), the blacklist."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from gzgov.finreg import cases
from gzgov.finreg import registry as reg
from tests.integration.test_finreg_registry import small_loan
from tests.integration.test_web_support import logged_in, post
from tests.personas import SUPERVISOR


@pytest.fixture
def warned(session, users):
    reg.register_institution(session, SUPERVISOR, small_loan())
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2, district="440113"))
    w, _ = cases.raise_warning(session, SUPERVISOR, cases.Breach(
        "SL-0001", "SL_SINGLE_BORROWER", "2025-09", "red", Decimal("0.18"), Decimal("0.10"), "金规〔2024〕26号", {}))
    session.commit()
    return w


def version(client, path):
    return re.search(r'name="version" value="(\d+)"', client.get(path).text).group(1)


def test_a_warning_goes_through_a_case_to_closure_in_the_pages(warned, session, monkeypatch):
    monkeypatch.setattr(cases, "now", lambda: __import__("datetime").datetime(2025, 9, 22, 10, 0))
    sup, inst = logged_in("tianhe_sup"), logged_in("sl0001")
    dash = sup.get("/finreg/").text
    assert 'data-institution="SL-0001"' in dash and 'data-institution="SL-0002"' not in dash  # own district only
    profile = sup.get("/finreg/institutions/SL-0001").text
    assert f'data-warning="{warned.id}"' in profile
    r = post(sup, f"/finreg/warnings/{warned.id}/case", {})
    assert r.status_code == 303
    case = r.headers["location"]
    r = post(sup, f"{case}/handle", {"version": version(sup, case), "action": "rectification_notice",
                                     "note": "十五个工作日内压降集中度", "working_days": "15"})
    assert r.status_code == 303 and "2025-10-16" in sup.get(case).text
    assert inst.get("/", follow_redirects=True).url.path == "/finreg/institutions/SL-0001"
    r = post(inst, f"{case}/feedback", {"version": version(inst, case), "report": "已压降至 9.8%"},
             files=[("files", ("整改报告.pdf", b"%PDF-1.4 x", "application/pdf"))])
    assert r.status_code == 303
    assert post(inst, f"{case}/verify", {"version": "4", "accepted": "1", "note": "x"}).status_code == 403
    assert post(sup, f"{case}/verify", {"version": version(sup, case), "accepted": "1", "note": "属实"}).status_code == 303
    assert post(sup, f"{case}/close", {"version": version(sup, case), "note": "办结"}).status_code == 303
    assert 'data-stage="closed"' in sup.get(case).text


def test_an_institution_sees_nothing_of_another(warned, session):
    other, _ = cases.raise_warning(session, SUPERVISOR, cases.Breach(
        "SL-0002", "SL_SINGLE_BORROWER", "2025-09", "red", Decimal("0.2"), Decimal("0.1"), "x", {}))
    case = cases.open_case(session, SUPERVISOR, other.id)
    session.commit()
    inst = logged_in("sl0001")
    assert inst.get("/finreg/institutions/SL-0002").status_code == 404
    assert inst.get(f"/finreg/cases/{case.id}").status_code == 404
    assert inst.get("/finreg/").status_code == 403
    assert logged_in("tianhe_sup").get("/finreg/institutions/SL-0002").status_code == 403


def test_the_blacklist_page(users):
    sup = logged_in("supervisor")
    r = post(sup, "/finreg/blacklist", {"kind": "entity", "name": "某投资公司", "number": "91440106MA00000000",
                                        "basis": "x", "valid_from": "2024-01-01"})
    assert r.status_code == 400 and "统一社会信用代码" in r.text
    from gzgov.core.identity import make_credit_code

    r = post(sup, "/finreg/blacklist", {"kind": "entity", "name": "某投资公司", "number": make_credit_code("440106", "B0000001"),
                                        "basis": "（2023）粤0106刑初1号", "valid_from": str(date(2024, 1, 1))})
    assert r.status_code == 303 and "（2023）粤0106刑初1号" in sup.get("/finreg/blacklist").text
    assert post(logged_in("tianhe_sup"), "/finreg/blacklist", {"kind": "person", "name": "x", "number": "1",
                                                               "basis": "x", "valid_from": "2024-01-01"}).status_code == 403


def test_an_institution_uploads_its_data_and_sees_the_row_report(session, users):
    from tests.integration.test_finreg_intake import loan, loans_csv

    reg.register_institution(session, SUPERVISOR, small_loan())
    session.commit()
    inst = logged_in("sl0001")
    page = "/finreg/institutions/SL-0001/submissions"
    bad = post(inst, page, {"dataset": "loans", "period": "2025-09"},
               files={"file": ("loans.csv", loans_csv([loan(1, balance_fen="x")]), "text/csv")})
    assert bad.status_code == 422 and "balance_fen" in bad.text and "应为整数" in bad.text
    ok = post(inst, page, {"dataset": "loans", "period": "2025-09"},
              files={"file": ("loans.csv", loans_csv([loan(1), loan(2)]), "text/csv")})
    assert ok.status_code == 303
    listing = logged_in("tianhe_sup").get(page).text
    assert "loans" in listing and 'id="submit-form"' not in listing  # supervisors read, only the institution submits


def test_warning_figures_show_in_their_units():
    from gzgov.finreg.routes import fmt_measure

    assert fmt_measure("SL_SINGLE_BORROWER", "0.152") == "15.20%"
    assert fmt_measure("SL_ONLINE_CONSUMER_PER_BORROWER", "20000000") == "¥200,000.00"
    assert fmt_measure("SL_NONSTANDARD_LEVERAGE", "1.10") == "1.1×"
    assert fmt_measure("REPORT_LATE", "2") == "2"
