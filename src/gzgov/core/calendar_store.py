"""Administrator-loaded holiday schedules, stored and audited, and the calendar built from them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.models import WorkdayYear
from gzgov.core.workdays import WorkdayCalendar, YearSchedule, load_schedule_file


def load_year(session: Session, actor: Actor, path: Path) -> int:
    actor.require("calendar.load")
    sched = load_schedule_file(path)
    row = session.get(WorkdayYear, sched.year)
    before = None
    if row is None:
        row = WorkdayYear(year=sched.year)
        session.add(row)
    else:
        before = {"holidays": row.holidays, "workdays": row.workdays, "source": row.source}
    row.holidays = sorted(d.isoformat() for d in sched.holidays)
    row.workdays = sorted(d.isoformat() for d in sched.workdays)
    row.source, row.loaded_by = sched.source, actor.username
    session.flush()
    audit.record(session, actor.username, "calendar.load", "workday_year", sched.year, before=before,
                 after={"holidays": row.holidays, "workdays": row.workdays, "source": row.source},
                 reason=sched.source)
    return sched.year


def calendar(session: Session) -> WorkdayCalendar:
    loaded = [
        YearSchedule(r.year, frozenset(date.fromisoformat(d) for d in r.holidays),
                     frozenset(date.fromisoformat(d) for d in r.workdays), r.source)
        for r in session.scalars(select(WorkdayYear))
    ]
    return WorkdayCalendar(loaded)
