"""Reports and exports (报表与导出): village publicity rosters (PDF/XLSX), summaries by grade and tier,
year-over-year, and exceptions for audit. Personal numbers are masked in every export; only the
bank payment file (payments.py) carries them in full."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.geo import district_name
from gzgov.core.identity import IdentityError, get_cipher, validate_credit_code, validate_id_card
from gzgov.core.money import fmt_area, fmt_yuan
from gzgov.core.tabular import xlsx_bytes
from gzgov.forest.choices import PayeeKind
from gzgov.forest.cycle import area_mismatch, cycle_rules, get_cycle, get_district_cycle, publicity_of
from gzgov.forest.models import DistrictCycle, EntitlementLine, Parcel, Payee, StandardSet, VillagePublicity
from gzgov.forest.standards import rates_for
from gzgov.forest.totals import totals_over_years

ROSTER_HEADER = ["序号 No.", "补偿对象 Payee", "证件号码（脱敏） ID (masked)", "Ⅰ级面积（亩）", "Ⅱ级面积（亩）",
                 "Ⅲ级面积（亩）", "补偿金额（元） Amount", "开户银行 Bank", "账号（脱敏） Account (masked)"]


@dataclass
class Roster:
    year: int
    district_code: str
    town: str
    village: str
    rows: list[list[str]]
    total_fen: int
    publicity: VillagePublicity | None
    basis: str
    rates: dict[str, str]


def village_roster(session: Session, actor: Actor, year: int, district_code: str, town: str, village: str) -> Roster:
    """The payee list posted in a village (公示名单); the public may read it."""
    actor.require("forest.publicity.view", district_code if actor.is_district else None)
    c, _dc = get_district_cycle(session, year, district_code)
    q = (select(EntitlementLine, Payee).join(Payee, Payee.id == EntitlementLine.payee_id)
         .where(EntitlementLine.cycle_id == c.id, EntitlementLine.district_code == district_code,
                EntitlementLine.town == town, EntitlementLine.village == village).order_by(EntitlementLine.id))
    rows, total = [], 0
    for i, (ln, p) in enumerate(session.execute(q), start=1):
        amount = ln.posted_amount_fen if ln.posted_amount_fen is not None else ln.amount_fen
        total += amount
        rows.append([str(i), p.name, p.id_masked, fmt_area(ln.area_i_e4), fmt_area(ln.area_ii_e4),
                     fmt_area(ln.area_iii_e4), fmt_yuan(amount), p.bank_name, p.account_masked])
    rates = rates_for(session, year)
    return Roster(year, district_code, town, village, rows, total, publicity_of(session, c.id, district_code).get(
        (town, village)), cycle_rules()["publicity"]["basis"],
        {g.value: fmt_yuan(r) for g, r in rates.compensation.items()})


def roster_xlsx(r: Roster) -> bytes:
    title = f"{r.year}年{district_name(r.district_code)}{r.town}{r.village}生态公益林补偿对象公示名单"
    rows = [[title], [f"公示期 {r.publicity.start_date} 至 {r.publicity.end_date}" if r.publicity else "未公示"], *r.rows,
            ["合计 Total", "", "", "", "", "", fmt_yuan(r.total_fen), "", ""]]
    return xlsx_bytes({"公示名单": (ROSTER_HEADER, rows)})


def roster_pdf(r: Roster) -> bytes:
    """A printable A4 roster for posting in the village (WeasyPrint, CJK font)."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from weasyprint import HTML

    env = Environment(loader=PackageLoader("gzgov.forest", "templates"), autoescape=select_autoescape())
    html = env.get_template("forest/roster_print.html").render(
        r=r, header=ROSTER_HEADER, district=district_name(r.district_code), total=fmt_yuan(r.total_fen))
    return HTML(string=html).write_pdf()


def summary(session: Session, actor: Actor, year: int, district_code: str | None = None) -> dict:
    """City or district summary by grade, tier and district, with the year before beside it (None when
    that year has no approved standard) and every approved year's total for the trend."""
    rates_for(session, year)  # refuses a year without an approved standard, with its message
    years = sorted(set(session.scalars(select(StandardSet.year).where(StandardSet.status == "approved"))) | {year})
    by_year = totals_over_years(session, actor, years, district_code)
    return {"year": year, "this": by_year[year], "previous": by_year.get(year - 1), "by_year": by_year}


def summary_xlsx(s: dict) -> bytes:
    """The summary as a workbook: by grade, by tier, by district, with the year before beside."""
    this, prev = s["this"], s["previous"]

    def pair(cur: int, old: int | None) -> list[str]:
        return [fmt_yuan(cur), "" if old is None else fmt_yuan(old), "" if old is None else fmt_yuan(cur - old)]

    head = ["面积（亩） Area (mu)", "标准（元/亩） Rate", f"{s['year']}年金额（元）", f"{s['year'] - 1}年金额（元）", "增减（元） Change"]
    grades = [[g.zh, fmt_area(i.area_e4), fmt_yuan(i.rate_fen), *pair(i.amount_fen,
              prev.compensation[g].amount_fen if prev else None)] for g, i in this.compensation.items()]
    tiers = [[t.zh, fmt_area(i.area_e4), fmt_yuan(i.rate_fen), *pair(i.amount_fen,
             prev.management[t].amount_fen if prev and prev.management else None)]
             for t, i in (this.management or {}).items()]
    districts = [[district_name(d), fmt_area(v["area_e4"]), fmt_yuan(v["compensation"]), fmt_yuan(v["management"]),
                  *pair(v["total"], prev.by_district[d]["total"] if prev and d in prev.by_district else None)]
                 for d, v in this.by_district.items()]
    return xlsx_bytes({
        "按等级 By grade": (["等级 Grade", *head], grades),
        "按管护层级 By tier": (["层级 Tier", *head], tiers),
        "按区 By district": (["区 District", "面积（亩）", "损失性补偿（元）", "管护补助（元）", f"{s['year']}年合计（元）",
                             f"{s['year'] - 1}年合计（元）", "增减（元）"], districts),
        "历年 By year": (["年度 Year", "损失性补偿（元）", "管护补助（元）", "合计（元）"],
                       [[str(y), fmt_yuan(t.compensation_fen), fmt_yuan(t.management_fen), fmt_yuan(t.total_fen)]
                        for y, t in s["by_year"].items()]),
    })


@dataclass
class Exceptions:
    several_villages: list[dict]
    invalid_ids: list[dict]
    no_account: list[dict]
    changed_after_publicity: list[dict]
    area_mismatch: list[dict]

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def exceptions(session: Session, actor: Actor, year: int | None = None, limit: int = 1000) -> Exceptions:
    """Exceptions for audit (审计异常): one person paid in several villages, invalid IDs, payees without
    accounts, parcels changed after their village's publicity, district areas not matching the verified total."""
    actor.require("forest.view")
    scope = actor.district_filter()
    several = session.execute(
        select(Parcel.payee_id, func.count(func.distinct(Parcel.town + "/" + Parcel.village)))
        .where(*([Parcel.district_code == scope] if scope else [])).group_by(Parcel.payee_id)
        .having(func.count(func.distinct(Parcel.town + "/" + Parcel.village)) > 1).limit(limit)).all()
    payees = {p.id: p for p in session.scalars(select(Payee).where(Payee.id.in_([r[0] for r in several])))}
    several_rows = [{"payee": payees[pid].name, "id_masked": payees[pid].id_masked, "villages": int(n)}
                    for pid, n in several]
    q = select(Payee.name, Payee.id_masked, Payee.id_enc, Payee.kind, Payee.account_index, Payee.district_code).where(
        *([Payee.district_code == scope] if scope else []))
    invalid, no_account = [], []
    decrypt = get_cipher().decryptor()
    personal = {k.value: k.personal for k in PayeeKind}
    for name, id_masked, id_enc, kind, account_index, district in session.execute(q).yield_per(20000):
        if not account_index and len(no_account) < limit:
            no_account.append({"payee": name, "id_masked": id_masked, "district": district_name(district)})
        try:
            number = decrypt(id_enc)
            (validate_id_card if personal[kind] else validate_credit_code)(number)
        except IdentityError as e:
            if len(invalid) < limit:
                invalid.append({"payee": name, "id_masked": id_masked, "reason": f"{e.zh} / {e.en}"})
    changed, mismatch = [], []
    if year is not None:
        c = get_cycle(session, year)
        changed = [{"parcel": code, "village": f"{town}{vil}", "changed_at": str(at), "posted_at": str(posted)}
                   for code, town, vil, at, posted in session.execute(
                       select(Parcel.code, Parcel.town, Parcel.village, Parcel.updated_at, VillagePublicity.posted_at)
                       .join(VillagePublicity, (VillagePublicity.district_code == Parcel.district_code)
                             & (VillagePublicity.town == Parcel.town) & (VillagePublicity.village == Parcel.village))
                       .where(VillagePublicity.cycle_id == c.id, Parcel.updated_at > VillagePublicity.posted_at,
                              *([Parcel.district_code == scope] if scope else [])).limit(limit))]
        for dc in session.scalars(select(DistrictCycle).where(DistrictCycle.cycle_id == c.id)):
            if scope and dc.district_code != scope or dc.verified_at is None:
                continue
            for grade, (verified, registry) in area_mismatch(session, dc).items():
                mismatch.append({"district": district_name(dc.district_code), "grade": grade,
                                 "verified_mu": fmt_area(verified), "registry_mu": fmt_area(registry)})
    return Exceptions(several_rows, invalid, no_account, changed, mismatch)


EXCEPTION_TITLES = {
    "several_villages": ("同一对象在多个村受偿", "Paid in several villages"),
    "invalid_ids": ("证件号码无效", "Invalid ID numbers"),
    "no_account": ("无银行账户的补偿对象", "Payees without an account"),
    "changed_after_publicity": ("公示后变更的小班", "Parcels changed after publicity"),
    "area_mismatch": ("登记面积与核定面积不符", "Registry area differs from verified total"),
}


def exceptions_xlsx(ex: Exceptions) -> bytes:
    sheets = {}
    for key, rows in ex.__dict__.items():
        zh, _en = EXCEPTION_TITLES[key]
        header = list(rows[0].keys()) if rows else ["-"]
        sheets[zh] = (header, ([str(v) for v in r.values()] for r in rows))
    return xlsx_bytes(sheets)


def district_lines_by_state(session: Session, cycle_id: int) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for d, st, n in session.execute(select(EntitlementLine.district_code, EntitlementLine.status, func.count())
                                    .where(EntitlementLine.cycle_id == cycle_id)
                                    .group_by(EntitlementLine.district_code, EntitlementLine.status)):
        out[d][st] = int(n)
    return out
