"""Reference rate series (data/finreg/reference_rates.yaml): the one-year LPR and the PBoC six-month benchmark
rate, each a list of publications that hold until the next. The rule engine joins them to submitted records
by date (`lpr_1y_at_contract`, `pboc_6m_rate`); a record dated before the first publication or after the
series is known has no reference rate, which the engine reports as missing data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import yaml

from gzgov.config import get_settings
from gzgov.core.errors import GzgovError


@dataclass(frozen=True)
class Span:
    valid_from: date
    valid_to: date | None  # last day; None while it still holds
    rate: Decimal


@dataclass(frozen=True)
class Series:
    name: str
    zh: str
    en: str
    basis: str
    field: str  # the derived contract field it fills
    date_field: str  # the record's date it is joined on
    published_through: date | None  # None: the last publication still holds (no new ones expected)
    spans: tuple[Span, ...]

    def rate_on(self, day: date) -> Decimal | None:
        for s in self.spans:
            if s.valid_from <= day and (s.valid_to is None or day <= s.valid_to):
                return s.rate
        return None


class ReferenceRatesError(GzgovError):
    def __init__(self, problem: str) -> None:
        super().__init__("bad_reference_rates", f"参考利率数据有误：{problem}", f"Reference rate data is wrong: {problem}")


def _series(name: str, node: dict) -> Series:
    pubs = node.get("publications") or []
    if not pubs:
        raise ReferenceRatesError(f"{name}: no publications")
    days, rates = [], []
    for p in pubs:
        if not isinstance(p.get("date"), date) or not isinstance(p.get("rate"), str):
            raise ReferenceRatesError(f"{name}: each publication needs a date and a quoted rate: {p}")
        try:
            r = Decimal(p["rate"])
        except InvalidOperation:
            raise ReferenceRatesError(f"{name}: bad rate {p['rate']}") from None
        if not (Decimal(0) < r < Decimal(1)):
            raise ReferenceRatesError(f"{name}: a rate is an annual decimal such as \"0.0300\": {p['rate']}")
        days.append(p["date"])
        rates.append(r)
    if days != sorted(days) or len(set(days)) != len(days):
        raise ReferenceRatesError(f"{name}: publications must be in date order without repeats")
    through = node.get("published_through")
    if through is not None and (not isinstance(through, date) or through < days[-1]):
        raise ReferenceRatesError(f"{name}: published_through must be a date on or after the last publication")
    spans = []
    for i, (d, r) in enumerate(zip(days, rates, strict=True)):
        if i + 1 < len(days):
            end: date | None = days[i + 1] - timedelta(days=1)
        else:
            # the last publication holds until the day before the next one is due (LPR: the 20th of the month
            # after `published_through`); without `published_through` it holds on
            end = None if through is None else _next_due(through) - timedelta(days=1)
        spans.append(Span(d, end, r))
    return Series(name, node["zh"], node["en"], node["basis"], node["field"], node["date_field"], through,
                  tuple(spans))


def _next_due(day: date) -> date:
    """The next monthly publication day (the 20th) after `day`; a holiday shift only makes it later."""
    y, m = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(y, m, 20)


@lru_cache(maxsize=4)
def load(path: Path | None = None) -> dict[str, Series]:
    file = path or get_settings().data_dir / "finreg" / "reference_rates.yaml"
    doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    return {name: _series(name, node) for name, node in doc["series"].items()}


def by_field() -> dict[str, Series]:
    """Series keyed by the derived contract field they fill."""
    return {s.field: s for s in load().values()}


def arrow_table() -> pa.Table:
    """Every span of every series as rows (field, valid_from, valid_to, rate) for the engine's range join;
    an open end is written as 9999-12-31 so the join is a plain BETWEEN on both engines."""
    rows = [(s.field, sp.valid_from, sp.valid_to or date(9999, 12, 31), str(sp.rate))
            for s in load().values() for sp in s.spans]
    return pa.table({"field": [r[0] for r in rows], "valid_from": [r[1] for r in rows],
                     "valid_to": [r[2] for r in rows], "rate": [r[3] for r in rows]})
