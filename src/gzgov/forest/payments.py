"""Disbursement and reconciliation (资金拨付与对账, forest §5): one bank file per district batch,
each payee paid into their own account ("一卡（折）通"), the bank's result file imported
all-or-nothing, failed payments re-issued after the account is corrected, the cycle closed.

Every payment is checked against the posted snapshot: a different amount, payee or account
needs a recorded reason, and no line is paid before its village's publicity has ended.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.geo import district_name
from gzgov.core.identity import get_cipher
from gzgov.core.money import fmt_yuan, yuan_to_fen
from gzgov.core.tabular import Column, ImportRejected, ImportReport, file_digest, read_rows
from gzgov.forest.choices import CycleState, DistrictState, LineStatus
from gzgov.forest.cycle import _driver_rows, bump, get_cycle, get_district_cycle, refuse, today_shanghai
from gzgov.forest.models import DistrictCycle, EntitlementLine, Payee, Payment, PaymentBatch, VillagePublicity

BANK_HEADER = ["payment_id", "payee_name", "id_number", "bank_name", "account", "amount", "purpose",
               "base_2012", "city_increment", "district_increment"]
RESULT_COLUMNS = [Column("payment_id", "支付序号", "Payment id"), Column("account", "账号", "Account"),
                  Column("amount", "金额", "Amount"), Column("result", "结果", "Result"),
                  Column("bank_ref", "银行流水号", "Bank reference", required=False),
                  Column("note", "说明", "Note", required=False)]
RESULT_WORDS = {"paid": "paid", "成功": "paid", "failed": "failed", "失败": "failed", "returned": "returned",
                "退回": "returned"}


@dataclass
class BatchResult:
    batch: PaymentBatch | None
    path: Path | None
    skipped: dict[str, list[int]] = field(default_factory=dict)


def _line_category(cycle_id: int, district_code: str, today: date):
    """Each of a district's posted or failed lines with what happens to it in the next bank file, decided in the
    database (no line is brought into Python to be paid): 0 publicity not ended (or never posted), 1 payee without
    an account, 2 differs from the posted snapshot (amount, payee or account) without a recorded reason, 3 payable,
    4 nothing to pay. Returns (category, FROM clause, WHERE conditions)."""
    L, P, V = EntitlementLine, Payee, VillagePublicity
    differs = or_(L.posted_amount_fen.is_distinct_from(L.amount_fen), L.posted_payee_id.is_distinct_from(L.payee_id),
                  L.posted_account_index.is_distinct_from(P.account_index))
    category = case((or_(V.id.is_(None), V.end_date >= today), 0),
                    (or_(P.account_index.is_(None), P.account_index == ""), 1),
                    (and_(differs, or_(L.difference_reason.is_(None), L.difference_reason == "")), 2),
                    (L.amount_fen > 0, 3), else_=4)
    source = (L.__table__.join(P.__table__, P.id == L.payee_id)
              .outerjoin(V.__table__, and_(V.cycle_id == L.cycle_id, V.district_code == L.district_code,
                                           V.town == L.town, V.village == L.village)))
    where = (L.cycle_id == cycle_id, L.district_code == district_code,
             L.status.in_([LineStatus.posted.value, LineStatus.failed.value]))
    return category, source, where


_SKIP_REASONS = ("publicity_not_ended", "no_account", "difference_without_reason")
_PAYABLE = 3


def _skipped(conn, category, source, where) -> dict[str, list[int]]:
    skipped: dict[str, list[int]] = {k: [] for k in _SKIP_REASONS}
    lists = [skipped[k] for k in _SKIP_REASONS]
    L = EntitlementLine
    for line_id, cat in conn.execute(select(L.id, category).select_from(source).where(*where, category < _PAYABLE)
                                     .order_by(L.town, L.village, L.id)):
        lists[cat].append(line_id)
    return skipped


def create_batch(session: Session, actor: Actor, year: int, district_code: str, today: date | None = None,
                 expected_version: int | None = None) -> BatchResult:
    """Issue one bank file for a district: every payable line not yet paid or in flight."""
    actor.require("forest.disburse", district_code)
    today = today or today_shanghai()
    c, dc = get_district_cycle(session, year, district_code)
    if c.state != CycleState.budgeted:
        raise refuse("not_budgeted", "下一年度预算批复后方可拨付（第五条）",
                     "Funds are paid once the next-year budget is set (forest §5)")
    if dc.state not in (DistrictState.reviewed, DistrictState.reconciled):
        raise refuse("not_reviewed", "本区尚未通过市级审查", "The district has not passed the city's review")
    L, P = EntitlementLine, Payee
    category, source, where = _line_category(c.id, district_code, today)
    session.flush()
    conn = session.connection()
    if conn.execute(select(L.id).select_from(source).where(*where, category == _PAYABLE).limit(1)).first() is None:
        return BatchResult(None, None, _skipped(conn, category, source, where))
    number = (session.scalar(select(func.max(PaymentBatch.number)).where(
        PaymentBatch.cycle_id == c.id, PaymentBatch.district_code == district_code)) or 0) + 1
    batch = PaymentBatch(cycle_id=c.id, district_code=district_code, number=number, file_name="", file_sha256="",
                         lines=0, total_fen=0, status="issued", created_by=actor.username)
    session.add(batch)
    session.flush()
    # a failed line paid again records the payment it re-issues
    previous = dict(conn.execute(select(Payment.line_id, func.max(Payment.id)).join(L, L.id == Payment.line_id).where(
        L.cycle_id == c.id, L.district_code == district_code, L.status == LineStatus.failed.value)
        .group_by(Payment.line_id)).all())
    # the payments are copied from the payable lines in the database, in file order (town, village, line)
    conn.execute(insert(Payment.__table__).from_select(
        PAYMENT_COLUMNS[:-1],
        select(literal(batch.id), L.id, L.payee_id, P.account_index, L.amount_fen, L.base_fen, L.city_increment_fen,
               L.district_increment_fen, literal("issued"), literal(""), literal(""))
        .select_from(source).where(*where, category == _PAYABLE).order_by(L.town, L.village, L.id)))
    if previous:
        conn.execute(update(Payment.__table__).where(Payment.batch_id == batch.id,
                                                     Payment.line_id == bindparam("b_line"))
                     .values(reissue_of=bindparam("b_prev")),
                     [{"b_line": line, "b_prev": prev} for line, prev in previous.items()])
    lines, total = conn.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_fen), 0))
                                .where(Payment.batch_id == batch.id)).one()
    batch.lines, batch.total_fen = int(lines), int(total)
    conn.execute(update(EntitlementLine).where(EntitlementLine.id.in_(
        select(Payment.line_id).where(Payment.batch_id == batch.id))).values(status=LineStatus.issued.value)
        .execution_options(synchronize_session=False))
    # what is left posted or failed was not payable: each with its reason
    skipped = _skipped(conn, category, source, where)
    _expire_loaded(session, EntitlementLine)
    path, digest = _write_bank_file(session, year, district_code, batch)
    batch.file_name, batch.file_sha256 = path.name, digest
    bump(session, dc, expected_version, "本区本年度周期", "This district's cycle")
    audit.record(session, actor.username, "payment.batch", "forest_payment_batch", batch.id,
                 after={"district": district_code, "number": number, "lines": batch.lines, "total_fen": batch.total_fen,
                        "sha256": digest, "skipped": {k: len(v) for k, v in skipped.items()}})
    return BatchResult(batch, path, skipped)


def _expire_loaded(session: Session, *models: type) -> None:
    """Rows changed by bulk SQL: let objects of theirs already loaded in the session re-read them."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, models):
            session.expire(obj)


PAYMENT_COLUMNS = ("batch_id", "line_id", "payee_id", "account_index", "amount_fen", "base_fen", "city_increment_fen",
                   "district_increment_fen", "status", "bank_ref", "result_note", "reissue_of")


def bank_dir(year: int) -> Path:
    d = get_settings().var_dir / "bankfiles" / str(year)
    d.mkdir(parents=True, exist_ok=True)
    return d


_CENTS = tuple(f"{i:02d}" for i in range(100))


def _write_bank_file(session: Session, year: int, district_code: str, batch: PaymentBatch) -> tuple[Path, str]:
    """The bank payment file: the only export that carries full ID and account numbers."""
    decrypt = get_cipher().decryptor()
    purpose = f"{year}年生态公益林损失性补偿"
    q = (select(Payment.id, Payee.name, Payee.id_enc, Payee.bank_name, Payee.account_enc, Payment.amount_fen,
                Payment.base_fen, Payment.city_increment_fen, Payment.district_increment_fen)
         .join(Payee, Payee.id == Payment.payee_id).where(Payment.batch_id == batch.id).order_by(Payment.id))
    # csv.writer's output, written directly: a row whose text holds no comma, quote or line break of its own
    # needs no quoting, and non-negative fen print as yuan without Decimal; any other row goes through
    # csv.writer and `fmt_yuan` themselves.
    side = io.StringIO()
    writer = csv.writer(side)
    writer.writerow(BANK_HEADER)
    out = [side.getvalue()]
    append = out.append
    c = _CENTS
    for pid, name, id_enc, bank, acct_enc, amt, base, city, dist in _driver_rows(session, q):
        idn, acct = decrypt(id_enc), decrypt(acct_enc)
        if amt >= 0 and base >= 0 and city >= 0 and dist >= 0:
            text = (f"{pid},{name},{idn},{bank},{acct},{amt // 100}.{c[amt % 100]},{purpose},{base // 100}."
                    f"{c[base % 100]},{city // 100}.{c[city % 100]},{dist // 100}.{c[dist % 100]}")
            if text.count(",") == 9 and '"' not in text and "\r" not in text and "\n" not in text:
                append(text + "\r\n")
                continue
        side.seek(0)
        side.truncate()
        writer.writerow([pid, name, idn, bank, acct, fmt_yuan(amt), purpose, fmt_yuan(base), fmt_yuan(city),
                         fmt_yuan(dist)])
        append(side.getvalue())
    data = "".join(out).encode("utf-8")
    path = bank_dir(year) / f"{year}-{district_code}-{batch.number:03d}.csv"
    path.write_bytes(data)
    return path, file_digest(data)


class _Issued(NamedTuple):
    """What a bank result row is checked against: one payment of the batch."""

    id: int
    account_index: str
    amount_fen: int
    status: str
    line_id: int


def import_bank_result(session: Session, actor: Actor, batch_id: int, data: bytes, filename: str) -> dict[str, int]:
    """Import the bank's result file for a batch: all rows valid or nothing changes. Re-importing the
    same results changes nothing."""
    batch = session.get(PaymentBatch, batch_id)
    if batch is None:
        raise refuse("not_found", f"未找到批次 {batch_id}", f"Batch {batch_id} not found")
    actor.require("forest.reconcile", batch.district_code)
    report = ImportReport(filename)
    session.flush()
    conn = session.connection()
    payments = {r[0]: _Issued(*r) for r in conn.execute(
        select(Payment.id, Payment.account_index, Payment.amount_fen, Payment.status, Payment.line_id)
        .where(Payment.batch_id == batch_id))}
    seen: set[int] = set()
    updates: list[tuple[_Issued, str, str, str]] = []
    for n, r in read_rows(data, filename, RESULT_COLUMNS, report):
        report.rows += 1
        checked = _check_result_row(n, r, payments, seen, report)
        if checked is not None:
            updates.append(checked)
    if report.ok and report.rows == 0:
        report.add(2, "file", "文件中没有数据行", "the file has no data rows")
    if not report.ok:
        raise ImportRejected(report)
    counts = {"paid": 0, "failed": 0, "returned": 0}
    for _p, result, _ref, _note in updates:
        counts[result] += 1
    if updates:
        conn.execute(update(Payment.__table__).where(Payment.id == bindparam("b_id"))
                     .values(status=bindparam("b_status"), bank_ref=bindparam("b_ref"), result_note=bindparam("b_note")),
                     [{"b_id": p.id, "b_status": result, "b_ref": ref, "b_note": note} for p, result, ref, note in updates])
        paid, failed = LineStatus.paid.value, LineStatus.failed.value
        conn.execute(update(EntitlementLine.__table__).where(EntitlementLine.id == bindparam("b_id"))
                     .values(status=bindparam("b_status")),
                     [{"b_id": p.line_id, "b_status": paid if result == "paid" else failed}
                      for p, result, _ref, _note in updates])
        _expire_loaded(session, Payment, EntitlementLine)
    still_issued = sum(1 for p in payments.values() if p.status == "issued") - len(updates)
    if still_issued == 0:
        batch.status = "reconciled"
    session.flush()
    if updates:
        audit.record(session, actor.username, "payment.result", "forest_payment_batch", batch.id, after=counts,
                     reason=f"银行回盘 {filename} {file_digest(data)[:12]}")
    return counts


def _check_result_row(n: int, r: dict[str, str], payments: dict[int, _Issued], seen: set[int],
                      report: ImportReport) -> tuple[_Issued, str, str, str] | None:
    pid = int(r["payment_id"]) if r["payment_id"].isdigit() else -1
    p = payments.get(pid)
    if p is None:
        report.add(n, "payment_id", f"本批次没有支付序号 {r['payment_id']}", f"no payment {r['payment_id']} in this batch")
        return None
    if pid in seen:
        report.add(n, "payment_id", "支付序号重复", "payment id repeats")
    seen.add(pid)
    if get_cipher().blind_index(r["account"].replace(" ", "")) != p.account_index:
        report.add(n, "account", "账号与支付指令不一致", "account differs from the payment instruction")
    try:
        if yuan_to_fen(r["amount"]) != p.amount_fen:
            report.add(n, "amount", f"金额与支付指令（{fmt_yuan(p.amount_fen)}）不一致",
                       f"amount differs from the instruction ({fmt_yuan(p.amount_fen)})")
    except Exception:  # noqa: BLE001 - any unparsable amount is the file's error
        report.add(n, "amount", f"金额无效：{r['amount']}", f"invalid amount: {r['amount']}")
    result = RESULT_WORDS.get(r["result"].strip().lower())
    if result is None:
        report.add(n, "result", f"结果“{r['result']}”应为 成功/失败/退回", f"result “{r['result']}” must be paid/failed/returned")
    elif p.status != "issued" and p.status != result:
        report.add(n, "result", f"该笔已记为“{p.status}”", f"this payment is already recorded as “{p.status}”")
    elif p.status == "issued":
        return p, result, r.get("bank_ref", ""), r.get("note", "")
    return None


def reconciliation(session: Session, actor: Actor, year: int, district_code: str | None = None) -> dict:
    """Per district and per budget source: due, paid, in flight, failed, outstanding — to the fen."""
    actor.require("forest.view", district_code)
    c = get_cycle(session, year)
    district_code = district_code or actor.district_filter()
    q = select(EntitlementLine.district_code, EntitlementLine.status, func.count(),
               func.sum(EntitlementLine.amount_fen), func.sum(EntitlementLine.base_fen),
               func.sum(EntitlementLine.city_increment_fen), func.sum(EntitlementLine.district_increment_fen)).where(
        EntitlementLine.cycle_id == c.id).group_by(EntitlementLine.district_code, EntitlementLine.status)
    if district_code:
        q = q.where(EntitlementLine.district_code == district_code)
    out: dict[str, dict] = {}
    for d, status, n, amt, base, city, dist in session.execute(q):
        e = out.setdefault(d, {"name": district_name(d), "lines": {}, "sources": {
            s: {"due": 0, "paid": 0} for s in ("base_2012", "city_increment", "district_increment", "total")}})
        e["lines"][status] = int(n)
        if status == LineStatus.cancelled:
            continue
        for s, v in (("base_2012", base), ("city_increment", city), ("district_increment", dist), ("total", amt)):
            e["sources"][s]["due"] += int(v or 0)
            if status == LineStatus.paid:
                e["sources"][s]["paid"] += int(v or 0)
    for e in out.values():
        for s in e["sources"].values():
            s["outstanding"] = s["due"] - s["paid"]
        e["complete"] = e["sources"]["total"]["outstanding"] == 0
    return out


def reconcile_district(session: Session, actor: Actor, year: int, district_code: str,
                       expected_version: int | None = None) -> DistrictCycle:
    """Mark a district reconciled once every line is paid (or cancelled with its reason)."""
    actor.require("forest.reconcile", district_code)
    c, dc = get_district_cycle(session, year, district_code)
    rec = reconciliation(session, actor, year, district_code).get(district_code)
    if rec is None or not rec["complete"]:
        raise refuse("not_reconciled", "仍有未支付的明细，不能完成对账", "Some lines are still unpaid; cannot reconcile")
    before = dc.state
    bump(session, dc, expected_version, "本区本年度周期", "This district's cycle")
    dc.state = DistrictState.reconciled.value
    session.flush()
    audit.record(session, actor.username, "cycle.reconcile", "forest_district_cycle", f"{c.id}:{district_code}",
                 before={"state": before}, after={"state": dc.state, "sources": rec["sources"]})
    return dc


def close_cycle(session: Session, actor: Actor, year: int, expected_version: int | None = None) -> None:
    actor.require("forest.cycle.close")
    c = get_cycle(session, year)
    open_districts = session.scalars(select(DistrictCycle.district_code).where(
        DistrictCycle.cycle_id == c.id, DistrictCycle.state != DistrictState.reconciled.value)).all()
    if c.state != CycleState.budgeted or open_districts:
        raise refuse("cannot_close", f"尚有区未完成对账：{', '.join(district_name(d) for d in open_districts)}",
                     f"Districts not yet reconciled: {', '.join(district_name(d, 'en') for d in open_districts)}")
    c.state = CycleState.closed.value
    bump(session, c, expected_version, "本年度周期", "This cycle")
    audit.record(session, actor.username, "cycle.close", "forest_cycle", year, after={"state": c.state})
