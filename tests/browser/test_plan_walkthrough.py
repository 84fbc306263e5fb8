"""In a real browser: a responsible unit enters a yearly value, the regulator approves it, and the public
page (no login) shows it — and not before."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_value_from_entry_to_the_public_page(as_user, browser, live_server):
    unit = as_user("nansha_gov")
    expect(unit).to_have_url(re.compile(r"/plan/$"))  # a responsible unit starts in the plan application
    unit.get_by_role("link", name="年保费收入").click()
    unit.select_option("#value-form select[name=year]", "2022")
    unit.fill("#value-form input[name=value]", "1540")
    unit.fill("#value-form input[name=source]", "公开报道：原保险保费收入")
    unit.click("#value-form button[type=submit]")
    expect(unit.locator(".notice-ok")).to_contain_text("已提交审核")
    expect(unit.locator("#history tbody tr").first).to_contain_text("待审核")

    public = browser.new_context(base_url=live_server).new_page()
    public.goto("/public/plan")
    row = public.locator('tr[data-code="PREMIUMS"]')
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "no_data")  # not approved: not shown
    expect(row).not_to_contain_text("1540")

    regulator = as_user("regulator")
    regulator.get_by_role("link", name=re.compile("条指标数据待审核")).click()
    pending = regulator.locator('#pending tbody tr').first
    expect(pending).to_contain_text("1540")
    pending.locator("input[name=note]").fill("与公开数据核对一致")
    pending.get_by_role("button", name="批准").click()
    expect(regulator.locator(".notice-ok")).to_contain_text("已批准")

    public.reload()
    row = public.locator('tr[data-code="PREMIUMS"]')
    expect(row).to_contain_text("1540")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "off_track")
    expect(public.locator('[data-chart] canvas').first).to_be_visible()  # the trajectory charts are drawn
    public.get_by_role("link", name="English").click()
    expect(public.locator('tr[data-code="PREMIUMS"]')).to_contain_text("Off track")
    public.context.close()
