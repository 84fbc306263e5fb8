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

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.bulk import bulk_insert
from gzgov.core.geo import district_name
from gzgov.core.identity import get_cipher
from gzgov.core.money import fmt_yuan, yuan_to_fen
from gzgov.core.tabular import Column, ImportRejected, ImportReport, file_digest, read_rows
from gzgov.forest.choices import CycleState, DistrictState, LineStatus
from gzgov.forest.cycle import bump, get_cycle, get_district_cycle, publicity_of, refuse, today_shanghai
from gzgov.forest.models import DistrictCycle, EntitlementLine, Payee, Payment, PaymentBatch

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
    pubs = publicity_of(session, c.id, district_code)
    L = EntitlementLine
    q = (select(L.id, L.town, L.village, L.status, L.amount_fen, L.payee_id, L.posted_amount_fen, L.posted_payee_id,
                L.posted_account_index, L.difference_reason, L.base_fen, L.city_increment_fen,
                L.district_increment_fen, Payee.account_index)
         .join(Payee, Payee.id == L.payee_id)
         .where(L.cycle_id == c.id, L.district_code == district_code,
                L.status.in_([LineStatus.posted.value, LineStatus.failed.value]))
         .order_by(L.town, L.village, L.id))
    skipped: dict[str, list[int]] = {"publicity_not_ended": [], "no_account": [], "difference_without_reason": []}
    payable = []
    for r in session.execute(q):
        pub = pubs.get((r.town, r.village))
        if pub is None or pub.end_date >= today:
            skipped["publicity_not_ended"].append(r.id)
        elif not r.account_index:
            skipped["no_account"].append(r.id)
        elif (r.posted_amount_fen, r.posted_payee_id, r.posted_account_index) != (
                r.amount_fen, r.payee_id, r.account_index) and not r.difference_reason:
            skipped["difference_without_reason"].append(r.id)
        elif r.amount_fen > 0:
            payable.append(r)
    if not payable:
        return BatchResult(None, None, skipped)
    number = (session.scalar(select(func.max(PaymentBatch.number)).where(
        PaymentBatch.cycle_id == c.id, PaymentBatch.district_code == district_code)) or 0) + 1
    batch = PaymentBatch(cycle_id=c.id, district_code=district_code, number=number, file_name="", file_sha256="",
                         lines=len(payable), total_fen=sum(r.amount_fen for r in payable), status="issued",
                         created_by=actor.username)
    session.add(batch)
    session.flush()
    failed = [r.id for r in payable if r.status == LineStatus.failed]
    previous = dict(session.execute(select(Payment.line_id, func.max(Payment.id)).where(
        Payment.line_id.in_(failed)).group_by(Payment.line_id)).all()) if failed else {}
    bulk_insert(session, Payment.__table__, PAYMENT_COLUMNS, (
        (batch.id, r.id, r.payee_id, r.account_index, r.amount_fen, r.base_fen, r.city_increment_fen,
         r.district_increment_fen, "issued", "", "", previous.get(r.id)) for r in payable))
    session.execute(update(EntitlementLine).where(EntitlementLine.id.in_(
        select(Payment.line_id).where(Payment.batch_id == batch.id))).values(status=LineStatus.issued.value)
        .execution_options(synchronize_session=False))
    path, digest = _write_bank_file(session, year, district_code, batch)
    batch.file_name, batch.file_sha256 = path.name, digest
    bump(session, dc, expected_version, "本区本年度周期", "This district's cycle")
    audit.record(session, actor.username, "payment.batch", "forest_payment_batch", batch.id,
                 after={"district": district_code, "number": number, "lines": batch.lines, "total_fen": batch.total_fen,
                        "sha256": digest, "skipped": {k: len(v) for k, v in skipped.items()}})
    return BatchResult(batch, path, skipped)


PAYMENT_COLUMNS = ("batch_id", "line_id", "payee_id", "account_index", "amount_fen", "base_fen", "city_increment_fen",
                   "district_increment_fen", "status", "bank_ref", "result_note", "reissue_of")


def bank_dir(year: int) -> Path:
    d = get_settings().var_dir / "bankfiles" / str(year)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write_bank_file(session: Session, year: int, district_code: str, batch: PaymentBatch) -> tuple[Path, str]:
    """The bank payment file: the only export that carries full ID and account numbers."""
    cipher = get_cipher()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(BANK_HEADER)
    purpose = f"{year}年生态公益林损失性补偿"
    q = (select(Payment.id, Payee.name, Payee.id_enc, Payee.bank_name, Payee.account_enc, Payment.amount_fen,
                Payment.base_fen, Payment.city_increment_fen, Payment.district_increment_fen)
         .join(Payee, Payee.id == Payment.payee_id).where(Payment.batch_id == batch.id).order_by(Payment.id))
    for pid, name, id_enc, bank, acct_enc, amt, base, city, dist in session.execute(q):
        w.writerow([pid, name, cipher.decrypt(id_enc), bank, cipher.decrypt(acct_enc), fmt_yuan(amt), purpose,
                    fmt_yuan(base), fmt_yuan(city), fmt_yuan(dist)])
    data = buf.getvalue().encode("utf-8")
    path = bank_dir(year) / f"{year}-{district_code}-{batch.number:03d}.csv"
    path.write_bytes(data)
    return path, file_digest(data)


def import_bank_result(session: Session, actor: Actor, batch_id: int, data: bytes, filename: str) -> dict[str, int]:
    """Import the bank's result file for a batch: all rows valid or nothing changes. Re-importing the
    same results changes nothing."""
    batch = session.get(PaymentBatch, batch_id)
    if batch is None:
        raise refuse("not_found", f"未找到批次 {batch_id}", f"Batch {batch_id} not found")
    actor.require("forest.reconcile", batch.district_code)
    report = ImportReport(filename)
    payments = {p.id: p for p in session.scalars(select(Payment).where(Payment.batch_id == batch_id))}
    seen: set[int] = set()
    updates: list[tuple[Payment, str, str, str]] = []
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
    for p, result, ref, note in updates:
        p.status, p.bank_ref, p.result_note = result, ref, note
        line = session.get(EntitlementLine, p.line_id)
        line.status = (LineStatus.paid if result == "paid" else LineStatus.failed).value
        counts[result] += 1
    if all(p.status != "issued" for p in payments.values()):
        batch.status = "reconciled"
    session.flush()
    if updates:
        audit.record(session, actor.username, "payment.result", "forest_payment_batch", batch.id, after=counts,
                     reason=f"银行回盘 {filename} {file_digest(data)[:12]}")
    return counts


def _check_result_row(n: int, r: dict[str, str], payments: dict[int, Payment], seen: set[int],
                      report: ImportReport) -> tuple[Payment, str, str, str] | None:
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
