"""Registry import: all-or-nothing with a row/column/reason report; a re-import changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gzgov.core.errors import PermissionDenied
from gzgov.core.models import AuditEntry
from gzgov.core.tabular import ImportRejected
from gzgov.forest.models import Parcel, Payee
from gzgov.forest.registry import import_registry
from tests.factories import csv_bytes, household_id, parcel_row, xlsx_file
from tests.personas import AUDITOR, CITY, CONGHUA


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_good_file_loads_and_the_same_file_again_changes_nothing(session):
    rows = [parcel_row(i) for i in range(1, 6)]
    first = import_registry(session, CITY, csv_bytes(rows), "r.csv")
    assert (first.parcels_created, first.payees_created) == (5, 5)
    entries = count(session, AuditEntry)
    again = import_registry(session, CITY, csv_bytes(rows), "r.csv")
    assert not again.changed and again.parcels_unchanged == 5
    assert count(session, AuditEntry) == entries


def test_xlsx_is_read_like_csv(session):
    result = import_registry(session, CITY, xlsx_file([parcel_row(i) for i in range(1, 4)]), "r.xlsx")
    assert result.parcels_created == 3


def test_a_changed_row_is_updated_and_audited_with_before_and_after(session):
    import_registry(session, CITY, csv_bytes([parcel_row(1)]), "r.csv")
    result = import_registry(session, CITY, csv_bytes([parcel_row(1, area_mu="12.50")]), "r.csv")
    assert result.parcels_updated == 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "parcel.update")).one()
    assert entry.before == {"area_e4": 100000} and entry.after == {"area_e4": 125000}


@pytest.mark.parametrize(("change", "column", "words"), [
    ({"grade": "IV"}, "grade", "Ⅰ、Ⅱ 或 Ⅲ"),
    ({"area_mu": "-3"}, "area_mu", "大于 0"),
    ({"area_mu": "1.23456"}, "area_mu", "4 位小数"),
    ({"district": "越秀区"}, "district", "生态公益林"),
    ({"payee_id": household_id(1)[:-1] + ("0" if household_id(1)[-1] != "0" else "1")}, "payee_id", "校验"),
    ({"bank_account": "6217000000000000001"}, "bank_account", ""),
    ({"tenure": "transferred"}, "contract_ref", "流转合同"),
    ({"tenure": "uncontracted"}, "payee_kind", "第四条（一）1"),
    ({"parcel_code": "P-000001"}, "parcel_code", "重复"),
])
def test_a_bad_row_rejects_the_whole_file_with_its_row_and_column(session, change, column, words):
    rows = [parcel_row(1), parcel_row(2), parcel_row(3) | change]
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CITY, csv_bytes(rows), "bad.csv")
    errors = err.value.report.errors
    assert (errors[0].row, errors[0].column) == (4, column)
    assert words in errors[0].zh and errors[0].en
    assert count(session, Parcel) == 0 and count(session, Payee) == 0


def test_a_payee_described_two_ways_is_refused(session):
    rows = [parcel_row(1), parcel_row(2, payee_no=1, payee_name="别名")]
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CITY, csv_bytes(rows), "bad.csv")
    assert err.value.report.errors[0].column == "payee_name"


def test_missing_and_unknown_columns_are_reported(session):
    data = csv_bytes([parcel_row(1)], header=["parcel_code", "district", "colour"])
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CITY, data, "bad.csv")
    cols = {e.column for e in err.value.report.errors}
    assert "colour" in cols and "grade" in cols


def test_chinese_headers_are_accepted(session):
    from gzgov.forest.registry import COLUMNS

    header = [c.zh for c in COLUMNS]
    row = parcel_row(1)
    data = csv_bytes([{c.zh: row[c.key] for c in COLUMNS}], header=header)
    assert import_registry(session, CITY, data, "中文.csv").parcels_created == 1


def test_a_district_officer_cannot_import_another_districts_rows(session):
    rows = [parcel_row(1), parcel_row(2, district="花都区", town="梯面镇", village="红山村")]
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CONGHUA, csv_bytes(rows), "r.csv")
    assert err.value.report.errors[0].row == 3
    assert count(session, Parcel) == 0


def test_an_auditor_cannot_import(session):
    with pytest.raises(PermissionDenied):
        import_registry(session, AUDITOR, csv_bytes([parcel_row(1)]), "r.csv")


def test_personal_numbers_are_stored_encrypted_and_masked(session):
    import_registry(session, CITY, csv_bytes([parcel_row(1)]), "r.csv")
    payee = session.scalars(select(Payee)).one()
    plain = household_id(1)
    assert plain not in (payee.id_enc, payee.id_masked) and payee.id_masked.startswith(plain[:6])
    assert "*" in payee.id_masked and payee.account_masked.count("*") >= 8
    from gzgov.core.identity import get_cipher

    assert get_cipher().decrypt(payee.id_enc) == plain
