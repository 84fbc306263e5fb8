"""Programme totals from the registry (年度补偿资金测算): by grade, tier and district."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.geo import district_name
from gzgov.core.money import AREA_SCALE, fmt_area, fmt_yuan, round_half_up_div
from gzgov.forest.choices import Grade, Tier
from gzgov.forest.entitlement import ProgrammeTotals, Rates, programme_totals
from gzgov.forest.models import Parcel
from gzgov.forest.standards import NoStandard, rates_for

# A former management-zone parcel (forest §4(3)) is paid nothing until re-designated with consent.
PAYABLE = or_(Parcel.former_zone.is_(False), Parcel.redesignation != "")


def area_table(session: Session, district_code: str | None = None) -> list[tuple[str, str, str, int]]:
    """(district, grade, tier, area_e4) of every payable parcel, summed."""
    q = (select(Parcel.district_code, Parcel.grade, Parcel.tier, func.sum(Parcel.area_e4))
         .where(PAYABLE).group_by(Parcel.district_code, Parcel.grade, Parcel.tier))
    if district_code:
        q = q.where(Parcel.district_code == district_code)
    return [(d, g, t, int(a)) for d, g, t, a in session.execute(q)]


def compute_totals(session: Session, actor: Actor, year: int, district_code: str | None = None) -> ProgrammeTotals:
    actor.require("forest.view", district_code)
    rates = rates_for(session, year)
    district_code = district_code or actor.district_filter()
    return totals_from_table(area_table(session, district_code), rates)


def totals_over_years(session: Session, actor: Actor, years: list[int], district_code: str | None = None
                      ) -> dict[int, ProgrammeTotals]:
    """The same registry priced at each year's approved standard (years without one are left out; years
    before 2021 have compensation only): the year-over-year view, with the registry read once."""
    actor.require("forest.view", district_code)
    table = area_table(session, district_code or actor.district_filter())
    out = {}
    for year in years:
        try:
            out[year] = totals_from_table(table, rates_for(session, year, need_management=False))
        except NoStandard:
            continue
    return out


def totals_from_table(table: list[tuple[str, str, str, int]], rates: Rates) -> ProgrammeTotals:
    by_grade: dict[Grade, int] = {}
    by_tier: dict[Tier, int] = {}
    for _d, g, t, a in table:
        by_grade[Grade(g)] = by_grade.get(Grade(g), 0) + a
        by_tier[Tier(t)] = by_tier.get(Tier(t), 0) + a
    totals = programme_totals(by_grade, by_tier, rates)
    totals.by_district = _by_district(table, rates)
    return totals


def _by_district(table, rates: Rates) -> dict[str, dict[str, int]]:
    raw: dict[str, dict[str, int]] = {}
    for d, g, t, a in table:
        e = raw.setdefault(d, {"comp_raw": 0, "mgmt_raw": 0, "area_e4": 0})
        e["comp_raw"] += a * rates.compensation[Grade(g)]
        e["mgmt_raw"] += a * (rates.management or {}).get(Tier(t), 0)
        e["area_e4"] += a
    out = {}
    for d in sorted(raw):
        comp = round_half_up_div(raw[d]["comp_raw"], AREA_SCALE)
        mgmt = round_half_up_div(raw[d]["mgmt_raw"], AREA_SCALE)
        out[d] = {"compensation": comp, "management": mgmt, "total": comp + mgmt, "area_e4": raw[d]["area_e4"]}
    return out


def totals_json(t: ProgrammeTotals) -> dict:
    """The stable `gzgov forest compute --json` shape: amounts are yuan strings with two decimals."""

    def item(i) -> dict:
        return {"area_mu": fmt_area(i.area_e4), "rate": fmt_yuan(i.rate_fen), "amount": fmt_yuan(i.amount_fen)}

    comp = {g.value: item(i) for g, i in t.compensation.items()} | {"total": fmt_yuan(t.compensation_fen)}
    mgmt = None
    if t.management is not None:
        mgmt = {tier.value: item(i) for tier, i in t.management.items()} | {"total": fmt_yuan(t.management_fen)}
    return {
        "year": t.year,
        "compensation": comp,
        "management": mgmt,
        "total": fmt_yuan(t.total_fen),
        "by_district": {
            d: {"name": district_name(d), "area_mu": fmt_area(v["area_e4"]), "compensation": fmt_yuan(v["compensation"]),
                "management": fmt_yuan(v["management"]), "total": fmt_yuan(v["total"])}
            for d, v in t.by_district.items()
        },
    }
