"""Rosters, summaries and exceptions for audit."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from gzgov.forest import reports
from gzgov.forest.models import Parcel, VillagePublicity
from gzgov.forest.registry import import_registry
from tests.factories import csv_bytes, household_id, parcel_row
from tests.integration.test_forest_cycle import year  # noqa: F401 - fixture
from tests.personas import AUDITOR, CITY, CONGHUA, HUADU, OUTSIDER


def test_the_village_roster_is_masked_and_totals_to_the_fen(session, year):  # noqa: F811
    r = reports.village_roster(session, OUTSIDER, 2025, "440117", "温泉镇", "石岭村")
    assert len(r.rows) == 3 and r.publicity is not None
    assert sum(int(row[6].replace(".", "")) for row in r.rows) == r.total_fen
    wb = load_workbook(io.BytesIO(reports.roster_xlsx(r)))
    text = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "石岭村" in text and household_id(1) not in text and household_id(1)[:6] in text


def test_the_roster_prints_as_a_pdf(session, year):  # noqa: F811
    pdf = reports.roster_pdf(reports.village_roster(session, CONGHUA, 2025, "440117", "温泉镇", "石岭村"))
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_exceptions_find_several_villages_missing_accounts_and_late_changes(session, year):  # noqa: F811
    # the registry as it stood when posted on 22 September 2025; what is imported now comes after
    session.execute(Parcel.__table__.update().values(updated_at=datetime(2025, 9, 1)))
    session.execute(VillagePublicity.__table__.update().values(posted_at=datetime(2025, 9, 22, 9, 0)))
    import_registry(session, CITY, csv_bytes([
        parcel_row(20, village="新联村", payee_no=1),  # payee 1 already holds parcels in 石岭村
        parcel_row(21, bank_account=""),
    ]), "more.csv")
    session.execute(Parcel.__table__.update().where(Parcel.code == "P-000002").values(
        area_e4=999, updated_at=datetime(2099, 1, 1)))
    ex = reports.exceptions(session, AUDITOR, 2025)
    assert [e["villages"] for e in ex.several_villages] == [2]
    assert [e["payee"] for e in ex.no_account] == ["林农21"]
    # the edited parcel, and the two parcels added to posted villages after their posting
    assert sorted(e["parcel"] for e in ex.changed_after_publicity) == ["P-000002", "P-000020", "P-000021"]
    assert {e["grade"] for e in ex.area_mismatch} == {"I", "II"}  # parcels 20/21 (I) and the edit (II)
    assert ex.invalid_ids == []
    wb = load_workbook(io.BytesIO(reports.exceptions_xlsx(ex)))
    assert "无银行账户的补偿对象" in wb.sheetnames


def test_a_district_sees_only_its_own_exceptions(session, year):  # noqa: F811
    import_registry(session, CITY, csv_bytes([parcel_row(30, bank_account="")]), "x.csv")
    assert reports.exceptions(session, HUADU, 2025).no_account == []
    assert len(reports.exceptions(session, CONGHUA, 2025).no_account) == 1


def test_the_summary_puts_the_year_before_beside(session, year):  # noqa: F811
    s = reports.summary(session, AUDITOR, 2025)
    assert s["previous"].compensation_fen < s["this"].compensation_fen
    assert session.scalars(select(Parcel)).first() is not None
