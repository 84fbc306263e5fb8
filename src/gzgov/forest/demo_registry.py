"""A seeded, deterministic generator of a realistic full-scale eco-forest registry (演示登记数据).

Scale and totals follow the 2021—2025 compensation scheme (穗林业园林规字〔2021〕2号):
269.35万亩 of eco-forest, by grade Ⅰ 33.55 / Ⅱ 171.32 / Ⅲ 64.48万亩 (§4(1)2), by management tier
state forest farms 35.28 / central-south 26.6 / northern mountains 207.47万亩 (§4(2)2), about
45万户 payees (§1). Whatever the number of parcels, the areas add up exactly to those figures:
the grade x tier table is fixed in integer hundredths of a mu (`_joint_table`), each cell is split
over districts or farms by largest remainder, then over parcels with integer areas.

Payees follow §4(1)1: an uncontracted parcel is paid to the village's collective economic
organisation (or the state forest farm), a contracted one to the contracting household, a
transferred one to whoever the transfer contract names (a household or an enterprise).

All people, companies, IDs, bank accounts and villages are synthetic.
"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gzgov.core.geo import find_district
from gzgov.core.identity import make_bank_card, make_credit_code, make_id_card
from gzgov.core.money import split_fen

COLUMNS: tuple[str, ...] = (
    "parcel_code", "district", "town", "village", "grade", "area_mu", "state_forest_farm", "tenure",
    "former_zone", "payee_kind", "payee_name", "payee_id", "bank_name", "bank_account", "contract_ref",
)
GRADES = ("I", "II", "III")
TIERS = ("state_forest_farm", "central_south", "northern_mountain")
TENURES = ("uncontracted", "contracted", "transferred")
# area_e4 = mu x 10_000: 33.55万亩 = 335_500 mu = 3_355_000_000
GRADE_TOTAL_E4 = {"I": 3_355_000_000, "II": 17_132_000_000, "III": 6_448_000_000}  # §4(1)2
TIER_TOTAL_E4 = {"state_forest_farm": 3_528_000_000, "central_south": 2_660_000_000,
                 "northern_mountain": 20_747_000_000}  # §4(2)2
PROGRESS_EVERY = 50_000

# Grade Ⅰ and Ⅱ per tier in hundredths of a mu (1万亩 = 1_000_000); Ⅲ is what each tier has left.
# Farms hold a larger share of Ⅰ (national forest parks, nature reserves) than the villages do.
_GRADE_I_II_E2 = ((12_000_000, 2_500_000, 19_050_000), (18_000_000, 15_000_000, 138_320_000))

# Town and street names are real; share weights are the generator's own assumptions.
_TOWNS: dict[str, tuple[str, ...]] = {
    "天河区": ("龙洞街道", "凤凰街道", "长兴街道", "元岗街道"),
    "白云区": ("钟落潭镇", "江高镇", "人和镇", "太和镇", "龙归街道", "嘉禾街道"),
    "黄埔区": ("九龙镇", "长岭街道", "萝岗街道", "联和街道"),
    "番禺区": ("化龙镇", "石楼镇", "沙湾街道", "大石街道", "南村镇", "石碁镇"),
    "花都区": ("梯面镇", "花山镇", "炭步镇", "赤坭镇", "狮岭镇", "花东镇", "新华街道", "秀全街道"),
    "南沙区": ("大岗镇", "榄核镇", "横沥镇", "黄阁镇", "南沙街道", "东涌镇"),
    "从化区": ("温泉镇", "良口镇", "吕田镇", "太平镇", "鳌头镇", "江埔街道", "城郊街道", "街口街道"),
    "增城区": ("派潭镇", "正果镇", "小楼镇", "中新镇", "石滩镇", "仙村镇", "朱村街道", "荔城街道", "增江街道",
             "永宁街道"),
}
_CENTRAL_SOUTH = (("黄埔区", 35), ("番禺区", 25), ("南沙区", 15), ("天河区", 25))
_NORTHERN = (("从化区", 45), ("增城区", 30), ("花都区", 15), ("白云区", 10))
# Names used for synthetic data: state forest farms (and a forest park run as one) with the
# district and towns where their parcels are placed, and a relative area weight.
_FARMS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("流溪河林场", "从化区", ("良口镇", "吕田镇"), 120),
    ("石门国家森林公园", "从化区", ("良口镇",), 40),
    ("帽峰山林场", "白云区", ("太和镇",), 25),
    ("龙眼洞林场", "天河区", ("龙洞街道",), 25),
    ("大岭山林场", "番禺区", ("石楼镇",), 10),
    ("王子山林场", "花都区", ("梯面镇",), 30),
    ("增城林场", "增城区", ("派潭镇", "正果镇"), 60),
)
_V1 = "石新岭塘龙白高大上下东西南北黄水山田沙竹松柏梅桂凤鹤马牛禾莲荷坑岗湖谷云金银平安和联"
_V2 = "岭联坑塘头尾围岗田湖口坪洞背溪江水山村坑埔庄林冚岭湾洲"
_SURNAMES = "陈陈陈李李黄黄梁梁何钟刘刘邓罗谢朱张林吴郭冯曾叶潘徐杨王周赖蔡卢邱古廖温欧骆"
_GIVEN = "伟强明华杰俊志文国荣丽芳娟燕英秀玉桂兰珍金福添财树森辉耀广永建家新德胜海波明亮红梅春秋惠敏锦坤"
_BRANDS = "绿森翠林青山源丰茂盛华兴岭南粤秀穗城宏达嘉禾富康泰和润美景鸿鑫誉恒通瑞祥宝顺"
_TRADES = ("林业发展", "生态农业", "苗木种植", "农林科技", "生态林业", "园林绿化", "森林旅游", "林产品")
# Illustrative issuer prefixes (BINs) for synthetic personal cards: (bank, bin, length, weight).
_CARD_BANKS = (("广州农村商业银行", "621461", 19, 50), ("中国农业银行", "622848", 19, 20),
               ("中国邮政储蓄银行", "621799", 19, 15), ("中国工商银行", "622202", 19, 8),
               ("中国建设银行", "436742", 16, 4), ("中国银行", "456351", 16, 3))
_CORP_BANKS = ("广州农村商业银行", "广州农村商业银行", "中国农业银行", "中国建设银行", "广州银行")
ENTERPRISE_SHARE = 0.025
COLLECTIVE_SHARE = 0.02  # villages in play per payee, capped by the number of villages
TRANSFER_SHARE = 0.06  # household parcels held under a transfer contract
NO_ACCOUNT_SHARE = 0.001
SECOND_VILLAGE_SHARE = 0.0005
FORMER_ZONE_SHARE = 0.0002


@dataclass(frozen=True)
class RegistrySpec:
    parcels: int = 1_000_000
    payees: int = 450_000
    seed: int = 20210915


@dataclass
class RegistrySummary:
    parcels: int
    payees: int
    area_e4_by_grade: dict[str, int]
    area_e4_by_tier: dict[str, int]
    area_e4_by_district: dict[str, int]


@dataclass(slots=True)
class _Village:
    district: str
    dcode: str
    town: str
    town_no: int
    no: int
    name: str
    parcels: list[list] = field(default_factory=list)  # [grade, area_e2, payee, tenure, contract_ref]
    farm_parcels: list[list] = field(default_factory=list)


def _joint_table() -> list[list[int]]:
    """Grade x tier areas in hundredths of a mu; rows and columns add up to the document's figures."""
    tiers = [TIER_TOTAL_E4[t] // 100 for t in TIERS]
    rows = [list(r) for r in _GRADE_I_II_E2]
    rows.append([tiers[j] - rows[0][j] - rows[1][j] for j in range(len(TIERS))])
    for g, row in zip(GRADES, rows, strict=True):
        assert sum(row) * 100 == GRADE_TOTAL_E4[g] and min(row) > 0, g
    return rows


def _area_cells() -> list[tuple[int, int, str, int]]:
    """(grade, tier, unit, area_e2): the joint table split over farms (tier 0) or districts."""
    units = ([(f[0], f[3]) for f in _FARMS], list(_CENTRAL_SOUTH), list(_NORTHERN))
    cells = []
    for g, row in enumerate(_joint_table()):
        for t, area in enumerate(row):
            for (unit, _w), part in zip(units[t], split_fen(area, [w for _u, w in units[t]]), strict=True):
                cells.append((g, t, unit, part))
    return cells


def _split_area(rng: random.Random, area_e2: int, n: int) -> list[int]:
    """n positive integer areas adding up to area_e2, of lognormally varying size."""
    weights = [int(rng.lognormvariate(0.0, 0.9) * 1000) + 1 for _ in range(n)]
    wsum, spare = sum(weights), area_e2 - n
    parts = [1 + spare * w // wsum for w in weights]
    for i in range(area_e2 - sum(parts)):  # fewer than n left over
        parts[i] += 1
    return parts


def _make_villages(rng: random.Random) -> dict[str, list[_Village]]:
    out: dict[str, list[_Village]] = {}
    for district, towns in _TOWNS.items():
        dcode = find_district(district).code
        out[district] = []
        for town_no, town in enumerate(towns, 1):
            names: list[str] = []
            wanted = rng.randint(5, 30)
            while len(names) < wanted:
                name = rng.choice(_V1) + rng.choice(_V2) + "村"
                if name not in names:
                    names.append(name)
            out[district] += [_Village(district, dcode, town, town_no, i, n) for i, n in enumerate(names, 1)]
    return out


class _Payees:
    """Every payee's (kind, name, id, bank, account), generated once and reused on all their rows."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.parcels: list[int] = []
        self._ids: set[str] = set()
        self._names: set[str] = set()
        first = datetime.date(1935, 1, 1).toordinal()
        self._births = [datetime.date.fromordinal(d) for d in range(first, datetime.date(2000, 12, 31).toordinal() + 1)]
        self._card_banks = [b for b in _CARD_BANKS for _ in range(b[3])]

    def _add(self, row: tuple[str, str, str, str, str]) -> int:
        self._ids.add(row[2])
        self.rows.append(row)
        self.parcels.append(0)
        return len(self.rows) - 1

    def _digits(self, n: int) -> str:
        return f"{self.rng.randrange(10 ** n):0{n}d}"

    def _credit(self, dcode: str, head: str, prefix: str) -> str:
        while True:
            code = make_credit_code(dcode, prefix + self._digits(8 - len(prefix)), head[0], head[1])
            if code not in self._ids:
                return code

    def _corporate(self) -> tuple[str, str]:
        n = self.rng.randint(12, 20)
        return self.rng.choice(_CORP_BANKS), str(self.rng.randrange(10 ** (n - 1), 10**n))

    def household(self, dcode: str) -> int:
        rng = self.rng
        while True:
            pid = make_id_card(dcode, rng.choice(self._births), rng.randrange(1000), rng.random() < 0.5)
            if pid not in self._ids:
                break
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        if rng.random() < NO_ACCOUNT_SHARE:
            return self._add(("household", name, pid, "", ""))
        bank, bin6, length, _w = rng.choice(self._card_banks)
        return self._add(("household", name, pid, bank, make_bank_card(bin6, self._digits(length - 7))))

    def collective(self, v: _Village) -> int:
        name = f"{v.district}{v.town}{v.name}股份经济合作社"
        return self._add(("collective", name, self._credit(v.dcode, "N2", "MF"), *self._corporate()))

    def farm(self, name: str, dcode: str) -> int:
        return self._add(("forest_farm", name, self._credit(dcode, "12", ""), *self._corporate()))

    def enterprise(self, district: str, dcode: str) -> int:
        rng = self.rng
        while True:
            place = rng.choice(("广州市", "广州市" + district.removesuffix("区")))
            name = f"{place}{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(_TRADES)}有限公司"
            if name not in self._names:
                break
        self._names.add(name)
        return self._add(("enterprise", name, self._credit(dcode, "91", "MA"), *self._corporate()))


class _Plan:
    """Every parcel placed in a village and given a payee; rows are emitted from here."""

    def __init__(self, spec: RegistrySpec) -> None:
        if spec.parcels < 100 or spec.payees < 1:
            raise ValueError("a demo registry needs at least 100 parcels and one payee")
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.villages = _make_villages(self.rng)
        self.payees = _Payees(self.rng)
        self._contracts: dict[str, int] = {}
        pools, farm_pools = self._parcel_pools()
        active = self._place_district_parcels(pools)
        self._place_farm_parcels(farm_pools)
        self._assign_payees(active)
        self._second_villages(active)
        self.former = set(self.rng.sample(range(spec.parcels), max(1, round(spec.parcels * FORMER_ZONE_SHARE))))

    def _parcel_pools(self) -> tuple[dict[str, list], dict[str, list]]:
        """Parcel counts in proportion to area (at least one a cell); each cell's area split over them."""
        cells = _area_cells()
        counts = [1 + n for n in split_fen(self.spec.parcels - len(cells), [c[3] for c in cells])]
        pools: dict[str, list] = {d: [] for d in _TOWNS}
        farm_pools: dict[str, list] = {f[0]: [] for f in _FARMS}
        for (g, t, unit, area), n in zip(cells, counts, strict=True):
            target = farm_pools[unit] if t == 0 else pools[unit]
            target += [(g, a) for a in _split_area(self.rng, area, n)]
        return pools, farm_pools

    def _place_district_parcels(self, pools: dict[str, list]) -> list[_Village]:
        """Village parcels: a share of each district's villages is in play, each with at least one parcel."""
        rng = self.rng
        wanted = max(len(pools), round(self.spec.payees * COLLECTIVE_SHARE))
        shares = split_fen(wanted, [len(p) for p in pools.values()])
        active: list[_Village] = []
        for (district, pool), share in zip(pools.items(), shares, strict=True):
            villages = self.villages[district]
            k = max(1, min(share, len(villages), len(pool)))
            chosen = sorted(rng.sample(range(len(villages)), k))
            rng.shuffle(pool)
            sizes = [1 + s for s in split_fen(len(pool) - k, [rng.randint(1, 10) for _ in range(k)])]
            start = 0
            for i, size in zip(chosen, sizes, strict=True):
                villages[i].parcels = [[g, a, -1, 0, ""] for g, a in pool[start:start + size]]
                active.append(villages[i])
                start += size
        return active

    def _place_farm_parcels(self, farm_pools: dict[str, list]) -> None:
        for name, district, towns, _w in _FARMS:
            payee = self.payees.farm(name, find_district(district).code)
            villages = [v for v in self.villages[district] if v.town in towns]
            for g, a in farm_pools[name]:
                self.rng.choice(villages).farm_parcels.append([g, a, payee, 0, ""])
            self.payees.parcels[payee] = len(farm_pools[name])

    def _contract(self, dcode: str) -> str:
        n = self._contracts[dcode] = self._contracts.get(dcode, 0) + 1
        return f"LZ-{dcode}-{self.rng.randint(2010, 2020)}-{n:06d}"

    def _assign_payees(self, active: list[_Village]) -> None:
        """One collective per village in play; households and enterprises share out the rest."""
        others = self.spec.payees - len(_FARMS) - len(active)
        room = [len(v.parcels) - 1 for v in active]
        if others < 0 or others > sum(room):
            raise ValueError(f"cannot give {self.spec.payees} payees parcels out of {self.spec.parcels}")
        for v, m in zip(active, split_fen(others, room) if others else [0] * len(active), strict=True):
            self._fill_village(v, m)

    def _fill_village(self, v: _Village, m: int) -> None:
        """The collective and m households/enterprises of village v; each gets at least one parcel."""
        rng, payees = self.rng, self.payees
        owners = [payees.collective(v)]
        for _ in range(m):
            owners.append(payees.enterprise(v.district, v.dcode) if rng.random() < ENTERPRISE_SHARE
                          else payees.household(v.dcode))
        counts = [1] * len(owners)
        tickets = [i for i in range(1, len(owners)) for _ in range(5 if payees.rows[owners[i]][0] == "enterprise" else 1)]
        for _ in range(len(v.parcels) - len(owners)):
            counts[rng.choice(tickets) if tickets and rng.random() > 0.12 else 0] += 1
        it = iter(v.parcels)
        for owner, n in zip(owners, counts, strict=True):
            kind = payees.rows[owner][0]
            payees.parcels[owner] = n
            for _ in range(n):
                p = next(it)
                p[2] = owner
                if kind == "enterprise" or (kind == "household" and rng.random() < TRANSFER_SHARE):
                    p[3], p[4] = 2, self._contract(v.dcode)
                elif kind == "household":
                    p[3] = 1

    def _second_villages(self, active: list[_Village]) -> None:
        """A few households also hold, by transfer contract, a parcel in another village of their district."""
        rng, rows, counts = self.rng, self.payees.rows, self.payees.parcels
        by_district: dict[str, list[_Village]] = {}
        for v in active:
            by_district.setdefault(v.district, []).append(v)
        groups = [vs for vs in by_district.values() if len(vs) > 1]
        households = sum(1 for r in rows if r[0] == "household")
        todo = round(households * SECOND_VILLAGE_SHARE) if groups else 0
        for _ in range(todo * 20):
            if todo == 0:
                break
            home, away = rng.sample(rng.choice(groups), 2)
            mine = [p[2] for p in home.parcels if rows[p[2]][0] == "household"]
            theirs = [p for p in away.parcels if rows[p[2]][0] == "household" and counts[p[2]] > 1]
            if mine and theirs:
                p, h = rng.choice(theirs), rng.choice(mine)
                counts[p[2]] -= 1
                counts[h] += 1
                p[2], p[3], p[4] = h, 2, self._contract(away.dcode)
                todo -= 1

    def records(self) -> Iterator[tuple[str, ...]]:
        rows, former, index = self.payees.rows, self.former, 0
        for villages in self.villages.values():
            for v in villages:
                prefix = f"{v.dcode}-{v.town_no:02d}-{v.no:03d}-"
                for n, (g, a, payee, tenure, ref) in enumerate(v.parcels + v.farm_parcels, 1):
                    kind, name, pid, bank, account = rows[payee]
                    yield (f"{prefix}{n:05d}", v.district, v.town, v.name, GRADES[g], f"{a // 100}.{a % 100:02d}",
                           name if kind == "forest_farm" else "", TENURES[tenure], "1" if index in former else "0",
                           kind, name, pid, bank, account, ref)
                    index += 1

    def summary(self) -> RegistrySummary:
        by_grade, by_tier = dict.fromkeys(GRADES, 0), dict.fromkeys(TIERS, 0)
        by_district = dict.fromkeys(_TOWNS, 0)
        north = {d for d, _w in _NORTHERN}
        for district, villages in self.villages.items():
            tier = TIERS[2] if district in north else TIERS[1]
            for v in villages:
                for parcels, t in ((v.parcels, tier), (v.farm_parcels, TIERS[0])):
                    for g, a, *_rest in parcels:
                        by_grade[GRADES[g]] += a * 100
                        by_tier[t] += a * 100
                        by_district[district] += a * 100
        return RegistrySummary(self.spec.parcels, sum(1 for c in self.payees.parcels if c), by_grade, by_tier,
                               by_district)


def generate_rows(spec: RegistrySpec) -> Iterator[dict[str, str]]:
    """One dict per parcel, keyed by COLUMNS, in parcel-code order."""
    for record in _Plan(spec).records():
        yield dict(zip(COLUMNS, record, strict=True))


def write_registry_csv(path: Path, spec: RegistrySpec,
                       progress: Callable[[int], None] | None = None) -> RegistrySummary:
    """Write the registry as UTF-8 CSV with a header of COLUMNS; `progress(rows)` every 50,000 rows."""
    plan = _Plan(spec)
    records = plan.records()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        written = 0
        while written < spec.parcels:
            chunk = [next(records) for _ in range(min(PROGRESS_EVERY, spec.parcels - written))]
            writer.writerows(chunk)
            written += len(chunk)
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
    return plan.summary()


def write_registry_xlsx(path: Path, spec: RegistrySpec) -> RegistrySummary:
    """Write the registry as an XLSX workbook (openpyxl write-only mode; meant for small specs)."""
    from openpyxl import Workbook

    plan = _Plan(spec)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("registry")
    ws.append(list(COLUMNS))
    for record in plan.records():
        ws.append(list(record))
    wb.save(path)
    return plan.summary()
