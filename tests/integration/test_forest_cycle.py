"""One whole year's cycle at the service level: verification, computation, publicity, objections,
approvals, city review, budget, bank files, bank results, re-issue, reconciliation, close."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from gzgov.core import audit
from gzgov.core.errors import GzgovError, PermissionDenied, StaleAction
from gzgov.core.tabular import ImportRejected
from gzgov.forest import cycle, objections, payments
from gzgov.forest.choices import LineStatus
from gzgov.forest.models import EntitlementLine, Payee, Payment
from gzgov.forest.registry import import_registry
from tests.factories import card, csv_bytes, household_id, parcel_row
from tests.personas import AUDITOR, CITY, CONGHUA, CONGHUA_FIN, FINANCE, HUADU, HUADU_FIN

START = date(2025, 9, 22)  # Monday; National Day 2025: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked
END = date(2025, 10, 16)  # 15th working day: Sep 22–26 (5), Sep 28 (6), Sep 29–30 (8), Oct 9–10 (10), Oct 11 (11), Oct 13–16 (15)
AFTER = date(2025, 10, 17)


def registry_rows():
    rows = [parcel_row(i, village="石岭村" if i <= 3 else "新联村", grade="I" if i % 2 else "II", area_mu=f"{10 + i}.25")
            for i in range(1, 7)]
    rows.append(parcel_row(7, village="石岭村", grade="III", area_mu="3.33", payee_no=1))  # payee 1 holds two parcels
    rows.append(parcel_row(8, district="花都区", town="梯面镇", village="红山村", grade="III", area_mu="100.00"))
    return rows


@pytest.fixture
def year(session):
    import_registry(session, CITY, csv_bytes(registry_rows()), "registry.csv")
    cycle.open_cycle(session, CITY, 2025)
    for actor, code, areas in ((CONGHUA, "440117", {"I": "39.75", "II": "42.75", "III": "3.33"}),
                               (HUADU, "440114", {"III": "100"})):
        cycle.verify_areas(session, actor, 2025, code, areas)
        cycle.compute_district(session, actor, 2025, code)
        cycle.post_publicity(session, actor, 2025, code, START)
    session.commit()
    return 2025


def lines(session, village=None):
    q = select(EntitlementLine).where(EntitlementLine.district_code == "440117").order_by(EntitlementLine.id)
    if village:
        q = q.where(EntitlementLine.village == village)
    return session.scalars(q).all()


def approve_all(session, today=AFTER):
    for a in (CONGHUA, CONGHUA_FIN):
        cycle.approve_district(session, a, 2025, "440117", today=today)
    for a in (HUADU, HUADU_FIN):
        cycle.approve_district(session, a, 2025, "440114", today=today)
    for d in ("440117", "440114"):
        cycle.city_review(session, CITY, 2025, d)
    cycle.set_budget(session, FINANCE, 2025, "列入2026年市本级一般性转移支付预算")


def bank_result(path, outcome=lambda row: "paid"):
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["payment_id", "account", "amount", "result", "bank_ref"])
    for r in rows:
        w.writerow([r["payment_id"], r["account"], r["amount"], outcome(r), f"B{r['payment_id']}"])
    return buf.getvalue().encode()


def test_lines_are_one_per_payee_and_village_rounded_once(session, year):
    first = lines(session, "石岭村")[0]
    # payee 1: 11.25 mu grade I at 168 + 3.33 mu grade III at 90 = 1890.00 + 299.70
    assert first.amount_fen == 218970
    assert first.status == LineStatus.posted
    assert first.base_fen + first.city_increment_fen + first.district_increment_fen == first.amount_fen


def test_publicity_ends_on_the_fifteenth_working_day_across_national_day(session, year):
    from gzgov.forest.models import VillagePublicity

    pubs = session.scalars(select(VillagePublicity)).all()
    assert {p.end_date for p in pubs} == {END}
    assert all(p.working_days == 15 for p in pubs)


def test_approval_is_refused_while_publicity_runs(session, year):
    with pytest.raises(GzgovError) as err:
        cycle.approve_district(session, CONGHUA, 2025, "440117", today=END)
    assert err.value.code == "publicity_running"


def test_districts_cannot_act_for_each_other(session, year):
    with pytest.raises(PermissionDenied):
        cycle.approve_district(session, HUADU, 2025, "440117", today=AFTER)
    with pytest.raises(PermissionDenied):
        cycle.compute_district(session, CONGHUA, 2025, "440114")
    with pytest.raises(PermissionDenied):
        cycle.city_review(session, AUDITOR, 2025, "440117")


def test_a_stale_action_is_refused(session, year):
    _c, dc = cycle.get_district_cycle(session, 2025, "440117")
    seen = dc.version
    cycle.approve_district(session, CONGHUA, 2025, "440117", today=AFTER, expected_version=seen)
    with pytest.raises(StaleAction):
        cycle.approve_district(session, CONGHUA_FIN, 2025, "440117", today=AFTER, expected_version=seen)


def test_whole_cycle_with_objection_failure_and_reissue(session, year, tmp_path):
    held = lines(session, "新联村")[0]
    obj = objections.record_objection(session, CONGHUA, 2025, "440117", [held.id], "村民代表", "面积登记少了 2 亩")
    approve_all(session)
    # the objection holds exactly its line: the rest of the district is paid in the first batch
    first = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    assert first.batch.lines == len(lines(session)) - 1
    assert held.id not in {p.line_id for p in session.scalars(select(Payment))}
    bank_file = first.path.read_text(encoding="utf-8")
    payee = session.get(Payee, lines(session)[0].payee_id)
    assert household_id(1) in bank_file  # the bank file alone carries full numbers

    # the bank fails one payment
    failed_id = session.scalars(select(Payment.id).order_by(Payment.id)).first()
    result = bank_result(first.path, lambda r: "failed" if int(r["payment_id"]) == failed_id else "paid")
    counts = payments.import_bank_result(session, CONGHUA_FIN, first.batch.id, result, "result.csv")
    assert counts == {"paid": first.batch.lines - 1, "failed": 1, "returned": 0}
    assert payments.import_bank_result(session, CONGHUA_FIN, first.batch.id, result, "result.csv") == {
        "paid": 0, "failed": 0, "returned": 0}  # the same file again changes nothing

    # resolve the objection: the area is corrected and only the held line is recomputed
    objections.resolve(session, CONGHUA, obj.id, "实地核查后更正面积",
                       [objections.Change("area", "P-000004", "16.25")])
    session.refresh(held)
    assert held.status == LineStatus.posted and held.amount_fen == 16_25 * 112
    assert "异议" in held.difference_reason

    # the failed payee's account is corrected, then a second batch pays both
    failed_line = session.get(EntitlementLine, session.get(Payment, failed_id).line_id)
    objections.update_account(session, CONGHUA, session.get(Payee, failed_line.payee_id), "中国农业银行",
                              card(9001), "原账户已销户，农户提供新卡")
    failed_line.difference_reason = "原账户已销户，更换账户后重发"
    second = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    assert second.batch.lines == 2
    payments.import_bank_result(session, CONGHUA_FIN, second.batch.id, bank_result(second.path), "r2.csv")
    third = payments.create_batch(session, HUADU_FIN, 2025, "440114", today=AFTER)
    payments.import_bank_result(session, HUADU_FIN, third.batch.id, bank_result(third.path), "r3.csv")

    rec = payments.reconciliation(session, AUDITOR, 2025)
    for d in rec.values():
        assert d["complete"]
        s = d["sources"]
        assert s["base_2012"]["paid"] + s["city_increment"]["paid"] + s["district_increment"]["paid"] == s["total"]["paid"]
    payments.reconcile_district(session, CONGHUA_FIN, 2025, "440117")
    with pytest.raises(GzgovError):
        payments.close_cycle(session, CITY, 2025)
    payments.reconcile_district(session, HUADU, 2025, "440114")
    payments.close_cycle(session, CITY, 2025)
    assert cycle.get_cycle(session, 2025).state == "closed"
    assert audit.verify(session).ok
    assert payee.account_masked not in ("", None)


def test_a_line_is_never_paid_before_its_village_publicity_ends(session, year):
    approve_all(session)
    result = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=END)
    assert result.batch is None and len(result.skipped["publicity_not_ended"]) == len(lines(session))


def test_a_bad_bank_result_file_changes_nothing(session, year):
    approve_all(session)
    batch = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    good = bank_result(batch.path).decode().splitlines()
    bad = "\n".join(good[:2] + [good[2].replace(",paid,", ",maybe,")] + good[3:]).encode()
    with pytest.raises(ImportRejected) as err:
        payments.import_bank_result(session, CONGHUA_FIN, batch.batch.id, bad, "bad.csv")
    assert err.value.report.errors[0].row == 3
    assert all(p.status == "issued" for p in session.scalars(select(Payment)))


def test_a_payment_differing_from_the_snapshot_needs_a_reason(session, year):
    line = lines(session)[0]
    objections.update_account(session, CONGHUA, session.get(Payee, line.payee_id), "中国农业银行", card(7777),
                              "农户更换银行卡")
    approve_all(session)
    result = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    assert line.id in result.skipped["difference_without_reason"]


# ---------------------------------------------------------------- the fast paths give exactly the plain results


def test_line_arithmetic_is_exactly_line_amount_and_split_line():
    import random

    from gzgov.forest.choices import Grade
    from gzgov.forest.entitlement import Rates, line_amount, split_line

    rates = Rates(2025, {Grade.I: 16800, Grade.II: 11200, Grade.III: 9000}, None, "test")
    rng = random.Random(7)
    rows = [(i, "镇", "村", rng.choice([0, 1, 5, 25, 12_345, 10**9]) * rng.randint(0, 3),
             rng.randint(0, 10**7), rng.choice([0, 1, 50, rng.randint(0, 10**11)])) for i in range(3000)]
    rows += [(9001, "镇", "村", 5, 0, 0), (9002, "镇", "村", 0, 0, 0), (9003, "镇", "村", -7, 3, 0)]  # half, zero, negative
    amounts = cycle._line_amounts(rows, rates)
    assert amounts == [line_amount({Grade.I: a1, Grade.II: a2, Grade.III: a3}, rates) for _p, _t, _v, a1, a2, a3 in rows]
    total = sum(amounts)
    for base, tot, bp in ((min(total, 123_456_789_012), total, 6_000), (total, total, 10_000), (0, total, 0),
                          (total // 3, total, 3_333), (5, 0, 5_000)):
        got = list(cycle._line_values(rows, amounts, base, tot, bp))
        for (pid, town, vil, a1, a2, a3), amt, g in zip(rows, amounts, got, strict=True):
            s = split_line(amt, base, tot, bp)
            assert g == (town, vil, pid, a1, a2, a3, amt, s.base, s.city_increment, s.district_increment)


def test_fast_decryption_is_the_cipher_s_own():
    from gzgov.core.identity import IdentityError, get_cipher

    cipher = get_cipher()
    decrypt = cipher.decryptor()
    for text in ("440117196001020011", "6217000000000001234", "中文 and ascii", ""):
        token = cipher.encrypt(text)
        assert decrypt(token) == cipher.decrypt(token) == text
    token = cipher.encrypt("440117196001020011")
    body = token[3:]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(body) % 4 == 2  # 46 bytes: the last character carries 4 unused bits
    loose = token[:-1] + alphabet[alphabet.index(token[-1]) + 1]  # same bytes, non-canonical text
    bad = [token[:-1] + ("A" if token[-1] != "A" else "Q"),  # altered
           "v2." + body, token + "=", token[:10] + "*" + token[10:], token.replace("-", "+").replace("_", "/"), loose]
    for t in bad:
        if t == token:
            continue
        with pytest.raises(IdentityError):
            cipher.decrypt(t)
        with pytest.raises(IdentityError):
            decrypt(t)


def test_bank_file_is_what_csv_writer_and_fmt_yuan_write(session):
    from gzgov.core.identity import get_cipher
    from gzgov.core.money import fmt_yuan
    from gzgov.forest.models import PaymentBatch

    rows = [parcel_row(1, grade="I", area_mu="10.25"), parcel_row(2, grade="II", area_mu="3.3333"),
            parcel_row(3, grade="III", area_mu="7.01", payee_name='李, "四"'),  # needs quoting in CSV
            parcel_row(4, grade="I", area_mu="1.00", bank_account="")]  # no account: held back
    import_registry(session, CITY, csv_bytes(rows), "registry.csv")
    cycle.open_cycle(session, CITY, 2025)
    cycle.verify_areas(session, CONGHUA, 2025, "440117", {"I": "11.25", "II": "3.3333", "III": "7.01"})
    cycle.compute_district(session, CONGHUA, 2025, "440117")
    cycle.post_publicity(session, CONGHUA, 2025, "440117", START)
    for a in (CONGHUA, CONGHUA_FIN):
        cycle.approve_district(session, a, 2025, "440117", today=AFTER)
    cycle.city_review(session, CITY, 2025, "440117")
    cycle.set_budget(session, FINANCE, 2025, "预算")
    loaded = lines(session)  # loaded before: must see the bulk status change
    res = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    no_account = [ln.id for ln in loaded if session.get(Payee, ln.payee_id).account_index == ""]
    assert res.skipped == {"publicity_not_ended": [], "no_account": no_account, "difference_without_reason": []}
    assert {ln.id: ln.status for ln in loaded} == {ln.id: ("posted" if ln.id in no_account else "issued") for ln in loaded}
    pays = session.scalars(select(Payment).order_by(Payment.id)).all()
    assert res.batch.lines == len(pays) == 3 and res.batch.total_fen == sum(p.amount_fen for p in pays)
    cipher = get_cipher()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(payments.BANK_HEADER)
    for p in pays:
        y = session.get(Payee, p.payee_id)
        w.writerow([p.id, y.name, cipher.decrypt(y.id_enc), y.bank_name, cipher.decrypt(y.account_enc),
                    fmt_yuan(p.amount_fen), "2025年生态公益林损失性补偿", fmt_yuan(p.base_fen),
                    fmt_yuan(p.city_increment_fen), fmt_yuan(p.district_increment_fen)])
    assert res.path.read_bytes() == buf.getvalue().encode("utf-8")
    assert '"李, ""四"""' in res.path.read_text(encoding="utf-8")

    # bank results in bulk: loaded objects see them; the failed line is re-issued with a link to its payment
    result = bank_result(res.path, lambda r: "returned" if r["payee_name"].startswith("李") else "paid")
    assert payments.import_bank_result(session, CONGHUA_FIN, res.batch.id, result, "r.csv") == {
        "paid": 2, "failed": 0, "returned": 1}
    assert sorted(p.status for p in pays) == ["paid", "paid", "returned"]
    assert session.get(PaymentBatch, res.batch.id).status == "reconciled"
    returned = next(p for p in pays if p.status == "returned")
    assert session.get(EntitlementLine, returned.line_id).status == LineStatus.failed
    session.get(EntitlementLine, returned.line_id).difference_reason = "退回后重发"
    again = payments.create_batch(session, CONGHUA_FIN, 2025, "440117", today=AFTER)
    assert again.batch.lines == 1
    assert session.scalars(select(Payment).where(Payment.batch_id == again.batch.id)).one().reissue_of == returned.id
