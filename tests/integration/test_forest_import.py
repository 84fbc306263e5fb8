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


def test_every_bad_row_is_reported_not_only_the_first(session):
    rows = [parcel_row(1), parcel_row(2, grade="IV"), parcel_row(3), parcel_row(4, area_mu="abc"),
            parcel_row(5, district="越秀区")]
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CITY, csv_bytes(rows), "bad.csv")
    assert [(e.row, e.column) for e in err.value.report.errors] == [(3, "grade"), (5, "area_mu"), (6, "district")]
    assert err.value.report.rows == 5


def test_work_spread_over_many_chunks_creates_updates_and_leaves_alone(session, monkeypatch):
    from gzgov.forest import registry

    monkeypatch.setattr(registry, "_CHUNK", 2)
    rows = [parcel_row(i, payee_no=1 + i % 3) for i in range(1, 8)]
    first = import_registry(session, CITY, csv_bytes(rows), "r.csv")
    assert (first.parcels_created, first.payees_created) == (7, 3)
    rows[4] = parcel_row(5, payee_no=1 + 5 % 3, area_mu="7.25")
    rows.append(parcel_row(8, payee_no=9))
    again = import_registry(session, CITY, csv_bytes(rows), "r.csv")
    assert (again.parcels_created, again.parcels_updated, again.parcels_unchanged) == (1, 1, 6)
    assert (again.payees_created, again.payees_updated) == (1, 0)
    by_code = {p.code: p for p in session.scalars(select(Parcel))}
    ids = {p.id_masked: p.id for p in session.scalars(select(Payee))}
    assert by_code["P-000005"].area_e4 == 72500 and by_code["P-000005"].version == 2
    assert len({by_code[f"P-{i:06d}"].payee_id for i in (1, 4, 7)}) == 1 and len(ids) == 4


def test_a_changed_payee_is_updated_and_audited(session):
    import_registry(session, CITY, csv_bytes([parcel_row(1), parcel_row(2, payee_no=1)]), "r.csv")
    rows = [parcel_row(1, payee_name="林农一"), parcel_row(2, payee_no=1, payee_name="林农一")]
    result = import_registry(session, CITY, csv_bytes(rows), "r.csv")
    assert (result.payees_updated, result.parcels_unchanged) == (1, 2)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "payee.update")).one()
    assert entry.before == {"name": "林农1"} and entry.after == {"name": "林农一"}


def test_gb18030_file_without_optional_columns_and_with_blank_and_short_rows(session):
    from gzgov.forest.registry import COLUMNS

    header = [c.key for c in COLUMNS if c.required]
    row = parcel_row(1)
    lines = [",".join(header), ",".join(row[k] for k in header), ",,,", ""]
    short = parcel_row(2)
    lines.insert(3, ",".join(short[k] for k in header[:-1]))  # last cell (payee_id) missing: reported empty
    data = "\r\n".join(lines).encode("gb18030")
    with pytest.raises(ImportRejected) as err:
        import_registry(session, CITY, data, "r.csv")
    assert [(e.row, e.column) for e in err.value.report.errors] == [(4, "payee_id")]
    del lines[3]
    result = import_registry(session, CITY, "\r\n".join(lines).encode("gb18030"), "r.csv")
    assert result.parcels_created == 1
    assert session.scalars(select(Parcel)).one().village == "石岭村"


def test_a_utf8_bom_is_ignored(session):
    assert import_registry(session, CITY, b"\xef\xbb\xbf" + csv_bytes([parcel_row(1)]), "r.csv").parcels_created == 1
