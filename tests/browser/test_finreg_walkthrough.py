"""In a real browser: a district supervisor takes a warning from the dashboard through a case to closure, the
institution answering with an evidence file in between."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from gzgov.finreg import cases
from gzgov.finreg import registry as reg
from gzgov.finreg.rules import load_rules
from tests.integration.test_finreg_registry import small_loan
from tests.personas import SUPERVISOR


def test_a_warning_from_the_dashboard_to_closure(as_user, session, tmp_path):
    reg.register_institution(session, SUPERVISOR, small_loan())
    cases.raise_warning(session, SUPERVISOR, cases.Breach("SL-0001", "SL_SINGLE_BORROWER", "2025-09", "red",
                                                          Decimal("0.18"), Decimal("0.10"), "金规〔2024〕26号", {}))
    session.commit()
    sup = as_user("tianhe_sup")
    expect(sup).to_have_url(re.compile(r"/finreg/$"))
    sup.get_by_role("link", name="SL-0001").click()
    sup.get_by_role("button", name="转入处置").click()
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "warn")
    sup.select_option("#handle-form select[name=action]", "rectification_notice")
    sup.fill("#handle-form input[name=working_days]", "5")
    sup.fill("#handle-form textarea[name=note]", "限期压降单户集中度")
    sup.click("#handle-form button[type=submit]")
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "handle")
    case_url = sup.url

    evidence = tmp_path / "整改报告.pdf"
    evidence.write_bytes(b"%PDF-1.4 rectification")
    inst = as_user("sl0001")
    expect(inst).to_have_url(re.compile(r"/finreg/institutions/SL-0001$"))
    inst.goto(case_url)
    inst.fill("#feedback-form textarea[name=report]", "已收回部分贷款，集中度降至 9.6%")
    inst.set_input_files("#feedback-form input[type=file]", str(evidence))
    inst.click("#feedback-form button[type=submit]")
    expect(inst.locator("#case-stage")).to_have_attribute("data-stage", "feedback")
    expect(inst.locator("#steps")).to_contain_text("整改报告.pdf")

    sup.reload()
    sup.fill("#verify-form input[name=note]", "核查属实")
    sup.get_by_role("button", name="核查通过").click()
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "verify")
    sup.click("#close-form button[type=submit]")
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "closed")


def test_the_supervisor_rates_a_period_and_reads_a_rules_basis(as_user, session):
    """The city supervisor rates a month (a red warning costs SL-0001 its A), sees the classes drawn and
    filters them, then finds a rule in the catalogue by typing and reads its basis — in Chinese, then English."""
    reg.register_institution(session, SUPERVISOR, small_loan())
    cases.raise_warning(session, SUPERVISOR, cases.Breach("SL-0001", "SL_SINGLE_BORROWER", "2025-09", "red",
                                                          Decimal("0.18"), Decimal("0.10"), "金规〔2024〕26号", {}))
    session.commit()
    sup = as_user("supervisor")
    sup.goto("/finreg/ratings")
    sup.fill("#rate-form input[name=period]", "2025-09")
    sup.fill("#rate-form input[name=as_of]", "2025-10-31")
    sup.click("#rate-form button[type=submit]")
    row = sup.locator("#ratings tr[data-institution='SL-0001']")
    expect(row).to_be_visible()
    klass = row.get_attribute("data-class")
    assert klass in {"B", "C", "D"}  # a red concentration warning: not A
    expect(row).to_contain_text("SL_SINGLE_BORROWER")
    expect(sup.locator("[data-chart] canvas").first).to_be_visible()
    sup.select_option("select[name=klass]", "A")  # htmx swaps the table: nobody else is registered
    expect(sup.locator("#ratings tr[data-institution='SL-0001']")).to_have_count(0)

    sup.goto("/finreg/rules")
    sup.fill("#ru-q", "单户")
    expect(sup.get_by_role("link", name="SL_SINGLE_BORROWER", exact=True)).to_be_visible()
    sup.get_by_role("link", name="SL_SINGLE_BORROWER", exact=True).click()
    expect(sup.locator("#rule-basis")).to_contain_text("金规〔2024〕26号")
    expect(sup.locator("#rule-versions")).to_contain_text("银保监办发〔2020〕86号")
    sup.goto(sup.url + "?lang=en")
    expect(sup.locator("#rule-facts")).to_contain_text("Small-loan company")
    expect(sup.locator("h1")).to_contain_text(load_rules().rule("SL_SINGLE_BORROWER").name_en)
