"""Read models of the cycle pages: a district's whole year on one page, its lines, villages and
objections, the public publicity lists. Each function checks the reader's permission itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.paging import Pager, like_pattern
from gzgov.forest.choices import CycleState, DistrictState, Grade, LineStatus
from gzgov.forest.cycle import (
    area_mismatch,
    cycle_rules,
    get_district_cycle,
    registry_areas,
    today_shanghai,
    verified_areas,
)
from gzgov.forest.models import (
    Cycle,
    DistrictCycle,
    EntitlementLine,
    Objection,
    ObjectionLine,
    Payee,
    PaymentBatch,
    VillagePublicity,
)
from gzgov.forest.payments import reconciliation


@dataclass(frozen=True)
class Step:
    """One step of a district's cycle as the page shows it: done, current or to come."""

    state: DistrictState
    status: str  # done | current | todo


def steps(dc: DistrictCycle) -> list[Step]:
    order = list(DistrictState)
    here = order.index(DistrictState(dc.state))
    return [Step(s, "done" if i < here else "current" if i == here else "todo") for i, s in enumerate(order)]


def _actions(actor: Actor, c: Cycle, dc: DistrictCycle, publicity: dict, lines: dict[str, dict],
             rec: dict | None) -> dict[str, bool]:
    """Which forms the page offers this reader now (the services check again when they are posted)."""
    code, st = dc.district_code, DistrictState(dc.state)
    open_cycle = CycleState(c.state) != CycleState.closed
    bureau_done = (dc.forestry_approved_by if actor.can("forest.approve.forestry", code)
                   else dc.finance_approved_by if actor.can("forest.approve.finance", code) else "x")
    waiting = publicity["villages"] - publicity["posted"]
    payable = sum(lines.get(s, {}).get("n", 0) for s in (LineStatus.posted.value, LineStatus.failed.value))
    return {
        "verify": open_cycle and actor.can("forest.area.verify", code)
        and st in (DistrictState.verifying, DistrictState.verified, DistrictState.computed),
        "compute": open_cycle and actor.can("forest.compute", code) and st in (DistrictState.verified, DistrictState.computed),
        "post": actor.can("forest.publicity.manage", code) and st in (DistrictState.computed, DistrictState.publicity)
        and waiting > 0,
        "object": actor.can("forest.objection.manage", code) and st == DistrictState.publicity,
        "manage_objections": actor.can("forest.objection.manage", code),
        "approve": not bureau_done and st == DistrictState.publicity,
        "review": actor.can("forest.city.review") and st == DistrictState.approved,
        "pay": actor.can("forest.disburse", code) and CycleState(c.state) == CycleState.budgeted
        and st in (DistrictState.reviewed, DistrictState.reconciled) and payable > 0,
        "download": actor.can("forest.disburse", code),
        "bank_result": actor.can("forest.reconcile", code),
        "reconcile": actor.can("forest.reconcile", code) and st == DistrictState.reviewed
        and CycleState(c.state) == CycleState.budgeted and bool(rec and rec["complete"]),
    }


def district_page(session: Session, actor: Actor, year: int, district_code: str, today: date | None = None) -> dict:
    """Everything a district's cycle page shows: state, areas, lines by status, publicity, objections,
    batches, reconciliation by budget source, and which actions this reader may take now."""
    actor.require("forest.view", district_code)
    today = today or today_shanghai()
    c, dc = get_district_cycle(session, year, district_code)
    registry = registry_areas(session, district_code)
    verified = verified_areas(dc) if dc.verified_at else None
    L = EntitlementLine
    lines = {st: {"n": int(n), "fen": int(fen or 0)} for st, n, fen in session.execute(
        select(L.status, func.count(), func.sum(L.amount_fen)).where(L.cycle_id == c.id, L.district_code == district_code)
        .group_by(L.status))}
    n_villages = session.scalar(select(func.count()).select_from(
        select(L.town, L.village).where(L.cycle_id == c.id, L.district_code == district_code).distinct().subquery())) or 0
    P = VillagePublicity
    posted, ended, first, last = session.execute(
        select(func.count(), func.sum(case((P.end_date < today, 1), else_=0)), func.min(P.start_date),
               func.max(P.end_date)).where(P.cycle_id == c.id, P.district_code == district_code)).one()
    publicity = {"villages": int(n_villages), "posted": int(posted or 0), "ended": int(ended or 0), "first": first,
                 "last": last, "working_days": int(cycle_rules()["publicity"]["min_working_days"]),
                 "basis": cycle_rules()["publicity"]["basis"]}
    held = dict(session.execute(select(ObjectionLine.objection_id, func.count()).join(
        Objection, Objection.id == ObjectionLine.objection_id).where(
        Objection.cycle_id == c.id, Objection.district_code == district_code).group_by(ObjectionLine.objection_id)).all())
    objections = session.scalars(select(Objection).where(Objection.cycle_id == c.id, Objection.district_code == district_code)
                                 .order_by(Objection.id.desc())).all()
    batches = session.scalars(select(PaymentBatch).where(PaymentBatch.cycle_id == c.id,
                                                         PaymentBatch.district_code == district_code)
                              .order_by(PaymentBatch.number.desc())).all()
    rec = reconciliation(session, actor, year, district_code).get(district_code)
    return {
        "year": year, "cycle": c, "dc": dc, "cycle_state": CycleState(c.state), "state": DistrictState(dc.state),
        "steps": steps(dc), "grades": list(Grade), "registry": registry, "verified": verified,
        "mismatch": area_mismatch(session, dc) if dc.verified_at else {},
        "lines": lines, "line_total": {"n": sum(v["n"] for v in lines.values()),
                                        "fen": sum(v["fen"] for k, v in lines.items() if k != LineStatus.cancelled)},
        "publicity": publicity, "objections": objections, "held": held, "batches": batches, "rec": rec,
        "actions": _actions(actor, c, dc, publicity, lines, rec), "today": today,
    }


class LineFilters(BaseModel):
    q: str = ""
    town: str = ""
    village: str = ""
    status: str = ""
    page: int = 1


def line_list(session: Session, actor: Actor, year: int, district_code: str, f: LineFilters) -> dict:
    """A district's payee lines (补偿明细), filtered and paged; ID and account masked."""
    actor.require("forest.view", district_code)
    c, dc = get_district_cycle(session, year, district_code)
    L = EntitlementLine
    conds = [L.cycle_id == c.id, L.district_code == district_code]
    if f.town:
        conds.append(L.town == f.town)
    if f.village:
        conds.append(L.village == f.village)
    status = LineStatus.parse(f.status) if f.status else None
    if status is not None:
        conds.append(L.status == status.value)
    base = select(L, Payee.name, Payee.id_masked, Payee.account_masked).join(Payee, Payee.id == L.payee_id)
    count_q = select(func.count()).select_from(L)
    if f.q.strip():
        conds.append(Payee.name.ilike(like_pattern(f.q.strip()), escape="\\"))
        count_q = count_q.join(Payee, Payee.id == L.payee_id)
    total = session.scalar(count_q.where(*conds)) or 0
    pager = Pager.of(total, f.page)
    rows = session.execute(base.where(*conds).order_by(L.town, L.village, L.id)
                           .offset(pager.offset).limit(pager.per_page)).all()
    return {"rows": rows, "pager": pager, "f": f, "statuses": list(LineStatus), "state": DistrictState(dc.state)}


def village_list(session: Session, actor: Actor, year: int, district_code: str, q: str, page: int,
                 today: date | None = None) -> dict:
    """A district's villages with their publicity (posted, running, ended) and line totals."""
    actor.require("forest.view", district_code)
    today = today or today_shanghai()
    c, _dc = get_district_cycle(session, year, district_code)
    L = EntitlementLine
    conds = [L.cycle_id == c.id, L.district_code == district_code]
    if q.strip():
        pattern = like_pattern(q.strip())
        conds.append(L.village.ilike(pattern, escape="\\") | L.town.ilike(pattern, escape="\\"))
    grouped = (select(L.town, L.village, func.count().label("n"), func.sum(L.amount_fen).label("fen"))
               .where(*conds).group_by(L.town, L.village))
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    pager = Pager.of(total, page)
    rows = session.execute(grouped.order_by(L.town, L.village).offset(pager.offset).limit(pager.per_page)).all()
    pubs = {(p.town, p.village): p for p in session.scalars(select(VillagePublicity).where(
        VillagePublicity.cycle_id == c.id, VillagePublicity.district_code == district_code,
        VillagePublicity.village.in_([r.village for r in rows])))} if rows else {}
    return {"rows": [(r, pubs.get((r.town, r.village))) for r in rows], "pager": pager, "q": q, "today": today}


def public_lists(session: Session, actor: Actor, year: int | None, district_code: str, q: str, page: int,
                 today: date | None = None) -> dict:
    """Posted village lists anyone may read (公示名单): running ones first."""
    actor.require("forest.publicity.view")
    today = today or today_shanghai()
    years = sorted(set(session.scalars(select(Cycle.year).join(VillagePublicity, VillagePublicity.cycle_id == Cycle.id)
                                       .distinct())), reverse=True)
    year = year if year in years else (years[0] if years else None)
    P = VillagePublicity
    conds = [Cycle.year == year]
    if district_code:
        conds.append(P.district_code == district_code)
    if q.strip():
        pattern = like_pattern(q.strip())
        conds.append(P.village.ilike(pattern, escape="\\") | P.town.ilike(pattern, escape="\\"))
    base = select(P).join(Cycle, Cycle.id == P.cycle_id).where(*conds)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pager = Pager.of(total, page)
    rows = session.scalars(base.order_by((P.end_date < today), P.district_code, P.town, P.village)
                           .offset(pager.offset).limit(pager.per_page)).all()
    return {"rows": rows, "pager": pager, "years": years, "year": year, "selected_district": district_code, "q": q,
            "today": today}


def is_posted(session: Session, year: int, district_code: str, town: str, village: str) -> bool:
    return session.scalar(select(func.count()).select_from(VillagePublicity).join(
        Cycle, Cycle.id == VillagePublicity.cycle_id).where(
        Cycle.year == year, VillagePublicity.district_code == district_code, VillagePublicity.town == town,
        VillagePublicity.village == village)) == 1


def objection_lines(session: Session, objection_ids: list[int]) -> dict[int, list[tuple]]:
    """The lines each objection holds, with the payee's name (for the objection list)."""
    out: dict[int, list[tuple]] = {}
    if not objection_ids:
        return out
    q = (select(ObjectionLine.objection_id, EntitlementLine.id, EntitlementLine.town, EntitlementLine.village,
                Payee.name, EntitlementLine.amount_fen, EntitlementLine.posted_amount_fen, EntitlementLine.status)
         .join(EntitlementLine, EntitlementLine.id == ObjectionLine.line_id)
         .join(Payee, Payee.id == EntitlementLine.payee_id)
         .where(ObjectionLine.objection_id.in_(objection_ids)).order_by(EntitlementLine.id))
    for oid, *rest in session.execute(q):
        out.setdefault(oid, []).append(tuple(rest))
    return out
