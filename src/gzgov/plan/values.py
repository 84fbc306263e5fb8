"""Indicator values (指标数据): entry by responsible units, review by the regulator, revisions, import.

Only approved values feed evaluations, reports and the public pages. A correction of an approved value
(a statistical revision) is entered as a new revision; approving it supersedes the old one, which stays
in the history, and the change of the indicator's live status is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import BY_CODE
from gzgov.core.tabular import Column, ImportRejected, ImportReport, file_digest, read_rows
from gzgov.plan.evaluation import BASE_YEAR, HORIZON
from gzgov.plan.models import PlanValue
from gzgov.plan.reference import PlanReference, default_reference

SUBMITTED, APPROVED, REJECTED, SUPERSEDED = "submitted", "approved", "rejected", "superseded"
YEARS = range(BASE_YEAR + 1, BASE_YEAR + HORIZON + 1)
MAX_DIGITS = 20


def parse_value(text: str) -> Decimal:
    """An indicator value as exact decimal text: digits with an optional decimal point (thousands commas
    allowed); no negative numbers (every indicator of the plan is a size, count or share)."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise GzgovError("bad_value", f"数值无效：“{text}”", f"Not a number: “{text}”") from None
    if not value.is_finite() or value < 0 or len(value.as_tuple().digits) > MAX_DIGITS:
        raise GzgovError("bad_value", f"数值无效：“{text}”（须为不小于 0 的数）",
                         f"Invalid value “{text}” (a number, not negative)")
    return value


def _check_key(ref: PlanReference, code: str, year: int, district_code: str) -> None:
    if code not in {i.code for i in ref.indicators}:
        raise GzgovError("unknown_indicator", f"没有代码为 {code} 的规划指标", f"No plan indicator with code {code}")
    if year not in YEARS:
        raise GzgovError("bad_year", f"年度须在 {YEARS.start}—{YEARS.stop - 1} 之间：{year}",
                         f"The year must be {YEARS.start}–{YEARS.stop - 1}: {year}")
    if district_code and district_code not in BY_CODE:
        raise GzgovError("unknown_district", f"没有区划代码 {district_code}", f"No district with code {district_code}")


def _rows(session: Session, code: str, year: int, district_code: str) -> list[PlanValue]:
    return list(session.scalars(select(PlanValue).where(
        PlanValue.indicator_code == code, PlanValue.year == year, PlanValue.district_code == district_code)
        .order_by(PlanValue.revision)))


def enter_value(session: Session, actor: Actor, code: str, year: int, value: str, source: str, note: str = "",
                district_code: str = "") -> PlanValue:
    """Enter a yearly value (a new revision when one exists); it waits for the regulator's review."""
    actor.require("plan.values.enter")
    ref = default_reference()
    _check_key(ref, code, year, district_code)
    number = parse_value(value)
    if not source.strip():
        raise GzgovError("source_required", "请注明数据来源", "Give the source of the value")
    rows = _rows(session, code, year, district_code)
    if any(r.status == SUBMITTED for r in rows):
        raise GzgovError("pending_exists", f"{code} {year} 年已有待审核的数值，请先审核",
                         f"{code} {year} already has a value awaiting review; review it first")
    row = PlanValue(indicator_code=code, year=year, district_code=district_code, value=str(number),
                    source=source.strip(), note=note.strip(), status=SUBMITTED,
                    revision=(rows[-1].revision + 1) if rows else 1, entered_by=actor.username,
                    entered_unit=actor.unit)
    session.add(row)
    session.flush()
    audit.record(session, actor.username, "plan.value.enter", "plan_value", f"{code}/{year}/{district_code or 'city'}",
                 after={"value": row.value, "revision": row.revision, "source": row.source, "unit": actor.unit},
                 reason=note)
    return row


def _get(session: Session, value_id: int) -> PlanValue:
    row = session.get(PlanValue, value_id)
    if row is None:
        raise NotFound("指标数值", "Indicator value", value_id)
    return row


def approve_value(session: Session, actor: Actor, value_id: int, note: str = "") -> PlanValue:
    """Approve a submitted value; an approved value of the same year before it is superseded, and the
    indicator's live status before and after is recorded."""
    actor.require("plan.values.approve")
    row = _get(session, value_id)
    if row.status != SUBMITTED:
        raise GzgovError("not_submitted", "只有待审核的数值可以审核", "Only a value awaiting review can be approved")
    from gzgov.plan.evaluations import live_status  # the evaluation service reads this module

    before_status = live_status(session, row.indicator_code) if not row.district_code else None
    previous = [r for r in _rows(session, row.indicator_code, row.year, row.district_code) if r.status == APPROVED]
    for old in previous:
        old.status = SUPERSEDED
    row.status, row.reviewed_by, row.reviewed_at, row.review_note = APPROVED, actor.username, now(), note.strip()
    session.flush()
    key = f"{row.indicator_code}/{row.year}/{row.district_code or 'city'}"
    audit.record(session, actor.username, "plan.value.approve", "plan_value", key,
                 before={"value": previous[-1].value, "revision": previous[-1].revision} if previous else None,
                 after={"value": row.value, "revision": row.revision}, reason=note)
    if before_status is not None:
        after_status = live_status(session, row.indicator_code)
        if after_status != before_status:
            audit.record(session, actor.username, "plan.status.recomputed", "plan_indicator", row.indicator_code,
                         before={"status": before_status}, after={"status": after_status},
                         reason=f"{key} 第 {row.revision} 版数值获批")
    return row


def reject_value(session: Session, actor: Actor, value_id: int, note: str) -> PlanValue:
    actor.require("plan.values.approve")
    row = _get(session, value_id)
    if row.status != SUBMITTED:
        raise GzgovError("not_submitted", "只有待审核的数值可以退回", "Only a value awaiting review can be returned")
    if not note.strip():
        raise GzgovError("note_required", "退回须说明理由", "Say why the value is returned")
    row.status, row.reviewed_by, row.reviewed_at, row.review_note = REJECTED, actor.username, now(), note.strip()
    session.flush()
    audit.record(session, actor.username, "plan.value.reject", "plan_value",
                 f"{row.indicator_code}/{row.year}/{row.district_code or 'city'}",
                 after={"value": row.value, "revision": row.revision}, reason=note)
    return row


def approved_values(session: Session, up_to_year: int | None = None, district_code: str = ""
                    ) -> dict[str, dict[int, Decimal]]:
    """The approved values in force, by indicator and year (city-level unless a district is given)."""
    q = select(PlanValue.indicator_code, PlanValue.year, PlanValue.value).where(
        PlanValue.district_code == district_code, PlanValue.status == APPROVED)
    if up_to_year is not None:
        q = q.where(PlanValue.year <= up_to_year)
    out: dict[str, dict[int, Decimal]] = {}
    for code, year, value in session.execute(q):
        out.setdefault(code, {})[year] = Decimal(value)
    return out


def newest_approved_id(session: Session) -> int | None:
    return session.scalar(select(func.max(PlanValue.id)).where(PlanValue.status.in_([APPROVED, SUPERSEDED])))


def history(session: Session, actor: Actor, code: str, district_code: str | None = "") -> list[PlanValue]:
    """Every revision of an indicator's values, newest first (officials only): city-level by default, one
    district's, or all of them (district_code None)."""
    actor.require("plan.view")
    q = select(PlanValue).where(PlanValue.indicator_code == code)
    if district_code is not None:
        q = q.where(PlanValue.district_code == district_code)
    return list(session.scalars(q.order_by(PlanValue.year.desc(), PlanValue.district_code, PlanValue.revision.desc())))


def pending(session: Session, actor: Actor) -> list[PlanValue]:
    actor.require("plan.view")
    return list(session.scalars(select(PlanValue).where(PlanValue.status == SUBMITTED).order_by(PlanValue.id)))


# ------------------------------------------------------------------ import

VALUE_COLUMNS = [
    Column("indicator_code", "指标代码", "Indicator code"),
    Column("year", "年度", "Year"),
    Column("value", "数值", "Value"),
    Column("source", "数据来源", "Source"),
    Column("district", "区划代码", "District code", required=False),
    Column("note", "说明", "Note", required=False),
]


@dataclass
class ValueRow:
    line: int
    code: str
    year: int
    value: Decimal
    source: str
    district_code: str = ""
    note: str = ""


@dataclass
class ValuesImport:
    filename: str
    sha256: str
    rows: int
    entered: int = 0
    approved: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)


def read_values(data: bytes, filename: str) -> list[ValueRow]:
    """Parse and check a values file: every row valid, or ImportRejected with a row/column/reason report."""
    ref = default_reference()
    report = ImportReport(filename)
    out: list[ValueRow] = []
    seen: dict[tuple[str, int, str], int] = {}
    for n, r in read_rows(data, filename, VALUE_COLUMNS, report):
        report.rows += 1
        row = _check_row(ref, n, r, report)
        if row is None:
            continue
        key = (row.code, row.year, row.district_code)
        if key in seen:
            report.add(n, "indicator_code", f"与第 {seen[key]} 行重复（同一指标、年度、区）",
                       f"repeats row {seen[key]} (same indicator, year and district)")
            continue
        seen[key] = n
        out.append(row)
    if report.ok and report.rows == 0:
        report.add(2, "file", "文件中没有数据行", "the file has no data rows")
    if not report.ok:
        raise ImportRejected(report)
    return out


def _check_row(ref: PlanReference, n: int, r: dict[str, str], report: ImportReport) -> ValueRow | None:
    ok = True
    try:
        year = int(r["year"])
    except ValueError:
        year = 0
    district = r.get("district", "")
    for column, fn in (("indicator_code", lambda: _check_key(ref, r["indicator_code"], YEARS.start, "")),
                       ("year", lambda: _check_key(ref, ref.indicators[0].code, year, "")),
                       ("district", lambda: _check_key(ref, ref.indicators[0].code, YEARS.start, district))):
        try:
            fn()
        except GzgovError as e:
            report.add(n, column, e.zh, e.en)
            ok = False
    try:
        value = parse_value(r["value"])
    except GzgovError as e:
        report.add(n, "value", e.zh, e.en)
        ok = False
    if not r["source"]:
        report.add(n, "source", "请注明数据来源", "give the source")
        ok = False
    if not ok:
        return None
    return ValueRow(n, r["indicator_code"], year, value, r["source"], district, r.get("note", ""))


def import_values(session: Session, actor: Actor, data: bytes, filename: str, approve: bool = False) -> ValuesImport:
    """Import a values file: all rows or nothing. A row equal to the value in force (approved, or awaiting
    review) changes nothing; `approve` (an approving role) approves what it enters."""
    actor.require("plan.values.enter")
    if approve:
        actor.require("plan.values.approve")
    rows = read_values(data, filename)
    result = ValuesImport(filename, file_digest(data), len(rows))
    report = ImportReport(filename, rows=len(rows))
    todo: list[ValueRow] = []
    for row in rows:
        current = [r for r in _rows(session, row.code, row.year, row.district_code) if r.status in (APPROVED, SUBMITTED)]
        if current and Decimal(current[-1].value) == row.value and (current[-1].status == APPROVED or not approve):
            result.unchanged += 1
        elif any(r.status == SUBMITTED for r in current):
            report.add(row.line, "value", f"{row.code} {row.year} 年已有待审核的数值，请先审核",
                       f"{row.code} {row.year} already has a value awaiting review; review it first")
        else:
            todo.append(row)
    if not report.ok:
        raise ImportRejected(report)
    for row in todo:
        v = enter_value(session, actor, row.code, row.year, str(row.value), row.source, row.note, row.district_code)
        result.entered += 1
        result.ids.append(v.id)
        if approve:
            approve_value(session, actor, v.id, f"导入 {filename}")
            result.approved += 1
    if result.entered:
        audit.record(session, actor.username, "plan.values.import", "plan_value_file", result.sha256[:16],
                     after={"file": filename, "rows": result.rows, "entered": result.entered,
                            "approved": result.approved})
    return result
