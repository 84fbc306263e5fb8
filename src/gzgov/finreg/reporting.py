"""The reporting calendar (报送日历): each dataset of a month is due on the Nth official working day after the
month ends (data/finreg/reporting.yaml, local policy); a dataset submitted after its due date, or not at all
once the due date has passed, raises its own warning through the same closed loop as rule breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core.auth import Actor
from gzgov.core.calendar_store import calendar
from gzgov.finreg.cases import Breach, raise_warning
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.intake import _period
from gzgov.finreg.models import Institution, Submission


@lru_cache(maxsize=1)
def reporting_rules() -> dict:
    return yaml.safe_load((get_settings().data_dir / "finreg" / "reporting.yaml").read_text(encoding="utf-8"))


def due_date(session: Session, period: str, dataset: str) -> date:
    """The Nth working day after the period's month (the 1st of the next month counts if it is a working day)."""
    y, m = (int(x) for x in _period(period).split("-"))
    first = date(y + m // 12, m % 12 + 1, 1)
    return calendar(session).add_working_days(first, int(reporting_rules()["due_working_days"][dataset]))


@dataclass(frozen=True)
class Timeliness:
    institution: str
    dataset: str
    period: str
    due: date
    status: str  # on_time | late | missing | not_due
    submitted: date | None


def timeliness(session: Session, actor: Actor, period: str, today: date) -> list[Timeliness]:
    """Every operating institution's datasets of a period against their due dates."""
    actor.require("finreg.view")
    datasets = [d for d in load_datasets().values() if d.name in reporting_rules()["due_working_days"]]
    first = {(i, d): at for i, d, at in session.execute(select(
        Submission.institution_id, Submission.dataset, func.min(Submission.submitted_at)).where(
        Submission.period == period).group_by(Submission.institution_id, Submission.dataset))}
    dues = {ds.name: due_date(session, period, ds.name) for ds in datasets}  # the same for every institution
    out = []
    for inst in session.scalars(select(Institution).where(Institution.status.in_(["operating", "restricted"]))
                                .order_by(Institution.code)):
        for ds in datasets:
            if not ds.for_kind(inst.kind):
                continue
            due = dues[ds.name]
            at = first.get((inst.id, ds.name))
            submitted = at.date() if at else None
            status = ("on_time" if submitted and submitted <= due else "late" if submitted else
                      "missing" if today > due else "not_due")
            out.append(Timeliness(inst.code, ds.name, period, due, status, submitted))
    return out


def raise_reporting_warnings(session: Session, actor: Actor, period: str, today: date,
                             institution_codes: set[str] | None = None) -> int:
    """A warning for every late or missing submission (one per institution, period and kind of fault), of
    every institution or of those named."""
    rules = reporting_rules()
    n = 0
    for t in timeliness(session, actor, period, today):
        if t.status not in ("late", "missing") or (institution_codes is not None and t.institution not in
                                                    institution_codes):
            continue
        spec = rules["warnings"][t.status]
        days = (t.submitted or today) - t.due
        _w, created = raise_warning(session, actor, Breach(
            t.institution, spec["rule_id"], period, spec["level"], Decimal(days.days), Decimal(0), rules["basis"],
            {"dataset": t.dataset, "due": t.due, "submitted": t.submitted, "days_late": days.days}))
        n += created
    return n
