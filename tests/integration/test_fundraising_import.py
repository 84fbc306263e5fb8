"""Enterprise data import for illegal-fundraising monitoring: registry, links and signals from CSV, XLSX and
JSON lines in one all-or-nothing batch with a row-level report; re-importing changes nothing; only the city
regulator imports."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from gzgov.core.audit import AuditEntry
from gzgov.core.errors import PermissionDenied
from gzgov.core.identity import make_credit_code, make_id_card
from gzgov.core.tabular import ImportRejected, xlsx_bytes
from gzgov.finreg import enterprises as ent
from gzgov.finreg.models import Enterprise, EnterpriseLink, EnterprisePerson, Signal
from tests.factories import csv_bytes
from tests.personas import INSTITUTION, SUPERVISOR, TIANHE_SUP

TODAY = date(2025, 10, 1)
E_HEADER = ["credit_code", "name", "scope", "registered_capital_yuan", "paid_in_capital_yuan", "established", "address",
            "phone", "legal_rep", "industry", "financial_licence", "status"]
L_HEADER = ["kind", "company", "person_name", "person_id", "other_company", "share_percent", "position", "since"]


def code(n: int, district: str = "440106") -> str:
    return make_credit_code(district, f"E{n:07d}")


def pid(n: int) -> str:
    return make_id_card("440106", date(1975, 1, 1 + n % 28), n % 1000, female=bool(n % 2))


def company(n: int, **kw) -> dict[str, str]:
    row = {"credit_code": code(n), "name": f"广州某某财富管理有限公司{n}", "scope": "投资咨询；企业管理咨询",
           "registered_capital_yuan": "10000000", "paid_in_capital_yuan": "0", "established": "2024-03-01",
           "address": "广州市天河区珠江新城某路1号", "phone": "020-38880000", "legal_rep": "张三", "industry": "商务服务业",
           "financial_licence": "", "status": "active"}
    return row | kw


def link(kind: str, n: int, person: int | None = None, other: int | None = None, **kw) -> dict[str, str]:
    row = {"kind": kind, "company": code(n), "person_name": f"人员{person}" if person else "",
           "person_id": pid(person) if person else "", "other_company": code(other) if other else "",
           "share_percent": "", "position": "", "since": ""}
    return row | kw


def jsonl(records: list[dict]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def batch() -> list[tuple[str, bytes]]:
    companies = csv_bytes([company(1), company(2, name="广州某某养老服务有限公司", address="广州市天河区体育西路2号",
                                               phone="020-38882222"), company(3, paid_in_capital_yuan="")],
                          header=E_HEADER)
    links = xlsx_bytes({"links": (L_HEADER, ([r[k] for k in L_HEADER] for r in [
        link("legal_rep", 1, person=7), link("shareholder", 1, person=7, share_percent="60"),
        link("shareholder", 2, person=7, share_percent="30"), link("branch", 3, other=1),
        link("shareholder", 3, other=1, share_percent="100")]))})
    signals = jsonl([{"record": "signal", "company": code(1), "kind": "advert", "date": "2025-09-01",
                      "text": "年化收益18%，保本保息", "source": "某网站"},
                     {"record": "signal", "company": code(2), "kind": "complaint", "date": "2025-09-12",
                      "text": "推销养老项目，承诺月息2分", "source": "12345"}])
    return [("enterprises.csv", companies), ("links.xlsx", links), ("signals.jsonl", signals)]


def counts(s) -> tuple[int, ...]:
    return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Enterprise, EnterprisePerson, EnterpriseLink, Signal))


def test_a_batch_of_registry_links_and_signals_is_imported_once(session):
    r = ent.import_files(session, SUPERVISOR, batch(), TODAY)
    assert (r.enterprises_new, r.persons_new, r.links_new, r.signals_new) == (3, 1, 5, 2)
    assert counts(session) == (3, 1, 5, 2)
    e1 = session.scalar(select(Enterprise).where(Enterprise.credit_code == code(1)))
    assert (e1.district_code, e1.registered_capital_fen, e1.paid_in_capital_fen) == ("440106", 1_000_000_000, 0)
    e3 = session.scalar(select(Enterprise).where(Enterprise.credit_code == code(3)))
    assert e3.paid_in_capital_fen is None  # not given is not zero
    person = session.scalar(select(EnterprisePerson))
    assert pid(7) not in person.id_enc and person.id_masked.startswith("4401") and "*" in person.id_masked
    n = session.scalar(select(func.count()).select_from(AuditEntry))
    again = ent.import_files(session, SUPERVISOR, batch(), TODAY)
    assert (again.enterprises_new, again.enterprises_updated, again.persons_new, again.links_new, again.signals_new) == (
        0, 0, 0, 0, 0)
    assert counts(session) == (3, 1, 5, 2) and session.scalar(select(func.count()).select_from(AuditEntry)) == n
    changed = csv_bytes([company(1, paid_in_capital_yuan="2000000")], header=E_HEADER)
    assert ent.import_files(session, SUPERVISOR, [("e.csv", changed)], TODAY).enterprises_updated == 1


@pytest.mark.parametrize("row,column", [
    (company(4, credit_code="91440106E0000049X"), "credit_code"),
    (company(4, registered_capital_yuan="十万"), "registered_capital_yuan"),
    (company(4, registered_capital_yuan="100.001"), "registered_capital_yuan"),
    (company(4, established="2025-02-30"), "established"),
    (company(4, established="2026-01-01"), "established"),
    (company(4, status="closed"), "status"),
    (company(4, name=""), "name"),
])
def test_a_bad_company_row_rejects_the_whole_batch(session, row, column):
    files = batch()
    files[0] = ("enterprises.csv", csv_bytes([company(1), row], header=E_HEADER))
    with pytest.raises(ImportRejected) as e:
        ent.import_files(session, SUPERVISOR, files, TODAY)
    [err] = e.value.report.errors
    assert (err.row, err.column) == (3, column) and err.zh and err.en
    assert counts(session) == (0, 0, 0, 0)


@pytest.mark.parametrize("row,column", [
    (link("partner", 1, person=8), "kind"),
    (link("officer", 1, person=8, person_id="440106197501010000"), "person_id"),
    (link("officer", 1, person=8, person_name=""), "person_name"),
    (link("officer", 1, person=7, person_name="别名"), "person_name"),  # the same ID under another name
    (link("officer", 1), "person_id"),  # neither a person nor a company
    (link("officer", 1, other=2), "kind"),  # an officer is a person
    (link("shareholder", 1, person=8, share_percent="120"), "share_percent"),
    (link("shareholder", 9, person=8), "company"),  # company 9 is in neither the database nor the batch
])
def test_a_bad_link_rejects_the_whole_batch(session, row, column):
    files = batch()
    files[1] = ("links.csv", csv_bytes([link("legal_rep", 1, person=7), row], header=L_HEADER))
    with pytest.raises(ImportRejected) as e:
        ent.import_files(session, SUPERVISOR, files, TODAY)
    assert [(x.row, x.column) for x in e.value.report.errors] == [(3, column)]
    assert counts(session) == (0, 0, 0, 0)


def test_bad_signals_and_files_are_reported_by_line(session):
    files = batch()
    files[2] = ("signals.jsonl", jsonl([
        {"record": "signal", "company": code(1), "kind": "rumour", "date": "2025-09-01", "text": "x"},
        {"record": "signal", "company": code(1), "kind": "news", "date": "2025-10-02", "text": "x"},  # after today
        {"record": "signal", "company": code(1), "kind": "news", "date": "2025-09-01", "text": ""},
        {"record": "memo", "company": code(1)},
        {"record": "signal", "company": code(1), "kind": "news", "date": "2025-09-01", "text": "x", "mood": "bad"},
    ]) + b"\n{not json")
    with pytest.raises(ImportRejected) as e:
        ent.import_files(session, SUPERVISOR, files, TODAY)
    assert [(x.row, x.column) for x in e.value.report.errors] == [
        (1, "kind"), (2, "date"), (3, "text"), (4, "record"), (5, "mood"), (6, "json")]
    assert counts(session) == (0, 0, 0, 0)
    with pytest.raises(ImportRejected) as e:
        ent.import_files(session, SUPERVISOR, [("notes.txt", b"x")], TODAY)
    assert e.value.report.errors[0].column == "file"
    with pytest.raises(ImportRejected) as e:
        ent.import_files(session, SUPERVISOR, [("what.csv", b"a,b\n1,2\n")], TODAY)
    assert "header" in e.value.report.errors[0].en


def test_only_the_regulator_imports(session):
    for who in (TIANHE_SUP, INSTITUTION):
        with pytest.raises(PermissionDenied):
            ent.import_files(session, who, batch(), TODAY)
    assert counts(session) == (0, 0, 0, 0)


def test_the_district_comes_from_the_credit_code():
    assert ent.district_of(make_credit_code("440115", "A0000001")) == "440115"
    assert ent.district_of(make_credit_code("440100", "A0000001")) == ent.CITY
    assert ent.district_of(make_credit_code("110105", "A0000001")) == ent.CITY


def test_the_import_command_is_all_or_nothing(session, users, tmp_path):
    from tests.integration.test_cli import run

    paths = []
    for name, data in batch():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([company(5, registered_capital_yuan="-1")], header=E_HEADER))
    res = run("finreg", "enterprises", "import", *paths, str(bad), user="supervisor")
    assert res.exit_code == 2 and "registered_capital_yuan" in res.output
    session.expire_all()
    assert counts(session) == (0, 0, 0, 0)
    assert run("finreg", "enterprises", "import", *paths, user="tianhe_sup").exit_code != 0
    res = run("finreg", "enterprises", "import", *paths, "--json", user="supervisor")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["enterprises_new"] == 3
