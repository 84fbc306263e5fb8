"""Plan indicator values: entry by a responsible unit, review by the regulator, revisions that recompute
live statuses (audited) without touching a published evaluation, all-or-nothing import, the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gzgov.core.errors import GzgovError, PermissionDenied
from gzgov.core.models import AuditEntry
from gzgov.core.tabular import ImportRejected
from gzgov.plan import evaluations, values
from gzgov.plan.models import PlanValue
from tests.factories import csv_bytes
from tests.integration.test_cli import run
from tests.personas import AUDITOR, CONGHUA, EVALUATOR, NANSHA_GOV, OUTSIDER, REGULATOR


def enter_and_approve(session, code, year, value, source="广州统计年鉴"):
    v = values.enter_value(session, NANSHA_GOV, code, year, value, source)
    return values.approve_value(session, REGULATOR, v.id)


def test_a_value_counts_only_once_approved(session):
    v = values.enter_value(session, NANSHA_GOV, "FIN_VA_SHARE", 2022, "9.2", "市统计局", "初步核算")
    assert v.status == "submitted" and v.entered_unit == "南沙区政府"
    assert evaluations.live_status(session, "FIN_VA_SHARE") == "no_data"
    values.approve_value(session, REGULATOR, v.id, "与统计公报一致")
    assert evaluations.live_status(session, "FIN_VA_SHARE") == "ahead"  # P = 9.65, AP = 1.25


def test_who_may_enter_and_approve(session):
    with pytest.raises(PermissionDenied):
        values.enter_value(session, CONGHUA, "FIN_VA_SHARE", 2022, "9.2", "x")
    for outsider in (AUDITOR, EVALUATOR, OUTSIDER):
        with pytest.raises(PermissionDenied):
            values.enter_value(session, outsider, "FIN_VA_SHARE", 2022, "9.2", "x")
    v = values.enter_value(session, NANSHA_GOV, "FIN_VA_SHARE", 2022, "9.2", "x")
    with pytest.raises(PermissionDenied):
        values.approve_value(session, NANSHA_GOV, v.id)
    with pytest.raises(GzgovError) as err:
        values.reject_value(session, REGULATOR, v.id, "  ")
    assert err.value.code == "note_required"
    values.reject_value(session, REGULATOR, v.id, "口径不符，请按统计公报口径")
    assert evaluations.live_status(session, "FIN_VA_SHARE") == "no_data"


@pytest.mark.parametrize(("code", "year", "value", "error"), [
    ("NO_SUCH", 2022, "1", "unknown_indicator"),
    ("FIN_VA_SHARE", 2020, "9", "bad_year"),
    ("FIN_VA_SHARE", 2026, "9", "bad_year"),
    ("FIN_VA_SHARE", 2022, "九点二", "bad_value"),
    ("FIN_VA_SHARE", 2022, "-1", "bad_value"),
    ("FIN_VA_SHARE", 2022, "NaN", "bad_value"),
])
def test_bad_entries_are_refused_in_both_languages(session, code, year, value, error):
    with pytest.raises(GzgovError) as err:
        values.enter_value(session, NANSHA_GOV, code, year, value, "x")
    assert err.value.code == error and err.value.zh and err.value.en
    assert session.scalar(select(PlanValue)) is None


def test_a_revision_recomputes_the_live_status_but_not_a_published_evaluation(session):
    enter_and_approve(session, "INSURANCE_DEPTH", 2021, "6.01")  # > 6: achieved
    ev = evaluations.create_evaluation(session, REGULATOR, "annual", 2021)
    evaluations.publish(session, REGULATOR, ev.id)
    frozen = evaluations.frozen_results(ev)
    row = next(i for i in frozen["indicators"] if i["code"] == "INSURANCE_DEPTH")
    assert row["status"] == "achieved" and row["actual"] == "6.0100"

    revised = enter_and_approve(session, "INSURANCE_DEPTH", 2021, "5.9", "统计局修订")  # below the baseline 5.98
    assert revised.revision == 2
    assert evaluations.live_status(session, "INSURANCE_DEPTH") == "regressing"
    history = values.history(session, REGULATOR, "INSURANCE_DEPTH")
    assert [(h.revision, h.status) for h in history] == [(2, "approved"), (1, "superseded")]
    changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.status.recomputed")
                              .order_by(AuditEntry.seq)).all()
    assert [(e.before["status"], e.after["status"]) for e in changes] == [("no_data", "achieved"),
                                                                          ("achieved", "regressing")]
    session.refresh(ev)
    assert evaluations.frozen_results(ev) == frozen  # the published evaluation keeps its vintage
    with pytest.raises(GzgovError):
        evaluations.set_narrative(session, REGULATOR, ev.id, "summary", "改")


def test_one_pending_revision_at_a_time(session):
    values.enter_value(session, NANSHA_GOV, "LOANS", 2021, "6.03", "人民银行广州分行")
    with pytest.raises(GzgovError) as err:
        values.enter_value(session, NANSHA_GOV, "LOANS", 2021, "6.04", "人民银行广州分行")
    assert err.value.code == "pending_exists"


def values_file(rows):
    return csv_bytes([{"indicator_code": c, "year": y, "value": v, "source": s} for c, y, v, s in rows],
                     header=["indicator_code", "year", "value", "source"])


def test_import_is_all_or_nothing_with_a_row_report(session):
    bad = values_file([("DEPOSITS", "2021", "7.20", "人民银行广州分行"), ("DEPOSITS", "2021", "7.3", "重复"),
                       ("NOPE", "2022", "1", "x"), ("LOANS", "二〇二二", "1", "x"), ("LOANS", "2023", "abc", ""),
                       ])
    with pytest.raises(ImportRejected) as err:
        values.import_values(session, NANSHA_GOV, bad, "bad.csv")
    problems = {(e.row, e.column) for e in err.value.report.errors}
    assert problems == {(3, "indicator_code"), (4, "indicator_code"), (5, "year"), (6, "value"), (6, "source")}
    assert session.scalar(select(PlanValue)) is None


def test_import_with_approval_and_reimport_changes_nothing(session):
    data = values_file([("DEPOSITS", "2021", "7.20", "人民银行广州分行"), ("LOANS", "2021", "6.03", "人民银行广州分行")])
    with pytest.raises(PermissionDenied):
        values.import_values(session, NANSHA_GOV, data, "v.csv", approve=True)
    r = values.import_values(session, REGULATOR, data, "v.csv", approve=True)
    assert (r.entered, r.approved, r.unchanged) == (2, 2, 0)
    again = values.import_values(session, REGULATOR, data, "v.csv", approve=True)
    assert (again.entered, again.unchanged) == (0, 2)
    assert values.approved_values(session)["DEPOSITS"] == {2021: values.parse_value("7.20")}


def test_the_cli_interfaces(session, users, tmp_path):
    out = run("plan", "indicators", "--json")
    assert out.exit_code == 0, out.output
    inds = {i["code"]: i for i in json.loads(out.output)}
    assert len(inds) == 17
    assert inds["NATIONAL_PLATFORMS"]["target"] == {"comparator": "range", "low": "1", "high": "2"}
    assert inds["INSURANCE_DENSITY"]["target"] == {"comparator": ">", "value": "10000"}
    assert inds["FIN_VA_SHARE"]["baseline"] == "8.9" and inds["FIN_VA_SHARE"]["trajectory"] == "linear"

    f = tmp_path / "v.csv"
    f.write_bytes(values_file([("FIN_VA_SHARE", "2022", "9.2", "市统计局")]))
    assert run("plan", "values", "import", str(f), "--approve", user="nansha_gov").exit_code != 0
    assert run("plan", "values", "import", str(f), "--approve", user="regulator").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(values_file([("FIN_VA_SHARE", "2022", "x", "市统计局")]))
    refused = run("plan", "values", "import", str(bad), user="regulator")
    assert refused.exit_code != 0 and "value" in refused.output

    ev = json.loads(run("plan", "evaluate", "--year", "2022", "--json").output)
    share = next(i for i in ev if i["code"] == "FIN_VA_SHARE")
    assert share == {"code": "FIN_VA_SHARE", "year": 2022, "actual": "9.2000", "expected": "9.1400",
                     "projected": "9.6500", "anticipated_progress": "1.2500", "completion": "0.5000",
                     "time_elapsed": "0.4000", "status": "ahead", "values": {"2022": "9.2"}}
    other = tmp_path / "other.csv"
    other.write_bytes(values_file([("FIN_VA_SHARE", "2022", "9.0", "测算")]))
    what_if = json.loads(run("plan", "evaluate", "--year", "2022", "--values", str(other), "--json").output)
    assert next(i for i in what_if if i["code"] == "FIN_VA_SHARE")["status"] == "off_track"
    assert session.scalar(select(PlanValue).where(PlanValue.value == "9.0")) is None  # nothing stored

    projects = json.loads(run("plan", "projects", "--json").output)
    assert len(projects) == 40 and projects[0]["responsible_units"][0] == "市地方金融监管局"
    assert {p["status"] for p in projects} == {"not_started"}


def test_an_xlsx_file_imports_the_same_way(session):
    from gzgov.core.tabular import xlsx_bytes

    data = xlsx_bytes({"数据": (["indicator_code", "year", "value", "source", "district"],
                                [["LOANS", "2021", "6.08", "人民银行广州分行", ""],
                                 ["LOANS", "2021", "0.9", "南沙区金融工作局", "440115"]])})
    r = values.import_values(session, REGULATOR, data, "values.xlsx", approve=True)
    assert (r.entered, r.approved) == (2, 2)
    assert values.approved_values(session)["LOANS"] == {2021: values.parse_value("6.08")}
    assert values.approved_values(session, district_code="440115")["LOANS"] == {2021: values.parse_value("0.9")}
    bad = xlsx_bytes({"数据": (["indicator_code", "year", "value", "source"], [["LOANS", "2022", "", "x"]])})
    with pytest.raises(ImportRejected) as err:
        values.import_values(session, REGULATOR, bad, "bad.xlsx")
    assert [(e.row, e.column) for e in err.value.report.errors] == [(2, "value")]
