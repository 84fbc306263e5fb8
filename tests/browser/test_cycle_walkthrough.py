"""In a real browser: a city officer and Conghua's district officers take one whole year's cycle, from
the registry import to reconciliation and close, through the pages alone (htmx, forms, downloads and
uploads included). The bank is the only part simulated: it reads the bank file and writes a result."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from gzgov.core import audit
from gzgov.forest.choices import DistrictState
from gzgov.forest.models import Cycle, DistrictCycle
from tests.factories import card, csv_bytes, household_id
from tests.integration.test_forest_cycle import START, registry_rows

PAGE = "/forest/cycle/2025/440117"


def flash(page: Page, text: str) -> None:
    expect(page.locator(".notice-ok").first).to_contain_text(text)


def submit(page: Page, form: str) -> None:
    page.click(f"{form} button[type=submit]")


def bank_round_trip(page: Page, tmp_path, name: str, fail_first: bool = False) -> int:
    """Download the newest bank file from the district page, let the 'bank' answer, upload its result."""
    row = page.locator("#batches tbody tr").first
    with page.expect_download() as dl:
        row.get_by_role("link", name="下载银行文件").click()
    text = open(dl.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["payment_id", "account", "amount", "result", "bank_ref"])
    for i, r in enumerate(rows):
        w.writerow([r["payment_id"], r["account"], r["amount"], "failed" if fail_first and i == 0 else "paid",
                    f"BK{r['payment_id']}"])
    result = tmp_path / name
    result.write_text(out.getvalue(), encoding="utf-8")
    row.locator("input[type=file]").set_input_files(str(result))
    row.get_by_role("button", name="导入回盘").click()
    flash(page, "回盘已导入")
    return len(rows)


def test_a_district_and_a_city_officer_run_a_whole_cycle(as_user, browser, live_server, session, tmp_path):
    rows = [r for r in registry_rows() if r["district"] == "从化区"]
    registry = tmp_path / "registry.csv"
    registry.write_bytes(csv_bytes(rows))

    # city forestry: import the registry, open the cycle
    city = as_user("city")
    city.goto("/forest/import")
    city.set_input_files("input[type=file]", str(registry))
    submit(city, "form[enctype='multipart/form-data']")
    expect(city.locator("#import-result")).to_contain_text("registry.csv")
    city.goto("/forest/cycle?year=2025")
    city.get_by_role("button", name="开启 2025 年度周期").click()
    flash(city, "2025 年度补偿周期已开启")

    # district forestry: verify areas, compute, post with the working-day preview
    district = as_user("conghua")
    district.goto("/forest/cycle?year=2025")
    expect(district).to_have_url(re.compile(PAGE + "$"))
    for grade, mu in (("I", "39.75"), ("II", "42.75"), ("III", "3.33")):
        district.fill(f"#verify-form input[name=area_{grade}]", mu)
    submit(district, "#verify-form")
    flash(district, "核定面积已保存")
    submit(district, "#compute-form")
    flash(district, "已生成 6 条补偿明细")
    district.fill("#publicity-form input[name=start]", START.isoformat())
    district.dispatch_event("#publicity-form input[name=start]", "change")
    expect(district.locator("#publicity-end")).to_contain_text("2025-10-16")  # National Day holidays skipped
    submit(district, "#publicity-form")
    flash(district, "2 个村开始公示，至 2025-10-16 止")

    # the public reads the posted roster, masked
    anon = browser.new_context(base_url=live_server)  # the public needs no login
    reader = anon.new_page()
    reader.goto("/forest/publicity")
    reader.get_by_role("row", name=re.compile("新联村")).get_by_role("link", name="查看").click()
    expect(reader.locator("#roster")).to_contain_text("*")
    assert household_id(4) not in reader.content()
    anon.close()

    # an objection holds one line of 新联村
    district.goto(PAGE + "/lines?status=posted")
    district.fill("input[name=village]", "新联村")
    district.press("input[name=village]", "Enter")
    expect(district.locator("#lines tbody tr")).to_have_count(3)
    district.locator("#lines input[name=line_ids]").first.check()
    district.fill("#objection-form input[name=raised_by]", "村民代表")
    district.fill("#objection-form textarea[name=text]", "面积登记少了 2 亩")
    submit(district, "#objection-form")
    flash(district, "已登记，所涉明细暂缓")

    # both district bureaus approve; the city reviews; city finance records the budget
    submit(district, "#approve-form")
    flash(district, "审核已记录")
    district_fin = as_user("conghua_fin")
    district_fin.goto(PAGE)
    submit(district_fin, "#approve-form")
    flash(district_fin, "审核已记录")
    expect(district_fin.locator("#district-state")).to_have_text(DistrictState.approved.zh)
    city.goto(PAGE)
    submit(city, "#review-form")
    flash(city, "市级审查已完成")
    finance = as_user("finance")
    finance.goto("/forest/cycle?year=2025")
    finance.fill("textarea[name=note]", "列入2026年市本级一般性转移支付预算")
    finance.get_by_role("button", name="记录预算").click()
    flash(finance, "预算已记录")

    # district finance: the first bank file pays all but the held line; the bank fails one payment
    district_fin.goto(PAGE)
    submit(district_fin, "#pay-form")
    flash(district_fin, "5 笔")
    assert bank_round_trip(district_fin, tmp_path, "result-1.csv", fail_first=True) == 5

    # district forestry resolves the objection and corrects the failed payee's account
    district.goto(PAGE + "#objections")
    district.locator("#objections details summary").first.click()
    district.fill("#objections textarea[name=resolution]", "实地核查后更正面积")
    district.locator("#objections select[name=kind]").first.select_option("area")
    district.locator("#objections input[name=target]").first.fill("P-000004")
    district.locator("#objections input[name=value]").first.fill("16.25")
    district.locator("#objections form button[type=submit]").last.click()
    flash(district, "已处理，明细已重新测算")
    district.goto(PAGE + "/lines?status=failed")
    district.locator(".correct-account summary").first.click()
    district.fill(".correct-account input[name=bank]", "中国农业银行")
    district.fill(".correct-account input[name=account]", card(9001))
    district.fill(".correct-account input[name=reason]", "原账户已销户，农户提供新卡")
    district.locator(".correct-account button[type=submit]").click()
    flash(district, "将随下一批银行文件重发")

    # the second bank file pays both; reconciliation to the fen; the city closes the year
    district_fin.goto(PAGE)
    submit(district_fin, "#pay-form")
    assert bank_round_trip(district_fin, tmp_path, "result-2.csv") == 2
    expect(district_fin.locator("#reconciliation tr.total td").nth(3)).to_have_text("0.00")
    submit(district_fin, "#reconcile-form")
    flash(district_fin, "本区对账完成")
    city.goto("/forest/cycle?year=2025")
    city.get_by_role("button", name="结束本年度周期").click()
    flash(city, "2025 年度补偿周期已结束")
    city.goto("/forest/cycle?year=2025&lang=en")
    expect(city.locator("#cycle-state")).to_have_text("Closed")

    session.expire_all()
    assert session.scalar(select(Cycle.state)) == "closed"
    assert session.scalar(select(DistrictCycle.state)) == "reconciled"
    assert audit.verify(session).ok


def test_the_dashboard_draws_its_charts(as_user, session):
    from gzgov.forest.registry import import_registry
    from tests.factories import document_registry
    from tests.personas import CITY

    import_registry(session, CITY, csv_bytes(document_registry()), "doc.csv")
    session.commit()
    page = as_user("auditor")
    page.goto("/forest/?year=2021")
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("37,342.72")
