"""Tiered supervision (分级分类监管): each institution's score and class A/B/C/D for a period from the
documented model in data/finreg/rating.yaml — points deducted for the period's warnings by dimension,
governance checks, reporting timeliness — with every point explained and the supervision the class implies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core.auth import Actor
from gzgov.finreg.models import Institution, Party, RiskWarning
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
    parts = {n: Part(n, spec["points"], spec["points"]) for n, spec in dims.items() if "deduct" in spec and n != "reporting"}
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
        score = sum(p.score for p in parts)
        klass = _klass(score)
        out.append(Rating(inst.code, period, score, klass, parts, m["supervision"][klass]))
    return out
