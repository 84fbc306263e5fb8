"""Factories with keyword defaults: registry rows and files for tests."""

from __future__ import annotations

import csv
import io
from datetime import date

from gzgov.core.identity import make_bank_card, make_credit_code, make_id_card
from gzgov.core.tabular import xlsx_bytes
from gzgov.forest.registry import COLUMNS

HEADER = [c.key for c in COLUMNS]


def household_id(n: int, region: str = "440117") -> str:
    return make_id_card(region, date(1960, 1, 1 + n % 28), n % 1000, female=bool(n % 2))


def card(n: int) -> str:
    return make_bank_card("621700", f"{n:012d}")


def collective_id(n: int, region: str = "440117") -> str:
    return make_credit_code(region, f"C{n:07d}", registration_authority="N", org_type="2")


def parcel_row(n: int = 1, *, district: str = "从化区", town: str = "温泉镇", village: str = "石岭村", grade: str = "I",
               area_mu: str = "10.00", state_forest_farm: str = "", tenure: str = "contracted", former_zone: str = "0",
               payee_kind: str = "household", payee_name: str | None = None, payee_id: str | None = None,
               bank_name: str = "广州农村商业银行", bank_account: str | None = None, contract_ref: str = "",
               payee_no: int | None = None) -> dict[str, str]:
    p = n if payee_no is None else payee_no
    region = {"从化区": "440117", "花都区": "440114", "增城区": "440118", "白云区": "440111", "黄埔区": "440112",
              "天河区": "440106", "番禺区": "440113", "南沙区": "440115"}.get(district, "440117")
    if payee_id is None:
        payee_id = household_id(p, region) if payee_kind == "household" else collective_id(p, region)
    if bank_account is None:
        bank_account = card(p) if payee_kind == "household" else f"44050{p:010d}"
    return {"parcel_code": f"P-{n:06d}", "district": district, "town": town, "village": village, "grade": grade,
            "area_mu": area_mu, "state_forest_farm": state_forest_farm, "tenure": tenure, "former_zone": former_zone,
            "payee_kind": payee_kind, "payee_name": payee_name or f"林农{p}", "payee_id": payee_id,
            "bank_name": bank_name if bank_account else "", "bank_account": bank_account, "contract_ref": contract_ref}


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    header = header or HEADER
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(k, "") for k in header])
    return buf.getvalue().encode("utf-8")


def xlsx_file(rows: list[dict[str, str]]) -> bytes:
    return xlsx_bytes({"registry": (HEADER, ([r[k] for k in HEADER] for r in rows))})


def document_registry() -> list[dict[str, str]]:
    """Five parcels whose areas equal the document's totals by grade (Ⅰ 33.55 / Ⅱ 171.32 / Ⅲ 64.48万亩)
    and by tier (35.28 / 26.6 / 207.47万亩)."""
    return [
        parcel_row(1, grade="I", area_mu="335500", district="从化区"),
        parcel_row(2, grade="II", area_mu="352800", district="从化区", state_forest_farm="流溪河林场",
                   tenure="uncontracted", payee_kind="forest_farm", payee_name="流溪河林场"),
        parcel_row(3, grade="II", area_mu="266000", district="黄埔区", town="九龙镇", village="汤村"),
        parcel_row(4, grade="II", area_mu="1094400", district="增城区", town="派潭镇", village="高滩村"),
        parcel_row(5, grade="III", area_mu="644800", district="花都区", town="梯面镇", village="红山村"),
    ]
