"""Read models shared by pages, API and CLI: cycle overview, village lists."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.geo import district_name
from gzgov.core.money import fmt_yuan
from gzgov.forest.choices import CycleState, DistrictState
from gzgov.forest.cycle import get_cycle
from gzgov.forest.models import DistrictCycle, EntitlementLine


def cycle_overview(session: Session, actor: Actor, year: int) -> dict:
    actor.require("forest.view")
    c = get_cycle(session, year)
    totals = dict(session.execute(select(EntitlementLine.district_code, func.count()).where(
        EntitlementLine.cycle_id == c.id).group_by(EntitlementLine.district_code)).all())
    amounts = dict(session.execute(select(EntitlementLine.district_code, func.sum(EntitlementLine.amount_fen)).where(
        EntitlementLine.cycle_id == c.id).group_by(EntitlementLine.district_code)).all())
    districts = []
    for dc in session.scalars(select(DistrictCycle).where(DistrictCycle.cycle_id == c.id)
                              .order_by(DistrictCycle.district_code)):
        if actor.district_filter() and dc.district_code != actor.district_filter():
            continue
        st = DistrictState(dc.state)
        districts.append({"district": dc.district_code, "name": district_name(dc.district_code), "state": st.value,
                          "state_zh": st.zh, "state_en": st.en, "version": dc.version,
                          "lines": int(totals.get(dc.district_code, 0)),
                          "total": fmt_yuan(int(amounts.get(dc.district_code) or 0)),
                          "forestry_approved_by": dc.forestry_approved_by,
                          "finance_approved_by": dc.finance_approved_by})
    st = CycleState(c.state)
    return {"year": year, "state": st.value, "state_zh": st.zh, "state_en": st.en, "version": c.version,
            "districts": districts}
