"""The demo registry generator: exact document totals, determinism, valid identifiers, consistency.

Check characters are recomputed here from the standards' formulas, independently of the generator
and of gzgov.core.identity.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from gzgov.forest.demo_registry import (
    COLUMNS,
    RegistrySpec,
    generate_rows,
    write_registry_csv,
    write_registry_xlsx,
)

# The document's figures in mu (穗林业园林规字〔2021〕2号 §4(1)2 and §4(2)2)
GRADE_MU = {"I": Decimal("335500"), "II": Decimal("1713200"), "III": Decimal("644800")}
TIER_MU = {"state_forest_farm": Decimal("352800"), "central_south": Decimal("266000"),
           "northern_mountain": Decimal("2074700")}
CENTRAL_SOUTH = {"黄埔区", "天河区", "番禺区", "南沙区"}
NORTHERN = {"从化区", "增城区", "花都区", "白云区"}
DCODES = {"天河区": "440106", "白云区": "440111", "黄埔区": "440112", "番禺区": "440113", "花都区": "440114",
          "南沙区": "440115", "从化区": "440117", "增城区": "440118"}
SPEC = RegistrySpec(parcels=3000, payees=1200)


def gb11643_ok(v: str) -> bool:
    """居民身份证号码: ISO 7064 MOD 11-2 over 18 positions (check char X = 10) gives 1."""
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    total = sum((10 if ch == "X" else int(ch)) * (2 ** (17 - i) % 11) for i, ch in enumerate(v))
    return total % 11 == 1


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb32100_ok(v: str) -> bool:
    """统一社会信用代码: C18 = 31 - (Σ Ci·Wi mod 31), Wi = 3^(i-1) mod 31, with 31 written as 0."""
    if len(v) != 18 or any(ch not in USCC_CHARS for ch in v):
        return False
    total = sum(USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(v[:17]))
    return USCC_CHARS.index(v[17]) == (31 - total % 31) % 31


def luhn_ok(v: str) -> bool:
    digits = [int(c) for c in reversed(v)]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def tier_of(r: dict[str, str]) -> str:
    if r["state_forest_farm"]:
        return "state_forest_farm"
    return "central_south" if r["district"] in CENTRAL_SOUTH else "northern_mountain"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    summary = write_registry_csv(path, SPEC)
    return path, summary, read_csv(path)


def sums(rows, key) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        out[key(r)] += Decimal(r["area_mu"])
    return dict(out)


def test_exact_document_areas(written):
    path, summary, rows = written
    assert len(rows) == SPEC.parcels == summary.parcels
    assert sums(rows, lambda r: r["grade"]) == GRADE_MU
    assert sums(rows, tier_of) == TIER_MU
    assert sum(Decimal(r["area_mu"]) for r in rows) == Decimal("2693500")


def test_summary_agrees_with_file(written):
    _path, summary, rows = written
    assert summary.area_e4_by_grade == {g: int(mu * 10_000) for g, mu in GRADE_MU.items()}
    assert summary.area_e4_by_tier == {t: int(mu * 10_000) for t, mu in TIER_MU.items()}
    by_district = {d: int(mu * 10_000) for d, mu in sums(rows, lambda r: r["district"]).items()}
    assert {d: a for d, a in summary.area_e4_by_district.items() if a} == by_district
    assert set(by_district) == CENTRAL_SOUTH | NORTHERN
    assert summary.payees == len({r["payee_id"] for r in rows}) == SPEC.payees


def test_areas_are_positive_with_two_decimals(written):
    for r in written[2]:
        assert re.fullmatch(r"\d+\.\d{2}", r["area_mu"]), r["area_mu"]
        assert Decimal(r["area_mu"]) > 0


def test_scales_down_with_exact_areas():
    rows = list(generate_rows(RegistrySpec(parcels=2000, payees=900)))
    assert len(rows) == 2000 and all(tuple(r) == COLUMNS for r in rows)
    assert len({r["payee_id"] for r in rows}) == 900
    assert sums(rows, lambda r: r["grade"]) == GRADE_MU
    assert sums(rows, tier_of) == TIER_MU


def test_deterministic_bytes(written, tmp_path):
    path, _summary, _rows = written
    again = tmp_path / "again.csv"
    write_registry_csv(again, SPEC)
    assert again.read_bytes() == path.read_bytes()
    other = tmp_path / "other.csv"
    write_registry_csv(other, RegistrySpec(parcels=SPEC.parcels, payees=SPEC.payees, seed=1))
    assert other.read_bytes() != path.read_bytes()


def test_identifiers_pass_their_check_characters(written):
    rows = written[2]
    for r in rows:
        if r["payee_kind"] == "household":
            assert gb11643_ok(r["payee_id"]), r["payee_id"]
            assert r["payee_id"][:6] == DCODES[r["district"]]
            assert 1935 <= int(r["payee_id"][6:10]) <= 2000
            if r["bank_account"]:
                assert 16 <= len(r["bank_account"]) <= 19 and luhn_ok(r["bank_account"]), r["bank_account"]
        else:
            assert gb32100_ok(r["payee_id"]), r["payee_id"]
            assert re.fullmatch(r"\d{12,20}", r["bank_account"]), r["bank_account"]
            prefix = {"collective": "N2", "forest_farm": "12", "enterprise": "91"}[r["payee_kind"]]
            assert r["payee_id"].startswith(prefix)
        assert bool(r["bank_name"]) == bool(r["bank_account"])


def test_each_payee_is_described_once(written):
    seen: dict[str, tuple] = {}
    for r in written[2]:
        desc = (r["payee_kind"], r["payee_name"], r["bank_name"], r["bank_account"])
        assert seen.setdefault(r["payee_id"], desc) == desc


def test_tenure_contract_and_payee_kinds(written):
    for r in written[2]:
        assert r["tenure"] in {"uncontracted", "contracted", "transferred"}
        assert bool(r["contract_ref"]) == (r["tenure"] == "transferred")
        if r["contract_ref"]:
            assert re.fullmatch(r"LZ-\d{6}-\d{4}-\d{6}", r["contract_ref"])
        if r["payee_kind"] in {"collective", "forest_farm"}:
            assert r["tenure"] == "uncontracted"
        else:
            assert r["tenure"] in {"contracted", "transferred"}
        assert (r["payee_kind"] == "forest_farm") == bool(r["state_forest_farm"])
        if r["state_forest_farm"]:
            assert r["payee_name"] == r["state_forest_farm"]
        if r["payee_kind"] == "collective":
            assert r["payee_name"] == f"{r['district']}{r['town']}{r['village']}股份经济合作社"
        assert r["former_zone"] in {"0", "1"}


def test_tiers_districts_and_codes(written):
    rows = written[2]
    codes = [r["parcel_code"] for r in rows]
    assert len(set(codes)) == len(codes)
    farm_districts: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        assert re.fullmatch(r"\d{6}-\d{2}-\d{3}-\d{5}", r["parcel_code"])
        assert r["parcel_code"][:6] == DCODES[r["district"]]
        tier = tier_of(r)
        if tier == "central_south":
            assert r["district"] in CENTRAL_SOUTH
        elif tier == "northern_mountain":
            assert r["district"] in NORTHERN
        else:
            farm_districts[r["state_forest_farm"]].add(r["district"])
        assert r["village"].endswith("村") and r["town"].endswith(("镇", "街道"))
    assert all(len(ds) == 1 for ds in farm_districts.values())


def test_realistic_mix(written):
    rows = written[2]
    kinds = {r["payee_id"]: r["payee_kind"] for r in rows}
    share = Counter(kinds.values())
    assert share["household"] / len(kinds) > 0.9
    collectives = [(r["district"], r["town"], r["village"]) for r in rows if r["payee_kind"] == "collective"]
    villages = {(r["district"], r["town"], r["village"]) for r in rows if not r["state_forest_farm"]}
    assert set(collectives) == villages  # one collective per village with village parcels
    assert len({r["payee_id"] for r in rows if r["payee_kind"] == "collective"}) == len(villages)
    assert sum(r["former_zone"] == "1" for r in rows) >= 1


def test_small_number_of_households_in_two_villages(tmp_path):
    rows = list(generate_rows(RegistrySpec(parcels=30_000, payees=12_000)))
    homes: dict[str, set] = defaultdict(set)
    for r in rows:
        if r["payee_kind"] == "household":
            homes[r["payee_id"]].add((r["town"], r["village"]))
    multi = sum(len(v) > 1 for v in homes.values())
    assert 1 <= multi <= len(homes) * 0.002
    assert sum(r["bank_account"] == "" for r in rows) >= 1  # a few payees without an account


def test_progress_every_50000_rows(tmp_path):
    calls: list[int] = []
    write_registry_csv(tmp_path / "r.csv", RegistrySpec(parcels=100_001, payees=45_000), progress=calls.append)
    assert calls == [50_000, 100_000]


def test_xlsx_matches_csv(tmp_path):
    from openpyxl import load_workbook

    spec = RegistrySpec(parcels=500, payees=200)
    summary = write_registry_xlsx(tmp_path / "r.xlsx", spec)
    ws = load_workbook(tmp_path / "r.xlsx", read_only=True).active
    table = [list(row) for row in ws.iter_rows(values_only=True)]
    assert tuple(table[0]) == COLUMNS
    assert [tuple(x or "" for x in row) for row in table[1:]] == [tuple(r.values()) for r in generate_rows(spec)]
    assert summary.area_e4_by_grade == {g: int(mu * 10_000) for g, mu in GRADE_MU.items()}


def test_impossible_specs_are_refused():
    with pytest.raises(ValueError):
        list(generate_rows(RegistrySpec(parcels=50, payees=10)))
    with pytest.raises(ValueError):
        list(generate_rows(RegistrySpec(parcels=1000, payees=1000)))
