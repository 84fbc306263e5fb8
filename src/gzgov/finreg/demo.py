"""Demo population of supervised institutions: as many of each type as the plan counts at end-2020 (chapter 1
§一(四): 116 small-loan companies of which 41 internet, 99 pawnshops, 41 financing guarantee companies, 2,458
financial leasing and 746 commercial factoring companies) plus the trading venues chapter 3 names, spread over
the districts where such firms cluster. Names, codes and capitals are synthetic (valid check characters)."""

from __future__ import annotations

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
