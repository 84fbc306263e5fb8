"""The data API's own OpenAPI document (/api/finreg/openapi.json) is fuzzed with schemathesis against the app:
no call answers 5xx, every answer is a documented status with the documented body, and the fuzz reaches the
handlers (stored files, row reports, found and missing resources are all seen). Fuzzed again with another
institution's token and with no valid token: nothing crosses institutions, nothing succeeds unauthenticated.
Then the refusals the schema documents (409, 413, 415, 404) one by one."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from gzgov.core.tabular import xlsx_bytes
from gzgov.finreg import api, intake
from gzgov.finreg import registry as reg
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.models import Submission
from gzgov.web.app import create_app
from tests.integration.test_finreg_intake import FIELDS, loan, loans_csv
from tests.integration.test_finreg_registry import small_loan
from tests.integration.test_web_support import web_client
from tests.personas import SUPERVISOR

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("GZGOV_FUZZ_EXAMPLES", "50"))  # per operation and mode; raise for a deeper run
SUBMIT = "POST /api/finreg/submissions/{dataset}/{period}"
LIST, ONE = "GET /api/finreg/submissions", "GET /api/finreg/submissions/{submission_id}"
CONTRACT = "GET /api/finreg/contracts/{dataset}"
# The path that makes a generated file land on SL-0001's real data (the rows below claim SL-0001, 2025-09).
ALIGNED = {SUBMIT: {"dataset": "loans", "period": "2025-09"}, CONTRACT: {"dataset": "loans"}}


# ---- request bodies: SL-0001's loans as CSV, XLSX and Parquet, intact, with a cell broken, or damaged bytes


@st.composite
def loan_rows(draw: st.DrawFn, cells: st.SearchStrategy[str]) -> list[dict[str, str]]:
    rows = [loan(i) for i in range(1, draw(st.integers(1, 4)) + 1)]
    if draw(st.booleans()):
        row, key = draw(st.sampled_from(rows)), draw(st.sampled_from(FIELDS))
        row[key] = draw(cells)
    return rows


def _xlsx(rows: list[dict[str, str]]) -> bytes:
    """The workbook with its timestamps fixed: the same rows are the same bytes (Hypothesis replays them)."""
    book = xlsx_bytes({"loans": (FIELDS, ([r[k] for k in FIELDS] for r in rows))})
    src, out = zipfile.ZipFile(io.BytesIO(book)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-09-30T00:00:00Z", src.read(info))
            z.writestr(zipfile.ZipInfo(info.filename, (2025, 9, 30, 0, 0, 0)), part)
    return out.getvalue()


def _parquet(rows: list[dict[str, str]], raw: dict[str, bytes] | None = None) -> bytes:
    """`raw` puts bytes into a text column unchecked, as a foreign writer may (not always valid UTF-8)."""
    columns = {k: pa.array([r[k] for r in rows]) for k in FIELDS}
    for k, value in (raw or {}).items():
        columns[k] = pa.array([value] * len(rows), pa.binary()).view(pa.string())
    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


@st.composite
def raw_text_parquet(draw: st.DrawFn) -> bytes:
    rows = draw(loan_rows(st.text(max_size=12)))
    return _parquet(rows, {draw(st.sampled_from(FIELDS)): draw(st.binary(max_size=6))})


@st.composite
def damaged(draw: st.DrawFn, files: st.SearchStrategy[bytes]) -> bytes:
    """A real file with a few bytes overwritten: the parser gets past the magic number and fails later."""
    data = bytearray(draw(files))
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def bodies(encode: Callable[[list[dict[str, str]]], bytes],
           cells: st.SearchStrategy[str] = st.text(max_size=12)) -> st.SearchStrategy[bytes]:
    files = loan_rows(cells).map(encode)
    return st.one_of(files, damaged(files), st.binary(max_size=300))


SHEET_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=12)  # what a cell can hold
ANY_TEXT = st.text(max_size=300).map(str.encode)
schemathesis.openapi.media_type("text/csv", st.one_of(bodies(loans_csv), ANY_TEXT))
schemathesis.openapi.media_type(api.XLSX, bodies(_xlsx, SHEET_TEXT))
schemathesis.openapi.media_type(api.PARQUET[0], st.one_of(bodies(_parquet), raw_text_parquet()),
                                aliases=api.PARQUET[1:])


# ---- fixtures and the fuzz loop


@pytest.fixture
def tokens(session) -> dict[str, str]:
    """SL-0001 and SL-0002 (small-loan companies) with a token each, and a token of SL-0001 since revoked."""
    reg.register_institution(session, SUPERVISOR, small_loan())
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2))
    revoked = reg.issue_token(session, SUPERVISOR, "SL-0001")
    reg.revoke_token(session, SUPERVISOR, revoked[:12])
    out = {code: reg.issue_token(session, SUPERVISOR, code) for code in ("SL-0001", "SL-0002")}
    session.commit()
    return out | {"revoked": revoked}


@pytest.fixture
def stored(tokens, session) -> Submission:
    """SL-0001's loans for 2025-09, stored through the API."""
    r = _post(tokens["SL-0001"], loans_csv([loan(1), loan(2)]))
    assert r.status_code == 201, r.text
    return session.get(Submission, r.json()["id"])


@pytest.fixture
def schema():
    return schemathesis.openapi.from_asgi("/api/finreg/openapi.json", create_app())


Seen = Counter[tuple[str, int]]


def fuzz(schema, headers: st.SearchStrategy[dict[str, str]], seen: Seen, aligned: dict[str, dict],
         also: Callable[[str, dict, object], None] = lambda label, case, response: None) -> None:
    """Every operation, positive then negative data, EXAMPLES cases each (derandomized): each response must
    pass CHECKS and `also`; two thirds of the positive cases use the operation's `aligned` path parameters."""
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in GenerationMode:
            cases = op.as_strategy(generation_mode=mode)
            if op.label in aligned and mode is GenerationMode.POSITIVE:
                on_target = op.as_strategy(generation_mode=mode, path_parameters=aligned[op.label])
                cases = st.one_of(cases, on_target, on_target)

            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=cases, sent=headers)
            def run(case, sent) -> None:
                case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
                response = case.call(headers=sent)
                seen[(case.operation.label, response.status_code)] += 1
                case.validate_response(response, checks=CHECKS, headers=sent)
                also(case.operation.label, case, response)

            run()


def authorized(response) -> bool:
    """Whether the request carried a token (schemathesis' negative cases may leave it out, to test auth)."""
    return any(k.lower() == "authorization" for k in response.request.headers)


def statuses(seen: Seen, label: str) -> set[int]:
    return {status for (op, status) in seen if op == label}


# ---- the schema


def test_the_api_schema_describes_the_token_api_alone():
    doc = web_client().get("/api/finreg/openapi.json").json()  # public: it holds no data
    assert doc["components"]["securitySchemes"]["institutionToken"] == {
        "type": "http", "scheme": "bearer", "description": api.BEARER.model.description}
    operations = {f"{m.upper()} {p}": o for p, item in doc["paths"].items() for m, o in item.items()}
    assert set(operations) == {SUBMIT, LIST, ONE, CONTRACT}
    submitted = sorted(n for n, d in load_datasets().items() if d.grain != "institution")
    for label, o in operations.items():
        assert o["security"] == [{"institutionToken": []}] and "401" in o["responses"], label
        for p in o.get("parameters", []):
            assert p["name"] != "authorization" and "anyOf" not in p["schema"], (label, p)
            if p["name"] == "dataset":
                assert p["schema"]["enum"] == submitted
            if p["name"] == "period":
                assert p["schema"]["pattern"] == api.PERIOD
    assert set(operations[SUBMIT]["requestBody"]["content"]) == set(api.SUFFIX)
    assert {"200", "201", "409", "413", "415", "422"} <= set(operations[SUBMIT]["responses"])


# ---- the fuzz


def test_fuzzing_with_the_institutions_own_token_finds_no_server_error(schema, tokens, stored, session):
    seen: Seen = Counter()
    own = st.just({"Authorization": f"Bearer {tokens['SL-0001']}"})
    fuzz(schema, own, seen, ALIGNED | {ONE: {"submission_id": stored.id}})
    # the handlers were reached: files stored and refused row by row, resources found and missing
    assert {201, 400, 422} <= statuses(seen, SUBMIT)
    assert {200, 404, 422} <= statuses(seen, ONE) and {200, 404, 422} <= statuses(seen, CONTRACT)
    assert {200, 422} <= statuses(seen, LIST)
    session.expire_all()
    stored_files = session.scalars(select(Submission)).all()
    assert len(stored_files) > 1 and all((intake.store_dir() / s.path).exists() for s in stored_files)


def test_another_institutions_token_never_reaches_the_first_ones_data(schema, tokens, stored, session):
    before = sorted(p.read_bytes() for p in intake.store_dir().rglob("*.parquet"))
    seen: Seen = Counter()
    other = st.just({"Authorization": f"Bearer {tokens['SL-0002']}"})

    def only_its_own(label: str, case, response) -> None:
        body = response.json()
        if response.status_code < 300:
            for sub in body if isinstance(body, list) else [body]:
                if label != CONTRACT:
                    assert sub["institution_code"] == "SL-0002" and sub["id"] != stored.id, body
        if label == ONE and case.path_parameters["submission_id"] == stored.id:  # 401 where a negative case
            assert response.status_code == (404 if authorized(response) else 401), body  # left the token out

    fuzz(schema, other, seen, ALIGNED | {ONE: {"submission_id": stored.id}}, only_its_own)
    assert 404 in statuses(seen, ONE) and 422 in statuses(seen, SUBMIT)  # SL-0001's id and rows were tried
    session.expire_all()
    first = reg.get_institution(session, SUPERVISOR, "SL-0001")
    own = select(Submission.id).where(Submission.institution_id == first.id)
    assert session.scalars(own).all() == [stored.id]
    files = (intake.store_dir() / "loans" / "SL-0001").rglob("*.parquet")
    assert all(p.read_bytes() in before for p in files)


def test_without_a_valid_token_every_call_is_refused(schema, tokens, stored, session):
    seen: Seen = Counter()
    refused = st.sampled_from([{}, {"Authorization": "Bearer gzf_not-a-real-token"},
                               {"Authorization": f"Bearer {tokens['revoked']}"},
                               {"Authorization": f"Basic {tokens['SL-0001']}"}, {"Authorization": "Bearer"}])
    fuzz(schema, refused, seen, ALIGNED | {ONE: {"submission_id": stored.id}})
    assert {status for (_, status) in seen} == {401} and sum(seen.values()) >= 4 * 2 * EXAMPLES
    session.expire_all()
    assert [s.id for s in session.scalars(select(Submission))] == [stored.id]


# ---- the documented refusals, one by one


def _post(token: str, body: bytes, content_type: str | None = "text/csv", key: str | None = None,
          path: str = "loans/2025-09"):
    headers = {"Authorization": f"Bearer {token}"} | ({"Content-Type": content_type} if content_type else {})
    return web_client().post(f"/api/finreg/submissions/{path}", content=body,
                             headers=headers | ({"Idempotency-Key": key} if key else {}))


def test_a_reused_idempotency_key_with_another_file_is_a_conflict(tokens, stored):
    first = _post(tokens["SL-0001"], loans_csv([loan(3)]), key="k-1")
    assert first.status_code == 201
    again = _post(tokens["SL-0001"], loans_csv([loan(3)]), key="k-1")
    assert again.status_code == 200 and again.json() == first.json() | {"created": False}
    other = _post(tokens["SL-0001"], loans_csv([loan(4)]), key="k-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict" and other.json()["en"]
    too_long = _post(tokens["SL-0001"], loans_csv([loan(4)]), key="k" * 129)  # never silently truncated
    assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_input"


def test_a_concurrent_retry_is_answered_with_the_submission_that_won(tokens, monkeypatch):
    """Another request stores first, between this one's checks and its write (the unique constraints refuse
    the second writer): a retry under the same key replays the winner's submission, anything else is 409."""

    def the_other_request_wins(owner, name: str, body: bytes, key: str | None) -> None:
        real = getattr(owner, name)

        def racing(*args, **kwargs):
            monkeypatch.setattr(owner, name, real)
            assert _post(tokens["SL-0001"], body, key=key).status_code == 201
            return real(*args, **kwargs)
        monkeypatch.setattr(owner, name, racing)

    the_other_request_wins(intake, "check_submission", loans_csv([loan(5)]), "race")  # after the key lookup
    r = _post(tokens["SL-0001"], loans_csv([loan(5)]), key="race")
    assert r.status_code == 200 and not r.json()["created"], r.text
    the_other_request_wins(intake.Checked, "write", loans_csv([loan(6)]), None)  # after the version count
    r = _post(tokens["SL-0001"], loans_csv([loan(7)]))
    assert r.status_code == 409 and r.json()["code"] == "concurrent_submission", r.text


def test_a_file_over_the_limit_is_refused_before_it_is_read_in_full(tokens, session, monkeypatch):
    monkeypatch.setattr(api, "MAX_BODY", 100)
    r = _post(tokens["SL-0001"], loans_csv([loan(i) for i in range(1, 4)]))
    assert r.status_code == 413 and r.json()["code"] == "too_large"

    def chunks():  # no Content-Length: the stream is cut as it passes the limit
        yield from (loans_csv([loan(1)]),) * 3

    r = web_client().post("/api/finreg/submissions/loans/2025-09", content=chunks(),
                          headers={"Authorization": f"Bearer {tokens['SL-0001']}"})
    assert r.status_code == 413 and session.scalar(select(Submission)) is None


@pytest.mark.parametrize(("content_type", "status"), [
    ("application/json", 415), ("application/x-www-form-urlencoded", 415), ("TEXT/CSV; charset=utf-8", 201),
    (None, 201)])
def test_the_content_type_decides_the_file_type(tokens, content_type, status):
    r = _post(tokens["SL-0001"], loans_csv([loan(1)]), content_type)
    assert r.status_code == status and (status != 415 or r.json()["code"] == "unsupported_media_type")


def test_what_an_institution_does_not_submit_is_not_found(tokens):
    auth = {"Authorization": f"Bearer {tokens['SL-0001']}"}
    r = web_client().get("/api/finreg/contracts/guarantees", headers=auth)  # a guarantee firm's dataset
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert _post(tokens["SL-0001"], b"x", path="guarantees/2025-09").json()["code"] == "dataset_not_for_kind"
    for bad in ("2025-13", "2025-9", "abcd-01", "+202-01", "0000-01"):
        assert _post(tokens["SL-0001"], loans_csv([loan(1)]), path=f"loans/{bad}").status_code == 422, bad


def test_an_unreadable_file_is_a_row_report_not_a_server_error(tokens, session):
    """Found by the fuzz: a Parquet text column that is not UTF-8, and a CSV cell past the csv module's limit,
    escaped intake's checks as exceptions (500)."""
    not_utf8 = _parquet([loan(1)], {"loan_id": b"\xff\xfe"})
    huge_cell = loans_csv([loan(1, purpose="x" * 200_000)])
    for body, content_type in ((not_utf8, api.PARQUET[0]), (huge_cell, "text/csv")):
        r = _post(tokens["SL-0001"], body, content_type)
        assert r.status_code == 422 and r.json()["errors"][0]["column"] == "file", r.text
    assert session.scalar(select(Submission)) is None


def test_a_submission_is_read_back_with_its_time_zone(tokens, stored):
    auth = {"Authorization": f"Bearer {tokens['SL-0001']}"}
    one = web_client().get(f"/api/finreg/submissions/{stored.id}", headers=auth).json()
    assert one["submitted_at"].endswith("+08:00") and one["institution_code"] == "SL-0001"
    listing = web_client().get("/api/finreg/submissions?dataset=loans&period=2025-08", headers=auth).json()
    assert listing == []
    assert web_client().get("/api/finreg/submissions?period=2025-09", headers=auth).json() == [one]
    assert web_client().get(f"/api/finreg/submissions/{2**63}", headers=auth).status_code == 422

