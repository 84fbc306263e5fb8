"""Pure entitlement arithmetic (补偿金额计算): no database, no web.

Areas are integer ten-thousandths of a mu, rates integer fen per mu per year, so
area x rate is exact; each amount is rounded half-up to the fen once, at the level
it is paid or reported (a payee's line; a grade's or tier's programme total).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gzgov.core.money import AREA_SCALE, round_half_up_div
from gzgov.forest.choices import Grade, Tier


@dataclass(frozen=True)
class Rates:
    """One year's approved standards, fen per mu per year, with their clauses."""

    year: int
    compensation: dict[Grade, int]
    management: dict[Tier, int] | None
    compensation_basis: str
    management_basis: str = ""


def line_amount(area_e4_by_grade: dict[Grade, int], rates: Rates) -> int:
    """One payee's compensation in one village: Σ area x rate, rounded half-up once."""
    raw = sum(area * rates.compensation[g] for g, area in area_e4_by_grade.items())
    return round_half_up_div(raw, AREA_SCALE)


@dataclass
class Item:
    area_e4: int
    rate_fen: int
    amount_fen: int


@dataclass
class ProgrammeTotals:
    """City programme totals by grade and tier, as the document states them (forest §1, §4)."""

    year: int
    compensation: dict[Grade, Item]
    management: dict[Tier, Item] | None
    by_district: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def compensation_fen(self) -> int:
        return sum(i.amount_fen for i in self.compensation.values())

    @property
    def management_fen(self) -> int:
        return sum(i.amount_fen for i in (self.management or {}).values())

    @property
    def total_fen(self) -> int:
        return self.compensation_fen + self.management_fen


def programme_totals(area_by_grade: dict[Grade, int], area_by_tier: dict[Tier, int], rates: Rates) -> ProgrammeTotals:
    comp = {g: Item(area_by_grade.get(g, 0), rates.compensation[g],
                    round_half_up_div(area_by_grade.get(g, 0) * rates.compensation[g], AREA_SCALE)) for g in Grade}
    mgmt = None
    if rates.management is not None:
        mgmt = {t: Item(area_by_tier.get(t, 0), rates.management[t],
                        round_half_up_div(area_by_tier.get(t, 0) * rates.management[t], AREA_SCALE)) for t in Tier}
    return ProgrammeTotals(rates.year, comp, mgmt)


@dataclass(frozen=True)
class SourceSplit:
    """A payment's budget sources (forest §8(2))."""

    base: int  # 2012 base, paid wholly by the city
    city_increment: int
    district_increment: int


def split_line(amount: int, district_base: int, district_total: int, city_share_bp: int) -> SourceSplit:
    """A line's budget sources (forest §8(2)): its share of the district's 2012 base (paid by the city),
    then the increment shared city/district at `city_share_bp`/10000. The parts add up to the line; each
    source's lines add up to that source's own total, so each source reconciles on its own."""
    base = round_half_up_div(amount * district_base, district_total) if district_total > 0 else 0
    base = min(base, amount)
    increment = amount - base
    city = round_half_up_div(increment * city_share_bp, 10_000)
    return SourceSplit(base, city, increment - city)
