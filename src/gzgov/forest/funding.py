"""City/district funding split (市区分担, forest §8(2)) as configurable, audited data."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.errors import GzgovError
from gzgov.core.money import yuan_to_fen
from gzgov.forest.models import DistrictFunding


def _share_bp(text: str) -> int:
    try:
        share = Decimal(str(text))
    except InvalidOperation as exc:
        raise GzgovError("bad_share", f"分担比例无效：{text}", f"Invalid share: {text}") from exc
    if not (0 <= share <= 1) or share * 10_000 != int(share * 10_000):
        raise GzgovError("bad_share", f"市级分担比例须在 0 到 1 之间，至多 4 位小数：{text}",
                         f"The city share must be between 0 and 1 with at most 4 decimals: {text}")
    return int(share * 10_000)


def seed_funding(session: Session) -> int:
    with open(get_settings().data_dir / "forest" / "funding.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    added = 0
    for code, v in data["districts"].items():
        if session.get(DistrictFunding, code) is not None:
            continue
        row = DistrictFunding(district_code=code, base_2012_fen=yuan_to_fen(v["base_2012"]),
                              city_share_bp=_share_bp(v["city_share"]), basis=data["basis"],
                              note=f"{data['note_zh']} / {data['note_en']}", updated_by="seed")
        session.add(row)
        session.flush()
        audit.record(session, "seed", "funding.load", "forest_funding", code, after=funding_dict(row),
                     reason="data/forest/funding.yaml")
        added += 1
    return added


def funding_dict(f: DistrictFunding) -> dict:
    return {"district": f.district_code, "base_2012_fen": f.base_2012_fen, "city_share_bp": f.city_share_bp,
            "basis": f.basis, "note": f.note}


def all_funding(session: Session) -> dict[str, DistrictFunding]:
    return {f.district_code: f for f in session.scalars(select(DistrictFunding))}


def set_funding(session: Session, actor: Actor, district_code: str, base_2012_yuan: str, city_share: str,
                note: str) -> DistrictFunding:
    """The city finance bureau records a district's 2012 base and the city's share of the increment."""
    actor.require("forest.funding.edit")
    row = session.get(DistrictFunding, district_code)
    if row is None:
        raise GzgovError("not_found", f"未找到{district_code}的分担设置", f"No funding split for {district_code}")
    if not note.strip():
        raise GzgovError("reason_required", "请说明调整依据", "Give the reason and basis of the change")
    try:
        base = yuan_to_fen(Decimal(base_2012_yuan))
    except InvalidOperation as exc:
        raise GzgovError("bad_amount", f"金额无效：{base_2012_yuan}", f"Invalid amount: {base_2012_yuan}") from exc
    if base < 0:
        raise GzgovError("bad_amount", "基数不能为负", "The base cannot be negative")
    before = funding_dict(row)
    row.base_2012_fen, row.city_share_bp, row.note = base, _share_bp(city_share), note
    row.updated_by, row.updated_at = actor.username, now()
    session.flush()
    audit.record(session, actor.username, "funding.update", "forest_funding", district_code, before=before,
                 after=funding_dict(row), reason=note)
    return row
