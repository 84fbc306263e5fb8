"""The forest pages: the dashboard's figures and citations, the registry lists with their filters,
district scope and masked personal data."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from gzgov.core.identity import mask_id
from gzgov.forest.registry import import_registry
from tests.factories import card, csv_bytes, document_registry, household_id, parcel_row
from tests.integration.test_web_support import logged_in
from tests.personas import CITY as CITY_ACTOR

CONGHUA_PARCELS = {"P-000001", "P-000002", "P-000006"}


@pytest.fixture
def registry(session):
    rows = [*document_registry(), parcel_row(6, grade="III", area_mu="12.5", village="乌石村", payee_name="陈大文",
                                             bank_account="")]
    import_registry(session, CITY_ACTOR, csv_bytes(rows), "doc.csv")
    session.commit()


def parcel_codes(html: str) -> set[str]:
    return set(re.findall(r"<code>(P-\d{6})</code>", html))


def test_the_dashboard_shows_the_documents_2021_totals_with_their_basis(users, registry):
    page = logged_in("auditor").get("/forest/?year=2021")
    assert page.status_code == 200
    # the document's figures plus parcel 6 (12.5 mu of grade III in a northern district)
    assert "28,975.28" in page.text  # 28,975.17 + 12.5 x 85 / 10,000
    assert "8,367.58" in page.text  # 8,367.55 + 12.5 x 25 / 10,000
    assert "穗林业园林规字〔2021〕2号" in page.text and "四、经济补偿方案（一）3. 补偿标准" in page.text
    assert "生态公益林管护标准分为三个档次" in page.text  # the quoted basis
    assert 'data-chart=' in page.text and "/static/echarts.min.js" in page.text


def test_the_dashboard_reproduces_the_documents_figures_exactly(users, session):
    import_registry(session, CITY_ACTOR, csv_bytes(document_registry()), "doc.csv")
    session.commit()
    page = logged_in("city").get("/forest/?year=2021").text
    for figure in ("269.35", "28,975.17", "8,367.55", "37,342.72", "33.55", "171.32", "64.48", "207.47"):
        assert figure in page, figure
    assert "30,627.44" in logged_in("city").get("/forest/?year=2025").text


def test_a_year_without_an_approved_standard_shows_the_reason_not_an_error(users, registry):
    page = logged_in("city").get("/forest/?year=2026")
    assert page.status_code == 200
    assert "2026 年没有经批准的补偿标准" in page.text and "no approved compensation standard for 2026" in page.text


def test_a_district_officer_sees_only_their_districts_totals(users, registry):
    page = logged_in("conghua").get("/forest/?year=2021").text
    assert "范围：从化区" in page
    assert "增城区" not in page and "黄埔区" not in page


def test_a_district_officer_sees_only_their_own_parcels(users, registry):
    client = logged_in("conghua")
    page = client.get("/forest/parcels")
    assert parcel_codes(page.text) == CONGHUA_PARCELS
    assert "（仅限本区）" in page.text


def test_a_district_officer_cannot_filter_to_another_district(users, registry):
    client = logged_in("conghua")
    response = client.get("/forest/parcels?district=440114")
    assert response.status_code == 403
    assert "P-000005" not in response.text
    assert client.get("/forest/payees?district=440112").status_code == 403


def test_the_city_filters_parcels_by_district_grade_and_search(users, registry):
    client = logged_in("city")
    assert len(parcel_codes(client.get("/forest/parcels").text)) == 6
    assert parcel_codes(client.get("/forest/parcels?district=440118").text) == {"P-000004"}
    assert parcel_codes(client.get("/forest/parcels?grade=III").text) == {"P-000005", "P-000006"}
    assert parcel_codes(client.get("/forest/parcels?tier=state_forest_farm").text) == {"P-000002"}
    assert parcel_codes(client.get("/forest/parcels?q=陈大文").text) == {"P-000006"}
    assert parcel_codes(client.get("/forest/parcels?q=高滩").text) == {"P-000004"}
    assert parcel_codes(client.get("/forest/parcels?q=100%25").text) == set()  # wildcards are literal
    page = client.get("/forest/parcels?district=440117").text
    assert "筛选结果：3 个小班，共 688,312.5 亩" in page


def test_the_parcel_list_is_paginated_fifty_a_page(users, session):
    rows = [parcel_row(n, area_mu="1") for n in range(1, 61)]
    import_registry(session, CITY_ACTOR, csv_bytes(rows), "many.csv")
    session.commit()
    client = logged_in("city")
    first = client.get("/forest/parcels")
    assert len(parcel_codes(first.text)) == 50 and "共 60 条，第 1/2 页" in first.text
    second = client.get("/forest/parcels?page=2")
    assert parcel_codes(second.text) == {f"P-{n:06d}" for n in range(51, 61)}


def test_htmx_filtering_returns_only_the_table_fragment(users, registry):
    response = logged_in("city").get("/forest/parcels?grade=I", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "<table" in response.text
    assert parcel_codes(response.text) == {"P-000001"}


def test_payees_show_masked_ids_and_flag_missing_accounts(users, registry):
    client = logged_in("city")
    page = client.get("/forest/payees").text
    assert mask_id(household_id(1, "440117")) in page
    assert "缺少银行账号" in page
    missing = client.get("/forest/payees?account=missing").text
    assert "陈大文" in missing and "林农1<" not in missing
    assert "筛选结果：1 个补偿对象，其中 1 个缺少银行账号" in missing


def test_no_page_ever_shows_a_plaintext_id_or_account_number(users, registry):
    secrets = [household_id(n, "440117") for n in (1, 6)] + [household_id(3, "440112"), household_id(4, "440118"),
                                                            household_id(5, "440114")] + [card(n) for n in (1, 3, 4, 5)]
    for username in ("city", "conghua", "auditor"):
        client = logged_in(username)
        for path in ("/forest/", "/forest/parcels", "/forest/payees", "/forest/payees?account=missing",
                     "/forest/standards", "/forest/funding", "/audit", "/forest/import"):
            html = client.get(path).text
            for secret in secrets:
                assert secret not in html, f"{secret} shown on {path} to {username}"
    assert mask_id(household_id(1, "440117")) in logged_in("city").get("/forest/parcels").text


def test_the_summary_report_compares_with_the_year_before_and_exports(users, session):
    import_registry(session, CITY_ACTOR, csv_bytes(document_registry()), "doc.csv")
    session.commit()
    client = logged_in("auditor")
    page = client.get("/forest/reports?year=2021")
    assert page.status_code == 200
    assert "28,975.17" in page.text and "8,367.55" in page.text  # forest §1, §4 figures
    assert "37,342.72" in page.text  # in the by-year table
    wb = load_workbook(io.BytesIO(client.get("/forest/reports?year=2025&format=xlsx").content))
    grade = [[c.value for c in row] for row in wb["按等级 By grade"].iter_rows(min_row=2)]
    assert grade[0] == ["Ⅰ级", "335500", "168.00", "56364000.00", "53344500.00", "3019500.00"]  # 2025 vs 2024
    years = {r[0].value: r[3].value for r in wb["历年 By year"].iter_rows(min_row=2)}
    assert years["2019"] == "273229000.00"  # 150/100/80 (forest §2(3)), no management funds yet
    assert years["2021"] == "373427200.00" and years["2025"] == "389949900.00"
    assert logged_in("conghua").get("/forest/reports?district=440114").status_code == 403


def test_the_funding_page_shows_each_districts_matching_funds_due(users, session):
    from gzgov.forest.funding import set_funding
    from tests.personas import FINANCE

    import_registry(session, CITY_ACTOR, csv_bytes([parcel_row(1, grade="I", area_mu="1000")]), "r.csv")
    set_funding(session, FINANCE, "440117", "100000", "0.6", "按现行财政体制")
    session.commit()
    page = logged_in("conghua").get("/forest/funding?year=2025").text
    # 1000 mu × 168 = 168,000 yuan; the 2012 base 100,000 is the city's; of the 68,000 increment 40% is Conghua's
    assert 'data-matching="440117"><strong>2.72</strong>' in page
    assert "穗林业园林规字" in page  # the clause it follows
