"""The plan demo builds through the services: mixed statuses, a revision after a published report (which
keeps its vintage), a value awaiting review, project updates and overdue milestones."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gzgov.core.auth import SYSTEM
from gzgov.plan import evaluations, projects, values
from gzgov.plan.demo import build_plan_demo, demo_data
from gzgov.plan.models import PlanEvaluation


def test_the_plan_demo(session):
    build_plan_demo("demo-password-1")
    session.expire_all()
    results = {r.indicator.code: r.evaluation for r in evaluations.live_results(session, SYSTEM)}
    assert {e.status.value for e in results.values()} >= {"achieved", "ahead", "on_track", "needs_acceleration",
                                                          "off_track", "regressing"}
    annual = session.scalar(select(PlanEvaluation).where(PlanEvaluation.kind == "annual", PlanEvaluation.year == 2022))
    frozen = {i["code"]: i for i in evaluations.frozen_results(annual)["indicators"]}
    assert frozen["DEPOSITS"]["actual"] == "8.0500"  # as published
    assert values.approved_values(session)["DEPOSITS"][2022] == values.parse_value("8.09")  # revised since
    assert [v.indicator_code for v in values.pending(session, SYSTEM)] == ["INSURERS"]
    premiums = [v for v in values.history(session, SYSTEM, "PREMIUMS") if v.year == 2022][0]
    assert "1540" in premiums.source and premiums.value == "1540"
    illustrative = values.history(session, SYSTEM, "LOANS")
    assert all(v.source == demo_data()["illustrative_source"] for v in illustrative)
    views = {v.project.number: v for v in projects.overview(session, SYSTEM, date(2026, 11, 28))}
    assert views[1].status == "completed" and views[6].status == "delayed" and len(views[6].overdue) == 1
