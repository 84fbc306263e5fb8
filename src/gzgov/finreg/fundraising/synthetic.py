"""A synthetic Guangzhou enterprise population with planted illegal-fundraising rings and honest decoys
(合成企业样本：植入非法集资团伙与诚实干扰项), to measure the risk index and to benchmark it.

`generate(companies=…, rings=…, seed=…)` builds, vectorised with numpy and pyarrow, the tables the risk index
reads (the schemas of `gzgov.finreg.fundraising_service.load_tables`) with the ground truth beside them;
`write_import_files(dir, n=…)` writes a small population as the import files of docs/fundraising-data.md.

What is in it:

* **Ordinary companies** of many industries: valid unified social credit codes (GB 32100) in Guangzhou's
  districts, a legal representative who is usually the main shareholder and executive director, a supervisor,
  often a manager and a finance officer, further shareholders (about `edges_per_company` distinct
  counterparties, i.e. graph edges, a company), serial entrepreneurs who appear in many companies, a few
  corporate shareholders; registered capital mostly subscribed and not paid in (认缴制), so
  paid-in capital is often zero or not reported; **business centres** whose one address hosts hundreds of
  legitimate firms (集群注册) and **registration agents** whose phone number appears on many; ordinary
  complaints, promotions with percentages that are not returns (首付30%、同比增长18%), job ads, court records.
* **Planted rings** (5–15 companies): an actual controller (blacklisted in about a third of rings) with nominee
  legal representatives and officers shared across the ring, a head company holding the others with some
  cross-holdings, branches opened in the last six months, financial words in names and scopes without a
  licence, registered capital of 10–100 million yuan barely paid in, adverts promising 年化12%–36%、月息2分、
  保本保息、日息千分之五, sales-agent recruitment, complaints rising month by month, shared offices and phones,
  sometimes a member registered at a business centre, sometimes a member already under a case. Rings differ
  in strength: in a weak ring only some members advertise or draw complaints.
* **Honest decoys**: licensed investment advisers and fund managers (licence set, adverts quoting a modest
  expected return), companies named 投资/财富/投资控股 that advertise nothing, consumer firms with a steady
  trickle of complaints about prepaid cards, legitimate corporate groups (dense holdings, shared officers),
  retail chains opening branches fast, elderly-care homes, and the ordinary neighbours of ring companies at
  the business centres the rings use.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gzgov.core.identity import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_WEIGHTS,
    ID_CARD_CHECK_CHARS,
    ID_CARD_WEIGHTS,
    ORG_CODE_WEIGHTS,
)
from gzgov.finreg.fundraising import synthetic_text as T

__all__ = ["LINK_KINDS", "Population", "generate", "write_import_files"]

LINK_KINDS = ("shareholder", "officer", "legal_rep", "controller", "branch")
SIGNAL_KINDS = ("complaint", "advert", "recruitment", "news", "court")
SH, OFF, LR, CTRL, BR = range(5)
COMPLAINT, ADVERT, RECRUIT, NEWS, COURT = range(5)
CITY = "440100"
_DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117",
              "440118", CITY)
_DISTRICT_NAMES = ("荔湾区", "越秀区", "海珠区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区",
                   "增城区", "天河区")
_DISTRICT_WEIGHTS = (0.06, 0.08, 0.10, 0.17, 0.15, 0.10, 0.12, 0.06, 0.05, 0.02, 0.06, 0.03)


@dataclass
class Population:
    """The scoring inputs (`tables()`, the keyword arguments of `scoring.Inputs`) and the ground truth."""

    enterprises: pa.Table
    persons: pa.Table
    links: pa.Table
    signals: pa.Table
    cased: set[str]
    planted: set[str]
    rings: list[set[str]]
    decoys: set[str]
    decoy_kinds: dict[str, str] = field(default_factory=dict)  # credit code -> which kind of decoy
    person_ids: pa.Array | None = None  # full ID numbers, aligned with `persons` (for the import files)
    positions: pa.Array | None = None  # officers' positions, aligned with `links`
    licences: dict[str, str] = field(default_factory=dict)  # credit code -> financial licence held

    def tables(self) -> dict:
        return {"enterprises": self.enterprises, "persons": self.persons, "links": self.links,
                "signals": self.signals, "cased": set(self.cased)}


# ---------------------------------------------------------------------------------------- vectorised codes

def _lut(chars: str, values) -> np.ndarray:
    lut = np.full(128, -1, np.int64)
    for ch, v in zip(chars, values, strict=True):
        lut[ord(ch)] = v
    return lut


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUE = _lut(_ALNUM, range(36))  # GB 11714: digits, then A=10 … Z=35
_CREDIT_VALUE = _lut(CREDIT_CODE_CHARSET, range(31))  # GB 32100: its own 31-character set
_CREDIT_CHARS = np.frombuffer(CREDIT_CODE_CHARSET.encode(), np.uint8)


def _strings(block: np.ndarray) -> pa.Array:
    """An (n, width) uint8 block of ASCII as a pyarrow string array, without a Python loop."""
    n, width = block.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(block).tobytes()))


def credit_codes(region6: np.ndarray, serial: np.ndarray, modern: np.ndarray) -> pa.Array:
    """Valid 统一社会信用代码 (registration authority 9, enterprise 1): region, an organisation-code body — eight
    digits for older companies, `MA` and six characters for those registered since the 2015 reform — its
    GB 11714 check character, and the GB 32100 check character. `serial` must be unique below 10⁸."""
    n = len(serial)
    out = np.empty((n, 18), np.uint8)
    out[:, 0], out[:, 1] = ord("9"), ord("1")
    out[:, 2:8] = np.frombuffer("".join(region6.tolist()).encode(), np.uint8).reshape(n, 6) if n else 0
    body = np.empty((n, 8), np.uint8)
    _digits(body, 0, 8, serial)  # eight decimal digits
    rest = serial.astype(np.int64).copy()
    for k in range(7, 1, -1):  # MA + six characters of the credit set
        body[modern, k] = _CREDIT_CHARS[rest[modern] % 31]
        rest //= 31
    body[modern, 0], body[modern, 1] = ord("M"), ord("A")
    out[:, 8:16] = body
    org = 11 - (_ORG_VALUE[body] @ np.array(ORG_CODE_WEIGHTS)) % 11
    out[:, 16] = np.where(org == 10, ord("X"), np.where(org == 11, ord("0"), ord("0") + org % 10))
    total = _CREDIT_VALUE[out[:, :17]] @ np.array(CREDIT_CODE_WEIGHTS)
    out[:, 17] = _CREDIT_CHARS[(31 - total % 31) % 31]
    return _strings(out)


def _digits(out: np.ndarray, start: int, width: int, value: np.ndarray) -> None:
    rest = value.astype(np.int64)
    for j in range(start + width - 1, start - 1, -1):
        out[:, j] = ord("0") + rest % 10
        rest = rest // 10


def id_numbers(region6: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Valid 居民身份证号码 (GB 11643, check character ISO 7064 MOD 11-2) and their masked forms."""
    n = len(seq)
    out = np.empty((n, 18), np.uint8)
    out[:, :6] = np.frombuffer("".join(region6.tolist()).encode(), np.uint8).reshape(n, 6) if n else 0
    days = birth.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    ymd = ((months.astype(np.int64) // 12 + 1970) * 10_000 + (months.astype(np.int64) % 12 + 1) * 100
           + (days - months).astype(np.int64) + 1)
    _digits(out, 6, 8, ymd)
    _digits(out, 14, 3, seq)
    total = (out[:, :17] - np.uint8(ord("0"))).astype(np.int32) @ np.array(ID_CARD_WEIGHTS, np.int32)
    out[:, 17] = np.frombuffer(ID_CARD_CHECK_CHARS.encode(), np.uint8)[total % 11]
    masked = out.copy()
    masked[:, 6:14] = ord("*")
    return _strings(out), _strings(masked)


# ---------------------------------------------------------------------------------------- text helpers

def _take(pool, idx) -> pa.Array:
    return pa.array(list(pool), pa.string()).take(pa.array(np.asarray(idx, np.int64)))


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _num(values, width: int = 0) -> pa.Array:
    s = pc.cast(pa.array(np.asarray(values, np.int64)), pa.string())
    return pc.utf8_lpad(s, width, "0") if width else s


def _pick(rng: np.random.Generator, pool, weights=None, size=None):
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return rng.choice(len(pool), size=size, p=p)


# ---------------------------------------------------------------------------------------- the generator

class _Gen:
    def __init__(self, n: int, rings: int, seed: int, today: date, edges_per_company: float) -> None:
        self.n, self.today, self.epc = n, np.datetime64(today, "D"), edges_per_company
        self.rng = np.random.default_rng(seed)
        self.n_rings = rings
        self.persons = 0  # person indices handed out so far
        self.blacklisted: list[int] = []
        self.links: list[tuple] = []  # chunks of (kind, src_is_company, src, dst, share_bp, position)
        self.signals: list[tuple] = []  # chunks of (company, kind, days_ago, text)
        self.over: dict[str, dict[int, str]] = {k: {} for k in ("name", "scope", "address", "phone", "industry")}
        self.decoys: dict[int, str] = {}
        self.licences: dict[int, str] = {}
        self.rings: list[np.ndarray] = []
        self.cased: list[int] = []
        self.ring_people: list[int] = []
        self.few_links: list[tuple] = []
        self.few_signals: list[tuple] = []

    # ---- small building blocks
    def new_persons(self, k: int) -> np.ndarray:
        out = np.arange(self.persons, self.persons + k, dtype=np.int64)
        self.persons += k
        return out

    def link(self, kind, src, dst, share=None, position=0, src_company=False) -> None:
        """Links of one kind; scalars are buffered (rings and decoys make thousands of single links)."""
        if np.ndim(src) == 0 and np.ndim(dst) == 0:
            self.few_links.append((kind, src_company, int(src), int(dst), -1 if share is None else int(share),
                                   int(position)))
            return
        src, dst = np.atleast_1d(np.asarray(src, np.int64)), np.atleast_1d(np.asarray(dst, np.int64))
        m = max(len(src), len(dst))
        src, dst = np.broadcast_to(src, m), np.broadcast_to(dst, m)
        share = np.full(m, -1, np.int64) if share is None else np.broadcast_to(np.asarray(share, np.int64), m)
        self.links.append((np.full(m, kind, np.int8), np.full(m, src_company), src, dst, share,
                           np.broadcast_to(np.asarray(position, np.int8), m)))

    def signal(self, company, kind: int, days_ago, text) -> None:
        """Signals of one kind: a company or a list with a day and text each, or arrays with a pyarrow text."""
        if isinstance(text, pa.Array):
            company = np.asarray(company, np.int64)
            self.signals.append((company, np.full(len(company), kind, np.int8), np.asarray(days_ago, np.int64), text))
            return
        if np.ndim(company) == 0:
            company, days_ago, text = [company], [days_ago], [text]
        self.few_signals += [(int(c), kind, int(d), t) for c, d, t in zip(company, days_ago, text, strict=True)]

    def flush(self) -> None:
        if self.few_links:
            cols = list(zip(*self.few_links, strict=True))
            self.links.append(tuple(np.asarray(c, t) for c, t in zip(cols, (np.int8, bool, np.int64, np.int64, np.int64,
                                                                             np.int8), strict=True)))
        if self.few_signals:
            c, k, d, t = zip(*self.few_signals, strict=True)
            self.signals.append((np.asarray(c, np.int64), np.asarray(k, np.int8), np.asarray(d, np.int64),
                                 pa.array(t, pa.string())))
        self.few_links, self.few_signals = [], []

    def brand(self) -> str:
        c = T.BRAND_CHARS
        return c[self.rng.integers(len(c))] + c[self.rng.integers(len(c))]

    def phone(self) -> str:
        return f"020-{self.rng.integers(31000000, 89999999)}" if self.rng.random() < 0.6 else \
            f"1{self.rng.choice([35, 36, 37, 38, 39, 58, 59, 86, 88, 89])}{self.rng.integers(0, 10**8):08d}"

    def address(self, district: int, grand: bool = False) -> str:
        r = self.rng
        road = T.ROADS[r.integers(len(T.ROADS))]
        if grand:
            return (f"广州市{_DISTRICT_NAMES[district]}{road}{r.integers(1, 300)}号"
                    f"{T.TOWERS[r.integers(len(T.TOWERS))]}{r.integers(8, 60)}楼")
        return f"广州市{_DISTRICT_NAMES[district]}{road}{r.integers(1, 900)}号{r.integers(1, 30)}{r.integers(1, 20):02d}房"

    def set(self, i: int, **values) -> None:
        for k, v in values.items():
            self.over[k][int(i)] = v

    # ---- the population
    def base(self) -> None:
        """Attributes every company gets; special companies overwrite theirs later."""
        r, n = self.rng, self.n
        self.district = _pick(r, _DISTRICTS, _DISTRICT_WEIGHTS, n)
        self.industry = _pick(r, T.INDUSTRIES, [w for _i, w, _s, _c in T.INDUSTRIES], n)
        self.reg_fen = (np.round(10 ** r.uniform(0.5, 3.3, n)) * 10_000 * 100).astype(np.int64)  # 3万–2000万元
        u = r.random(n)
        paid = (self.reg_fen * r.uniform(0.2, 1.0, n) // 1_000_000 * 1_000_000).astype(np.int64)
        self.paid_fen = np.where(u < 0.55, -1, np.where(u < 0.8, 0, paid))  # -1: not reported
        self.age_days = np.minimum(r.exponential(2600, n), 30 * 365).astype(np.int64) + 1
        self.licensed = np.zeros(n, bool)
        self.serial = self.new_persons(max(n // 12, 1))  # serial entrepreneurs, some in dozens of companies
        w = np.cumsum(np.minimum(1 + r.geometric(0.3, len(self.serial)), 25).astype(float))
        self.serial_cdf = w / w[-1]

    def base_structure(self, idx: np.ndarray) -> None:
        """The legal representative, who is also the main shareholder and executive director; a supervisor; for
        many a separate manager and a finance officer; further shareholders, a few of them companies — so that a
        company has about `edges_per_company` distinct counterparties (graph edges) with its shared address and
        phone, and more link rows, since one person often holds three of its roles."""
        r, m = self.rng, len(idx)
        legal = self.people(m, 0.12)
        manager = r.random(m) < 0.6
        finance = r.random(m) < 0.5
        self.link(LR, legal, idx)
        self.link(OFF, legal, idx, position=np.where(manager, 6, 1))
        self.link(OFF, self.people(m, 0.15), idx, position=3)
        self.link(OFF, self.people(int(manager.sum()), 0.1), idx[manager], position=4)
        self.link(OFF, self.people(int(finance.sum()), 0.1), idx[finance], position=5)
        extra = np.minimum(r.poisson(max(self.epc - _BASE_EDGES, 0.0), m), 8)
        pos = np.repeat(np.arange(m), extra)
        owners = idx[pos]
        share = np.minimum(r.integers(5, 30, len(pos)), 90 // np.maximum(extra[pos], 1)) * 100
        corporate = r.random(len(pos)) < 0.08
        self.link(SH, self.people(int((~corporate).sum()), 0.3), owners[~corporate], share[~corporate])
        other = idx[(pos[corporate] + 1 + r.integers(0, max(m - 1, 1), int(corporate.sum()))) % m]
        self.link(SH, other, owners[corporate], share[corporate], src_company=True)
        taken = np.bincount(pos, weights=share, minlength=m).astype(np.int64)
        self.link(SH, legal, idx, 10_000 - taken)

    def people(self, m: int, serial_share: float) -> np.ndarray:
        """`m` persons: mostly new, a `serial_share` of them serial entrepreneurs who hold many companies."""
        r = self.rng
        out = self.new_persons(m)
        pick = r.random(m) < serial_share
        if pick.any():
            out[pick] = self.serial[np.searchsorted(self.serial_cdf, r.random(int(pick.sum())))]
        return out

    def places(self, idx: np.ndarray) -> None:
        """Own addresses and phones; business centres and registration agents shared by many."""
        r, m = self.rng, len(idx)
        d = self.district[idx]
        rooms = r.integers(1, 30, m) * 100 + r.integers(1, 20, m)
        own = _join("广州市", _take(_DISTRICT_NAMES, d), _take(T.ROADS, r.integers(0, len(T.ROADS), m)),
                    _num(r.integers(1, 900, m)), "号", _num(rooms), "房")
        centres = [self.address(int(r.integers(0, 11)), grand=True) + r.choice(["（集群注册）", "（仅限办公用途）"])
                   for _ in range(max(5, self.n // 800))]
        size = np.minimum(r.pareto(1.2, len(centres)) + 1, 20)
        at = r.random(m) < 0.10
        self.centre_of = np.full(self.n, -1, np.int64)
        self.centre_of[idx[at]] = r.choice(len(centres), int(at.sum()), p=size / size.sum())
        self.address_ = pc.if_else(pa.array(at), _take(centres, np.maximum(self.centre_of[idx], 0)), own)
        self.centres = centres
        landline = _join("020-", _num(r.integers(31_000_000, 89_999_999, m)))
        mobile = _join("1", _num(r.choice([35, 36, 37, 38, 39, 58, 59, 86, 88, 89], m)), _num(r.integers(0, 10**8, m), 8))
        own_phone = pc.if_else(pa.array(r.random(m) < 0.6), landline, mobile)
        agents = [f"020-{x}" for x in r.integers(31_000_000, 89_999_999, max(5, self.n // 500))]
        size = np.minimum(r.pareto(1.5, len(agents)) + 1, 15)
        by_agent = r.random(m) < 0.12
        self.phone_ = pc.if_else(pa.array(by_agent), _take(agents, r.choice(len(agents), m, p=size / size.sum())),
                                 own_phone)

    def names(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        r, n = self.rng, self.n
        words = [(i, w) for i, (_n, _w, _s, ws) in enumerate(T.INDUSTRIES) for w in ws]
        start = np.searchsorted([i for i, _w in words], np.arange(len(T.INDUSTRIES)))
        count = np.bincount([i for i, _w in words], minlength=len(T.INDUSTRIES))
        word = start[self.industry] + (r.random(n) * count[self.industry]).astype(np.int64)
        c = len(T.BRAND_CHARS)
        name = _join(_take(["广州", "广州市"], r.integers(0, 2, n)), _take(T.BRAND_CHARS, r.integers(0, c, n)),
                     _take(T.BRAND_CHARS, r.integers(0, c, n)), _take([w for _i, w in words], word),
                     _take(["有限公司", "有限公司", "有限公司", "有限责任公司"], r.integers(0, 4, n)))
        scopes = [(i, s) for i, (_n, _w, ss, _c) in enumerate(T.INDUSTRIES) for s in ss]
        start = np.searchsorted([i for i, _s in scopes], np.arange(len(T.INDUSTRIES)))
        count = np.bincount([i for i, _s in scopes], minlength=len(T.INDUSTRIES))
        scope = _join(_take([s for _i, s in scopes], start[self.industry] + (r.random(n) * count[self.industry]).astype(np.int64)),
                      _take(["", "；以自有资金从事投资活动"], (r.random(n) < 0.03).astype(np.int64)))
        industry = _take([name for name, _w, _s, _c in T.INDUSTRIES], self.industry)
        return name, scope, industry

    def ordinary_signals(self, idx: np.ndarray) -> None:
        r = self.rng
        for kind, rate, pool in ((COMPLAINT, 0.02, T.COMPLAINTS), (ADVERT, 0.04, T.ADVERTS),
                                 (RECRUIT, 0.06, T.RECRUITS), (COURT, 0.015, T.COURTS), (NEWS, 0.005, T.NEWS)):
            who = idx[r.random(len(idx)) < rate]
            who = np.concatenate([who, who[r.random(len(who)) < 0.2]])
            self.signal(who, kind, r.integers(0, 720, len(who)), _take(pool, r.integers(0, len(pool), len(who))))

    def build(self):
        from gzgov.finreg.fundraising import synthetic_roles as roles

        self.base()
        special = roles.plan(self)  # ring members and decoys, at the start of the index space
        ordinary = np.arange(special, self.n, dtype=np.int64)
        self.places(np.arange(self.n, dtype=np.int64))
        self.base_structure(np.concatenate([ordinary, roles.with_base_structure(self)]))
        self.ordinary_signals(ordinary)
        roles.fill(self)
        return self.finish()

    def finish(self) -> Population:
        self.flush()
        return _assemble(self)


_BASE_EDGES = 3.2  # legal representative, supervisor, manager (60 %), finance officer (50 %), shared address/phone
POSITIONS = ("", "执行董事兼总经理", "董事", "监事", "经理", "财务负责人", "执行董事")
_SERIAL_MUL, _SERIAL_ADD, _SERIAL_MOD = 7_919_113, 12_345_679, 10**8  # a bijection of 0…10⁸−1


def _with_overrides(column: pa.Array, over: dict[int, str]) -> pa.Array:
    if not over:
        return column
    at = np.fromiter(over, np.int64, len(over))
    order = np.argsort(at)
    mask = np.zeros(len(column), bool)
    mask[at] = True
    values = [over[int(i)] for i in at[order]]
    return pc.replace_with_mask(column, pa.array(mask), pa.array(values, pa.string()))


def _companies(g: _Gen) -> tuple[pa.Table, pa.Array]:
    n, today = g.n, g.today
    established = today - g.age_days.astype("timedelta64[D]")
    serial = (np.arange(n, dtype=np.int64) * _SERIAL_MUL + _SERIAL_ADD) % _SERIAL_MOD
    district = np.asarray(_DISTRICTS)[g.district]
    codes = credit_codes(district, serial, established >= np.datetime64("2015-10-01"))
    name, scope, industry = g.names()
    cols = {"name": name, "scope": scope, "industry": industry, "address": g.address_, "phone": g.phone_}
    cols = {k: _with_overrides(v, g.over[k]) for k, v in cols.items()}
    table = pa.table({
        "credit_code": codes, "name": cols["name"], "scope": cols["scope"],
        "registered_capital_fen": pa.array(g.reg_fen, pa.int64()),
        "paid_in_capital_fen": pa.array(g.paid_fen, pa.int64(), mask=g.paid_fen < 0),
        "established": pa.array(established), "address": cols["address"], "phone": cols["phone"],
        "district_code": pa.array(district, pa.string()), "industry": cols["industry"],
        "has_financial_licence": pa.array(g.licensed, pa.bool_())})
    return table.take(pa.array(g.rng.permutation(n))), codes


def _persons(g: _Gen, src: np.ndarray, of_person: np.ndarray) -> tuple[pa.Table, pa.Array, np.ndarray]:
    """The persons named by some link, numbered P1, P2 … in order of appearance; returns the table, their ID
    numbers and each person link's row in the table."""
    r = g.rng
    used, first, inverse = np.unique(src[of_person], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(used), np.int64)
    rank[order] = np.arange(len(used))
    used, row = used[order], rank[inverse]
    k = len(used)
    region = np.asarray(T.ID_REGIONS)[_pick(r, T.ID_REGIONS, T.ID_REGION_WEIGHTS, k)]
    seq = np.arange(k, dtype=np.int64) % 1000
    birth = np.datetime64("1955-01-01") + ((np.arange(k) // 1000) * 37 % 19_000).astype("timedelta64[D]")
    ids, masked = id_numbers(region, birth, seq)
    names = _join(_take(T.SURNAMES, _pick(r, T.SURNAMES, T.SURNAME_WEIGHTS, k)),
                  _take(T.GIVEN, r.integers(0, len(T.GIVEN), k)),
                  _take(["", *T.GIVEN], np.where(r.random(k) < 0.7, r.integers(1, len(T.GIVEN) + 1, k), 0)))
    barred = np.isin(used, np.asarray(g.blacklisted, np.int64)) | (r.random(k) < 0.0002) & ~np.isin(used, g.ring_people)
    table = pa.table({"person_key": _join("P", _num(np.arange(1, k + 1))), "name": names, "id_masked": masked,
                      "blacklisted": pa.array(barred, pa.bool_())})
    return table, ids, row


def _links(g: _Gen, codes: pa.Array) -> tuple[pa.Table, pa.Array, pa.Table, pa.Array]:
    kind, is_company, src, dst, share, position = (np.concatenate(c) for c in zip(*g.links, strict=True))
    key = ((kind.astype(np.int64) * 2 + is_company) << 48) | (src << 24) | dst  # one link per kind and ends
    _u, keep = np.unique(key, return_index=True)
    keep.sort()
    kind, is_company, src, dst, share, position = (a[keep] for a in (kind, is_company, src, dst, share, position))
    persons, ids, row = _persons(g, src, ~is_company)
    keys = np.zeros(len(src), np.int64)
    keys[~is_company] = row
    src_text = pc.if_else(pa.array(is_company), codes.take(pa.array(np.where(is_company, src, 0))),
                          persons["person_key"].combine_chunks().take(pa.array(keys)))
    links = pa.table({"kind": _take(LINK_KINDS, kind), "src_kind": _take(("person", "company"), is_company),
                      "src": src_text, "dst": codes.take(pa.array(dst)),
                      "share_bp": pa.array(share, pa.int64(), mask=share < 0)})
    return links, _take(POSITIONS, position), persons, ids


def _signals(g: _Gen, codes: pa.Array) -> pa.Table:
    """The signals in order of making, each (company, kind, day, text) once — as the import keeps them."""
    company, kind, days = (np.concatenate([c[k] for c in g.signals]) for k in range(3))
    t = pa.table({"credit_code": codes.take(pa.array(company)), "kind": _take(SIGNAL_KINDS, kind),
                  "on": pa.array(g.today - days.astype("timedelta64[D]")),
                  "text": pa.concat_arrays([c[3] for c in g.signals]), "row": pa.array(np.arange(len(company)))})
    first = t.group_by(["credit_code", "kind", "on", "text"], use_threads=False).aggregate([("row", "min")])
    return t.take(pa.array(np.sort(first["row_min"].to_numpy()))).drop_columns(["row"])


def _assemble(g: _Gen) -> Population:
    enterprises, codes = _companies(g)
    links, positions, persons, ids = _links(g, codes)
    signals = _signals(g, codes)
    code = codes.to_numpy(zero_copy_only=False)
    rings = [set(code[m].tolist()) for m in g.rings]
    return Population(enterprises=enterprises, persons=persons, links=links, signals=signals,
                      cased={code[i] for i in g.cased}, planted=set().union(*rings), rings=rings,
                      decoys={code[i] for i in g.decoys}, decoy_kinds={code[i]: k for i, k in g.decoys.items()},
                      person_ids=ids, positions=positions, licences={code[i]: v for i, v in g.licences.items()})


def generate(companies: int = 20_000, rings: int | None = None, seed: int = 20211029, today: date | None = None,
             edges_per_company: float = 5.0) -> Population:
    """A population of `companies` companies (ring members and decoys included) with `rings` planted rings
    (default one per 2,000 companies) and about `edges_per_company` graph edges per company (distinct persons
    and companies linked to it, and its shared address and phone; the link rows are about 1.4 times as many,
    since one person often holds several roles)."""
    rings = max(1, companies // 2000) if rings is None else rings
    if companies < 200 or rings < 0 or companies < rings * 40:
        raise ValueError("need at least 200 companies and 40 companies per ring")
    return _Gen(companies, rings, seed, today or date.today(), edges_per_company).build()


# ---------------------------------------------------------------------------------------- import files

E_HEADER = ["credit_code", "name", "scope", "registered_capital_yuan", "paid_in_capital_yuan", "established",
            "address", "phone", "legal_rep", "industry", "financial_licence", "status"]
L_HEADER = ["kind", "company", "person_name", "person_id", "other_company", "share_percent", "position", "since"]


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def write_import_files(directory: Path | str, n: int = 3000, seed: int = 20211029, today: date | None = None,
                       rings: int | None = None) -> tuple[Population, list[Path]]:
    """A small population as the files `gzgov finreg enterprises import` reads: enterprises.csv, links.csv and
    signals.jsonl (docs/fundraising-data.md)."""
    pop = generate(n, rings=rings, seed=seed, today=today)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    persons = pop.persons.to_pylist()
    who = {p["person_key"]: (p["name"], pid) for p, pid in zip(persons, pop.person_ids.to_pylist(), strict=True)}
    links = pop.links.to_pylist()
    legal = {lk["dst"]: who[lk["src"]][0] for lk in links if lk["kind"] == "legal_rep"}
    paths = [out / "enterprises.csv", out / "links.csv", out / "signals.jsonl"]
    with paths[0].open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(E_HEADER)
        for e in pop.enterprises.to_pylist():
            code = e["credit_code"]
            w.writerow([code, e["name"], e["scope"], _yuan(e["registered_capital_fen"]), _yuan(e["paid_in_capital_fen"]),
                        e["established"].isoformat(), e["address"], e["phone"], legal.get(code, ""), e["industry"],
                        pop.licences.get(code, ""), "active"])
    with paths[1].open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(L_HEADER)
        for lk, position in zip(links, pop.positions.to_pylist(), strict=True):
            person = who.get(lk["src"]) if lk["src_kind"] == "person" else None
            share = lk["share_bp"]
            w.writerow([lk["kind"], lk["dst"], person[0] if person else "", person[1] if person else "",
                        "" if person else lk["src"], "" if share is None else f"{share // 100}.{share % 100:02d}",
                        position, ""])
    with paths[2].open("w", encoding="utf-8") as f:
        for s in pop.signals.to_pylist():
            f.write(json.dumps({"record": "signal", "company": s["credit_code"], "kind": s["kind"],
                                "date": s["on"].isoformat(), "text": s["text"], "source": T.SOURCES[s["kind"]]},
                               ensure_ascii=False) + "\n")
    return pop, paths
