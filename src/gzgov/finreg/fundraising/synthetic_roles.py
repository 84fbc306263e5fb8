"""The planted fundraising rings and the honest decoys of the synthetic population
(gzgov.finreg.fundraising.synthetic): where they sit in the index space, and their names, capital, people,
links, places and signals. A few thousand companies at most, so plain loops are fine here."""

from __future__ import annotations

import numpy as np

from gzgov.finreg.fundraising import synthetic_text as T
from gzgov.finreg.fundraising.synthetic import (
    ADVERT,
    BR,
    COMPLAINT,
    COURT,
    CTRL,
    LR,
    NEWS,
    OFF,
    RECRUIT,
    SH,
    _Gen,
)

_RING_DISTRICTS = (3, 3, 3, 1, 2, 0, 4)  # offices in 天河, 越秀, 海珠, 荔湾, 白云 (indices into _DISTRICTS)
_YEAR = 365


def plan(g: _Gen) -> int:
    """Lay out ring members and decoys at the start of the index space; returns where ordinary firms begin."""
    r, n, pos = g.rng, g.n, 0

    def block(size: int) -> np.ndarray:
        nonlocal pos
        pos += size
        return np.arange(pos - size, pos, dtype=np.int64)

    g.rings = [block(int(r.integers(5, 16))) for _ in range(g.n_rings)]
    g.plan = {kind: block(count) for kind, count in (("licensed", max(3, n // 1000)), ("investment_name", max(5, n // 200)),
                                                     ("consumer", max(5, n // 400)), ("elderly_care", max(2, n // 2000)))}
    g.groups = [block(int(r.integers(5, 13))) for _ in range(max(2, n // 4000))]
    g.chains = [block(int(r.integers(5, 12))) for _ in range(max(1, n // 10_000))]
    if pos > n // 2:
        raise ValueError("too many rings for so few companies")
    g.first_ordinary = pos
    g.decoy_centres = set()
    return pos


def with_base_structure(g: _Gen) -> np.ndarray:
    """Decoys that get an ordinary company's people and links (their own are added by `fill`)."""
    heads = [grp[:1] for grp in g.groups] + [ch[:1] for ch in g.chains]
    return np.concatenate([*g.plan.values(), *heads])


def fill(g: _Gen) -> None:
    for members in g.rings:
        _ring(g, members)
    for kind, idx in g.plan.items():
        for i in idx:
            {"licensed": _licensed, "investment_name": _investment_name, "consumer": _consumer,
             "elderly_care": _elderly}[kind](g, int(i))
            g.decoys[int(i)] = kind
    for grp in g.groups:
        _group(g, grp)
    for chain in g.chains:
        _chain(g, chain)


def _company(g: _Gen, i: int, name: str, scope: str, industry: str, reg_yuan: int, paid: str, age: int,
             district: int | None = None) -> None:
    g.set(i, name=name, scope=scope, industry=industry)
    g.reg_fen[i] = reg_yuan * 100
    g.paid_fen[i] = {"full": reg_yuan * 100, "none": -1, "zero": 0}.get(paid, -1)
    g.age_days[i] = age
    if district is not None:
        g.district[i] = district


def _days(g: _Gen, k: int, lo: int, hi: int) -> np.ndarray:
    return g.rng.integers(lo, hi, k)


# ---------------------------------------------------------------------------------------- planted rings

def _ring(g: _Gen, m: np.ndarray) -> None:
    r = g.rng
    size = len(m)
    branches = m[size - int(r.integers(0, min(5, size - 3) + 1)):] if size > 3 else m[:0]
    firms = m[:size - len(branches)]
    head = int(m[0])
    strength = r.uniform(0.35, 1.0)
    brand, district = g.brand(), int(r.choice(_RING_DISTRICTS))
    controller = int(g.new_persons(1)[0])
    nominees = g.new_persons(int(r.integers(2, 5)))
    g.ring_people += [controller, *nominees.tolist()]
    if r.random() < 0.35:
        g.blacklisted.append(controller)
    office, office2 = g.address(district, grand=True), g.address(int(r.choice(_RING_DISTRICTS)), grand=True)
    phones = [g.phone(), g.phone()]
    words = r.permutation(len(T.RING_WORDS))  # names in a ring differ, as the registry requires
    for j, i in enumerate(firms.tolist()):
        w = int(words[j % len(words)])
        name = f"广州{brand if r.random() < 0.6 and j < len(words) else g.brand()}{T.RING_WORDS[w]}有限公司"
        reg = int(round(10 ** r.uniform(7, 8), -6))
        u = r.random()
        _company(g, i, name, T.RING_SCOPES[int(r.integers(len(T.RING_SCOPES)))], T.RING_INDUSTRIES[w], reg,
                 "zero" if u < 0.5 else "none" if u < 0.7 else "some", int(r.integers(120, 1000) if j == 0 else
                                                                           r.integers(30, 700)),
                 district if r.random() < 0.7 else int(r.choice(_RING_DISTRICTS)))
        if u >= 0.7:
            g.paid_fen[i] = int(reg * r.uniform(0.005, 0.03)) // 10_000 * 1_000_000
        u = r.random()
        g.set(i, address=office if u < 0.5 else office2 if u < 0.7 else g.address(int(g.district[i])))
        u = r.random()
        g.set(i, phone=phones[0] if u < 0.5 else phones[1] if u < 0.7 else g.phone())
        legal = controller if j == 0 and r.random() < 0.3 else int(nominees[j % len(nominees)])
        g.link(LR, legal, i)
        g.link(OFF, legal, i, position=1)
        g.link(OFF, int(nominees[(j + 1) % len(nominees)]), i, position=3)
        if j == 0:
            share = int(r.integers(60, 91)) * 100
            g.link(SH, controller, i, share)
            g.link(SH, int(nominees[0]), i, 10_000 - share)
        else:
            share = int(r.integers(51, 71)) * 100
            cross = int(r.integers(10, 29)) * 100 if j > 1 and r.random() < 0.4 else 0
            g.link(SH, head, i, share, src_company=True)
            g.link(SH, int(nominees[j % len(nominees)]), i, 10_000 - share - cross)
            if cross:
                g.link(SH, int(r.choice(firms[1:j])), i, cross, src_company=True)
        if j == 0 or r.random() < 0.5:
            g.link(CTRL, controller, i)
    head_name = g.over["name"][head]
    for b, d in zip(branches.tolist(), r.choice(11, len(branches), replace=False).tolist(), strict=True):
        _company(g, b, f"{head_name}{('荔湾', '越秀', '海珠', '天河', '白云', '黄埔', '番禺', '花都', '南沙', '从化', '增城')[d]}分公司",
                 g.over["scope"][head], g.over["industry"][head], 0, "none", int(r.integers(5, 180)), d)
        g.set(b, address=office if r.random() < 0.3 else g.address(d), phone=phones[0] if r.random() < 0.4 else g.phone())
        g.link(BR, head, b, src_company=True)
        g.link(LR, int(r.choice(nominees)), b)
    _at_business_centre(g, firms[1:])
    _ring_signals(g, m, strength, brand)
    if r.random() < 0.2:
        g.cased.append(int(r.choice(m)))


def _at_business_centre(g: _Gen, firms: np.ndarray) -> None:
    """Half the rings register one or two companies at a business centre; its ordinary tenants become decoys."""
    r = g.rng
    if len(firms) == 0 or r.random() >= 0.5:
        return
    ordinary = g.centre_of[g.first_ordinary:]
    if not hasattr(g, "busy_centres"):
        g.busy_centres = np.flatnonzero(np.bincount(ordinary[ordinary >= 0], minlength=len(g.centres)) >= 3)
    if len(g.busy_centres) == 0:
        return
    c = int(r.choice(g.busy_centres))
    for i in r.choice(firms, min(len(firms), int(r.integers(1, 3))), replace=False).tolist():
        g.set(i, address=g.centres[c])
    if c not in g.decoy_centres:
        g.decoy_centres.add(c)
        for i in (g.first_ordinary + np.flatnonzero(ordinary == c)).tolist():
            g.decoys.setdefault(i, "business_centre_neighbour")


def _advert(g: _Gen, brand: str) -> str:
    r = g.rng
    rate = int(r.integers(12, 37))
    return T.RING_ADVERTS[int(r.integers(len(T.RING_ADVERTS)))].format(
        brand=brand, rate=rate, low=max(8, rate - int(r.integers(4, 10))), fen=r.choice(["1.5", "2", "2.5", "3", "一分半"]),
        permille=r.choice(["三", "五", "八"]), month=int(r.integers(2, 9)), payout=int(r.integers(15, 40)) * 10)


def _ring_signals(g: _Gen, members: np.ndarray, strength: float, brand: str) -> None:
    r = g.rng
    for j, i in enumerate(members.tolist()):
        name = g.over["name"][i]
        if j == 0 or r.random() < 0.75 * strength:
            k = int(r.integers(1, 5))
            g.signal([i] * k, ADVERT, _days(g, k, 0, 240), [_advert(g, brand) for _ in range(k)])
        if r.random() < 0.65 * strength:
            lam = r.uniform(0.5, 2.0) * strength
            for month in range(6):  # month 0 is the current one: complaints rise towards today
                k = int(r.poisson(lam * (6 - month) / 3.5))
                g.signal([i] * k, COMPLAINT, _days(g, k, month * 30, month * 30 + 30),
                         [T.RING_COMPLAINTS[x] for x in r.integers(0, len(T.RING_COMPLAINTS), k)])
        if r.random() < 0.5 * strength:
            k = int(r.integers(1, 4))
            g.signal([i] * k, RECRUIT, _days(g, k, 0, 300), [T.RING_RECRUITS[x] for x in r.integers(0, 4, k)])
        if r.random() < 0.1 * strength:
            g.signal(i, NEWS, int(r.integers(0, 60)), T.RING_NEWS[int(r.integers(2))].format(name=name))
        if r.random() < 0.15 * strength:
            g.signal(i, COURT, int(r.integers(0, 200)), T.RING_COURTS[int(r.integers(2))].format(name=name))


# ---------------------------------------------------------------------------------------- honest decoys

def _licensed(g: _Gen, i: int) -> None:
    r = g.rng
    reg = int(round(10 ** r.uniform(7, 8), -6))
    _company(g, i, f"广州{g.brand()}{T.LICENSED_WORDS[int(r.integers(len(T.LICENSED_WORDS)))]}有限公司",
             T.LICENSED_SCOPES[int(r.integers(len(T.LICENSED_SCOPES)))], "金融业", reg, "full",
             int(r.integers(3 * _YEAR, 20 * _YEAR)))
    g.licensed[i] = True
    g.licences[i] = (f"经营证券期货业务许可证 9144{int(r.integers(10**9, 10**10 - 1))}" if r.random() < 0.5
                     else f"私募基金管理人登记编号 P10{int(r.integers(10_000, 99_999))}")
    if r.random() < 0.6:
        k = int(r.integers(1, 4))
        g.signal([i] * k, ADVERT, _days(g, k, 0, 360),
                 [T.LICENSED_ADVERTS[x].format(base=r.choice(["3.2", "3.8", "4.2", "4.5", "5.0"]))
                  for x in r.integers(0, len(T.LICENSED_ADVERTS), k)])
    if r.random() < 0.3:
        g.signal(i, COMPLAINT, int(r.integers(0, 720)), "客户经理服务态度差，赎回到账慢")


def _investment_name(g: _Gen, i: int) -> None:
    r = g.rng
    _company(g, i, f"广州{g.brand()}{T.INVEST_WORDS[int(r.integers(len(T.INVEST_WORDS)))]}有限公司",
             T.INVEST_SCOPES[int(r.integers(len(T.INVEST_SCOPES)))], "租赁和商务服务业",
             int(round(10 ** r.uniform(6, 7.7), -5)), str(r.choice(["none", "zero", "full"])),
             int(r.integers(200, 25 * _YEAR)))
    if r.random() < 0.2:
        g.signal(i, RECRUIT, int(r.integers(0, 360)), "招聘财务会计一名，五险一金")
    if r.random() < 0.05:
        g.signal(i, COURT, int(r.integers(0, 720)), "股权转让纠纷一审民事判决书")


def _consumer(g: _Gen, i: int) -> None:
    r = g.rng
    word, industry, scope = T.CONSUMER[int(r.integers(len(T.CONSUMER)))]
    _company(g, i, f"广州{g.brand()}{word}有限公司", scope, industry, int(round(10 ** r.uniform(5, 6.5), -4)),
             str(r.choice(["none", "zero", "full"])), int(r.integers(300, 10 * _YEAR)))
    k = int(r.integers(3, 11))  # a steady trickle over the year, no rise
    g.signal([i] * k, COMPLAINT, _days(g, k, 0, 360),
             [T.CONSUMER_COMPLAINTS[x] for x in r.integers(0, len(T.CONSUMER_COMPLAINTS), k)])
    k = int(r.integers(1, 4))
    g.signal([i] * k, ADVERT, _days(g, k, 0, 360),
             [T.CONSUMER_ADVERTS[x] for x in r.integers(0, len(T.CONSUMER_ADVERTS), k)])


def _elderly(g: _Gen, i: int) -> None:
    r = g.rng
    _company(g, i, f"广州{g.brand()}{T.ELDERLY_WORDS[int(r.integers(len(T.ELDERLY_WORDS)))]}有限公司", T.ELDERLY_SCOPE,
             "卫生和社会工作", int(round(10 ** r.uniform(6, 7), -5)), "full", int(r.integers(2 * _YEAR, 15 * _YEAR)))
    k = int(r.integers(1, 3))
    g.signal([i] * k, ADVERT, _days(g, k, 0, 360), [T.ELDERLY_ADVERTS[x] for x in r.integers(0, 3, k)])
    if r.random() < 0.3:
        g.signal(i, COMPLAINT, int(r.integers(0, 360)), "护工人手不足，老人照护不到位")


def _group(g: _Gen, m: np.ndarray) -> None:
    """A legitimate group: a parent holding its subsidiaries, shared executives, one headquarters."""
    r = g.rng
    brand = g.brand()
    parent = int(m[0])
    execs = g.new_persons(int(r.integers(2, 4)))
    hq, phone = g.address(3, grand=True), g.phone()
    _company(g, parent, f"广州{brand}{T.GROUP_WORDS[int(r.integers(len(T.GROUP_WORDS)))]}有限公司",
             "以自有资金从事投资活动；企业总部管理；企业管理咨询", "租赁和商务服务业",
             int(round(10 ** r.uniform(7.5, 8.5), -6)), "full", int(r.integers(8 * _YEAR, 25 * _YEAR)), 3)
    g.set(parent, address=hq, phone=phone)
    g.decoys[parent] = "group"
    for j, i in enumerate(m[1:].tolist(), start=1):
        ind = int(r.integers(len(T.INDUSTRIES)))
        name, _w, scopes, words = T.INDUSTRIES[ind]
        _company(g, i, f"广州{brand}{words[int(r.integers(len(words)))]}有限公司", scopes[0], name,
                 int(round(10 ** r.uniform(6.5, 7.5), -5)), "full", int(r.integers(2 * _YEAR, 20 * _YEAR)))
        if r.random() < 0.5:
            g.set(i, address=hq, phone=phone)
        share = int(r.integers(51, 96)) * 100
        cross = 500 if j > 1 and r.random() < 0.3 else 0
        g.link(SH, parent, i, share, src_company=True)
        g.link(SH, int(execs[0]), i, 10_000 - share - cross)
        g.link(LR, int(execs[j % len(execs)]), i)
        g.link(OFF, int(execs[j % len(execs)]), i, position=2)
        g.link(OFF, int(execs[(j + 1) % len(execs)]), i, position=3)
        g.link(OFF, int(g.people(1, 0.0)[0]), i, position=5)
        if cross:
            g.link(SH, int(m[int(r.integers(1, j))]), i, cross, src_company=True)
        g.decoys[i] = "group"
        if r.random() < 0.4:
            g.signal(i, RECRUIT, int(r.integers(0, 360)), T.RECRUITS[int(r.integers(len(T.RECRUITS)))])
    g.signal(parent, NEWS, int(r.integers(0, 360)), T.NEWS[int(r.integers(len(T.NEWS)))])


def _chain(g: _Gen, m: np.ndarray) -> None:
    """A retail chain opening branches fast — many branches within a year, as honest growth looks."""
    r = g.rng
    word, industry, scope = T.CHAIN_WORDS[int(r.integers(len(T.CHAIN_WORDS)))]
    head = int(m[0])
    name = f"广州{g.brand()}{word}有限公司"
    _company(g, head, name, scope, industry, int(round(10 ** r.uniform(6.5, 7.5), -5)), "full",
             int(r.integers(3 * _YEAR, 12 * _YEAR)))
    g.decoys[head] = "chain"
    for i in m[1:].tolist():
        d = int(r.integers(0, 11))
        road = T.ROADS[int(r.integers(len(T.ROADS)))]
        _company(g, i, f"{name}{road}分店", scope, industry, 0, "none", int(r.integers(10, _YEAR)), d)
        g.set(i, address=g.address(d), phone=g.phone())
        g.link(BR, head, i, src_company=True)
        g.link(LR, int(g.people(1, 0.0)[0]), i)
        g.decoys[i] = "chain"
        if r.random() < 0.3:
            g.signal(i, ADVERT, int(r.integers(0, 120)), T.ADVERTS[int(r.integers(len(T.ADVERTS)))])
