"""The institutions' data API: bearer tokens only, scoped to their institution, idempotent uploads, a bad
file refused with its row report and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gzgov.finreg import registry as reg
from gzgov.finreg.models import Submission
from tests.integration.test_finreg_intake import loan, loans_csv
from tests.integration.test_finreg_registry import small_loan
from tests.integration.test_web_support import logged_in, web_client
from tests.personas import SUPERVISOR


@pytest.fixture
def tokens(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2))
    t1, t2 = reg.issue_token(session, SUPERVISOR, "SL-0001"), reg.issue_token(session, SUPERVISOR, "SL-0002")
    session.commit()
    return {"SL-0001": {"Authorization": f"Bearer {t1}"}, "SL-0002": {"Authorization": f"Bearer {t2}"}}


def test_a_submission_through_the_api_is_idempotent(tokens, session):
    client = web_client()
    body = loans_csv([loan(1), loan(2)])
    headers = tokens["SL-0001"] | {"Content-Type": "text/csv", "Idempotency-Key": "2025-09-loans-1"}
    first = client.post("/api/finreg/submissions/loans/2025-09", content=body, headers=headers)
    assert first.status_code == 201 and first.json()["rows"] == 2 and first.json()["created"]
    again = client.post("/api/finreg/submissions/loans/2025-09", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listing = client.get("/api/finreg/submissions", headers=tokens["SL-0001"]).json()
    assert [s["id"] for s in listing] == [first.json()["id"]]


def test_an_institution_never_reaches_anothers_data(tokens, session):
    client = web_client()
    body = loans_csv([loan(1)])  # rows claiming SL-0001
    r = client.post("/api/finreg/submissions/loans/2025-09", content=body,
                    headers=tokens["SL-0002"] | {"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "institution_code"
    client.post("/api/finreg/submissions/loans/2025-09", content=body, headers=tokens["SL-0001"])
    assert client.get("/api/finreg/submissions", headers=tokens["SL-0002"]).json() == []
    stored = session.scalars(select(Submission)).all()
    assert len(stored) == 1 and stored[0].institution_id == reg.get_institution(session, SUPERVISOR, "SL-0001").id


def test_without_a_valid_token_nothing_happens(tokens, session, users):
    client = web_client()
    body = loans_csv([loan(1)])
    assert client.post("/api/finreg/submissions/loans/2025-09", content=body).status_code == 401
    bad = {"Authorization": "Bearer gzf_not-a-real-token"}
    assert client.post("/api/finreg/submissions/loans/2025-09", content=body, headers=bad).status_code == 401
    # a logged-in official's session is not an API credential
    official = logged_in("supervisor")
    assert official.post("/api/finreg/submissions/loans/2025-09", content=body).status_code == 401
    session.expire_all()
    assert session.scalar(select(Submission)) is None


def test_a_bad_file_gets_its_row_report(tokens, session):
    r = web_client().post("/api/finreg/submissions/loans/2025-09", content=loans_csv([loan(1, balance_fen="x")]),
                          headers=tokens["SL-0001"] | {"Content-Type": "text/csv"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"row": 2, "column": "balance_fen", "zh": "应为整数（金额以分计）",
                                   "en": "an integer (amounts in fen): x"}]
    schema = web_client().get("/api/finreg/contracts/loans", headers=tokens["SL-0001"]).json()
    assert schema["properties"]["loan_id"]["type"] == "string"
