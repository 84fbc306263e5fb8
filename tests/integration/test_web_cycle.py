"""The yearly cycle through the pages: every step as the officials take it, the public publicity lists
and rosters, stale forms, and the boundaries between districts and roles."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from gzgov.core import audit
from gzgov.core.models import AuditEntry
from gzgov.forest.choices import LineStatus
from gzgov.forest.models import Cycle, DistrictCycle, EntitlementLine, Objection
from tests.factories import card, csv_bytes, household_id
from tests.integration.test_forest_cycle import START, registry_rows
from tests.integration.test_web_support import logged_in, post, web_client

YEAR = 2025
CONGHUA = "/forest/cycle/2025/440117"
HUADU = "/forest/cycle/2025/440114"
CITY_CYCLE = "/forest/cycle/2025"
VERSION = re.compile(r'name="version" value="(\d+)"')


def version(client, page: str) -> int:
    return int(VERSION.search(client.get(page).text).group(1))


def act(client, page: str, action: str, data: dict | None = None, expect: int = 303):
    """Post one of a page's forms with the version the page shows (the city's forms are on the overview)."""
    view = "/forest/cycle?year=2025" if page == CITY_CYCLE else page
    r = post(client, f"{page}/{action}", {"version": version(client, view), **(data or {})})
    assert r.status_code == expect, r.text[:2000]
    return r


def state(session, code: str) -> str:
    session.expire_all()
    return session.scalar(select(DistrictCycle.state).where(DistrictCycle.district_code == code))


def bank_result(csv_text: str, outcome=lambda row: "paid") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["payment_id", "account", "amount", "result", "bank_ref"])
    for r in csv.DictReader(io.StringIO(csv_text)):
        w.writerow([r["payment_id"], r["account"], r["amount"], outcome(r), f"B{r['payment_id']}"])
    return buf.getvalue().encode()


def batch_ids(html: str) -> list[int]:
    return [int(b) for b in re.findall(r'data-batch="(\d+)"', html)]


@pytest.fixture
def opened(users, session):
    city = logged_in("city")
    r = post(city, "/forest/import", files={"file": ("registry.csv", csv_bytes(registry_rows()), "text/csv")})
    assert r.status_code == 200 and "import-report" not in r.text
    r = post(city, "/forest/cycle/open", {"year": YEAR})
    assert r.status_code == 303
    return city


@pytest.fixture
def posted(opened, session):
    """Both districts verified, computed and posted from START through the pages."""
    for user, page, areas in (("conghua", CONGHUA, {"area_I": "39.75", "area_II": "42.75", "area_III": "3.33"}),
                              ("huadu", HUADU, {"area_I": "0", "area_II": "0", "area_III": "100"})):
        client = logged_in(user)
        act(client, page, "verify", areas)
        act(client, page, "compute")
        act(client, page, "publicity", {"start": START.isoformat()})
    return opened


def test_the_whole_cycle_runs_through_the_pages(posted, session):
    city, conghua, conghua_fin = posted, logged_in("conghua"), logged_in("conghua_fin")
    huadu, huadu_fin, finance = logged_in("huadu"), logged_in("huadu_fin"), logged_in("finance")
    assert state(session, "440117") == "publicity"

    # an objection holds exactly the line it concerns
    listing = conghua.get(f"{CONGHUA}/lines?status=posted&village=新联村").text
    held_id = int(re.search(r'name="line_ids" value="(\d+)"', listing).group(1))
    r = post(conghua, f"{CONGHUA}/objections", {"line_ids": [held_id], "raised_by": "村民代表", "text": "面积登记少了 2 亩"})
    assert r.status_code == 303
    assert session.get(EntitlementLine, held_id).status == LineStatus.held

    # both bureaus of each district approve (publicity ended long ago), the city reviews, finance budgets
    for client, page in ((conghua, CONGHUA), (conghua_fin, CONGHUA), (huadu, HUADU), (huadu_fin, HUADU)):
        act(client, page, "approve", {"reason": "公示期满无其他异议"})
    assert state(session, "440117") == "approved"
    for page in (CONGHUA, HUADU):
        act(city, page, "review")
    overview = city.get("/forest/cycle?year=2025").text
    assert 'id="cycle-state">市级审查汇总清算完成' in overview
    act(finance, CITY_CYCLE, "budget", {"note": "列入2026年市本级一般性转移支付预算"})

    # the first bank file pays everyone but the held line; only the bank file carries full numbers
    act(conghua_fin, CONGHUA, "pay")
    page = conghua_fin.get(CONGHUA).text
    first = batch_ids(page)[0]
    assert household_id(1) not in page
    bank_file = conghua_fin.get(f"/forest/batches/{first}/file")
    assert bank_file.status_code == 200 and household_id(1) in bank_file.text
    rows = list(csv.DictReader(io.StringIO(bank_file.text)))
    assert len(rows) == len(session.scalars(select(EntitlementLine).where(EntitlementLine.district_code == "440117")).all()) - 1
    failed_pid = rows[0]["payment_id"]
    result = bank_result(bank_file.text, lambda r: "failed" if r["payment_id"] == failed_pid else "paid")
    r = post(conghua_fin, f"/forest/batches/{first}/result", files={"file": ("result.csv", result, "text/csv")})
    assert r.status_code == 303
    assert session.scalar(select(EntitlementLine.status).where(EntitlementLine.id == held_id)) == "held"

    # the objection is resolved with a corrected area; the failed payee gets a new account
    obj_id = session.scalar(select(Objection.id))
    r = post(conghua, f"{CONGHUA}/objections/{obj_id}/resolve",
             {"resolution": "实地核查后更正面积", "kind": ["area", ""], "target": ["P-000004", ""], "value": ["16.25", ""],
              "bank": ["", ""]})
    assert r.status_code == 303, r.text[:2000]
    session.expire_all()
    assert session.get(EntitlementLine, held_id).status == LineStatus.posted
    failed_line = session.scalar(select(EntitlementLine.id).where(EntitlementLine.status == "failed"))
    r = post(conghua, f"{CONGHUA}/lines/{failed_line}/account",
             {"bank": "中国农业银行", "account": card(9001), "reason": "原账户已销户，农户提供新卡"})
    assert r.status_code == 303, r.text[:2000]

    # the second bank file pays both; then reconciliation and close
    act(conghua_fin, CONGHUA, "pay")
    second = batch_ids(conghua_fin.get(CONGHUA).text)[0]
    text = conghua_fin.get(f"/forest/batches/{second}/file").text
    assert len(list(csv.DictReader(io.StringIO(text)))) == 2
    post(conghua_fin, f"/forest/batches/{second}/result", files={"file": ("r2.csv", bank_result(text), "text/csv")})
    act(huadu_fin, HUADU, "pay")
    third = batch_ids(huadu_fin.get(HUADU).text)[0]
    text = huadu_fin.get(f"/forest/batches/{third}/file").text
    post(huadu_fin, f"/forest/batches/{third}/result", files={"file": ("r3.csv", bank_result(text), "text/csv")})
    act(conghua_fin, CONGHUA, "reconcile")
    r = act(city, CITY_CYCLE, "close", expect=400)  # Huadu is not reconciled yet
    assert "花都区" in r.text
    act(huadu, HUADU, "reconcile")
    act(city, CITY_CYCLE, "close")
    session.expire_all()
    assert session.scalar(select(Cycle.state)) == "closed"
    assert audit.verify(session).ok
    downloads = session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.file_download")).all()
    assert len(downloads) == 3  # every bank file download is in the audit log


def test_a_stale_form_is_refused_and_changes_nothing(opened, session):
    a, b = logged_in("conghua"), logged_in("conghua")
    seen = version(a, CONGHUA)
    act(a, CONGHUA, "verify", {"area_I": "39.75", "area_II": "42.75", "area_III": "3.33"})
    r = post(b, f"{CONGHUA}/verify", {"version": seen, "area_I": "1", "area_II": "1", "area_III": "1"})
    assert r.status_code == 409 and "已被他人更新" in r.text and "changed by someone else" in r.text
    session.expire_all()
    assert session.scalar(select(DistrictCycle.verified_i_e4).where(DistrictCycle.district_code == "440117")) == 397500


def test_bad_input_is_refused_in_both_languages_and_changes_nothing(opened, session):
    conghua = logged_in("conghua")
    r = post(conghua, f"{CONGHUA}/verify", {"version": version(conghua, CONGHUA), "area_I": "三十", "area_II": "", "area_III": ""})
    assert r.status_code == 400 and "面积无效" in r.text and "Invalid area" in r.text
    assert state(session, "440117") == "verifying"
    act(conghua, CONGHUA, "compute", expect=400)  # not verified yet


def test_a_district_sees_and_acts_only_on_its_own_district(posted, session):
    huadu = logged_in("huadu")
    assert huadu.get(CONGHUA).status_code == 403
    assert huadu.get(f"{CONGHUA}/lines").status_code == 403
    assert post(huadu, f"{CONGHUA}/approve", {"version": 1}).status_code == 403
    assert huadu.get("/forest/cycle?year=2025", follow_redirects=False).headers["location"] == HUADU


def test_the_auditor_reads_every_district_and_is_offered_no_action(posted):
    auditor = logged_in("auditor")
    page = auditor.get(CONGHUA).text
    assert "从化区" in page and 'name="version"' not in page
    assert post(auditor, f"{CONGHUA}/approve", {"version": 1}).status_code == 403
    assert auditor.get("/forest/exceptions?year=2025").status_code == 200


def test_the_public_reads_posted_rosters_only(opened, session):
    anonymous = web_client()
    roster = f"/forest/publicity/2025/440117/roster?town={quote('温泉镇')}&village={quote('石岭村')}"
    assert anonymous.get(roster).status_code == 404  # not posted yet
    conghua = logged_in("conghua")
    act(conghua, CONGHUA, "verify", {"area_I": "39.75", "area_II": "42.75", "area_III": "3.33"})
    act(conghua, CONGHUA, "compute")
    assert conghua.get(roster).status_code == 200  # officials may preview
    act(conghua, CONGHUA, "publicity", {"start": START.isoformat()})
    listing = anonymous.get("/forest/publicity").text
    assert "石岭村" in listing and "新联村" in listing
    page = anonymous.get(roster)
    assert page.status_code == 200 and "2025-10-16" in page.text
    assert household_id(1) not in page.text and household_id(1)[:6] in page.text  # masked
    pdf = anonymous.get(roster + "&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    xlsx = anonymous.get(roster + "&format=xlsx")
    assert xlsx.content.startswith(b"PK")


def test_the_publicity_end_preview_counts_working_days(users):
    r = logged_in("conghua").get("/forest/cycle/publicity-end?start=2025-09-22")
    assert "2025-10-16" in r.text
    r = logged_in("conghua").get("/forest/cycle/publicity-end?start=2031-09-22")
    assert "gzgov calendar load" in r.text
