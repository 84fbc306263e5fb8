"""Objections during publicity (公示异议): record, investigate, resolve.

An objection holds exactly the lines it concerns; the rest of the village can be paid. A
resolution may change a parcel's area or payee, or a payee's account; the held lines are then
recomputed, and every difference from what was posted carries the resolution as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.identity import get_cipher, mask_account, validate_bank_account
from gzgov.core.money import parse_area
from gzgov.forest.choices import Grade, LineStatus, PayeeKind
from gzgov.forest.cycle import _aggregate, get_district_cycle, refuse
from gzgov.forest.entitlement import line_amount, split_line
from gzgov.forest.models import Cycle, DistrictCycle, EntitlementLine, Objection, ObjectionLine, Parcel, Payee
from gzgov.forest.standards import rates_for


@dataclass(frozen=True)
class Change:
    """One correction a resolution makes: kind is "area" (target = parcel code, value = mu),
    "payee" (target = parcel code, value = the new payee's ID number) or "account"
    (target = the payee's ID number, value = account, bank = bank name)."""

    kind: str
    target: str
    value: str
    bank: str = ""


def record_objection(session: Session, actor: Actor, year: int, district_code: str, line_ids: list[int],
                     raised_by: str, text: str) -> Objection:
    actor.require("forest.objection.manage", district_code)
    c, _dc = get_district_cycle(session, year, district_code)
    if not line_ids or not text.strip() or not raised_by.strip():
        raise refuse("objection_incomplete", "异议须注明提出人、内容和涉及的明细",
                     "An objection needs who raised it, what it says and the lines it concerns")
    lines = session.scalars(select(EntitlementLine).where(EntitlementLine.id.in_(line_ids))).all()
    if len(lines) != len(set(line_ids)) or any(ln.cycle_id != c.id or ln.district_code != district_code for ln in lines):
        raise refuse("bad_lines", "所选明细不属于本区本年度", "The lines are not this district's lines for this year")
    bad = [ln.id for ln in lines if ln.status != LineStatus.posted]
    if bad:
        raise refuse("not_holdable", f"明细 {bad} 未在公示中或已发放，不能挂起",
                     f"Lines {bad} are not posted or already issued; they cannot be held")
    obj = Objection(cycle_id=c.id, district_code=district_code, raised_by=raised_by, text=text, status="open",
                    recorded_by=actor.username)
    session.add(obj)
    session.flush()
    for ln in lines:
        ln.status = LineStatus.held.value
        session.add(ObjectionLine(objection_id=obj.id, line_id=ln.id))
    session.flush()
    audit.record(session, actor.username, "objection.record", "forest_objection", obj.id,
                 after={"lines": sorted(line_ids), "raised_by": raised_by, "text": text})
    return obj


def _load(session: Session, actor: Actor, objection_id: int) -> Objection:
    obj = session.get(Objection, objection_id)
    if obj is None:
        raise refuse("not_found", f"未找到异议 {objection_id}", f"Objection {objection_id} not found")
    actor.require("forest.objection.manage", obj.district_code)
    return obj


def investigate(session: Session, actor: Actor, objection_id: int, note: str) -> Objection:
    obj = _load(session, actor, objection_id)
    if obj.status != "open":
        raise refuse("wrong_state", "只有新登记的异议可以转入调查", "Only an open objection can move to investigation")
    obj.status = "investigating"
    session.flush()
    audit.record(session, actor.username, "objection.investigate", "forest_objection", obj.id,
                 before={"status": "open"}, after={"status": obj.status}, reason=note)
    return obj


def _payee_by_id_number(session: Session, id_number: str) -> Payee:
    p = session.scalar(select(Payee).where(Payee.id_index == get_cipher().blind_index(id_number.strip().upper())))
    if p is None:
        raise refuse("unknown_payee", "登记中没有该证件号码的补偿对象（请先导入或登记）",
                     "No payee with that ID number is registered (import or register them first)")
    return p


def _apply(session: Session, actor: Actor, obj: Objection, ch: Change, reason: str) -> set[int]:
    """Apply one correction (audited); return the payee ids whose lines it affects."""
    if ch.kind in ("area", "payee"):
        parcel = session.scalar(select(Parcel).where(Parcel.code == ch.target))
        if parcel is None or parcel.district_code != obj.district_code:
            raise refuse("bad_parcel", f"本区没有小班 {ch.target}", f"No parcel {ch.target} in this district")
        affected = {parcel.payee_id}
        if ch.kind == "area":
            try:
                new = parse_area(ch.value)
            except ValueError as exc:
                raise refuse("bad_area", f"面积无效：{ch.value}", f"Invalid area: {ch.value}") from exc
            before, parcel.area_e4 = {"area_e4": parcel.area_e4}, new
            after = {"area_e4": new}
        else:
            payee = _payee_by_id_number(session, ch.value)
            before, parcel.payee_id = {"payee_id": parcel.payee_id}, payee.id
            after = {"payee_id": payee.id}
            affected.add(payee.id)
        parcel.version += 1
        parcel.updated_at = now()
        audit.record(session, actor.username, f"parcel.{ch.kind}", "forest_parcel", parcel.code, before=before,
                     after=after, reason=reason)
        return affected
    if ch.kind == "account":
        payee = _payee_by_id_number(session, ch.target)
        update_account(session, actor, payee, ch.bank, ch.value, reason)
        return {payee.id}
    raise refuse("bad_change", f"未知的更正类型：{ch.kind}", f"Unknown correction: {ch.kind}")


def update_account(session: Session, actor: Actor, payee: Payee, bank: str, account: str, reason: str) -> None:
    """Correct a payee's bank account (audited, masked in the log)."""
    actor.require("forest.registry.edit", payee.district_code)
    account = validate_bank_account(account, personal=PayeeKind(payee.kind).personal)
    if not bank.strip():
        raise refuse("bank_required", "请填写开户银行", "Give the bank")
    cipher = get_cipher()
    before = {"bank_name": payee.bank_name, "account": payee.account_masked}
    payee.bank_name, payee.account_enc = bank.strip(), cipher.encrypt(account)
    payee.account_index, payee.account_masked = cipher.blind_index(account), mask_account(account)
    payee.version += 1
    payee.updated_at = now()
    session.flush()
    audit.record(session, actor.username, "payee.account", "forest_payee", payee.id_masked, before=before,
                 after={"bank_name": payee.bank_name, "account": payee.account_masked}, reason=reason)


def resolve(session: Session, actor: Actor, objection_id: int, resolution: str, changes: list[Change] = ()) -> Objection:
    """Resolve an objection: apply the corrections, recompute exactly the held lines, release them."""
    obj = _load(session, actor, objection_id)
    if obj.status == "resolved":
        raise refuse("wrong_state", "异议已处理", "The objection is already resolved")
    if not resolution.strip():
        raise refuse("resolution_required", "请填写处理结果", "Give the resolution")
    dc = session.scalar(select(DistrictCycle).where(DistrictCycle.cycle_id == obj.cycle_id,
                                                            DistrictCycle.district_code == obj.district_code))
    reason = f"异议#{obj.id}处理：{resolution}"
    affected: set[int] = set()
    for ch in changes:
        affected |= _apply(session, actor, obj, ch, reason)
    session.flush()
    held = session.scalars(select(EntitlementLine).join(ObjectionLine, ObjectionLine.line_id == EntitlementLine.id)
                           .where(ObjectionLine.objection_id == obj.id)).all()
    _recompute(session, obj, dc, held, affected, reason)
    obj.status, obj.resolution, obj.resolved_by, obj.resolved_at = "resolved", resolution, actor.username, now()
    session.flush()
    audit.record(session, actor.username, "objection.resolve", "forest_objection", obj.id,
                 after={"status": "resolved", "changes": [c.__dict__ for c in changes]}, reason=resolution)
    return obj


def _recompute(session: Session, obj: Objection, dc: DistrictCycle, held: list[EntitlementLine],
               affected: set[int], reason: str) -> None:
    year = session.get(Cycle, obj.cycle_id).year
    rates = rates_for(session, year)
    held_keys = {(ln.payee_id, ln.town, ln.village): ln for ln in held}
    places = {(ln.town, ln.village) for ln in held}
    for town, vil in places:
        agg = _aggregate(session, obj.district_code, (town, vil))
        existing = {(ln.payee_id, ln.town, ln.village): ln for ln in session.scalars(select(EntitlementLine).where(
            EntitlementLine.cycle_id == obj.cycle_id, EntitlementLine.district_code == obj.district_code,
            EntitlementLine.town == town, EntitlementLine.village == vil))}
        for key in set(agg) | set(existing):
            areas = agg.get(key, {})
            amount = line_amount(areas, rates) if areas else 0
            line = existing.get(key)
            if line is not None and key not in held_keys:
                if line.amount_fen != amount:
                    raise refuse("outside_objection", f"更正会改变未被本异议挂起的明细 {line.id}",
                                 f"The correction would change line {line.id}, which this objection does not hold")
                continue
            if line is None:
                if key[0] not in affected:
                    continue
                line = EntitlementLine(cycle_id=obj.cycle_id, district_code=obj.district_code, town=town, village=vil,
                                       payee_id=key[0], amount_fen=0, status=LineStatus.posted.value)
                session.add(line)
            line.area_i_e4, line.area_ii_e4 = areas.get(Grade.I, 0), areas.get(Grade.II, 0)
            line.area_iii_e4, line.amount_fen = areas.get(Grade.III, 0), amount
            s = split_line(amount, dc.split_base_fen, dc.split_total_fen, dc.city_share_bp)
            line.base_fen, line.city_increment_fen, line.district_increment_fen = s.base, s.city_increment, s.district_increment
            line.status = (LineStatus.posted if amount else LineStatus.cancelled).value
            payee = session.get(Payee, line.payee_id)
            if (line.posted_amount_fen, line.posted_payee_id, line.posted_account_index) != (
                    amount, line.payee_id, payee.account_index):
                line.difference_reason = reason
    for pid in affected:  # an account corrected here explains the difference on the payee's other lines too
        for ln in session.scalars(select(EntitlementLine).where(EntitlementLine.cycle_id == obj.cycle_id,
                                                                EntitlementLine.payee_id == pid)):
            if ln.posted_account_index is not None and ln.posted_account_index != session.get(Payee, pid).account_index:
                ln.difference_reason = ln.difference_reason or reason
    session.flush()


def correct_failed_account(session: Session, actor: Actor, year: int, district_code: str, line_id: int, bank: str,
                           account: str, reason: str) -> EntitlementLine:
    """A payment the bank failed or returned: correct the payee's account (audited) so the line is paid again
    in the next bank file; the new account differs from the posted one, so the reason is recorded on the line."""
    actor.require("forest.registry.edit", district_code)
    c, _dc = get_district_cycle(session, year, district_code)
    line = session.get(EntitlementLine, line_id)
    if line is None or line.cycle_id != c.id or line.district_code != district_code:
        raise refuse("bad_lines", "所选明细不属于本区本年度", "The line is not this district's line for this year")
    if line.status != LineStatus.failed:
        raise refuse("not_failed", "只有支付失败或被退回的明细可以更正账户后重发",
                     "Only a failed or returned payment can be re-issued after correcting the account")
    if not reason.strip():
        raise refuse("reason_required", "请填写更正理由", "Give the reason for the correction")
    update_account(session, actor, session.get(Payee, line.payee_id), bank, account, reason)
    line.difference_reason = f"支付失败后更正账户重发：{reason.strip()}"
    session.flush()
    return line
