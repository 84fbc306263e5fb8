"""Data intake: a submission is checked against its contract (row-level report, nothing stored on a bad
record), stored as Parquet, superseded by a corrected resubmission with history kept, idempotent under its
key, and scoped to the institution; the CLI commands `submit` and `rules`."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.tabular import ImportRejected
from gzgov.finreg import intake
from gzgov.finreg import registry as reg
from gzgov.finreg.contracts import json_schema, load_datasets
from gzgov.finreg.models import Submission
from tests.factories import csv_bytes
from tests.integration.test_cli import run
from tests.integration.test_finreg_registry import small_loan
from tests.personas import INSTITUTION, SUPERVISOR

FIELDS = [f.name for f in load_datasets()["loans"].submitted_fields("small_loan")]


def loan(n: int, **kw) -> dict[str, str]:
    row = {"institution_code": "SL-0001", "period": "2025-09", "loan_id": f"L{n:06d}", "borrower_id": f"B{n % 7}",
           "borrower_group_id": f"G{n % 5}", "borrower_type": "small_micro_enterprise", "purpose": "business",
           "contract_date": "2025-03-01", "maturity_date": "2026-03-01", "principal_fen": "100000000",
           "balance_fen": "80000000", "annual_rate": "0.1200", "overdue_days": "0", "classification": "normal",
           "related_shareholder_id": "", "shareholder_contribution_fen": "", "joint_lender_type": "", "is_online": "",
           "own_funding_share": "", "disbursed_fen": "", "borrower_is_student": ""}
    return {k: v for k, v in (row | kw).items() if k in FIELDS}


def loans_csv(rows) -> bytes:
    return csv_bytes(rows, header=FIELDS)


@pytest.fixture
def inst(session):
    return reg.register_institution(session, SUPERVISOR, small_loan())


def test_a_good_file_is_stored_as_parquet_and_a_correction_supersedes_it(session, inst):
    sub, created = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09",
                                 loans_csv([loan(i) for i in range(1, 6)]), "loans.csv")
    assert created and sub.version == 1 and sub.rows == 5
    table = pq.read_table(intake.store_dir() / sub.path)
    assert table.num_rows == 5 and table.schema.field("balance_fen").type == pa.int64()
    second, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09",
                              loans_csv([loan(i) for i in range(1, 7)]), "loans.csv")
    assert second.version == 2 and session.get(Submission, sub.id).status == "superseded"
    assert (intake.store_dir() / sub.path).exists()  # history kept


def test_a_bad_file_reports_every_bad_row_and_stores_nothing(session, inst):
    before = sorted(intake.store_dir().rglob("*.parquet"))
    rows = [loan(1), loan(2, balance_fen="八千万"), loan(3, classification="bad"), loan(1),
            loan(4, institution_code="SL-0002"), loan(5, period="2025-08"), loan(6, contract_date="2025/03/01")]
    with pytest.raises(ImportRejected) as err:
        intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    faults = {(e.row, e.column) for e in err.value.report.errors}
    assert faults == {(3, "balance_fen"), (4, "classification"), (5, "loan_id"), (6, "institution_code"),
                      (7, "period"), (8, "contract_date")}
    assert session.scalar(select(Submission)) is None
    assert sorted(intake.store_dir().rglob("*.parquet")) == before  # no file written


def test_parquet_and_idempotency(session, inst):
    table = pa.table({k: [loan(1)[k], loan(2)[k]] for k in FIELDS})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    data = buf.getvalue()
    first, created = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", data, "loans.parquet",
                                   channel="api", idempotency_key="k-1")
    again, created_again = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", data, "loans.parquet",
                                         channel="api", idempotency_key="k-1")
    assert created and not created_again and again.id == first.id
    with pytest.raises(GzgovError) as err:
        intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-10", data, "loans.parquet", idempotency_key="k-1")
    assert err.value.code == "idempotency_conflict"


def test_an_institution_cannot_submit_for_another_or_the_wrong_dataset(session, inst):
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2))
    with pytest.raises(NotFound):
        intake.submit(session, INSTITUTION, "SL-0002", "loans", "2025-09", loans_csv([loan(1)]), "loans.csv")
    with pytest.raises(GzgovError) as err:
        intake.submit(session, INSTITUTION, "SL-0001", "leases", "2025-09", b"x", "leases.csv")
    assert err.value.code == "dataset_not_for_kind"
    with pytest.raises(GzgovError) as err:
        intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-13", loans_csv([loan(1)]), "loans.csv")
    assert err.value.code == "bad_period"


def test_the_published_json_schema():
    schema = json_schema(load_datasets()["loans"], "small_loan")
    assert schema["properties"]["classification"]["enum"] == ["normal", "special_mention", "substandard", "doubtful",
                                                              "loss"]
    assert "loan_id" in schema["required"] and schema["additionalProperties"] is False


def test_the_cli_submits_a_directory_all_or_nothing_and_lists_rules(session, inst, users, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "loans.csv").write_bytes(loans_csv([loan(1), loan(2)]))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "loans.csv").write_bytes(loans_csv([loan(1)]))
    (bad / "financials.csv").write_bytes(b"institution_code,period\nSL-0001,2025-09\n")  # required columns missing
    session.commit()
    refused = run("finreg", "submit", "--institution", "SL-0001", "--period", "2025-09", str(bad), user="sl0001")
    assert refused.exit_code == 2 and "net_assets_fen" in refused.output
    session.expire_all()
    assert session.scalar(select(Submission)) is None  # the good loans file was not stored either
    ok = run("finreg", "submit", "--institution", "SL-0001", "--period", "2025-09", str(good), user="sl0001")
    assert ok.exit_code == 0, ok.output
    rules = json.loads(run("finreg", "rules", "--json", user="supervisor").output)
    assert {"id", "name_zh", "name_en", "institution_types", "limit", "severity", "basis"} <= set(rules[0])
    assert len(rules) >= 50
