"""Pure entitlement arithmetic (补偿金额计算): no database, no web.

Areas are integer ten-thousandths of a mu, rates integer fen per mu per year, so
area x rate is exact; each amount is rounded half-up to the fen once, at the level
it is paid or reported (a payee's line; a grade's or tier's programme total).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gzgov.core.money import AREA_SCALE, round_half_up_div, split_fen
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


def split_district(amounts: list[int], base_fen: int, city_share_bp: int) -> list[SourceSplit]:
    """Split every line of one district into budget sources so that each source's lines add up
    exactly to that source's district total.

    The district's base part is min(base, total); the increment (total - base) is shared with the
    city taking `city_share_bp`/10000. District totals per source are fixed first, then each source
    total is apportioned over the lines by largest remainder; a line's three parts always add up to
    the line amount.
    """
    total = sum(amounts)
    if total == 0:
        return [SourceSplit(0, 0, 0) for _ in amounts]
    base_total = min(base_fen, total)
    increment = total - base_total
    city_incr_total = round_half_up_div(increment * city_share_bp, 10_000)
    bases = split_fen(base_total, amounts)
    rest = [a - b for a, b in zip(amounts, bases, strict=True)]
    city = split_fen(city_incr_total, rest) if city_incr_total and sum(rest) else [0] * len(amounts)
    return [SourceSplit(b, c, r - c) for b, c, r in zip(bases, city, rest, strict=True)]
