"""Pages of illegal-fundraising monitoring: the import page (all-or-nothing with its report), a company's
profile with its links, signals, complaint trend and network to N hops (blacklisted persons flagged), and the
district scoping of every page."""

from __future__ import annotations

import html
import json
from datetime import date

from sqlalchemy import func, select

from gzgov.finreg import enterprises as ent
from gzgov.finreg import registry as reg
from gzgov.finreg.models import Enterprise
from tests.factories import csv_bytes
from tests.integration.test_fundraising_import import E_HEADER, batch, code, company, pid
from tests.integration.test_web_support import logged_in, post
from tests.personas import SUPERVISOR


def _chart(page: str, marker: str) -> dict:
    return json.loads(html.unescape(page.split(marker)[1].split("data-chart='")[1].split("'")[0]))


def test_the_import_page_is_all_or_nothing(session, users):
    sup = logged_in("supervisor")
    assert 'id="import-form"' in sup.get("/finreg/fundraising/import").text
    files = [("files", (n, d, "application/octet-stream")) for n, d in batch()]
    bad = csv_bytes([company(5, established="2025-13-01")], header=E_HEADER)
    r = post(sup, "/finreg/fundraising/import", {}, files=[*files, ("files", ("bad.csv", bad, "text/csv"))])
    assert r.status_code == 422 and 'id="import-report"' in r.text and "established" in r.text
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 0
    r = post(sup, "/finreg/fundraising/import", {}, files=files)
    assert r.status_code == 303
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 3
    assert logged_in("tianhe_sup").get("/finreg/fundraising/import").status_code == 403


def test_a_company_profile_shows_its_network_and_signals(session, users):
    ent.import_files(session, SUPERVISOR, batch(), date(2025, 10, 1))
    reg.add_to_blacklist(session, SUPERVISOR, "person", "人员7", pid(7), "穗金管〔2024〕1号", date(2024, 1, 1))
    session.commit()
    sup = logged_in("supervisor")
    page = sup.get(f"/finreg/fundraising/companies/{code(2)}?hops=2").text
    assert "广州某某养老服务有限公司" in page and 'data-signal="complaint"' in page and "月息2分" in page
    assert 'id="blacklisted-near"' in page and "人员7" in page
    graph = _chart(page, 'id="network"')
    names = {n["name"] for n in graph["series"][0]["data"]}
    # company 2 ← person 7 → company 1 (legal rep and 60%) ← company 3 (branch, and shares the address and phone)
    assert {"广州某某财富管理有限公司1", "广州某某财富管理有限公司3"} <= names
    assert any(n.get("itemStyle", {}).get("color") == "#c62828" for n in graph["series"][0]["data"])
    one_hop = _chart(sup.get(f"/finreg/fundraising/companies/{code(2)}?hops=1").text, 'id="network"')
    assert len(one_hop["series"][0]["data"]) < len(graph["series"][0]["data"])
    assert sup.get("/finreg/fundraising/companies/91440106MA00000000").status_code == 404
    wl = sup.get("/finreg/fundraising").text
    assert "尚未评分" in wl and 'id="score-form"' in wl


def test_districts_see_their_own_companies_only(session, users):
    ent.import_files(session, SUPERVISOR, batch(), date(2025, 10, 1))
    other = csv_bytes([company(11, credit_code=code(11, "440113"), name="番禺某某投资有限公司")], header=E_HEADER)
    ent.import_files(session, SUPERVISOR, [("p.csv", other)], date(2025, 10, 1))
    session.commit()
    tianhe = logged_in("tianhe_sup")
    assert tianhe.get(f"/finreg/fundraising/companies/{code(1)}").status_code == 200
    assert tianhe.get(f"/finreg/fundraising/companies/{code(11, '440113')}").status_code == 403
    assert tianhe.get("/finreg/fundraising?district=440113").status_code == 403
    assert 'id="score-form"' not in tianhe.get("/finreg/fundraising").text
    assert post(tianhe, "/finreg/fundraising/score").status_code == 403
    assert logged_in("sl0001").get("/finreg/fundraising").status_code == 403


def test_the_network_page_links_companies_whose_phone_or_address_is_written_differently(session, users):
    """Two companies sharing a phone written as "020-38880000" and "+86 20 3888 0000", and an address with and
    without "广东省广州市" and with full-width digits, are neighbours on the page as they are in the scoring."""
    rows = [company(21, phone="020-38880000", address="广州市天河区珠江新城某路9号"),
            company(22, phone="+86 20 3888 0000", address="广东省广州市天河区珠江新城某路９号"),
            company(23, phone="020-38889999", address="广州市越秀区某街1号")]
    ent.import_files(session, SUPERVISOR, [("c.csv", csv_bytes(rows, header=E_HEADER))], date(2025, 10, 1))
    session.commit()
    keys = dict(session.execute(select(Enterprise.credit_code, Enterprise.phone_key)).all())
    assert keys[code(21)] == keys[code(22)] == "02038880000" != keys[code(23)]
    graph = _chart(logged_in("supervisor").get(f"/finreg/fundraising/companies/{code(21)}?hops=1").text,
                   'id="network"')
    data = graph["series"][0]["data"]
    names = {n["name"] for n in data}
    assert "广州某某财富管理有限公司22" in names and "广州某某财富管理有限公司23" not in names
    assert len([n for n in data if "某路" in n["name"]]) == 1  # one shared-address node for both spellings
