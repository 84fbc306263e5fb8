"""Plan monitoring demo (part of `gzgov demo`): users, values 2021–2024 entered by units and approved by
the regulator (illustrative unless a public source is named, see data/plan/demo.yaml), a revision after a
published report, a value awaiting review, project updates, milestones and evaluations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from gzgov.config import get_settings
from gzgov.core.auth import SYSTEM, Role, actor_for_username, create_user
from gzgov.core.db import session_scope
from gzgov.plan import evaluations, projects, values


def demo_data(path: Path | None = None) -> dict:
    return yaml.safe_load((path or get_settings().data_dir / "plan" / "demo.yaml").read_text(encoding="utf-8"))


def plan_users(data: dict) -> list[tuple[str, Role, str, str]]:
    return [(u["username"], Role(u["role"]), u["name"], u.get("unit", "")) for u in data["users"]]


def build_plan_demo(password: str) -> None:
    data = demo_data()
    with session_scope() as s:
        for username, role, name, unit in plan_users(data):
            create_user(s, SYSTEM, username, password, role, name, unit=unit)
    published = {(p["indicator"], p["year"]): p["source"] for p in data["published"]}
    with session_scope() as s:
        regulator = actor_for_username(s, "regulator")
        for year in (2021, 2022):
            _enter_year(s, data, year, published, regulator)
    _evaluation(data["evaluations"][0])  # annual 2022, published before the revision below
    with session_scope() as s:
        regulator = actor_for_username(s, "regulator")
        for r in data["revisions"]:
            v = values.enter_value(s, actor_for_username(s, "fin_center"), r["indicator"], r["year"], r["value"],
                                   r["source"], r.get("note", ""))
            values.approve_value(s, regulator, v.id, "修订核实")
        for year in (2023, 2024):
            _enter_year(s, data, year, published, regulator)
        for p in data["pending"]:
            values.enter_value(s, actor_for_username(s, p["entered_by"]), p["indicator"], p["year"], p["value"],
                               p["source"])
        for number, status, as_of, evidence, who in data["projects"]:
            projects.update_status(s, actor_for_username(s, who), number, status, date.fromisoformat(as_of), evidence)
        for number, title, start, days in data["milestones"]:
            projects.add_milestone(s, regulator, number, title, start=date.fromisoformat(start), working_days=days,
                                   basis="规划第十五章“做实重点项目推进”（示意）")
    for ev in data["evaluations"][1:]:
        _evaluation(ev)


def _enter_year(s, data: dict, year: int, published: dict, regulator) -> None:
    unit = actor_for_username(s, "fin_center")
    for code, by_year in data["values"].items():
        if year in by_year:
            source = published.get((code, year), data["illustrative_source"])
            v = values.enter_value(s, unit, code, year, by_year[year], source)
            values.approve_value(s, regulator, v.id, "审核通过")


def _evaluation(spec: dict) -> None:
    with session_scope() as s:
        regulator = actor_for_username(s, "regulator")
        ev = evaluations.create_evaluation(s, regulator, spec["kind"], spec["year"])
        for section, text in spec.get("narrative", {}).items():
            evaluations.set_narrative(s, regulator, ev.id, section, text)
        if spec.get("finding"):
            evaluations.add_finding(s, actor_for_username(s, "evaluator"), ev.id, spec["finding"])
        if spec.get("publish"):
            evaluations.publish(s, regulator, ev.id)
