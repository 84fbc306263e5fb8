"""Demo population of supervised institutions: as many of each type as the plan counts at end-2020 (chapter 1
§一(四): 116 small-loan companies of which 41 internet, 99 pawnshops, 41 financing guarantee companies, 2,458
financial leasing and 746 commercial factoring companies) plus the trading venues chapter 3 names, spread over
the districts where such firms cluster. Names, codes and capitals are synthetic (valid check characters).

`build_supervision_data` then has them submit three months of statements and records, with a breach of every
rule in force planted where data/finreg/demo_plants.yaml says, and runs the checks, warnings, ratings and the
case loop over them."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core.auth import SYSTEM, Role, create_user
from gzgov.core.db import session_scope
from gzgov.core.identity import make_credit_code
from gzgov.finreg.registry import InstitutionIn, register_institution

BASIS = "穗府办〔2021〕9号 第一章一（四）"
COUNTS = {"small_loan": 116, "pawn": 99, "guarantee": 41, "leasing": 2458, "factoring": 746}
INTERNET_SMALL_LOAN = 41
GOVERNMENT_GUARANTEE = 9  # illustrative: the plan does not count them; the demo recognises them as mainly
# serving small/micro firms and agriculture (条例 第十五条第二款: 15× leverage instead of 10×)
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
                chief_risk_officer=f"风控官{serial:04d}", established=date(2008 + i % 13, 1 + i % 12, 1 + i % 28),
                serves_small_micro_agri=subkind == "government"))
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


# ---------------------------------------------------------------- three months of submissions, a breach of every rule
#
# Every institution of the demo submits its statement and records for 2025-07, 2025-08 and 2025-09 (leasing and
# factoring: a sample, see data/finreg/demo_plants.yaml). Each institution's book is drawn once from its own seeded
# generator and kept inside every limit with a margin; the breaches of data/finreg/demo_plants.yaml are then
# written into the named institution's data for the named month only, each by a function registered below under
# its rule id. Money is integer fen throughout.

PERIODS = ("2025-07", "2025-08", "2025-09")
DEMO_PERIOD = PERIODS[-1]
BORROWER_TYPES = ("natural_person", "individual_business", "small_micro_enterprise", "other_enterprise", "farmer")
RECORDS = {"small_loan": "loans", "guarantee": "guarantees", "pawn": "pawn_tickets", "leasing": "leases",
           "factoring": "factoring_contracts"}
# Records per institution and month: demo-sized, in the proportions of each business.
BOOK_SIZE = {"small_loan": 150, "internet": 400, "guarantee": 80, "pawn": 60, "leasing": 80, "factoring": 60,
             "trading_venue": 12}
SHARED_CONSUMERS = 20  # per internet lender and neighbour: each shared consumer borrows from exactly 3 lenders
RATED_ON = {"2025-07": date(2025, 8, 29), "2025-08": date(2025, 9, 30), "2025-09": date(2025, 10, 31)}
# The loop on the dashboard: Tianhe's supervisor takes three planted warnings through it (see _run_cases).
CASES = {"closed": ("SL-0001", "SL_ONLINE_CONSUMER_PER_BORROWER", "2025-07"),
         "overdue": ("PW-0023", "PAWN_SINGLE_CLIENT", "2025-08"),
         "awaiting_feedback": ("LE-0003", "LE_SINGLE_LESSEE", "2025-09")}


@dataclass(frozen=True)
class Plant:
    rule: str
    institutions: tuple[str, ...]
    period: str
    how: str
    also: dict[str, str]  # rule id -> why the same data breaches it too


@dataclass(frozen=True)
class Plants:
    periods: tuple[str, ...]
    sample: dict[str, int]
    plants: tuple[Plant, ...]
    not_in_force: dict[str, str]
    reporting: dict[str, dict[str, Any]]

    def at(self, code: str, period: str) -> set[str]:
        return {p.rule for p in self.plants if code in p.institutions and p.period == period}

    @property
    def codes(self) -> set[str]:
        return {c for p in self.plants for c in p.institutions}


def load_plants(path: Path | None = None) -> Plants:
    doc = yaml.safe_load((path or get_settings().data_dir / "finreg" / "demo_plants.yaml").read_text(encoding="utf-8"))
    plants = tuple(Plant(p["rule"], tuple(p["institutions"]), str(p["period"]), p["how"], dict(p.get("also") or {}))
                   for p in doc["plants"])
    return Plants(tuple(doc["periods"]), dict(doc["sample"]), plants, dict(doc["not_in_force"]), doc["reporting"])


@dataclass
class Book:
    """One institution's submission for one month while it is being built."""

    code: str
    kind: str
    subkind: str
    period: str
    capital: int  # registered capital
    net: int  # net assets
    fin: dict[str, int | bool | None]
    records: dict[str, list[dict[str, Any]]]
    rng: random.Random

    @property
    def end(self) -> date:
        y, m = (int(x) for x in self.period.split("-"))
        return date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)

    def days_ago(self, lo: int, hi: int) -> date:
        return self.end - timedelta(days=self.rng.randint(lo, hi))


PLANTERS: dict[str, Callable[[Book], None]] = {}


def plant(rule_id: str) -> Callable:
    """Register the function that writes the breach of `rule_id` into a book."""
    def register(fn: Callable[[Book], None]) -> Callable[[Book], None]:
        PLANTERS[rule_id] = fn
        return fn
    return register


def _per_mille(x: int, per_mille: int) -> int:
    return x * per_mille // 1000


def _rate(rng: random.Random, lo: int, hi: int) -> str:
    """A rate of lo…hi ten-thousandths as a decimal string ("0.0435")."""
    return f"{Decimal(rng.randint(lo, hi)) / 10000:.4f}"


# ---------------------------------------------------------------- the books, inside every limit


PAID_IN_FULL = object()  # a loan's disbursed_fen until the plants are in: then its principal


def _small_loan(b: Book, internet_index: dict[str, int]) -> None:
    n = b.net
    b.fin |= {"total_assets_fen": n * 3 // 2, "total_liabilities_fen": n // 2, "net_assets_fen": n,
              "net_assets_prior_year_end_fen": n * 24 // 25, "registered_capital_fen": b.capital,
              "bank_loans_fen": n * 2 // 5, "shareholder_loans_fen": n // 10, "other_nonstandard_borrowing_fen": 0,
              "bonds_outstanding_fen": 0, "abs_outstanding_fen": 0}
    internet = b.subkind == "internet"
    loans = []
    size = BOOK_SIZE["internet" if internet else "small_loan"]
    for i in range(size):
        if internet:
            purpose = "consumption" if i % 4 else "business"
            balance = (b.rng.randint(1_000, 150_000) if purpose == "consumption" else
                       b.rng.randint(100_000, 5_000_000)) * 100
            kind = "natural_person" if purpose == "consumption" else b.rng.choice(BORROWER_TYPES[1:3])
        else:
            purpose = b.rng.choice(("consumption", "business"))
            balance = _per_mille(n, b.rng.randint(5, 12))
            kind = b.rng.choice(BORROWER_TYPES)
        borrower, group = f"{b.code}-B{i + 1:05d}", f"{b.code}-G{i // 2 + 1:05d}"
        start = b.days_ago(30, 270)
        loans.append({"loan_id": f"{b.code}-L{i + 1:05d}", "borrower_id": borrower, "borrower_group_id": group,
                      "borrower_type": kind, "purpose": purpose, "contract_date": start,
                      "maturity_date": start + timedelta(days=365), "principal_fen": balance * 5 // 4,
                      "balance_fen": balance, "annual_rate": _rate(b.rng, 600, 1180), "overdue_days": 0,
                      "classification": "normal"})
    # a few overdue loans (small consumer ones at internet lenders), each bucket well inside its share
    small = [ln for ln in loans if ln["purpose"] == "consumption" and ln["balance_fen"] <= 5_000_000] if internet \
        else loans
    for j, ln in enumerate(small[7::23][:6]):
        ln["overdue_days"], ln["classification"] = ((15, "normal"), (45, "special_mention"), (75, "special_mention"),
                                                    (15, "normal"), (45, "special_mention"), (120, "substandard"))[j]
    # joint lending (金规〔2024〕26号 Art. 15): every 10th online loan of an internet lender made with a commercial
    # bank, its own share 30–50%; every 50th loan of the others with another licensed lender
    number = int(b.code[3:])
    for i, ln in enumerate(loans):
        ln["is_online"] = internet
        # paid out in full (Art. 16; the principal as it stands once the month's plants are in), reported by two
        # companies in three; no online consumer loan to a student
        ln["disbursed_fen"] = PAID_IN_FULL if number % 3 else None
        ln["borrower_is_student"] = False
        if internet and i % 10 == 3:
            ln |= {"joint_lender_type": "commercial_bank", "own_funding_share": f"0.{b.rng.randint(30, 50)}"}
        elif not internet and i % 50 == 7:
            ln |= {"joint_lender_type": "licensed_other", "own_funding_share": "0.50"}
    b.fin["venue_fund_funding_fen"] = 0 if number % 2 else None  # reported as none, or left empty
    if number % 6 == 0:  # accepts commercial bills, 8% of total assets (Art. 17: at most 15%)
        b.fin["commercial_acceptance_balance_fen"] = b.fin["total_assets_fen"] * 8 // 100
    if number % 5 == 0:  # a loan to a shareholder's related party, half its stake (Art. 26: at most the stake)
        loans[-1] |= {"related_shareholder_id": f"{b.code}-SH1", "shareholder_contribution_fen": loans[-1]["balance_fen"] * 2}
    if internet:  # consumers shared with the next two internet lenders: each borrows from exactly three
        k, lenders = internet_index[b.code], len(internet_index)
        shared = [ln for ln in loans if ln["purpose"] == "consumption" and not ln["overdue_days"]]
        for j, ln in enumerate(shared[:3 * SHARED_CONSUMERS]):
            person = (k - j % 3) % lenders + lenders * (j // 3)
            ln["borrower_id"] = ln["borrower_group_id"] = f"P{person:07d}"
    b.records["loans"] = loans


def _guarantee(b: Book) -> None:
    n = b.net
    total, receivable = n * 7 // 5, n // 50
    base = total - receivable
    b.fin |= {"total_assets_fen": total, "total_liabilities_fen": total - n, "net_assets_fen": n,
              "registered_capital_fen": b.capital, "class1_assets_fen": base * 30 // 100,
              "class2_assets_fen": base * 45 // 100, "class3_assets_fen": base * 20 // 100,
              "receivable_compensation_fen": receivable}
    b.records["guarantees"] = [_guaranteed(b, i, _per_mille(n, b.rng.randint(30, 60)), b.rng.choice(("1", "0.75", "0.5")))
                               for i in range(BOOK_SIZE["guarantee"])]


def _guaranteed(b: Book, i: int, weighted: int, weight: str) -> dict[str, Any]:
    return {"guarantee_id": f"{b.code}-T{i + 1:05d}", "guaranteed_party_id": f"{b.code}-P{i + 1:05d}",
            "guaranteed_group_id": f"{b.code}-PG{i // 2 + 1:05d}",
            "relation": "other_related" if i % 40 == 13 else "none",
            "guarantee_type": "bond" if i % 9 == 4 else "other_financing" if i % 9 == 7 else "loan",
            "start_date": b.days_ago(20, 700), "balance_fen": int(Decimal(weighted) / Decimal(weight)),
            "risk_weight": weight}


FIRST_YEAR_PAWNSHOPS = {"PW-0058"}  # no annual accounts filed yet (the PAWN_BANK_BORROWING_FIRST_YEAR plant)


def _pawn(b: Book) -> None:
    c = b.capital
    first_year = b.code in FIRST_YEAR_PAWNSHOPS
    b.fin |= {"total_assets_fen": c * 3 // 2, "total_liabilities_fen": c * 3 // 2 - b.net, "net_assets_fen": b.net,
              "registered_capital_fen": c, "bank_loans_fen": c * 3 // 10,
              "owners_equity_prior_year_fen": None if first_year else c * 51 // 50,
              "first_annual_report_filed": not first_year}
    tickets = []
    for i in range(BOOK_SIZE["pawn"]):
        collateral = "real_estate" if i % 10 in (0, 1) else "property_rights" if i % 10 == 2 else "movable"
        per_mille = {"real_estate": (10, 40), "property_rights": (5, 20), "movable": (3, 12)}[collateral]
        principal = _per_mille(c, b.rng.randint(*per_mille))
        tickets.append(_ticket(b, i, collateral, principal))
    if int(b.code[3:]) % 5 == 0:  # a shareholder pawning, well inside the stake
        tickets[-1] |= {"client_is_shareholder": True, "shareholder_contribution_fen": c // 5,
                        "principal_fen": c // 50, "balance_fen": c // 50}
    b.records["pawn_tickets"] = tickets


def _ticket(b: Book, i: int, collateral: str, principal: int, client: str = "") -> dict[str, Any]:
    fee = {"real_estate": (120, 220), "property_rights": (100, 200), "movable": (200, 350)}[collateral]
    return {"ticket_id": f"{b.code}-D{i + 1:05d}", "client_id": client or f"{b.code}-C{i + 1:05d}",
            "client_is_shareholder": False, "shareholder_contribution_fen": None, "collateral_type": collateral,
            "is_renewal": i % 7 == 3, "start_date": b.days_ago(0, 150), "term_months": str(b.rng.randint(1, 6)),
            "principal_fen": principal, "balance_fen": principal * 9 // 10 if i % 3 == 0 else principal,
            "monthly_fee_rate": _rate(b.rng, *fee), "annual_interest_rate": _rate(b.rng, 300, 435),
            "interest_prededucted": False}


def _leasing(b: Book) -> None:
    n = b.net
    b.fin |= {"total_assets_fen": 4 * n, "total_liabilities_fen": 3 * n, "net_assets_fen": n,
              "registered_capital_fen": b.capital, "cash_fen": n // 5, "bank_deposits_fen": n * 2 // 5,
              "government_bonds_fen": n // 10, "leased_assets_fen": 3 * n, "fixed_income_investments_fen": n // 10}
    leases = []
    for i in range(BOOK_SIZE["leasing"]):
        leases.append({"lease_id": f"{b.code}-Z{i + 1:05d}", "lessee_id": f"{b.code}-E{i + 1:05d}",
                       "lessee_group_id": f"{b.code}-EG{i // 2 + 1:05d}", "lessee_is_related": i in (11, 37),
                       "related_shareholder_id": f"{b.code}-SH1" if i == 37 else None,
                       "shareholder_contribution_fen": n * 3 // 10 if i == 37 else None,
                       "start_date": b.days_ago(30, 900), "balance_fen": _per_mille(n, b.rng.randint(25, 50)),
                       "annual_rate": _rate(b.rng, 450, 900), "overdue_days": 30 if i % 40 == 19 else 0})
    b.records["leases"] = leases


def _factoring(b: Book) -> None:
    n = b.net
    risk = 3 * n
    b.fin |= {"total_assets_fen": n * 7 // 2, "total_liabilities_fen": n * 5 // 2, "net_assets_fen": n,
              "registered_capital_fen": b.capital, "cash_fen": n // 5, "bank_deposits_fen": n * 3 // 10,
              "government_bonds_fen": 0, "risk_assets_fen": risk, "risk_reserve_fen": None,
              "prohibited_funding_fen": 0}
    contracts = []
    for i in range(BOOK_SIZE["factoring"]):
        kind = ("ledger_management", "collection")[i % 2] if i % 10 == 8 else "financing"
        receivable = _per_mille(risk, b.rng.randint(12, 21))
        overdue = 120 if i % 30 == 17 else 20 if i % 30 == 3 else 0
        contracts.append({"contract_id": f"{b.code}-F{i + 1:05d}",
                          "debtor_id": f"{b.code}-R{i if i % 20 == 5 else i + 1:05d}", "debtor_is_related": i in (9, 33),
                          "factoring_type": kind, "start_date": b.days_ago(10, 300), "receivable_fen": receivable,
                          "financing_balance_fen": receivable * 4 // 5 if kind == "financing" else 0,
                          "overdue_days": overdue, "is_non_performing": overdue > 90})
    b.records["factoring_contracts"] = contracts


def _reserve(b: Book, per_mille: int = 15) -> None:
    financing = sum(c["financing_balance_fen"] for c in b.records["factoring_contracts"]
                    if c["factoring_type"] == "financing")
    b.fin["risk_reserve_fen"] = -(-financing * per_mille // 1000)


def _venue(b: Book) -> None:
    n = b.net
    b.fin |= {"total_assets_fen": n * 3 // 2, "total_liabilities_fen": n // 2, "net_assets_fen": n,
              "registered_capital_fen": b.capital}
    products, holdings = [], []
    for i in range(BOOK_SIZE["trading_venue"]):
        pid = f"{b.code}-P{i + 1:03d}"
        products.append({"product_id": pid, "equal_share_public_issue": False,
                         "trading_method": ("agreement_transfer", "auction")[i % 2],
                         "standardised_continuous_listing": False, "min_transfer_interval_trading_days": 5 + i % 6})
        holdings += _holders(b, pid, b.rng.randint(20, 170))
    b.records |= {"venue_products": products, "venue_holdings": holdings}


def _holders(b: Book, pid: str, count: int) -> list[dict[str, Any]]:
    return [{"product_id": pid, "holder_id": f"{b.code}-H{j + 1:05d}", "units": str(b.rng.randint(1, 500) * 100)}
            for j in range(count)]


# ---------------------------------------------------------------- the planted breaches (data/finreg/demo_plants.yaml)


def _current(b: Book) -> list[dict[str, Any]]:
    return [ln for ln in b.records["loans"] if not ln["overdue_days"] and ln["classification"] == "normal"]


def _mark(b: Book, share: int, days: int, classification: str) -> None:
    """Current loans made overdue (or reclassified) until they are `share` per mille of the balance."""
    total, marked = sum(ln["balance_fen"] for ln in b.records["loans"]), 0
    for ln in _current(b):
        if marked * 1000 >= total * share:
            return
        ln["overdue_days"], ln["classification"] = days, classification
        marked += ln["balance_fen"]


@plant("SL_SINGLE_BORROWER")
def _single_borrower(b: Book) -> None:
    b.records["loans"][0] |= {"balance_fen": _per_mille(b.fin["net_assets_prior_year_end_fen"], 130),
                              "borrower_group_id": f"{b.code}-G-PLANT"}


@plant("SL_BORROWER_GROUP")
def _borrower_group(b: Book) -> None:
    for ln in b.records["loans"][:2]:
        ln |= {"balance_fen": _per_mille(b.fin["net_assets_prior_year_end_fen"], 80), "borrower_group_id": f"{b.code}-G-PLANT"}


@plant("SL_NONSTANDARD_LEVERAGE")
def _nonstandard(b: Book) -> None:
    b.fin |= {"bank_loans_fen": b.net * 11 // 10, "shareholder_loans_fen": b.net // 10,
              "total_liabilities_fen": b.net * 6 // 5}


@plant("SL_STANDARDISED_LEVERAGE")
def _standardised(b: Book) -> None:
    b.fin |= {"bonds_outstanding_fen": b.net * 3, "abs_outstanding_fen": b.net * 3 // 2}


@plant("SL_ONLINE_CONSUMER_PER_BORROWER")
def _online_consumer(b: Book) -> None:
    mine = [ln for ln in _current(b) if ln["purpose"] == "consumption" and ln["borrower_id"].startswith(b.code)]
    mine[0]["balance_fen"] = 25_000_000


@plant("SL_ONLINE_BUSINESS_PER_BORROWER")
def _online_business(b: Book) -> None:
    next(ln for ln in _current(b) if ln["purpose"] == "business")["balance_fen"] = 1_200_000_000


@plant("SL_JOINT_ONLINE_OWN_SHARE")
def _joint_online(b: Book) -> None:
    next(ln for ln in b.records["loans"] if ln.get("joint_lender_type") == "commercial_bank")["own_funding_share"] = "0.20"


@plant("SL_JOINT_UNLICENSED_PARTNER")
def _joint_unlicensed(b: Book) -> None:
    b.records["loans"][1] |= {"joint_lender_type": "unlicensed", "own_funding_share": "0.60"}


@plant("SL_FULL_DISBURSEMENT")
def _full_disbursement(b: Book) -> None:
    ln = b.records["loans"][3]
    ln["disbursed_fen"] = ln["principal_fen"] * 9 // 10  # a tenth kept back as a "service fee"


@plant("SL_ONLINE_CONSUMER_STUDENT")
def _online_student(b: Book) -> None:
    next(ln for ln in b.records["loans"] if ln["purpose"] == "consumption")["borrower_is_student"] = True


@plant("SL_COMMERCIAL_ACCEPTANCE")
def _acceptance(b: Book) -> None:
    b.fin["commercial_acceptance_balance_fen"] = b.fin["total_assets_fen"] * 18 // 100


@plant("SL_PROHIBITED_FUNDING")
def _sl_prohibited_funding(b: Book) -> None:
    b.fin["venue_fund_funding_fen"] = 300_000_000  # ¥3,000,000 through a private investment fund


@plant("SL_SHAREHOLDER_RELATED")
def _sl_shareholder(b: Book) -> None:
    stake = b.fin["net_assets_prior_year_end_fen"] // 20
    b.records["loans"][2] |= {"related_shareholder_id": f"{b.code}-SH9", "shareholder_contribution_fen": stake,
                              "balance_fen": stake * 7 // 5, "principal_fen": stake * 7 // 5,
                              "borrower_group_id": f"{b.code}-G-PLANT"}


@plant("CD_OVERDUE_M1_SHARE")
def _m1(b: Book) -> None:
    _mark(b, 150, 20, "normal")


@plant("CD_OVERDUE_M2_SHARE")
def _m2(b: Book) -> None:
    _mark(b, 80, 45, "special_mention")


@plant("CD_OVERDUE_M3PLUS_SHARE")
def _m3(b: Book) -> None:
    _mark(b, 80, 75, "special_mention")


@plant("CD_NPL_RATIO")
def _npl(b: Book) -> None:
    _mark(b, 80, 0, "substandard")


@plant("CD_OVERDUE_90_CLASSIFIED")
def _overdue_90(b: Book) -> None:
    min(_current(b), key=lambda ln: ln["balance_fen"])["overdue_days"] = 100


@plant("CD_RATE_ABOVE_4LPR")
def _above_4lpr(b: Book) -> None:
    _current(b)[5]["annual_rate"] = "0.2400"


@plant("CD_MULTI_INSTITUTION_BORROWER")
def _multi(b: Book) -> None:
    ln = dict(_current(b)[-1])
    ln |= {"loan_id": f"{b.code}-L-MULTI", "borrower_id": "P-MULTI-0001", "borrower_group_id": "P-MULTI-0001",
           "borrower_type": "natural_person", "purpose": "consumption", "balance_fen": 5_000_000,
           "principal_fen": 6_000_000}
    b.records["loans"].append(ln)


@plant("GU_LEVERAGE")
def _gu_leverage(b: Book) -> None:
    b.records["guarantees"] = [_guaranteed(b, i, _per_mille(b.net, 46), "1") for i in range(250)]


@plant("GU_LEVERAGE_SMALL_MICRO_AGRI")
def _gu_leverage_smea(b: Book) -> None:
    b.records["guarantees"] = [_guaranteed(b, i, _per_mille(b.net, 66), "1") for i in range(250)]


@plant("GU_SINGLE_GUARANTEED")
def _gu_single(b: Book) -> None:
    b.records["guarantees"][0] |= {"balance_fen": _per_mille(b.net, 120), "risk_weight": "1",
                                   "guaranteed_group_id": f"{b.code}-PG-PLANT"}


@plant("GU_GUARANTEED_GROUP")
def _gu_group(b: Book) -> None:
    for g in b.records["guarantees"][:2]:
        g |= {"balance_fen": _per_mille(b.net, 80), "risk_weight": "1", "guaranteed_group_id": f"{b.code}-PG-PLANT"}


@plant("GU_CONTROLLER_GUARANTEE")
def _gu_controller(b: Book) -> None:
    b.records["guarantees"][0]["relation"] = "controlling_shareholder"


def _classes(b: Book, one: int, two: int, three: int) -> None:
    base = b.fin["total_assets_fen"] - b.fin["receivable_compensation_fen"]
    b.fin |= {"class1_assets_fen": base * one // 100, "class2_assets_fen": base * two // 100,
              "class3_assets_fen": base * three // 100}


@plant("GU_CLASS1_ASSETS_MIN")
def _class1(b: Book) -> None:
    _classes(b, 15, 60, 20)


@plant("GU_CLASS12_ASSETS_MIN")
def _class12(b: Book) -> None:
    _classes(b, 25, 40, 25)


@plant("GU_CLASS3_ASSETS_MAX")
def _class3(b: Book) -> None:
    _classes(b, 25, 40, 35)


def _first(b: Book, **match: Any) -> dict[str, Any]:
    return next(t for t in b.records["pawn_tickets"] if all(t[k] == v for k, v in match.items()))


def _more_tickets(b: Book, collateral: str, count: int, per_mille: int, client: str = "", **extra: Any) -> None:
    """`count` new tickets of `per_mille` of registered capital each, fully outstanding."""
    amount = _per_mille(b.capital, per_mille)
    for _ in range(count):
        t = _ticket(b, len(b.records["pawn_tickets"]), collateral, amount, client)
        b.records["pawn_tickets"].append(t | {"balance_fen": amount} | extra)


@plant("PAWN_TERM_MAX")
def _term(b: Book) -> None:
    _first(b, is_renewal=False)["term_months"] = "8"


@plant("PAWN_RENEWAL_TERM_MAX")
def _renewal(b: Book) -> None:
    _first(b, is_renewal=True)["term_months"] = "9"


@plant("PAWN_INTEREST_RATE")
def _interest(b: Book) -> None:
    b.records["pawn_tickets"][0]["annual_interest_rate"] = "0.0600"


@plant("PAWN_INTEREST_PREDEDUCTED")
def _prededucted(b: Book) -> None:
    b.records["pawn_tickets"][0]["interest_prededucted"] = True


def _fee(collateral: str, fee: str) -> Callable[[Book], None]:
    def plant(b: Book) -> None:
        _first(b, collateral_type=collateral)["monthly_fee_rate"] = fee
    return plant


PLANTERS |= {"PAWN_FEE_MOVABLE": _fee("movable", "0.0500"), "PAWN_FEE_REAL_ESTATE": _fee("real_estate", "0.0300"),
             "PAWN_FEE_PROPERTY_RIGHTS": _fee("property_rights", "0.0300")}


@plant("PAWN_SINGLE_CLIENT")
def _pawn_client(b: Book) -> None:
    _more_tickets(b, "movable", 2, 150, f"{b.code}-C-PLANT")


@plant("PAWN_SHAREHOLDER_CLIENT")
def _pawn_shareholder(b: Book) -> None:
    _more_tickets(b, "movable", 1, 150, f"{b.code}-C-SH", client_is_shareholder=True,
                  shareholder_contribution_fen=b.capital // 10)


@plant("PAWN_NET_ASSETS_FLOOR")
def _net_floor(b: Book) -> None:
    b.fin |= {"net_assets_fen": _per_mille(b.capital, 850),
              "total_liabilities_fen": b.fin["total_assets_fen"] - _per_mille(b.capital, 850)}


@plant("PAWN_PROPERTY_RIGHTS_TOTAL")
def _property_total(b: Book) -> None:
    _more_tickets(b, "property_rights", 3, 180)


@plant("PAWN_REAL_ESTATE_TOTAL")
def _real_estate_total(b: Book) -> None:
    _more_tickets(b, "real_estate", 9, 90)


@plant("PAWN_REAL_ESTATE_SINGLE_SMALL")
def _real_estate_small(b: Book) -> None:
    t = _ticket(b, len(b.records["pawn_tickets"]), "real_estate", 120_000_000)  # ¥1.2m
    b.records["pawn_tickets"].append(t | {"balance_fen": 120_000_000})


@plant("PAWN_REAL_ESTATE_SINGLE_LARGE")
def _real_estate_large(b: Book) -> None:
    _more_tickets(b, "real_estate", 1, 120)


@plant("PAWN_BANK_BORROWING_FIRST_YEAR")
def _bank_first_year(b: Book) -> None:
    b.fin["bank_loans_fen"] = b.capital * 11 // 10


@plant("PAWN_BANK_BORROWING")
def _bank(b: Book) -> None:
    b.fin["bank_loans_fen"] = b.fin["owners_equity_prior_year_fen"] * 6 // 5


@plant("LE_LEASED_ASSETS_MIN")
def _leased_min(b: Book) -> None:
    b.fin["leased_assets_fen"] = 2 * b.net


@plant("LE_RISK_ASSETS_LEVERAGE")
def _le_leverage(b: Book) -> None:
    b.fin |= {"total_assets_fen": 10 * b.net, "total_liabilities_fen": 9 * b.net, "leased_assets_fen": 7 * b.net}
    for lease in b.records["leases"]:
        lease["balance_fen"] = lease["balance_fen"] * 7 // 3


@plant("LE_FIXED_INCOME_MAX")
def _fixed_income(b: Book) -> None:
    b.fin["fixed_income_investments_fen"] = b.net // 4


@plant("LE_SINGLE_LESSEE")
def _lessee(b: Book) -> None:
    b.records["leases"][0] |= {"balance_fen": _per_mille(b.net, 350), "lessee_group_id": f"{b.code}-EG-PLANT"}


@plant("LE_SINGLE_GROUP")
def _lessee_group(b: Book) -> None:
    for lease in b.records["leases"][:3]:
        lease |= {"balance_fen": _per_mille(b.net, 200), "lessee_group_id": f"{b.code}-EG-PLANT"}


@plant("LE_SINGLE_RELATED")
def _related_lessee(b: Book) -> None:
    b.records["leases"][0] |= {"balance_fen": _per_mille(b.net, 330), "lessee_is_related": True,
                               "lessee_group_id": f"{b.code}-EG-PLANT"}


@plant("LE_ALL_RELATED")
def _all_related(b: Book) -> None:
    for j, lease in enumerate(b.records["leases"][:3]):
        lease |= {"balance_fen": _per_mille(b.net, 190), "lessee_is_related": True,
                  "lessee_group_id": f"{b.code}-EG-PLANT{j}"}


@plant("LE_SHAREHOLDER_RELATED")
def _shareholder_related(b: Book) -> None:
    b.records["leases"][0] |= {"balance_fen": _per_mille(b.net, 150), "lessee_is_related": True,
                               "related_shareholder_id": f"{b.code}-SH9", "shareholder_contribution_fen": b.net // 10}


@plant("FA_RISK_ASSETS_LEVERAGE")
def _fa_leverage(b: Book) -> None:
    b.fin |= {"risk_assets_fen": 11 * b.net, "total_assets_fen": 12 * b.net, "total_liabilities_fen": 11 * b.net}


@plant("FA_SINGLE_DEBTOR")
def _fa_single(b: Book) -> None:
    c = b.records["factoring_contracts"][0]
    c["receivable_fen"] = _per_mille(b.fin["risk_assets_fen"], 550)
    c["financing_balance_fen"] = c["receivable_fen"] * 4 // 5 if c["factoring_type"] == "financing" else 0


@plant("FA_RELATED_DEBTOR")
def _fa_related(b: Book) -> None:
    for c in b.records["factoring_contracts"][:3]:
        c |= {"receivable_fen": _per_mille(b.fin["risk_assets_fen"], 150), "debtor_is_related": True}
        c["financing_balance_fen"] = c["receivable_fen"] * 4 // 5 if c["factoring_type"] == "financing" else 0


@plant("FA_OVERDUE_90_NON_PERFORMING")
def _fa_overdue(b: Book) -> None:
    next(c for c in b.records["factoring_contracts"] if not c["overdue_days"])["overdue_days"] = 100


@plant("FA_RISK_RESERVE_MIN")
def _fa_reserve(b: Book) -> None:
    _reserve(b, 5)


@plant("FA_PROHIBITED_FUNDING")
def _fa_prohibited(b: Book) -> None:
    b.fin["prohibited_funding_fen"] = 500_000_000


@plant("TV_NO_EQUAL_SHARE_ISSUE")
def _equal_shares(b: Book) -> None:
    b.records["venue_products"][0]["equal_share_public_issue"] = True


@plant("TV_NO_CENTRALISED_TRADING")
def _centralised(b: Book) -> None:
    b.records["venue_products"][0]["trading_method"] = "continuous_auction"


@plant("TV_NO_STANDARDISED_LISTING")
def _standardised_listing(b: Book) -> None:
    b.records["venue_products"][0]["standardised_continuous_listing"] = True


@plant("TV_MIN_TRANSFER_INTERVAL")
def _t0(b: Book) -> None:
    b.records["venue_products"][0]["min_transfer_interval_trading_days"] = 0


@plant("TV_MAX_HOLDERS")
def _holders_over(b: Book) -> None:
    pid = b.records["venue_products"][0]["product_id"]
    b.records["venue_holdings"] = [h for h in b.records["venue_holdings"] if h["product_id"] != pid]
    b.records["venue_holdings"] += _holders(b, pid, 230)


# ---------------------------------------------------------------- building, submitting, checking


NET_PER_MILLE = {"small_loan": 1100, "guarantee": 1150, "pawn": 1050, "leasing": 1100, "factoring": 1100,
                 "trading_venue": 1200}
BUILDERS: dict[str, Callable[..., None]] = {"guarantee": _guarantee, "pawn": _pawn, "leasing": _leasing,
                                            "factoring": _factoring, "trading_venue": _venue}


def build_book(inst: Any, period: str, planted: set[str], internet_index: dict[str, int],
               seed: int = 20250930) -> Book:
    """One institution's statement and records for one month: its own book (the same draw every month, dated
    relative to the month) with the month's plants written in."""
    b = Book(inst.code, inst.kind, inst.subkind or "", period, inst.registered_capital_fen,
             _per_mille(inst.registered_capital_fen, NET_PER_MILLE[inst.kind]), {}, {}, random.Random(f"{seed}:{inst.code}"))
    if inst.kind == "small_loan":
        _small_loan(b, internet_index)
    else:
        BUILDERS[inst.kind](b)
    for rule in sorted(planted):
        PLANTERS[rule](b)
    for ln in b.records.get("loans", ()):
        if ln.get("disbursed_fen") is PAID_IN_FULL:
            ln["disbursed_fen"] = ln["principal_fen"]
    if inst.kind == "factoring" and "FA_RISK_RESERVE_MIN" not in planted:
        _reserve(b)
    return b


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v.isoformat() if isinstance(v, date) else str(v)


def _csv(header: list[str], rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([_cell(r.get(h)) for h in header] for r in rows)
    return buf.getvalue().encode("utf-8")


def demo_sample(insts: list[Any], plan: Plants, sample: dict[str, int] | None = None) -> list[Any]:
    """The institutions the demo extracts data from: every one, except leasing and factoring companies, of which
    the planted ones and the first `sample[kind]` by code."""
    sample = plan.sample if sample is None else sample
    out, taken = [], dict.fromkeys(sample, 0)
    for inst in sorted(insts, key=lambda i: i.code):
        if inst.kind not in sample:
            out.append(inst)
        elif inst.code in plan.codes or taken[inst.kind] < sample[inst.kind]:
            taken[inst.kind] += inst.code not in plan.codes
            out.append(inst)
    return out


def _submitted_on(session: Session, period: str, dataset: str, late_by: int, nth: int) -> datetime:
    """When the demo's extraction of a dataset arrived: within the first working days after the month, or
    `late_by` working days after its due date."""
    from gzgov.core.calendar_store import calendar
    from gzgov.finreg.reporting import due_date

    cal = calendar(session)
    if late_by:
        day = cal.add_working_days(due_date(session, period, dataset), late_by + 1)
    else:
        y, m = (int(x) for x in period.split("-"))
        day = cal.add_working_days(date(y + m // 12, m % 12 + 1, 1), 1 + nth % 3)
    return datetime.combine(day, time(9, 30 + nth % 30))


def _submit_month(period: str, insts: list[Any], plan: Plants, internet_index: dict[str, int], seed: int,
                  counts: dict[str, int]) -> None:
    from gzgov.finreg import intake
    from gzgov.finreg.contracts import load_datasets

    datasets = load_datasets()
    rep = plan.reporting
    missing = (rep["missing"]["institution"], rep["missing"]["dataset"], str(rep["missing"]["period"]))
    late = (rep["late"]["institution"], rep["late"]["dataset"], str(rep["late"]["period"]))
    when: dict[tuple[str, int, int], datetime] = {}
    with session_scope() as s:
        for k, inst in enumerate(insts):
            b = build_book(inst, period, plan.at(inst.code, period), internet_index, seed)
            for dataset, rows in (("financials", [b.fin | {"institution_code": inst.code, "period": period}]),
                                  *((d, [r | {"institution_code": inst.code, "period": period} for r in rs])
                                    for d, rs in b.records.items())):
                if (inst.code, dataset, period) == missing:
                    continue
                header = [f.name for f in datasets[dataset].submitted_fields(inst.kind)]
                sub, _ = intake.submit(s, SYSTEM, inst.code, dataset, period, _csv(header, rows), f"{dataset}.csv",
                                       channel="api")
                late_by = int(rep["late"]["working_days_late"]) if (inst.code, dataset, period) == late else 0
                key = (dataset, late_by, k % 3)
                if key not in when:
                    when[key] = _submitted_on(s, period, dataset, late_by, k)
                sub.submitted_at = when[key]
                counts["submissions"] += 1
                counts["records"] += len(rows) if dataset != "financials" else 0
                counts["loans"] += len(rows) if dataset == "loans" else 0


def _reporting_warnings(session: Session, period: str, today: date, codes: set[str]) -> int:
    """Late and missing submissions of the institutions the demo extracts from (the others are outside the
    demo's extraction, not late)."""
    from gzgov.finreg.reporting import raise_reporting_warnings

    return raise_reporting_warnings(session, SYSTEM, period, today, institution_codes=codes)


def _warning(session: Session, code: str, rule: str, period: str) -> Any:
    from gzgov.finreg.models import Institution, RiskWarning

    return session.scalar(select(RiskWarning).join(Institution, Institution.id == RiskWarning.institution_id)
                          .where(Institution.code == code, RiskWarning.rule_id == rule, RiskWarning.period == period))


def _run_cases() -> dict[str, int]:
    """Tianhe's supervisor takes three planted warnings through the loop, on fixed 2025 dates: one closed
    (handled, the institution's rectification report with evidence, verified, closed), one escalated after its
    deadline passed, one awaiting the institution's feedback."""
    from gzgov.core.auth import actor_for_username
    from gzgov.finreg import cases

    out = {}
    with session_scope() as s:
        sup = actor_for_username(s, "tianhe_sup")
        w = _warning(s, *CASES["closed"])
        case = cases.open_case(s, sup, w.id)
        cases.handle(s, sup, case.id, "rectification_notice", "限期压降单户消费贷款余额至二十万元以内（演示）",
                     working_days=15, today=date(2025, 8, 29))
        inst_user = actor_for_username(s, "sl0001")
        report = "已收回超限部分贷款，单户消费贷款余额降至十八万元（演示）".encode()
        cases.feedback(s, inst_user, case.id, "整改报告：超限贷款已部分收回，余额降至限额以内（演示）",
                       [("整改报告.txt", report), ("还款凭证.txt", "借款人还款凭证 ¥70,000（演示）".encode())])
        cases.verify(s, sup, case.id, True, "核查还款凭证与九月报送数据，整改到位（演示）", today=date(2025, 9, 19))
        cases.close(s, sup, case.id, "整改完成，办结（演示）", today=date(2025, 9, 22))
        out["closed"] = case.id
        w = _warning(s, *CASES["overdue"])
        case = cases.open_case(s, sup, w.id)
        cases.handle(s, sup, case.id, "talk", "约谈主要负责人，十个工作日内报送压降方案（演示）", working_days=10,
                     today=date(2025, 9, 29))
        cases.escalate_overdue(s, SYSTEM, today=date(2025, 10, 31))
        out["overdue"] = case.id
        w = _warning(s, *CASES["awaiting_feedback"])
        case = cases.open_case(s, sup, w.id)
        cases.handle(s, sup, case.id, "rectification_notice", "二十个工作日内将单一承租人融资余额压降至净资产30%以内（演示）",
                     working_days=20, today=date(2025, 10, 31))
        out["awaiting_feedback"] = case.id
    return out


def build_supervision_data(seed: int = 20250930, sample: dict[str, int] | None = None,
                           progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Three months (2025-07 to 2025-09) of statements and records from every institution (leasing and factoring:
    a sample), with a breach of every rule in force planted as data/finreg/demo_plants.yaml says; then per month
    the rule checks and their warnings, the late/missing warnings, and the ratings; then three warnings through
    the case loop. Returns counts."""
    from gzgov.finreg import engine, rating
    from gzgov.finreg.models import Institution

    plan = load_plants()
    with session_scope() as s:
        insts = list(s.scalars(select(Institution).order_by(Institution.code)))
        s.expunge_all()
    chosen = demo_sample(insts, plan, sample)
    internet = sorted(i.code for i in chosen if i.kind == "small_loan" and i.subkind == "internet")
    internet_index = {code: k for k, code in enumerate(internet)}
    codes = {i.code for i in chosen}
    counts = dict.fromkeys(("submissions", "records", "loans", "warnings", "reporting_warnings"), 0)
    for period in plan.periods:
        if progress:
            progress(f"{period} 报送 / submissions")
        _submit_month(period, chosen, plan, internet_index, seed, counts)
    for period in plan.periods:
        if progress:
            progress(f"{period} 规则检查、预警与评级 / checks, warnings and ratings")
        with session_scope() as s:
            created, _ = engine.raise_warnings(s, SYSTEM, period)
            counts["warnings"] += created
            counts["reporting_warnings"] += _reporting_warnings(s, period, RATED_ON[period], codes)
        with session_scope() as s:
            rating.record_period(s, SYSTEM, period, RATED_ON[period])
    cases = _run_cases()
    return counts | {"institutions": len(chosen), "periods": len(plan.periods), "cases": len(cases)}
