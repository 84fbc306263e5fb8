"""Demo population of supervised institutions: as many of each type as the plan counts at end-2020 (chapter 1
§一(四): 116 small-loan companies of which 41 internet, 99 pawnshops, 41 financing guarantee companies, 2,458
financial leasing and 746 commercial factoring companies) plus the trading venues chapter 3 names, spread over
the districts where such firms cluster. Names, codes and capitals are synthetic (valid check characters)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

from gzgov.core.auth import SYSTEM, Role, create_user
from gzgov.core.db import session_scope
from gzgov.core.identity import make_credit_code
from gzgov.finreg.registry import InstitutionIn, register_institution

BASIS = "穗府办〔2021〕9号 第一章一（四）"
COUNTS = {"small_loan": 116, "pawn": 99, "guarantee": 41, "leasing": 2458, "factoring": 746}
INTERNET_SMALL_LOAN = 41
GOVERNMENT_GUARANTEE = 9  # illustrative: the plan does not count them
TRADING_VENUES = ["广州碳排放权交易中心", "广州金融资产交易中心", "广东省珠宝玉石交易中心", "广州钻石交易中心"]
PREFIX = {"small_loan": "SL", "pawn": "PW", "guarantee": "GU", "leasing": "LE", "factoring": "FA", "trading_venue": "TV"}
NAME = {"small_loan": "小额贷款有限公司", "pawn": "典当有限公司", "guarantee": "融资担保有限公司",
        "leasing": "融资租赁有限公司", "factoring": "商业保理有限公司"}
# Where each type clusters (weights per district): leasing and factoring in Nansha's free-trade zone, small
# loans around Yuexiu's 民间金融街 and Tianhe, the rest spread. Illustrative, not statistics.
WEIGHTS = {
    "leasing": {"440115": 70, "440106": 8, "440112": 8, "440104": 4, "440105": 3, "440111": 3, "440113": 4},
    "factoring": {"440115": 45, "440106": 20, "440112": 12, "440104": 10, "440105": 5, "440113": 8},
    "small_loan": {"440104": 35, "440106": 20, "440112": 10, "440115": 10, "440105": 6, "440111": 6, "440113": 6,
                   "440103": 3, "440114": 2, "440117": 1, "440118": 1},
}
SPREAD = {"440103": 8, "440104": 12, "440105": 9, "440106": 14, "440111": 11, "440112": 9, "440113": 10,
          "440114": 8, "440115": 9, "440117": 5, "440118": 5}
CAPITAL_YUAN = {"small_loan": (50_000_000, 1_000_000_000), "pawn": (5_000_000, 100_000_000),
                "guarantee": (100_000_000, 2_000_000_000), "leasing": (170_000_000, 2_000_000_000),
                "factoring": (50_000_000, 500_000_000), "trading_venue": (50_000_000, 500_000_000)}
WORDS = "粤穗珠江岭南花城羊城越秀天河海珠番禺南沙白云黄埔增城从化花都荔湾金穗恒信广融汇通"


def _district(rng: random.Random, kind: str) -> str:
    weights = WEIGHTS.get(kind, SPREAD)
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def population(seed: int = 20201231) -> list[InstitutionIn]:
    """Every institution of the demo, deterministic for a seed."""
    rng = random.Random(seed)
    out: list[InstitutionIn] = []
    serial = 0
    kinds = [*((k, n) for k, n in COUNTS.items()), ("trading_venue", len(TRADING_VENUES))]
    for kind, n in kinds:
        for i in range(n):
            serial += 1
            district = _district(rng, kind)
            if kind == "trading_venue":
                name = TRADING_VENUES[i]
            else:
                name = f"广州{rng.choice(WORDS)}{rng.choice(WORDS)}{NAME[kind]}{i + 1:04d}"
            subkind = ("internet" if kind == "small_loan" and i < INTERNET_SMALL_LOAN else
                       "government" if kind == "guarantee" and i < GOVERNMENT_GUARANTEE else "")
            lo, hi = CAPITAL_YUAN[kind]
            capital = rng.randrange(lo // 1_000_000, hi // 1_000_000 + 1) * 1_000_000
            if subkind == "internet":
                capital = max(capital, 1_000_000_000)  # internet small-loan: ≥ 10亿 paid-in (2024 rules; illustrative)
            out.append(InstitutionIn(
                code=f"{PREFIX[kind]}-{i + 1:04d}", name=name, kind=kind, subkind=subkind,
                credit_code=make_credit_code(district, f"D{serial:07d}"), district_code=district,
                registered_capital_yuan=str(capital), licence_no=f"穗金管许〔{2010 + i % 11}〕{i + 1:04d}号",
                chief_risk_officer=f"风控官{serial:04d}", established=date(2008 + i % 13, 1 + i % 12, 1 + i % 28)))
    return out


DEMO_USERS = [("supervisor", Role.finreg_supervisor, "市地方金融监管局 非现场监管处", None, ""),
              ("tianhe_sup", Role.district_supervisor, "天河区金融工作局", "440106", ""),
              ("nansha_sup", Role.district_supervisor, "南沙区金融工作局", "440115", ""),
              ("yuexiu_sup", Role.district_supervisor, "越秀区金融工作局", "440104", ""),
              ("sl0001", Role.institution, "小额贷款公司 SL-0001 风控部", None, "SL-0001")]


def build_finreg_demo(password: str, seed: int = 20201231) -> int:
    """Users and the institution registry of the demo; returns the number of institutions."""
    with session_scope() as s:
        for username, role, name, district, code in DEMO_USERS:
            create_user(s, SYSTEM, username, password, role, name, district, institution_code=code)
    rows = population(seed)
    with session_scope() as s:
        for data in rows:
            register_institution(s, SYSTEM, data)
    return len(rows)


# ---------------------------------------------------------------- loan-level demo data with planted breaches

DEMO_PERIOD = "2025-09"
BORROWER_TYPES = ("natural_person", "individual_business", "small_micro_enterprise", "other_enterprise", "farmer")


def _financials(code: str, capital_fen: int, leverage_breach: bool) -> dict[str, str]:
    net = capital_fen * 11 // 10
    return {"institution_code": code, "period": DEMO_PERIOD, "total_assets_fen": str(net * 2),
            "total_liabilities_fen": str(net), "net_assets_fen": str(net), "net_assets_prior_year_end_fen": str(net),
            "registered_capital_fen": str(capital_fen),
            "bank_loans_fen": str(net * 12 // 10 if leverage_breach else net // 2), "shareholder_loans_fen": "0",
            "other_nonstandard_borrowing_fen": "0", "bonds_outstanding_fen": "0", "abs_outstanding_fen": "0"}


def _balance(rng: random.Random, net_fen: int, internet: bool, purpose: str) -> int:
    """A loan's balance: 0.5%–1.2% of net assets for a traditional company; small consumer (≤ ¥150,000) and
    business (≤ ¥5m) loans for an internet one, inside the 2024 per-borrower caps."""
    if not internet:
        return net_fen * rng.randint(5, 12) // 1000
    top = 150_000 if purpose == "consumption" else 5_000_000
    return rng.randint(1_000, top) * 100


def _loans(rng: random.Random, code: str, net_fen: int, plant: set[str], internet: bool = False,
           n: int = 120) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        purpose = rng.choice(("consumption", "business"))
        balance = _balance(rng, net_fen, internet, purpose)
        start = date(2025, rng.randint(1, 9), rng.randint(1, 28))
        overdue = 0 if rng.random() > 0.04 else rng.choice((15, 45, 75))
        if "overdue" in plant and i < n // 10:
            overdue = 120  # ~10% of the book 3+ months overdue, still classified normal
        rows.append({"institution_code": code, "period": DEMO_PERIOD, "loan_id": f"{code}-L{i + 1:05d}",
                     "borrower_id": f"{code}-B{i + 1:05d}", "borrower_group_id": f"{code}-G{i // 2 + 1:05d}",
                     "borrower_type": rng.choice(BORROWER_TYPES), "purpose": purpose,
                     "contract_date": start.isoformat(), "maturity_date": date(start.year + 1, start.month,
                                                                               start.day).isoformat(),
                     "principal_fen": str(balance * 5 // 4), "balance_fen": str(balance),
                     "annual_rate": f"0.{rng.randint(800, 2400):04d}", "overdue_days": str(overdue),
                     "classification": "normal" if overdue < 90 else ("normal" if "overdue" in plant else "substandard")})
    if "concentration" in plant:  # one borrower holding 13% of net assets
        rows[0]["balance_fen"] = str(net_fen * 13 // 100)
        rows[0]["principal_fen"] = rows[0]["balance_fen"]
    return rows


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([r.get(h, "") for h in header] for r in rows)
    return buf.getvalue().encode("utf-8")


def build_supervision_data(seed: int = 20250930) -> dict[str, int]:
    """Submit a month of statements and loans for every small-loan company (a breach planted in some), run the
    rules, raise the warnings and take one through a case. Returns counts."""
    from sqlalchemy import select

    from gzgov.core.auth import actor_for_username
    from gzgov.finreg import cases, engine, intake
    from gzgov.finreg.contracts import load_datasets
    from gzgov.finreg.models import Institution, RiskWarning

    rng = random.Random(seed)
    header = {d: [f.name for f in load_datasets()[d].submitted_fields("small_loan")] for d in ("financials", "loans")}
    loans_total = 0
    with session_scope() as s:
        insts = s.scalars(select(Institution).where(Institution.kind == "small_loan").order_by(Institution.code)).all()
        for k, inst in enumerate(insts):
            plant = {p for p, every in (("concentration", 9), ("leverage", 13), ("overdue", 11)) if k % every == 4}
            fin = _financials(inst.code, inst.registered_capital_fen, "leverage" in plant)
            loans = _loans(rng, inst.code, int(fin["net_assets_fen"]), plant, inst.subkind == "internet")
            for dataset, rows in (("financials", [fin]), ("loans", loans)):
                intake.submit(s, SYSTEM, inst.code, dataset, DEMO_PERIOD, _csv(header[dataset], rows),
                              f"{dataset}.csv", channel="api")
            loans_total += len(loans)
    with session_scope() as s:
        created, _ = engine.raise_warnings(s, SYSTEM, DEMO_PERIOD)
    with session_scope() as s:  # the Tianhe supervisor takes the first Tianhe warning into a case
        sup = actor_for_username(s, "tianhe_sup")
        w = s.scalar(select(RiskWarning).join(Institution, Institution.id == RiskWarning.institution_id)
                     .where(Institution.district_code == "440106").order_by(RiskWarning.id))
        if w is not None:
            case = cases.open_case(s, sup, w.id)
            cases.handle(s, sup, case.id, "rectification_notice", "限期十个工作日内压降至限额以内（演示）",
                         working_days=10, today=date(2025, 10, 9))
    return {"institutions": len(insts), "loans": loans_total, "warnings": created}
