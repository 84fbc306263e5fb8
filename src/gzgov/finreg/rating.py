"""Tiered supervision (分级分类监管): each institution's score and class A/B/C/D for a period from the
documented model in data/finreg/rating.yaml — points deducted for the period's warnings by dimension,
governance checks, reporting timeliness, complaints — with every point explained and the supervision the class
implies. `record_period` keeps the result per institution and period (finreg_rating), so each institution has
a rating history that stays as it was rated when the model or the data change later."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError
from gzgov.finreg.models import Complaint, Institution, InstitutionRating, Party, RiskWarning
from gzgov.finreg.reporting import timeliness


@lru_cache(maxsize=1)
def model() -> dict:
    return yaml.safe_load((get_settings().data_dir / "finreg" / "rating.yaml").read_text(encoding="utf-8"))


@dataclass
class Part:
    dimension: str
    points: int  # the dimension's full points
    score: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class Rating:
    institution: str
    period: str
    score: int
    klass: str
    parts: list[Part]
    supervision: dict

    def as_json(self) -> dict:
        return {"institution": self.institution, "period": self.period, "class": self.klass, "score": self.score,
                "parts": {p.dimension: {"score": p.score, "of": p.points, "reasons": p.reasons} for p in self.parts},
                "supervision": self.supervision, "model": model()["version"]}


def _dimension_of(rule_id: str) -> str:
    for name, spec in model()["dimensions"].items():
        if isinstance(spec.get("rules"), list) and rule_id in spec["rules"]:
            return name
    return "compliance"


def _klass(score: int) -> str:
    return next(k for k, low in sorted(model()["classes"].items(), key=lambda kv: -kv[1]) if score >= low)


def _rule_parts(warnings: list[RiskWarning]) -> dict[str, Part]:
    dims = model()["dimensions"]
    parts = {n: Part(n, spec["points"], spec["points"]) for n, spec in dims.items() if "deduct" in spec and n not in ("reporting", "complaints")}
    for w in warnings:
        if w.rule_id.startswith("REPORT_"):
            continue
        part = parts[_dimension_of(w.rule_id)]
        cut = dims[part.dimension]["deduct"][w.level]
        part.score = max(0, part.score - cut)
        part.reasons.append(f"{w.rule_id} {w.level} −{cut}（{w.value} / {w.limit}）")
    return parts


def _governance(session: Session, inst: Institution) -> Part:
    spec = model()["dimensions"]["governance"]
    part = Part("governance", spec["points"], 0)
    checks = spec["checks"]
    if inst.chief_risk_officer:
        part.score += checks["chief_risk_officer"]["points"]
        part.reasons.append(f"{checks['chief_risk_officer']['zh']} +{checks['chief_risk_officer']['points']}")
    if session.scalar(select(func.count()).select_from(Party).where(Party.institution_id == inst.id,
                                                                   Party.role == "shareholder")):
        part.score += checks["shareholders"]["points"]
        part.reasons.append(f"{checks['shareholders']['zh']} +{checks['shareholders']['points']}")
    return part


def _period_bounds(period: str) -> tuple[date, date]:
    y, m = (int(x) for x in period.split("-"))
    first = date(y, m, 1)
    return first, (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1))


def _complaints(session: Session, inst: Institution, period: str, today: date) -> Part:
    """Complaints received in the period: substantiated ones, and ones still pending after 30 days."""
    spec = model()["dimensions"]["complaints"]
    part = Part("complaints", spec["points"], spec["points"])
    first, last = _period_bounds(period)
    for c in session.scalars(select(Complaint).where(Complaint.institution_id == inst.id,
                                                     Complaint.received_on.between(first, last))
                             .order_by(Complaint.received_on, Complaint.id)):
        if c.finding == "substantiated":
            key = "substantiated"
        elif c.finding == "pending" and (today - c.received_on).days > 30:
            key = "pending_over_30_days"
        else:
            continue
        cut = spec["deduct"][key]
        part.score = max(0, part.score - cut)
        part.reasons.append(f"#{c.id} {c.received_on.isoformat()} {key} −{cut}")
    return part


def rate_period(session: Session, actor: Actor, period: str, today: date) -> list[Rating]:
    """Every operating institution's rating for a period (from the warnings and submissions as they stand)."""
    actor.require("finreg.view")
    m = model()
    spec = m["dimensions"]["reporting"]
    by_inst: dict[str, list] = {}
    for t in timeliness(session, actor, period, today):
        by_inst.setdefault(t.institution, []).append(t)
    out = []
    for inst in session.scalars(select(Institution).where(Institution.status.in_(["operating", "restricted"]))
                                .order_by(Institution.code)):
        warnings = session.scalars(select(RiskWarning).where(RiskWarning.institution_id == inst.id,
                                                             RiskWarning.period == period)).all()
        parts = list(_rule_parts(warnings).values())
        parts.append(_governance(session, inst))
        rep = Part("reporting", spec["points"], spec["points"])
        for t in by_inst.get(inst.code, []):
            if t.status in spec["deduct"]:
                rep.score = max(0, rep.score - spec["deduct"][t.status])
                rep.reasons.append(f"{t.dataset} {t.status} −{spec['deduct'][t.status]}")
        parts.append(rep)
        parts.append(_complaints(session, inst, period, today))
        score = sum(p.score for p in parts)
        klass = _klass(score)
        out.append(Rating(inst.code, period, score, klass, parts, m["supervision"][klass]))
    return out


def record_period(session: Session, actor: Actor, period: str, today: date) -> dict[str, int]:
    """Rate every institution for the period and keep the result; a re-rating replaces the period's record
    and the change of class is audited. Returns how many institutions are in each class."""
    actor.require("finreg.rate")
    ratings = rate_period(session, actor, period, today)
    insts = dict(session.execute(select(Institution.code, Institution.id)).all())
    held = {r.institution_id: r for r in session.scalars(select(InstitutionRating)
                                                         .where(InstitutionRating.period == period))}
    counts = dict.fromkeys(model()["classes"], 0)
    version = model()["version"]
    for r in ratings:
        counts[r.klass] += 1
        parts = json.dumps(r.as_json()["parts"], ensure_ascii=False, sort_keys=True)
        row = held.get(insts[r.institution])
        if row is None:
            row = InstitutionRating(institution_id=insts[r.institution], period=period)
            session.add(row)
            before = None
        elif (row.score, row.klass, row.parts, row.model_version) == (r.score, r.klass, parts, version):
            continue
        else:
            before = {"class": row.klass, "score": row.score, "model": row.model_version}
        row.score, row.klass, row.parts, row.model_version = r.score, r.klass, parts, version
        row.as_of, row.rated_by = today, actor.username
        audit.record(session, actor.username, "finreg.rating.record", "finreg_rating",
                     f"{r.institution}/{period}", before=before,
                     after={"class": r.klass, "score": r.score, "model": version, "as_of": today.isoformat()})
    session.flush()
    return counts


def history(session: Session, inst: Institution) -> list[InstitutionRating]:
    """An institution's recorded ratings, oldest first."""
    return list(session.scalars(select(InstitutionRating).where(InstitutionRating.institution_id == inst.id)
                                .order_by(InstitutionRating.period)))


def recorded_periods(session: Session) -> list[str]:
    return list(session.scalars(select(InstitutionRating.period).distinct().order_by(InstitutionRating.period.desc())))


def check_period_text(period: str) -> str:
    try:
        y, m = period.split("-")
        if len(y) == 4 and len(m) == 2 and 1 <= int(m) <= 12:
            return period
    except ValueError:
        pass
    raise GzgovError("bad_period", f"报送期应为 YYYY-MM：{period}", f"The period must be YYYY-MM: {period}")
