"""In a real browser: the city supervisor scores the enterprise population, finds a planted ring company at the
top of the watchlist, reads why, opens a case from its warning, takes it to a finding of illegal fundraising
and sees the company and its controllers on the blacklist."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from gzgov.finreg import enterprises as ent
from gzgov.finreg.fundraising.synthetic import write_import_files
from tests.personas import SUPERVISOR


def test_a_ring_company_from_the_watchlist_to_the_blacklist(as_user, session, tmp_path):
    pop, paths = write_import_files(tmp_path, n=400, rings=2, today=date.today())
    ent.import_files(session, SUPERVISOR, [(p.name, p.read_bytes()) for p in paths], date.today())
    session.commit()
    sup = as_user("supervisor")
    sup.goto("/finreg/fundraising")
    sup.click("#score-form button[type=submit]")
    top = sup.locator("#watch tbody tr").first
    expect(top).to_be_visible()
    top.get_by_role("link").first.click()
    expect(sup).to_have_url(re.compile(r"/finreg/fundraising/companies/\w{18}"))
    code = sup.url.rsplit("/", 1)[1].split("?")[0]
    assert code in pop.planted  # the top of the list is a planted ring company, not a decoy
    expect(sup.locator("#reasons li").first).to_be_visible()
    expect(sup.locator("#network [data-chart] canvas, #network canvas").first).to_be_visible()
    name = sup.locator("h1").inner_text().split()[0]

    sup.locator("#warnings").get_by_role("button", name="转入处置").click()
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "warn")
    sup.select_option("#handle-form select[name=action]", "onsite_inspection")
    sup.fill("#handle-form input[name=working_days]", "10")
    sup.fill("#handle-form textarea[name=note]", "会同公安现场检查，调取宣传资料")
    sup.click("#handle-form button[type=submit]")
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "handle")
    leaflet = tmp_path / "宣传单页.pdf"
    leaflet.write_bytes(b"%PDF-1.4 leaflet")
    sup.fill("#feedback-form textarea[name=report]", "查实以保本保息向公众吸收资金")
    sup.set_input_files("#feedback-form input[type=file]", str(leaflet))
    sup.click("#feedback-form button[type=submit]")
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "feedback")
    sup.fill("#verify-form input[name=note]", "材料属实")
    sup.get_by_role("button", name="核查通过").click()
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "verify")
    sup.select_option("#close-form select[name=finding]", "illegal_fundraising")
    sup.fill("#close-form input[name=note]", "穗金管〔2025〕18号 认定决定")
    sup.click("#close-form button[type=submit]")
    expect(sup.locator("#case-stage")).to_have_attribute("data-stage", "closed")
    expect(sup.locator("#case-finding")).to_have_attribute("data-finding", "illegal_fundraising")

    sup.goto("/finreg/blacklist")
    expect(sup.locator("main")).to_contain_text(name)
    expect(sup.locator("main")).to_contain_text("穗金管〔2025〕18号")
