"""The column-wise intake check gives the reports the row-by-row one gave (row = line of the file, column,
reason in Chinese and English), whatever the file's form (CSV in UTF-8, with a BOM or in GB18030, XLSX,
Parquet with text or typed columns, read in one batch or in many), and stores the same table; an unreadable
file is a report, never a server error; a submission that loses a race never overwrites the winner's file."""

from __future__ import annotations

import io
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gzgov.core.db import session_scope
from gzgov.core.errors import GzgovError
from gzgov.core.tabular import MAX_REPORTED, ImportRejected, xlsx_bytes
from gzgov.finreg import intake
from gzgov.finreg import registry as reg
from gzgov.finreg.models import Submission
from tests.integration.test_finreg_intake import FIELDS, loan, loans_csv
from tests.integration.test_finreg_registry import small_loan
from tests.personas import INSTITUTION, SUPERVISOR

CLASSES = "normal/special_mention/substandard/doubtful/loss"


@pytest.fixture
def inst(session):
    inst = reg.register_institution(session, SUPERVISOR, small_loan())
    session.commit()
    return inst


def report(inst, data: bytes, filename: str = "loans.csv", dataset: str = "loans") -> tuple[int, list[tuple]]:
    with pytest.raises(ImportRejected) as err:
        intake.check_submission(data, filename, dataset, inst, "2025-09")
    r = err.value.report
    return r.error_count, [(e.row, e.column, e.zh, e.en) for e in r.errors]


def parquet(columns: dict[str, pa.Array]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def expected_table(rows: list[dict[str, str]]) -> pa.Table:
    """The stored table, worked by hand from the contract: fen and days as integers, dates as dates, rates
    as the exact decimal text, the rest as text."""
    ints = {"principal_fen", "balance_fen", "overdue_days", "shareholder_contribution_fen", "disbursed_fen"}
    dates = {"contract_date", "maturity_date"}
    cols = {}
    for k in FIELDS:  # an empty cell of an optional field is null
        cells = [r[k].strip() or None for r in rows]
        if k in ints:
            cols[k] = pa.array([c and int(c) for c in cells], pa.int64())
        elif k in dates:
            cols[k] = pa.array([c and date.fromisoformat(c) for c in cells], pa.date32())
        elif k in ("is_online", "borrower_is_student"):
            cols[k] = pa.array([c and c == "true" for c in cells], pa.bool_())
        else:
            cols[k] = pa.array(cells, pa.string())
    return pa.table(cols)


# ---- one bad file of each kind, its report written out by hand


@pytest.mark.parametrize(("rows", "expected"), [
    ([loan(1, balance_fen="八千万")], [(2, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): 八千万")]),
    ([loan(1), loan(2, principal_fen="-")], [(3, "principal_fen", "应为整数（金额以分计）", "an integer (amounts in fen): -")]),
    ([loan(1, balance_fen="99999999999999999999")],  # past int64: refused, not an overflow
     [(2, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): 99999999999999999999")]),
    ([loan(1, contract_date="2025/03/01"), loan(2, maturity_date="2025-02-30")],
     [(2, "contract_date", "日期应为 YYYY-MM-DD", "a date YYYY-MM-DD: 2025/03/01"),
      (3, "maturity_date", "日期应为 YYYY-MM-DD", "a date YYYY-MM-DD: 2025-02-30")]),
    ([loan(1, annual_rate="12%")], [(2, "annual_rate", "应为数值", "a number: 12%")]),
    ([loan(1, classification="bad")],
     [(2, "classification", f"取值应为 {CLASSES}", f"one of {CLASSES.replace('/', ', ')}: bad")]),
    ([loan(1, borrower_id="  ")], [(2, "borrower_id", "必填", "required")]),
    ([loan(1), loan(2), loan(1), loan(3), loan(1)],
     [(4, "loan_id", "与第 2 行重复", "repeats row 2"), (6, "loan_id", "与第 2 行重复", "repeats row 2")]),
    ([loan(1, institution_code="SL-0002")],
     [(2, "institution_code", "不是本机构（SL-0001）的数据", "not this institution's (SL-0001) data")]),
    ([loan(1, period="2025-08")], [(2, "period", "报送期应为 2025-09", "the period must be 2025-09")]),
    # a row's faults in field order; the institution and the period only on a row with no faulty cell; a
    # faulty row is no first occurrence of its key
    ([loan(1, balance_fen="x", classification="y", period="2025-08"), loan(1), loan(2, institution_code="X")],
     [(2, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): x"),
      (2, "classification", f"取值应为 {CLASSES}", f"one of {CLASSES.replace('/', ', ')}: y"),
      (4, "institution_code", "不是本机构（SL-0001）的数据", "not this institution's (SL-0001) data")]),
])
def test_each_fault_is_reported_as_before(inst, rows, expected):
    assert report(inst, loans_csv(rows)) == (len(expected), expected)


def test_a_missing_column_and_an_empty_file_are_reported_on_their_line(inst):
    header = [k for k in FIELDS if k != "balance_fen"]
    assert report(inst, loans_csv([loan(1)]).replace(b",balance_fen", b"").replace(b",80000000", b"")) == (
        1, [(1, "balance_fen", "缺少必填列“期末余额”（balance_fen）", "required column “balance at period end” (balance_fen) is missing")])
    assert report(inst, (",".join(header) + "\n").encode()) == (
        1, [(1, "balance_fen", "缺少必填列“期末余额”（balance_fen）", "required column “balance at period end” (balance_fen) is missing")])
    assert report(inst, b"") == (1, [(1, "file", "文件为空", "the file is empty")])
    assert report(inst, (",".join(FIELDS) + "\n").encode()) == (1, [(2, "file", "文件中没有数据行", "the file has no data rows")])


def test_more_faults_than_the_report_holds_are_counted_and_the_first_listed_in_file_order(inst):
    rows = [loan(i, balance_fen="x", classification="y") for i in range(1, 1501)]
    count, listed = report(inst, loans_csv(rows))
    assert count == 3000 and len(listed) == MAX_REPORTED
    assert [(row, col) for row, col, *_ in listed[:4]] == [(2, "balance_fen"), (2, "classification"),
                                                           (3, "balance_fen"), (3, "classification")]
    assert listed[-1][:2] == (501, "classification")


# ---- the file's form does not change the report


def test_a_bom_gb18030_chinese_headers_and_xlsx_give_the_same_report(inst):
    rows = [loan(1), loan(2, balance_fen="八千万"), loan(1)]
    expected = (2, [(3, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): 八千万"),
                    (4, "loan_id", "与第 2 行重复", "repeats row 2")])
    utf8 = loans_csv(rows)
    assert report(inst, utf8) == expected
    assert report(inst, b"\xef\xbb\xbf" + utf8) == expected
    zh = {f.name: f.zh for f in intake.load_datasets()["loans"].submitted_fields("small_loan")}
    header, body = utf8.decode().split("\r\n", 1)
    chinese = ",".join(zh[k] for k in header.split(",")) + "\n" + body
    assert report(inst, chinese.encode("gb18030")) == expected
    book = xlsx_bytes({"loans": (FIELDS, ([r[k] for k in FIELDS] for r in rows))})
    assert report(inst, book, "loans.xlsx") == expected


def test_parquet_with_typed_columns_is_read_as_the_text_of_its_values(inst):
    rows = [loan(1), loan(2)]
    text = {k: pa.array([r[k] for r in rows]) for k in FIELDS}
    typed = text | {"balance_fen": pa.array([80000000, 70000000]), "contract_date": pa.array([date(2025, 3, 1)] * 2)}
    checked = intake.check_submission(parquet(typed), "loans.parquet", "loans", inst, "2025-09")
    assert checked.rows == 2
    floats = text | {"balance_fen": pa.array([80000000.0, 1.5])}
    assert report(inst, parquet(floats), "loans.parquet") == (2, [
        (2, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): 80000000.0"),
        (3, "balance_fen", "应为整数（金额以分计）", "an integer (amounts in fen): 1.5")])
    missing = {k: v for k, v in text.items() if k != "loan_id"}
    assert report(inst, parquet(missing), "loans.parquet") == (1, [(1, "loan_id", "缺少必填列", "required column missing")])


@pytest.mark.parametrize("damage", ["bytes", "not utf-8"])
def test_an_unreadable_parquet_file_is_one_clear_error(inst, damage):
    good = {k: pa.array([loan(1)[k]]) for k in FIELDS}
    if damage == "bytes":
        data = parquet(good)
        data = data[:40] + b"\x00" * 200 + data[240:]
    else:
        data = parquet(good | {"loan_id": pa.array([b"\xff\xfe"], pa.binary()).view(pa.string())})
    assert report(inst, data, "loans.parquet") == (1, [(0, "file", "无法读取 Parquet 文件", "the Parquet file cannot be read")])


def test_a_cell_over_the_csv_limit_is_reported_not_raised(inst):
    count, listed = report(inst, loans_csv([loan(1), loan(2, purpose="x" * 200_000)]))
    assert count == 1 and listed == [(3, "file", "单元格超过 131072 个字符，无法读取文件",
                                      "a cell is longer than 131072 characters; the file cannot be read")]


def test_many_small_batches_and_uneven_rows_read_as_one(inst, monkeypatch):
    """Blank lines keep their numbers, a key repeats across batches, a short row is read as the row reader
    reads it (its missing cells empty)."""
    monkeypatch.setattr(intake, "CSV_BLOCK", 512)
    monkeypatch.setattr(intake, "BATCH_ROWS", 2)
    rows = [loan(i) for i in range(1, 9)] + [loan(3)]
    data = loans_csv(rows).replace(b"\r\n", b"\n")
    blank = data.replace(b"\nSL-0001,2025-09,L000004", b"\n\n,,\nSL-0001,2025-09,L000004")
    expected = (1, [(12, "loan_id", "与第 4 行重复", "repeats row 4")])
    assert report(inst, blank) == expected
    assert report(inst, parquet({k: pa.array([r[k] for r in rows]) for k in FIELDS}), "loans.parquet") == (
        1, [(10, "loan_id", "与第 4 行重复", "repeats row 4")])
    optional = b"," * (len(FIELDS) - FIELDS.index("classification") - 1)  # the empty optional cells after it
    short = data.replace(b",0,normal" + optional + b"\nSL-0001,2025-09,L000002", b"\nSL-0001,2025-09,L000002")
    assert short != data
    assert report(inst, short) == (3, [(2, "overdue_days", "必填", "required"), (2, "classification", "必填", "required"),
                                       (10, "loan_id", "与第 4 行重复", "repeats row 4")])  # line 2 is no first


# ---- what is stored


def test_a_good_file_is_stored_as_the_contracts_table(session, inst, monkeypatch):
    monkeypatch.setattr(intake, "CSV_BLOCK", 1024)
    rows = [loan(i, overdue_days=str(i)) for i in range(1, 30)]
    rows[3] = loan(4, balance_fen=" 70000000 ", borrower_id="\u3000B9\u3000", annual_rate="0.0425")
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    stored = pq.read_table(intake.store_dir() / sub.path)
    assert stored.equals(expected_table(rows)) and sub.rows == 29
    assert stored.column("borrower_id")[3].as_py() == "B9"


def spooled(session) -> list:
    return list((intake.store_dir() / ".spool").iterdir())


def test_the_rows_go_to_the_store_in_row_groups_as_they_are_checked(session, inst, monkeypatch):
    """submit writes the good batches to a spool file as it checks them (row groups of ROW_GROUP_ROWS), not
    holding the table, and moves the file into the store once the submission is taken."""
    monkeypatch.setattr(intake, "CSV_BLOCK", 1024)
    monkeypatch.setattr(intake, "ROW_GROUP_ROWS", 8)
    rows = [loan(i, overdue_days=str(i), joint_lender_type="commercial_bank" if i % 3 else "",
                 is_online="true" if i % 2 else "false", own_funding_share="0.35" if i % 3 else "")
            for i in range(1, 30)]
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    stored = pq.ParquetFile(intake.store_dir() / sub.path)
    assert stored.metadata.num_rows == 29 and stored.metadata.num_row_groups >= 3
    assert stored.read().equals(expected_table(rows)) and not spooled(session)


def test_a_bad_row_after_good_batches_stores_nothing(session, inst, monkeypatch):
    monkeypatch.setattr(intake, "CSV_BLOCK", 1024)
    monkeypatch.setattr(intake, "ROW_GROUP_ROWS", 8)
    rows = [loan(i) for i in range(1, 30)]
    rows[26]["balance_fen"] = "八千万"
    before = sorted(intake.store_dir().rglob("*"))
    with pytest.raises(ImportRejected) as err:
        intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    assert [(e.row, e.column) for e in err.value.report.errors] == [(28, "balance_fen")]
    assert session.scalars(select(Submission)).all() == [] and not spooled(session)
    assert [p for p in sorted(intake.store_dir().rglob("*")) if p.name != ".spool"] == \
        [p for p in before if p.name != ".spool"]


def test_a_file_the_fast_reader_gives_up_on_midway_is_stored_from_the_row_reader(session, inst, monkeypatch):
    """A row one cell short (its last, optional cell) makes Arrow's reader give up after rows were already
    spooled; the row reader reads the file again from the start (the short row's missing cell empty)."""
    monkeypatch.setattr(intake, "CSV_BLOCK", 1024)
    monkeypatch.setattr(intake, "ROW_GROUP_ROWS", 8)
    rows = [loan(i) for i in range(1, 30)]
    data = loans_csv(rows).replace(b"\r\n", b"\n")
    optional = b"," * (len(FIELDS) - FIELDS.index("classification") - 1)  # the empty optional cells after it
    short = data.replace(b",0,normal" + optional + b"\nSL-0001,2025-09,L000027",
                         b",0,normal" + optional[:-1] + b"\nSL-0001,2025-09,L000027")
    assert short != data
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", short, "loans.csv")
    assert pq.read_table(intake.store_dir() / sub.path).equals(expected_table(rows)) and not spooled(session)


def test_text_in_other_forms_is_converted_as_the_scalar_converter_does(session, inst):
    """The canonical forms go the vectorised way; the rest through the scalar converter, which stays the
    definition: full-width digits, a sign, an exponent, a compact date."""
    rows = [loan(1, balance_fen="８０００", overdue_days="-0", annual_rate="+.5", contract_date="20250301"),
            loan(2, annual_rate="0.0000001", principal_fen="000123")]
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    stored = pq.read_table(intake.store_dir() / sub.path).to_pylist()
    assert (stored[0]["balance_fen"], stored[0]["overdue_days"], stored[0]["annual_rate"]) == (8000, 0, "0.5")
    assert stored[0]["contract_date"] == date(2025, 3, 1)
    assert (stored[1]["annual_rate"], stored[1]["principal_fen"]) == ("1E-7", 123)


def test_optional_fields_left_empty_are_null(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    header = "institution_code,period,total_assets_fen,total_liabilities_fen,net_assets_fen,registered_capital_fen,"\
             "bank_loans_fen\n"
    data = (header + "SL-0001,2025-09,300,100,200,200,\n").encode()
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "financials", "2025-09", data, "financials.csv")
    row = pq.read_table(intake.store_dir() / sub.path).to_pylist()[0]
    assert row["net_assets_fen"] == 200 and row["bank_loans_fen"] is None and row["bonds_outstanding_fen"] is None


@pytest.mark.parametrize("bad", ["abcd-01", "2025-1", "2025-00", "2025-13", "0000-01", "２０２５-01", "2025-09-01"])
def test_a_period_is_four_digits_and_a_month(inst, bad):
    with pytest.raises(GzgovError) as err:
        intake.check_submission(loans_csv([loan(1)]), "loans.csv", "loans", inst, bad)
    assert err.value.code == "bad_period"


def test_a_submission_that_loses_a_race_leaves_the_winners_file_alone(session, inst, monkeypatch):
    """Both take version 1; the other request stores first. This one's flush is refused by the unique
    version, its temporary file removed, and v1.parquet keeps the winner's rows."""
    write = intake.Checked.write

    def the_other_request_stores_first(self, path):
        monkeypatch.setattr(intake.Checked, "write", write)
        with session_scope() as other:
            intake.submit(other, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv([loan(7)]), "loans.csv")
        write(self, path)

    monkeypatch.setattr(intake.Checked, "write", the_other_request_stores_first)
    with pytest.raises(IntegrityError):
        intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv([loan(1), loan(2)]), "loans.csv")
    session.rollback()
    winner = session.scalars(select(Submission)).one()
    stored = pq.read_table(intake.store_dir() / winner.path)
    assert winner.version == 1 and stored.column("loan_id").to_pylist() == ["L000007"]
    names = {p.name for p in (intake.store_dir() / "loans" / "SL-0001" / "2025-09").iterdir()}
    assert "v1.parquet" in names and not [n for n in names if n.endswith(".part")]  # no temporary file left
