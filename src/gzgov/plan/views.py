"""Read models of the plan pages, public pages and reports: indicator rows with their live status and
chart data, an indicator's history, citations of plan clauses, zones with their projects' progress."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.basis import Citation
from gzgov.plan.evaluation import BASE_YEAR, HORIZON, STATUS_LABELS, Status, TargetSpec, expected_value, fmt4
from gzgov.plan.evaluations import IndicatorResult, live_results, target_spec
from gzgov.plan.projects import STATUSES, ProjectView, overview
from gzgov.plan.reference import Chapter, Indicator, ReviewIndicator, Section, Zone, default_reference
from gzgov.plan.values import approved_values

YEARS = list(range(BASE_YEAR, BASE_YEAR + HORIZON + 1))


def plan_citation(clause: str) -> Citation | None:
    """A plan clause ("plan ch10 §2", "plan 专栏2", "plan 附件") as a citation: the document number, the
    place in both languages and the opening of its text."""
    ref = default_reference()
    try:
        c = ref.resolve(clause)
    except KeyError:
        return None
    if isinstance(c, Section):
        chapter = ref.chapters[c.chapter - 1]
        place_zh = f"第{_cn(c.chapter)}章 {chapter.title_zh} {_cn(c.number)}、{c.title_zh}"
        place_en = f"ch. {c.chapter} §{c.number} {c.title_en}"
        text = c.text
    elif isinstance(c, Chapter):
        place_zh, place_en, text = f"第{_cn(c.number)}章 {c.title_zh}", f"ch. {c.number} {c.title_en}", c.intro
    elif hasattr(c, "section_clause"):  # a box
        place_zh, place_en, text = f"专栏{c.number} {c.title_zh}", f"Box {c.number} {c.title_en}", c.text
    else:
        place_zh, place_en, text = "附件 重点项目和工作", "Annex: key projects and works", ""
    quote = text.split("\n")[0][:120] + ("…" if len(text) > 120 else "")
    return Citation(clause, ref.document.number, ref.document.title_zh, ref.document.title_en, place_zh, place_en,
                    quote)


_DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    """1..99 in Chinese numerals (章节 numbering)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def clause_anchor(clause: str) -> str:
    """The anchor of a clause on the structure page."""
    return "c-" + clause.removeprefix("plan ").replace(" ", "-").replace("§", "s")


@dataclass(frozen=True)
class IndicatorRow:
    result: IndicatorResult

    @property
    def indicator(self) -> Indicator:
        return self.result.indicator

    @property
    def status(self) -> Status:
        return self.result.evaluation.status

    def expected_path(self) -> dict[int, Decimal]:
        ind = self.indicator
        threshold = target_spec(ind).threshold
        return {y: expected_value(ind.baseline.value, threshold, ind.trajectory, y) for y in YEARS}

    def chart(self) -> dict:
        """Numbers for the trajectory chart (baseline, expected path, actuals, target), as strings."""
        ind = self.indicator
        t = target_spec(ind)
        return {"years": YEARS, "baseline": str(ind.baseline.value),
                "expected": [fmt4(v) for v in self.expected_path().values()],
                "actual": [str(self.result.values[y]) if y in self.result.values else None for y in YEARS],
                "target_low": str(t.threshold), "target_high": str(t.high) if t.high is not None else None}


def indicator_rows(session: Session, actor: Actor, year: int = BASE_YEAR + HORIZON) -> list[IndicatorRow]:
    return [IndicatorRow(r) for r in live_results(session, actor, year)]


def status_counts(rows: list[IndicatorRow]) -> list[tuple[Status, int]]:
    return [(s, sum(r.status == s for r in rows)) for s in Status]


def indicators_csv(rows: list[IndicatorRow]) -> bytes:
    """The public machine-readable table (approved data only)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["code", "name_zh", "name_en", "unit", "baseline_2020", "target_comparator", "target_value",
                "target_high", "latest_year", "latest_value", "expected", "projected", "anticipated_progress",
                "completion", "time_elapsed", "status", "status_zh", "basis"])
    for r in rows:
        ind, e, t = r.indicator, r.result.evaluation, target_spec(r.indicator)
        w.writerow([ind.code, ind.name_zh, ind.name_en, ind.unit, str(ind.baseline.value), t.comparator,
                    str(t.threshold), str(t.high or ""), e.year or "", fmt4(e.actual) or "", fmt4(e.expected) or "",
                    fmt4(e.projected) or "", fmt4(e.anticipated_progress) or "", fmt4(e.completion) or "",
                    fmt4(e.time_elapsed) or "", e.status.value, STATUS_LABELS[e.status][0], ind.basis])
    return buf.getvalue().encode("utf-8-sig")


def indicators_json(rows: list[IndicatorRow]) -> list[dict]:
    out = []
    for r in rows:
        ind = r.indicator
        out.append(r.result.as_json() | {"name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit,
                                         "baseline": str(ind.baseline.value), "target": ind.target.label(),
                                         "basis": ind.basis})
    return out


def review_verdict(r: ReviewIndicator) -> bool | None:
    """专栏1: whether the 13th plan's target was achieved, computed from the table's figures (None where
    the table gives no achieved value). An achieved value printed as a lower bound (">3500") meets a target
    it is at least equal to, since the true figure is above it."""
    if r.achieved is None:
        return None
    spec = TargetSpec(r.target.comparator, r.target.value, r.target.low, r.target.high)
    if r.achieved.comparator == ">":
        return r.achieved.value >= spec.threshold
    return spec.satisfied_by(r.achieved.value)


@dataclass(frozen=True)
class ZoneView:
    zone: Zone
    projects: list[ProjectView]
    values: dict[str, tuple[int, Decimal]]  # the district's own approved indicator values: code -> (year, value)

    def counts(self) -> dict[str, int]:
        return {s: sum(p.status == s for p in self.projects) for s in STATUSES}


def zone_views(session: Session, actor: Actor, today: date, public: bool = False) -> list[ZoneView]:
    """Each district's zone with the progress of its linked projects and of those naming the district."""
    views = {v.project.number: v for v in overview(session, actor, today, public=public)}
    ref = default_reference()
    out = []
    for z in ref.zones:
        numbers = [link.number for link in z.projects] + [p.number for p in ref.projects_naming_district(z)]
        own = approved_values(session, district_code=z.district)
        latest = {code: max(years.items()) for code, years in own.items()}
        out.append(ZoneView(z, [views[n] for n in dict.fromkeys(numbers)], latest))
    return out


def projects_csv(views: list[ProjectView]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["number", "title_zh", "title_en", "responsible_units", "lead", "status", "status_zh", "as_of",
                "overdue_milestones"])
    for v in views:
        p = v.project
        w.writerow([p.number, p.title_zh, p.title_en, "、".join(p.units), p.lead, v.status, STATUSES[v.status][0],
                    v.latest.as_of.isoformat() if v.latest else "", len(v.overdue)])
    return buf.getvalue().encode("utf-8-sig")
