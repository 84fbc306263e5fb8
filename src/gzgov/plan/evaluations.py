"""Evaluations of the plan (规划实施监测评估): live statuses from the approved values, and the annual
monitoring reports, mid-term (2023) and final (2025) evaluations, which are frozen when published.

A published evaluation keeps the results of its data vintage; a later revision of a value changes the
live statuses (with an audit entry, see values.approve_value) but never a published evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.plan.evaluation import BASE_YEAR, HORIZON, Evaluation, Status, TargetSpec, evaluate, fmt4
from gzgov.plan.models import PlanEvaluation, PlanFinding, PlanNarrative
from gzgov.plan.reference import Indicator, default_reference
from gzgov.plan.values import approved_values, newest_approved_id

KINDS = {"annual": ("年度监测分析报告", "Annual monitoring report"),
         "midterm": ("中期评估报告", "Mid-term evaluation"),
         "final": ("总结评估报告", "Final evaluation")}
KIND_YEARS = {"midterm": 2023, "final": 2025}  # the plan's own reviews (ch15 §2)
NARRATIVE_SECTIONS = ("summary", "indicators", "projects", "districts", "next_steps")
BASIS = "plan ch15 §2"


def target_spec(ind: Indicator) -> TargetSpec:
    t = ind.target
    return TargetSpec(t.comparator, t.value, t.low, t.high)


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    evaluation: Evaluation
    values: dict[int, Decimal]  # every approved year used (the trajectory chart's actuals)

    def as_json(self) -> dict:
        e = self.evaluation
        return {"code": self.indicator.code, "year": e.year, "actual": fmt4(e.actual), "expected": fmt4(e.expected),
                "projected": fmt4(e.projected), "anticipated_progress": fmt4(e.anticipated_progress),
                "completion": fmt4(e.completion), "time_elapsed": fmt4(e.time_elapsed), "status": e.status.value,
                "values": {str(y): str(v) for y, v in sorted(self.values.items())}}


def evaluate_values(values: dict[str, dict[int, Decimal]], year: int) -> list[IndicatorResult]:
    """Every indicator evaluated from its latest value up to `year` (pure, in the document's order)."""
    out = []
    for ind in default_reference().indicators:
        own = {y: v for y, v in values.get(ind.code, {}).items() if y <= year}
        latest = max(own) if own else None
        e = evaluate(ind.baseline.value, target_spec(ind), ind.trajectory, own.get(latest), latest)
        out.append(IndicatorResult(ind, e, own))
    return out


def live_results(session: Session, actor: Actor, year: int = BASE_YEAR + HORIZON) -> list[IndicatorResult]:
    """Statuses from the approved values in force, as of `year`."""
    actor.require("plan.public")
    return evaluate_values(approved_values(session, year), year)


def live_status(session: Session, code: str) -> str:
    values = approved_values(session)
    ind = default_reference().indicator(code)
    own = values.get(code, {})
    latest = max(own) if own else None
    return evaluate(ind.baseline.value, target_spec(ind), ind.trajectory, own.get(latest), latest).status.value


def results_json(results: list[IndicatorResult], year: int) -> dict:
    return {"year": year, "method": "gzgov.plan.evaluation", "basis": BASIS,
            "indicators": [r.as_json() for r in results],
            "summary": {s.value: sum(r.evaluation.status == s for r in results) for s in Status}}


# ------------------------------------------------------------------ frozen evaluations

def _get(session: Session, evaluation_id: int) -> PlanEvaluation:
    ev = session.get(PlanEvaluation, evaluation_id)
    if ev is None:
        raise NotFound("评估", "Evaluation", evaluation_id)
    return ev


def create_evaluation(session: Session, actor: Actor, kind: str, year: int) -> PlanEvaluation:
    """Start an annual report, the mid-term or the final evaluation (a draft, evaluated live until published)."""
    actor.require("plan.evaluate")
    if kind not in KINDS:
        raise GzgovError("bad_kind", "评估类型须为年度、中期或总结", "The kind is annual, midterm or final")
    if kind in KIND_YEARS and year != KIND_YEARS[kind]:
        raise GzgovError("bad_year", f"{KINDS[kind][0]}的年度为 {KIND_YEARS[kind]}",
                         f"The {KINDS[kind][1].lower()} is for {KIND_YEARS[kind]}")
    if not BASE_YEAR < year <= BASE_YEAR + HORIZON:
        raise GzgovError("bad_year", f"年度须在 2021—2025 之间：{year}", f"The year must be 2021–2025: {year}")
    if session.scalar(select(PlanEvaluation).where(PlanEvaluation.kind == kind, PlanEvaluation.year == year)):
        raise GzgovError("evaluation_exists", f"{year} 年{KINDS[kind][0]}已存在", f"The {year} {KINDS[kind][1]} exists")
    ev = PlanEvaluation(kind=kind, year=year, status="draft", created_by=actor.username)
    session.add(ev)
    session.flush()
    audit.record(session, actor.username, "plan.evaluation.create", "plan_evaluation", ev.id,
                 after={"kind": kind, "year": year})
    return ev


def set_narrative(session: Session, actor: Actor, evaluation_id: int, section: str, text_zh: str,
                  text_en: str = "") -> PlanNarrative:
    actor.require("plan.evaluate")
    ev = _get(session, evaluation_id)
    if ev.status == "published":
        raise GzgovError("published", "已发布的评估不能修改", "A published evaluation cannot be changed")
    if section not in NARRATIVE_SECTIONS:
        raise GzgovError("bad_section", f"没有这一部分：{section}", f"No such section: {section}")
    row = session.scalar(select(PlanNarrative).where(PlanNarrative.evaluation_id == ev.id,
                                                     PlanNarrative.section == section))
    before = {"zh": row.text_zh, "en": row.text_en} if row else None
    if row is None:
        row = PlanNarrative(evaluation_id=ev.id, section=section, updated_by=actor.username)
        session.add(row)
    row.text_zh, row.text_en, row.updated_by, row.updated_at = text_zh.strip(), text_en.strip(), actor.username, now()
    session.flush()
    audit.record(session, actor.username, "plan.narrative", "plan_evaluation", f"{ev.id}/{section}",
                 before=before, after={"zh": row.text_zh, "en": row.text_en})
    return row


def publish(session: Session, actor: Actor, evaluation_id: int) -> PlanEvaluation:
    """Freeze the evaluation on the approved values of this moment (its data vintage) and publish it."""
    actor.require("plan.evaluate")
    ev = _get(session, evaluation_id)
    if ev.status == "published":
        raise GzgovError("published", "该评估已发布", "The evaluation is already published")
    results = evaluate_values(approved_values(session, ev.year), ev.year)
    ev.results = json.dumps(results_json(results, ev.year), ensure_ascii=False, sort_keys=True)
    ev.vintage_at, ev.vintage_value_id = now(), newest_approved_id(session)
    ev.status, ev.published_by, ev.published_at = "published", actor.username, now()
    session.flush()
    audit.record(session, actor.username, "plan.evaluation.publish", "plan_evaluation", ev.id,
                 after={"kind": ev.kind, "year": ev.year, "vintage_value_id": ev.vintage_value_id,
                        "summary": json.loads(ev.results)["summary"]})
    return ev


def frozen_results(ev: PlanEvaluation) -> dict | None:
    return json.loads(ev.results) if ev.status == "published" else None


def add_finding(session: Session, actor: Actor, evaluation_id: int, text: str, organisation: str = "",
                attachment_id: int | None = None) -> PlanFinding:
    """A third-party evaluator's finding on an evaluation (its text, and an attached report)."""
    actor.require("plan.findings")
    ev = _get(session, evaluation_id)
    if not text.strip():
        raise GzgovError("text_required", "请填写评估意见", "Write the finding")
    f = PlanFinding(evaluation_id=ev.id, author=actor.username, organisation=organisation.strip() or actor.display_name,
                    text=text.strip(), attachment_id=attachment_id)
    session.add(f)
    session.flush()
    audit.record(session, actor.username, "plan.finding", "plan_evaluation", ev.id,
                 after={"finding": f.id, "attachment": attachment_id})
    return f


def evaluations(session: Session, actor: Actor, published_only: bool = False) -> list[PlanEvaluation]:
    actor.require("plan.public" if published_only else "plan.view")
    q = select(PlanEvaluation).order_by(PlanEvaluation.year.desc(), PlanEvaluation.kind)
    if published_only:
        q = q.where(PlanEvaluation.status == "published")
    return list(session.scalars(q))
