"""Standards as data (补偿标准): loading the gazette's standards, proposing and approving a year's
standards, and refusing a year that has none approved."""

from __future__ import annotations

from decimal import Decimal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.basis import cite
from gzgov.core.db import now
from gzgov.core.errors import GzgovError
from gzgov.core.money import fmt_yuan, yuan_to_fen
from gzgov.forest.choices import Grade, Tier
from gzgov.forest.entitlement import Rates
from gzgov.forest.models import StandardSet

GAZETTE = "gazette"  # actor name for standards taken from the published document


class NoStandard(GzgovError):
    def __init__(self, year: int, part_zh: str = "补偿标准", part_en: str = "compensation standard") -> None:
        super().__init__(
            "no_standard",
            f"{year} 年没有经批准的{part_zh}，不能计算。请市林业园林局录入该年标准并经市财政局批准（页面“补偿标准”或命令 gzgov forest standards-propose）。",
            f"There is no approved {part_en} for {year}; nothing can be computed. The city forestry bureau enters "
            f"the year's standard and the city finance bureau approves it (page Standards, or gzgov forest standards-propose).",
            year=year,
        )


def gazette_standards() -> dict[int, dict]:
    """The standards of the document, year by year, from data/forest/standards.yaml."""
    with open(get_settings().data_dir / "forest" / "standards.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    years: dict[int, dict] = {}
    for entry in data["compensation"]:
        lo, hi = entry["years"]
        for y in range(lo, hi + 1):
            if "raise_from" in entry:
                src = years[entry["raise_from"]]["comp"]
                rates = {g: yuan_to_fen(Decimal(v) / 100 * Decimal(entry["factor"])) for g, v in src.items()}
            else:
                rates = {Grade(g): yuan_to_fen(v) for g, v in entry["rates"].items()}
            years[y] = {"comp": rates, "comp_basis": entry["basis"], "mgmt": None, "mgmt_basis": ""}
    for entry in data["management"]:
        lo, hi = entry["years"]
        for y in range(lo, hi + 1):
            years[y]["mgmt"] = {Tier(t): yuan_to_fen(v) for t, v in entry["rates"].items()}
            years[y]["mgmt_basis"] = entry["basis"]
    return years


def seed_gazette_standards(session: Session) -> int:
    """Load the document's standards for years not yet in the database. Returns how many were added."""
    added = 0
    for year, s in sorted(gazette_standards().items()):
        if session.get(StandardSet, year) is not None:
            continue
        mgmt = s["mgmt"] or {}
        row = StandardSet(
            year=year, status="approved", comp_i_fen=s["comp"][Grade.I], comp_ii_fen=s["comp"][Grade.II],
            comp_iii_fen=s["comp"][Grade.III], comp_basis=s["comp_basis"],
            mgmt_state_farm_fen=mgmt.get(Tier.state_forest_farm), mgmt_central_south_fen=mgmt.get(Tier.central_south),
            mgmt_northern_fen=mgmt.get(Tier.northern_mountain), mgmt_basis=s["mgmt_basis"],
            proposed_by=GAZETTE, approved_by=GAZETTE, approved_at=now(), note="穗林业园林规字〔2021〕2号",
        )
        session.add(row)
        session.flush()
        audit.record(session, GAZETTE, "standard.load", "forest_standard", year, after=standard_dict(row),
                     reason="标准载于穗林业园林规字〔2021〕2号 / standard published in the gazette")
        added += 1
    return added


def standard_dict(s: StandardSet) -> dict:
    return {
        "year": s.year, "status": s.status,
        "compensation": {"I": s.comp_i_fen, "II": s.comp_ii_fen, "III": s.comp_iii_fen, "basis": s.comp_basis},
        "management": None if s.mgmt_state_farm_fen is None else {
            "state_forest_farm": s.mgmt_state_farm_fen, "central_south": s.mgmt_central_south_fen,
            "northern_mountain": s.mgmt_northern_fen, "basis": s.mgmt_basis},
        "proposed_by": s.proposed_by, "approved_by": s.approved_by,
    }


def rates_for(session: Session, year: int, need_management: bool = True) -> Rates:
    """The approved rates of a year; refuses a year with none."""
    s = session.get(StandardSet, year)
    if s is None or s.status != "approved":
        raise NoStandard(year)
    mgmt = None
    if s.mgmt_state_farm_fen is not None:
        mgmt = {Tier.state_forest_farm: s.mgmt_state_farm_fen, Tier.central_south: s.mgmt_central_south_fen,
                Tier.northern_mountain: s.mgmt_northern_fen}
    elif need_management:
        raise NoStandard(year, "管护经费标准", "management standard")
    return Rates(year, {Grade.I: s.comp_i_fen, Grade.II: s.comp_ii_fen, Grade.III: s.comp_iii_fen}, mgmt,
                 s.comp_basis, s.mgmt_basis)


def standards_json(session: Session, year: int) -> dict:
    """The year's rates in yuan with their basis (the stable `gzgov forest standards --json` shape)."""
    s = session.get(StandardSet, year)
    if s is None or s.status != "approved":
        raise NoStandard(year)
    rates = rates_for(session, year, need_management=False)

    def basis(clause: str) -> dict:
        c = cite(clause)
        return {"clause": clause, "document": c.document_number, "place": c.place_zh, "quote": c.quote}

    out = {
        "year": year,
        "status": s.status,
        "compensation": {g.value: fmt_yuan(r) for g, r in rates.compensation.items()} | {"unit": "元/亩·年",
                         "basis": basis(rates.compensation_basis)},
        "management": None,
        "approved_by": s.approved_by,
    }
    if rates.management is not None:
        out["management"] = {t.value: fmt_yuan(r) for t, r in rates.management.items()} | {
            "unit": "元/亩·年", "basis": basis(rates.management_basis)}
    return out


def _parse_rates(values: dict[str, str], keys: list[str]) -> dict[str, int]:
    out = {}
    for k in keys:
        raw = (values.get(k) or "").strip()
        try:
            fen = yuan_to_fen(Decimal(raw))
        except Exception as exc:
            raise GzgovError("bad_rate", f"标准 {k} 不是有效金额：{raw!r}", f"Rate {k} is not a valid amount: {raw!r}") from exc
        if fen <= 0 or Decimal(raw) * 100 != fen:
            raise GzgovError("bad_rate", f"标准 {k} 须为正数且至多两位小数：{raw!r}",
                             f"Rate {k} must be positive with at most two decimals: {raw!r}")
        out[k] = fen
    return out


def propose_standard(session: Session, actor: Actor, year: int, compensation: dict[str, str],
                     management: dict[str, str] | None, basis: str, note: str) -> StandardSet:
    """The city forestry bureau enters a year's standards; they take effect once approved."""
    actor.require("forest.standards.propose")
    if not basis.strip():
        raise GzgovError("basis_required", "新标准必须注明依据（批准文件及条款）",
                         "A new standard must cite its basis (approving document and clause)")
    existing = session.get(StandardSet, year)
    if existing is not None and existing.status == "approved":
        raise GzgovError("standard_exists", f"{year} 年标准已批准，不能覆盖", f"The {year} standard is already approved")
    comp = _parse_rates(compensation, ["I", "II", "III"])
    mgmt = _parse_rates(management, [t.value for t in Tier]) if management else {}
    row = existing or StandardSet(year=year, proposed_by=actor.username)
    before = standard_dict(row) if existing else None
    row.status = "proposed"
    row.comp_i_fen, row.comp_ii_fen, row.comp_iii_fen = comp["I"], comp["II"], comp["III"]
    row.comp_basis = basis
    row.mgmt_state_farm_fen = mgmt.get("state_forest_farm")
    row.mgmt_central_south_fen = mgmt.get("central_south")
    row.mgmt_northern_fen = mgmt.get("northern_mountain")
    row.mgmt_basis = basis if mgmt else ""
    row.note, row.proposed_by, row.proposed_at = note, actor.username, now()
    session.add(row)
    session.flush()
    audit.record(session, actor.username, "standard.propose", "forest_standard", year, before=before,
                 after=standard_dict(row), reason=note)
    return row


def approve_standard(session: Session, actor: Actor, year: int, reason: str = "") -> StandardSet:
    actor.require("forest.standards.approve")
    row = session.scalar(select(StandardSet).where(StandardSet.year == year))
    if row is None or row.status != "proposed":
        raise GzgovError("nothing_to_approve", f"{year} 年没有待批准的标准", f"No proposed standard for {year}")
    if row.proposed_by == actor.username:
        raise GzgovError("four_eyes", "录入人不能批准自己录入的标准", "The person who entered a standard cannot approve it")
    before = standard_dict(row)
    row.status, row.approved_by, row.approved_at = "approved", actor.username, now()
    session.flush()
    audit.record(session, actor.username, "standard.approve", "forest_standard", year, before=before,
                 after=standard_dict(row), reason=reason)
    return row
