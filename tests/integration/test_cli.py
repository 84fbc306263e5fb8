"""The stable command-line interfaces other tools rely on."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gzgov.cli import app
from gzgov.forest.models import Parcel
from tests.factories import csv_bytes, document_registry, parcel_row

runner = CliRunner()


def run(*args, user=None):
    env = {"GZGOV_USER": user} if user else {}
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def doc_file(tmp_path):
    p = tmp_path / "registry.csv"
    p.write_bytes(csv_bytes(document_registry()))
    return p


def test_standards_json_gives_rates_and_their_basis():
    res = run("forest", "standards", "--year", "2021", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["compensation"]["I"] == "159.00" and data["management"]["northern_mountain"] == "25.00"
    assert data["compensation"]["basis"]["clause"] == "forest §4(1)3"
    assert "159" in data["compensation"]["basis"]["quote"]


def test_standards_for_a_year_without_one_is_refused_in_both_languages():
    res = run("forest", "standards", "--year", "2030", "--json")
    assert res.exit_code == 1
    assert "2030" in res.output and "no approved" in res.output


def test_import_then_compute_reproduces_the_document(doc_file):
    assert run("forest", "import", str(doc_file)).exit_code == 0
    res = run("forest", "compute", "--year", "2021", "--json")
    data = json.loads(res.output)
    assert data["total"] == "373427200.00"
    assert data["compensation"]["III"] == {"area_mu": "644800", "rate": "85.00", "amount": "54808000.00"}
    assert data["management"]["state_forest_farm"]["amount"] == "21168000.00"
    assert set(data["by_district"]) == {"440117", "440112", "440118", "440114"}


def test_a_bad_file_exits_non_zero_with_the_report_and_writes_nothing(tmp_path, session):
    p = tmp_path / "bad.csv"
    p.write_bytes(csv_bytes([parcel_row(1), parcel_row(2, grade="V")]))
    res = run("forest", "import", str(p))
    assert res.exit_code == 2
    assert "第 3 行 [grade]" in res.output and "row 3 [grade]" in res.output
    assert session.scalar(select(func.count()).select_from(Parcel)) == 0


def test_a_district_user_on_the_cli_is_bound_to_their_district(doc_file, users):
    res = run("forest", "import", str(doc_file), user="huadu")
    assert res.exit_code == 2 and "4 error(s)" in res.output and "无权修改从化区的登记" in res.output


@pytest.mark.parametrize(("start", "end"), [
    # National Day 2021: Oct 1–7 off, Sat Oct 9 worked. Sep 27–30 (1–4), Oct 8 (5), Oct 9 (6),
    # Oct 11–15 (7–11), Oct 18–21 (12–15)
    ("2021-09-27", "2021-10-21"),
    # Spring Festival 2021: Feb 11–17 off, Sat Feb 20 worked. Feb 8–10 (1–3), Feb 18–19 (4–5),
    # Feb 20 (6), Feb 22–26 (7–11), Mar 1–4 (12–15)
    ("2021-02-08", "2021-03-04"),
    # a holiday start counts from the next working day: Oct 8 (1), Oct 9 (2), Oct 11–15 (3–7),
    # Oct 18–22 (8–12), Oct 25–27 (13–15)
    ("2021-10-01", "2021-10-27"),
])
def test_publicity_end_counts_official_working_days(start, end):
    res = run("forest", "publicity-end", "--start", start, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"start": start, "working_days": 15, "end": end}


def test_publicity_end_refuses_an_unknown_year_and_says_how_to_load_it():
    res = run("forest", "publicity-end", "--start", "2031-03-02", "--json")
    assert res.exit_code == 1
    assert "gzgov calendar load" in res.output


def test_a_loaded_schedule_makes_the_year_known_and_is_audited(tmp_path):
    f = tmp_path / "2031.yaml"
    f.write_text('year: 2031\nsource: "国务院办公厅通知（测试）"\nholidays:\n  - 2031-03-03..2031-03-04\nworkdays: []\n',
                 encoding="utf-8")
    assert run("calendar", "load", str(f)).exit_code == 0
    res = run("forest", "publicity-end", "--start", "2031-03-03", "--working-days", "3", "--json")
    assert json.loads(res.output)["end"] == "2031-03-07"
    assert run("audit", "verify").exit_code == 0


def test_audit_verify_is_refused_to_a_district_officer(users):
    res = run("audit", "verify", user="conghua")
    assert res.exit_code == 1 and "audit.verify" in res.output
