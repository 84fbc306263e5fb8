"""The yearly compensation cycle as a state machine (年度补偿周期, forest §5 and §7).

open -> each district: verifying -> verified -> computed -> publicity -> approved -> reviewed
-> cycle reviewed -> budgeted (next-year budget) -> disbursement and reconciliation (payments.py) -> closed.

Every transition is one service function: it checks the permission and district scope, the
state, and the version the official acted on (so two officials acting at once cannot both win),
writes the change and its audit entry in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from itertools import chain, islice

import yaml
from sqlalchemy import case, cast, delete, func, select, update
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.bulk import bulk_insert
from gzgov.core.calendar_store import calendar
from gzgov.core.db import SHANGHAI, now
from gzgov.core.errors import GzgovError, StaleAction
from gzgov.core.geo import district_name
from gzgov.core.money import AREA_SCALE, fmt_area, parse_area
from gzgov.forest.choices import FOREST_DISTRICTS, CycleState, DistrictState, Grade, LineStatus
from gzgov.forest.entitlement import Rates, line_amount, split_line
from gzgov.forest.funding import all_funding
from gzgov.forest.models import Cycle, DistrictCycle, EntitlementLine, Parcel, Payee, VillagePublicity
from gzgov.forest.standards import rates_for
from gzgov.forest.totals import PAYABLE


@lru_cache(maxsize=1)
def cycle_rules() -> dict:
    with open(get_settings().data_dir / "forest" / "rules.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def today_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


def refuse(code: str, zh: str, en: str, **details: object) -> GzgovError:
    return GzgovError(code, zh, en, **details)


def get_cycle(session: Session, year: int) -> Cycle:
    c = session.scalar(select(Cycle).where(Cycle.year == year))
    if c is None:
        raise refuse("no_cycle", f"{year} 年补偿周期尚未开启", f"The {year} cycle has not been opened", year=year)
    return c


def get_district_cycle(session: Session, year: int, district_code: str) -> tuple[Cycle, DistrictCycle]:
    c = get_cycle(session, year)
    dc = session.scalar(select(DistrictCycle).where(DistrictCycle.cycle_id == c.id,
                                                    DistrictCycle.district_code == district_code))
    if dc is None:
        raise refuse("no_district_cycle", f"{district_name(district_code)}不在本周期内",
                     f"{district_name(district_code, 'en')} is not part of this cycle")
    return c, dc


def bump(session: Session, row: Cycle | DistrictCycle, expected_version: int | None, what_zh: str, what_en: str) -> None:
    """Optimistic lock: the update succeeds only on the version the official saw."""
    version = row.version if expected_version is None else expected_version
    model = type(row)
    res = session.execute(update(model).where(model.id == row.id, model.version == version)
                          .values(version=version + 1).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        raise StaleAction(what_zh, what_en)
    session.refresh(row)


def _require_state(dc: DistrictCycle, allowed: set[DistrictState], action_zh: str, action_en: str) -> None:
    if dc.state not in allowed:
        st = DistrictState(dc.state)
        raise refuse("wrong_state", f"{district_name(dc.district_code)}当前为“{st.zh}”，不能{action_zh}",
                     f"{district_name(dc.district_code, 'en')} is at “{st.en}”; cannot {action_en}", state=dc.state)


def _transition(session: Session, actor: Actor, dc: DistrictCycle, new: DistrictState, expected_version: int | None,
                action: str, reason: str = "", extra: dict | None = None) -> None:
    before = dc.state
    bump(session, dc, expected_version, f"{district_name(dc.district_code)}本年度周期", "This district's cycle")
    dc.state = new.value
    session.flush()
    audit.record(session, actor.username, action, "forest_district_cycle", f"{dc.cycle_id}:{dc.district_code}",
                 before={"state": before}, after={"state": new.value} | (extra or {}), reason=reason)


def open_cycle(session: Session, actor: Actor, year: int) -> Cycle:
    actor.require("forest.cycle.open")
    rates_for(session, year)  # refuses a year without approved standards
    if session.scalar(select(Cycle).where(Cycle.year == year)) is not None:
        raise refuse("cycle_exists", f"{year} 年补偿周期已开启", f"The {year} cycle is already open")
    districts = sorted(set(session.scalars(select(Parcel.district_code).where(PAYABLE).distinct())) & FOREST_DISTRICTS)
    if not districts:
        raise refuse("empty_registry", "登记中没有可补偿的小班，请先导入登记", "The registry has no payable parcels; import it first")
    c = Cycle(year=year, state=CycleState.open.value, opened_by=actor.username)
    session.add(c)
    session.flush()
    for code in districts:
        session.add(DistrictCycle(cycle_id=c.id, district_code=code, state=DistrictState.verifying.value))
    session.flush()
    audit.record(session, actor.username, "cycle.open", "forest_cycle", year, after={"state": c.state, "districts": districts})
    return c


def registry_areas(session: Session, district_code: str) -> dict[Grade, int]:
    rows = session.execute(select(Parcel.grade, func.sum(Parcel.area_e4)).where(
        PAYABLE, Parcel.district_code == district_code).group_by(Parcel.grade))
    return {Grade(g): int(a) for g, a in rows}


def verify_areas(session: Session, actor: Actor, year: int, district_code: str, areas_mu: dict[str, str],
                 expected_version: int | None = None, reason: str = "") -> DistrictCycle:
    """District area verification (核定面积): the district records its verified area by grade."""
    actor.require("forest.area.verify", district_code)
    _c, dc = get_district_cycle(session, year, district_code)
    _require_state(dc, {DistrictState.verifying, DistrictState.verified, DistrictState.computed}, "核定面积",
                   "verify areas")
    try:
        parsed = {g: parse_area(areas_mu.get(g.value, "0") or "0") for g in Grade}
    except ValueError as exc:
        raise refuse("bad_area", f"面积无效：{exc}", f"Invalid area: {exc}") from exc
    dc.verified_i_e4, dc.verified_ii_e4, dc.verified_iii_e4 = parsed[Grade.I], parsed[Grade.II], parsed[Grade.III]
    dc.verified_by, dc.verified_at = actor.username, now()
    _transition(session, actor, dc, DistrictState.verified, expected_version, "cycle.verify_areas", reason,
                {"verified_e4": {g.value: a for g, a in parsed.items()}})
    return dc


def verified_areas(dc: DistrictCycle) -> dict[Grade, int]:
    return {Grade.I: dc.verified_i_e4 or 0, Grade.II: dc.verified_ii_e4 or 0, Grade.III: dc.verified_iii_e4 or 0}


def area_mismatch(session: Session, dc: DistrictCycle) -> dict[str, tuple[int, int]]:
    """Grades where the registry's payable area differs from the district's verified total."""
    reg = registry_areas(session, dc.district_code)
    ver = verified_areas(dc)
    return {g.value: (ver[g], reg.get(g, 0)) for g in Grade if ver[g] != reg.get(g, 0)}


def _driver_rows(session: Session, stmt) -> Iterator[tuple]:
    """The rows of a Core SELECT as the database driver returns them (plain tuples, no SQLAlchemy result
    processing, which costs more than the query at a million rows): for integer and text columns only,
    whose driver values are already the Python values. Pending ORM changes are flushed first."""
    session.flush()
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args = tuple(params[k] for k in compiled.positiontup) if compiled.positional else params
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(str(compiled), args)
        while rows := cur.fetchmany(10_000):
            yield from rows
    finally:
        cur.close()


def _aggregate_rows(session: Session, district_code: str, village: tuple[str, str] | None = None) -> list[tuple]:
    """(payee_id, town, village, area Ⅰ, area Ⅱ, area Ⅲ) of each (payee, town, village) of a district with
    payable parcels, summed in the database and returned as plain integers (no ORM rows)."""
    def by(g: Grade):
        return cast(func.sum(case((Parcel.grade == g.value, Parcel.area_e4), else_=0)), Parcel.area_e4.type)

    q = (select(Parcel.payee_id, Parcel.town, Parcel.village, by(Grade.I), by(Grade.II), by(Grade.III))
         .where(PAYABLE, Parcel.district_code == district_code)
         .group_by(Parcel.payee_id, Parcel.town, Parcel.village))
    if village:
        q = q.where(Parcel.town == village[0], Parcel.village == village[1])
    return list(_driver_rows(session, q))


def _aggregate(session: Session, district_code: str, village: tuple[str, str] | None = None
               ) -> dict[tuple[int, str, str], dict[Grade, int]]:
    """Payable area by grade of each (payee, town, village) of a district, summed in the database."""
    return {(pid, town, vil): {Grade.I: int(a1), Grade.II: int(a2), Grade.III: int(a3)}
            for pid, town, vil, a1, a2, a3 in _aggregate_rows(session, district_code, village)}


def _line_amounts(rows, rates: Rates) -> list[int]:
    """`line_amount` of every aggregated row, in order. Inlined integer arithmetic for the usual
    non-negative sums (half-up to the fen: floor((raw + 5000) / 10000)); anything else goes through
    `line_amount` itself, so the result is identical either way."""
    r1, r2, r3 = rates.compensation[Grade.I], rates.compensation[Grade.II], rates.compensation[Grade.III]
    half = AREA_SCALE // 2
    out = []
    append = out.append
    for _pid, _town, _vil, a1, a2, a3 in rows:
        raw = a1 * r1 + a2 * r2 + a3 * r3
        if raw >= 0:
            append((raw + half) // AREA_SCALE)
        else:
            append(line_amount({Grade.I: a1, Grade.II: a2, Grade.III: a3}, rates))
    return out


def _line_values(rows, amounts: list[int], base: int, total: int, city_bp: int):
    """The varying part of each entitlement line (town, village, payee, areas Ⅰ/Ⅱ/Ⅲ, amount, base, city and
    district increments) with its budget-source split. Same arithmetic as `split_line`, inlined for
    non-negative figures (half-up: floor((2n + d) / 2d)); anything else goes through `split_line` itself."""
    fast = base >= 0 and total > 0 and city_bp >= 0
    two_total = 2 * total
    for (pid, town, vil, a1, a2, a3), amt in zip(rows, amounts, strict=True):
        if fast and amt >= 0:
            b = min((2 * amt * base + total) // two_total, amt)
            inc = amt - b
            city = (inc * city_bp + 5_000) // 10_000
            yield town, vil, pid, a1, a2, a3, amt, b, city, inc - city
        else:
            s = split_line(amt, base, total, city_bp)
            yield town, vil, pid, a1, a2, a3, amt, s.base, s.city_increment, s.district_increment


LINE_COLUMNS = ("cycle_id", "district_code", "town", "village", "payee_id", "area_i_e4", "area_ii_e4", "area_iii_e4",
                "amount_fen", "status", "base_fen", "city_increment_fen", "district_increment_fen", "difference_reason")


def _insert_lines(session: Session, cycle_id: int, district_code: str, values) -> None:
    """Insert computed lines from `_line_values` (COPY on PostgreSQL). On SQLite the per-line constants are
    written into the statement once and up to 200 lines go in one multi-row INSERT, so the driver's per-row
    and per-parameter work (which dominates at this size) is mostly saved."""
    status = LineStatus.computed.value
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        bulk_insert(session, EntitlementLine.__table__, LINE_COLUMNS,
                    ((cycle_id, district_code, t, v, p, a1, a2, a3, amt, status, b, ci, di, "")
                     for t, v, p, a1, a2, a3, amt, b, ci, di in values))
        return

    def text(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    raw = conn.connection.dbapi_connection
    per = max(1, min(200, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 10))
    one = f"({int(cycle_id)}, {text(district_code)}, ?, ?, ?, ?, ?, ?, ?, {text(status)}, ?, ?, ?, '')"
    head = f'INSERT INTO "{EntitlementLine.__tablename__}" ({", ".join(LINE_COLUMNS)}) VALUES '
    rows = iter(values)
    rest: list[tuple] = []

    def chunks():
        while True:
            chunk = list(islice(rows, per))
            if len(chunk) < per:
                rest.extend(chunk)
                return
            yield tuple(chain.from_iterable(chunk))

    cur = raw.cursor()
    try:
        cur.executemany(head + ", ".join([one] * per), chunks())
        if rest:
            cur.executemany(head + one, rest)
    finally:
        cur.close()


def _mismatch_in(dc: DistrictCycle, rows) -> dict[str, tuple[int, int]]:
    """`area_mismatch` from the aggregated rows, which are the same payable parcels summed by grade, instead of
    a second pass over the registry."""
    reg = {Grade.I: sum(r[3] for r in rows), Grade.II: sum(r[4] for r in rows), Grade.III: sum(r[5] for r in rows)}
    ver = verified_areas(dc)
    return {g.value: (ver[g], reg[g]) for g in Grade if ver[g] != reg[g]}


def compute_district(session: Session, actor: Actor, year: int, district_code: str,
                     expected_version: int | None = None) -> int:
    """Entitlement computation (测算): one line per payee and village from the registry. Refused while the
    registry's areas differ from the verified totals. Returns the number of lines."""
    actor.require("forest.compute", district_code)
    c, dc = get_district_cycle(session, year, district_code)
    _require_state(dc, {DistrictState.verified, DistrictState.computed}, "测算补偿", "compute entitlements")
    agg = _aggregate_rows(session, district_code)
    mismatch = _mismatch_in(dc, agg)
    if mismatch:
        text = "; ".join(f"{g}: {fmt_area(v)} / {fmt_area(r)}" for g, (v, r) in mismatch.items())
        raise refuse("area_mismatch", f"登记面积与核定面积不一致（等级: 核定 / 登记，亩：{text}），请更正登记或重新核定",
                     f"Registry areas differ from the verified totals (grade: verified / registry, mu: {text}); "
                     "correct the registry or re-verify", mismatch=mismatch)
    rates = rates_for(session, year)
    session.execute(delete(EntitlementLine).where(EntitlementLine.cycle_id == c.id,
                                                  EntitlementLine.district_code == district_code))
    amounts = _line_amounts(agg, rates)
    funding = all_funding(session).get(district_code)
    dc.split_total_fen = sum(amounts)
    dc.split_base_fen = min(funding.base_2012_fen, dc.split_total_fen) if funding else 0
    dc.city_share_bp = funding.city_share_bp if funding else 0
    _insert_lines(session, c.id, district_code,
                  _line_values(agg, amounts, dc.split_base_fen, dc.split_total_fen, dc.city_share_bp))
    n = len(agg)
    _transition(session, actor, dc, DistrictState.computed, expected_version, "cycle.compute", "",
                {"lines": n, "total_fen": dc.split_total_fen})
    return n


def villages(session: Session, cycle_id: int, district_code: str) -> list[tuple[str, str]]:
    q = (select(EntitlementLine.town, EntitlementLine.village).where(
        EntitlementLine.cycle_id == cycle_id, EntitlementLine.district_code == district_code).distinct()
        .order_by(EntitlementLine.town, EntitlementLine.village))
    return [(t, v) for t, v in session.execute(q)]


def _freeze(session: Session, cycle_id: int, district_code: str, place: tuple[str, str] | None) -> None:
    """Copy each computed line's amount, payee and the payee's current account into its posted snapshot."""
    where = [EntitlementLine.cycle_id == cycle_id, EntitlementLine.district_code == district_code,
             EntitlementLine.status == LineStatus.computed.value]
    if place:
        where += [EntitlementLine.town == place[0], EntitlementLine.village == place[1]]
    account = select(Payee.account_index).where(Payee.id == EntitlementLine.payee_id).scalar_subquery()
    session.execute(update(EntitlementLine).where(*where).values(
        status=LineStatus.posted.value, posted_amount_fen=EntitlementLine.amount_fen,
        posted_payee_id=EntitlementLine.payee_id, posted_account_index=account)
        .execution_options(synchronize_session=False))


def _snapshots(session: Session, cycle_id: int, district_code: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """Per village: line count, total and a SHA-256 over (line, payee, amount, account) of what was posted."""
    out: dict[tuple[str, str], tuple[int, int, str]] = {}
    cur_key, h, n, total = None, hashlib.sha256(), 0, 0
    q = (select(EntitlementLine.town, EntitlementLine.village, EntitlementLine.id, EntitlementLine.payee_id,
                EntitlementLine.posted_amount_fen, EntitlementLine.posted_account_index)
         .where(EntitlementLine.cycle_id == cycle_id, EntitlementLine.district_code == district_code,
                EntitlementLine.posted_amount_fen.is_not(None))
         .order_by(EntitlementLine.town, EntitlementLine.village, EntitlementLine.id))
    for town, vil, lid, pid, amt, acct in session.execute(q):
        if (town, vil) != cur_key:
            if cur_key is not None:
                out[cur_key] = (n, total, h.hexdigest())
            cur_key, h, n, total = (town, vil), hashlib.sha256(), 0, 0
        h.update(f"{lid}|{pid}|{amt}|{acct};".encode())
        n, total = n + 1, total + amt
    if cur_key is not None:
        out[cur_key] = (n, total, h.hexdigest())
    return out


def post_publicity(session: Session, actor: Actor, year: int, district_code: str, start: date,
                   only: list[tuple[str, str]] | None = None, expected_version: int | None = None) -> list[VillagePublicity]:
    """Post the payee list of each village (or the given villages) from `start` for at least the
    minimum working days (forest §7); what is posted is frozen as the snapshot."""
    actor.require("forest.publicity.manage", district_code)
    c, dc = get_district_cycle(session, year, district_code)
    _require_state(dc, {DistrictState.computed, DistrictState.publicity}, "公示", "post publicity")
    n_days = int(cycle_rules()["publicity"]["min_working_days"])
    end = calendar(session).add_working_days(start, n_days)
    posted_already = set(publicity_of(session, c.id, district_code))
    targets = [v for v in (only or villages(session, c.id, district_code)) if v not in posted_already]
    if not targets:
        raise refuse("nothing_to_post", "没有待公示的村", "No village is waiting to be posted")
    if only:
        for place in targets:
            _freeze(session, c.id, district_code, place)
    else:
        _freeze(session, c.id, district_code, None)
    snaps = _snapshots(session, c.id, district_code)
    out = []
    for town, vil in targets:
        if (town, vil) not in snaps:
            raise refuse("no_lines", f"{town}{vil}没有补偿明细", f"{town} {vil} has no lines")
        n, total, digest = snaps[(town, vil)]
        out.append(VillagePublicity(cycle_id=c.id, district_code=district_code, town=town, village=vil,
                                    start_date=start, end_date=end, working_days=n_days, lines=n, total_fen=total,
                                    snapshot_sha256=digest, posted_by=actor.username))
    session.add_all(out)
    session.flush()
    if dc.state != DistrictState.publicity:
        _transition(session, actor, dc, DistrictState.publicity, expected_version, "cycle.publicity_start")
    else:
        bump(session, dc, expected_version, "本区本年度周期", "This district's cycle")
    audit.record(session, actor.username, "publicity.post", "forest_district_cycle", f"{c.id}:{district_code}",
                 after={"villages": len(out), "start": start, "end": end, "working_days": n_days,
                        "basis": cycle_rules()["publicity"]["basis"]})
    return out


def publicity_of(session: Session, cycle_id: int, district_code: str) -> dict[tuple[str, str], VillagePublicity]:
    return {(p.town, p.village): p for p in session.scalars(select(VillagePublicity).where(
        VillagePublicity.cycle_id == cycle_id, VillagePublicity.district_code == district_code))}


def approve_district(session: Session, actor: Actor, year: int, district_code: str, today: date | None = None,
                     expected_version: int | None = None, reason: str = "") -> DistrictCycle:
    """District forestry and finance approval (区林业、财政审核): both are needed; every village's
    publicity must have ended (forest §7). Lines held by objections stay held."""
    today = today or today_shanghai()
    if actor.can("forest.approve.forestry", district_code):
        field = "forestry_approved_by"
    else:
        actor.require("forest.approve.finance", district_code)
        field = "finance_approved_by"
    c, dc = get_district_cycle(session, year, district_code)
    _require_state(dc, {DistrictState.publicity}, "审核", "approve")
    pubs = publicity_of(session, c.id, district_code)
    missing = [f"{t}{v}" for t, v in villages(session, c.id, district_code) if (t, v) not in pubs]
    if missing:
        raise refuse("publicity_missing", f"尚有 {len(missing)} 个村未公示（如 {missing[0]}）",
                     f"{len(missing)} village(s) not yet posted (e.g. {missing[0]})")
    running = [p for p in pubs.values() if p.end_date >= today]
    if running:
        p = max(running, key=lambda x: x.end_date)
        raise refuse("publicity_running", f"公示期未满：{p.town}{p.village}公示至 {p.end_date}（不少于十五个工作日）",
                     f"Publicity has not ended: {p.town} {p.village} runs until {p.end_date} (at least 15 working days)")
    if getattr(dc, field):
        raise refuse("already_approved", "本部门已审核", "Your bureau has already approved")
    setattr(dc, field, actor.username)
    if dc.forestry_approved_by and dc.finance_approved_by:
        dc.approved_at = now()
        _transition(session, actor, dc, DistrictState.approved, expected_version, "cycle.approve", reason,
                    {field: actor.username})
    else:
        bump(session, dc, expected_version, "本区本年度周期", "This district's cycle")
        audit.record(session, actor.username, "cycle.approve_part", "forest_district_cycle",
                     f"{c.id}:{district_code}", after={field: actor.username}, reason=reason)
    return dc


def city_review(session: Session, actor: Actor, year: int, district_code: str, expected_version: int | None = None,
                reason: str = "") -> DistrictCycle:
    """City review, consolidation and clearing of an approved district (市林业园林部门审查、汇总和清算, forest §5)."""
    actor.require("forest.city.review")
    c, dc = get_district_cycle(session, year, district_code)
    _require_state(dc, {DistrictState.approved}, "市级审查", "review")
    if area_mismatch(session, dc):
        raise refuse("area_mismatch", "登记面积与核定面积不一致，退回区级处理",
                     "Registry areas no longer match the verified totals; return to the district")
    dc.reviewed_by, dc.reviewed_at = actor.username, now()
    _transition(session, actor, dc, DistrictState.reviewed, expected_version, "cycle.city_review", reason)
    pending = session.scalar(select(func.count()).select_from(DistrictCycle).where(
        DistrictCycle.cycle_id == c.id, DistrictCycle.state != DistrictState.reviewed.value))
    if pending == 0:
        c.state = CycleState.reviewed.value
        bump(session, c, None, "本年度周期", "This cycle")
        audit.record(session, actor.username, "cycle.reviewed", "forest_cycle", year, after={"state": c.state})
    return dc


def set_budget(session: Session, actor: Actor, year: int, note: str, expected_version: int | None = None) -> Cycle:
    """Next-year budget figures (下一年度一般性转移支付预算, forest §5) by the city finance bureau."""
    actor.require("forest.budget")
    c = get_cycle(session, year)
    if c.state != CycleState.reviewed:
        raise refuse("wrong_state", "市级审查汇总清算完成后才能编制预算", "The budget follows the city's review of every district")
    c.state, c.budget_note = CycleState.budgeted.value, note
    bump(session, c, expected_version, "本年度周期", "This cycle")
    audit.record(session, actor.username, "cycle.budget", "forest_cycle", year, after={"state": c.state, "note": note},
                 reason=note)
    return c
