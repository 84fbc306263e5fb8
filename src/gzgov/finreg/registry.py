"""The registry of supervised institutions (监管对象名录), their parties, the blacklist and API tokens.

Every new institution, shareholder, controller, related party and officer is checked against the
blacklist entries valid that day; a hit refuses the registration with the entry's basis (issue 4 item 7).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import BY_CODE
from gzgov.core.identity import IdentityError, get_cipher, mask_id, validate_credit_code, validate_id_card
from gzgov.core.money import yuan_to_fen
from gzgov.finreg.models import ApiToken, BlacklistEntry, Institution, Party

KINDS = {
    "small_loan": ("小额贷款公司", "Small-loan company"),
    "guarantee": ("融资担保公司", "Financing guarantee company"),
    "pawn": ("典当行", "Pawnshop"),
    "leasing": ("融资租赁公司", "Financial leasing company"),
    "factoring": ("商业保理公司", "Commercial factoring company"),
    "trading_venue": ("地方交易场所", "Local trading venue"),
}
SUBKINDS = {"small_loan": {"", "internet"}, "guarantee": {"", "government"}}
SUBKIND_LABELS = {"internet": ("互联网小贷", "internet"), "government": ("政府性", "government-backed")}
STATUSES = {"operating": ("正常经营", "Operating"), "restricted": ("限制业务", "Restricted"),
            "exiting": ("退出中", "Exiting"), "exited": ("已退出", "Exited")}
PARTY_ROLES = {"shareholder": ("股东", "Shareholder"), "actual_controller": ("实际控制人", "Actual controller"),
               "related_party": ("关联方", "Related party"), "officer": ("董事、监事、高级管理人员", "Officer")}
TOKEN_PREFIX = "gzf_"


class BlacklistHit(GzgovError):
    status_code = 409

    def __init__(self, name: str, entry: BlacklistEntry) -> None:
        until = entry.valid_to.isoformat() if entry.valid_to else "长期 / indefinite"
        super().__init__("blacklisted", f"{name}在黑名单中（依据：{entry.basis}；有效期至 {until}），不得登记",
                         f"{name} is on the blacklist (basis: {entry.basis}; valid until {until}); refused",
                         entry=entry.id)


def _identity(kind: str, number: str) -> str:
    """A person's ID card number or an entity's unified social credit code, validated and normalised."""
    if kind == "person":
        return validate_id_card(number)
    if kind == "entity":
        return validate_credit_code(number)
    raise GzgovError("bad_party_kind", "主体类型须为自然人或机构", "A party is a person or an entity")


def check_blacklist(session: Session, number: str, on: date | None = None) -> BlacklistEntry | None:
    """The blacklist entry valid on `on` (today) for an ID number or credit code, if any."""
    on = on or now().date()
    index = get_cipher().blind_index(number.strip().upper())
    return session.scalar(select(BlacklistEntry).where(
        BlacklistEntry.id_index == index, BlacklistEntry.valid_from <= on,
        or_(BlacklistEntry.valid_to.is_(None), BlacklistEntry.valid_to >= on)).order_by(BlacklistEntry.id))


def add_to_blacklist(session: Session, actor: Actor, kind: str, name: str, number: str, basis: str,
                     valid_from: date, valid_to: date | None = None, reason: str = "") -> BlacklistEntry:
    actor.require("finreg.blacklist.edit")
    try:
        number = _identity(kind, number)
    except IdentityError as e:
        raise GzgovError("bad_id", e.zh, e.en) from e
    if not basis.strip():
        raise GzgovError("basis_required", "须注明列入黑名单的依据（决定或判决文号）", "Give the basis (decision or judgment)")
    if valid_to is not None and valid_to < valid_from:
        raise GzgovError("bad_validity", "有效期止日早于起日", "The validity ends before it starts")
    cipher = get_cipher()
    e = BlacklistEntry(kind=kind, name=name.strip(), id_index=cipher.blind_index(number), id_enc=cipher.encrypt(number),
                       id_masked=mask_id(number), basis=basis.strip(), reason=reason.strip(), valid_from=valid_from,
                       valid_to=valid_to, added_by=actor.username)
    session.add(e)
    session.flush()
    audit.record(session, actor.username, "finreg.blacklist.add", "finreg_blacklist", e.id,
                 after={"kind": kind, "name": e.name, "id": e.id_masked, "basis": e.basis,
                        "valid_from": valid_from, "valid_to": valid_to}, reason=reason)
    return e


@dataclass(frozen=True)
class InstitutionIn:
    code: str
    name: str
    kind: str
    credit_code: str
    district_code: str
    registered_capital_yuan: str
    subkind: str = ""
    licence_no: str = ""
    chief_risk_officer: str = ""
    status: str = "operating"
    established: date | None = None
    serves_small_micro_agri: bool = False  # guarantee companies only (条例 第十五条: 15× instead of 10×)


def _check_institution(data: InstitutionIn) -> tuple[str, int]:
    if data.kind not in KINDS:
        raise GzgovError("bad_kind", f"未知的机构类型：{data.kind}", f"Unknown institution type: {data.kind}")
    if data.subkind not in SUBKINDS.get(data.kind, {""}):
        raise GzgovError("bad_subkind", f"{KINDS[data.kind][0]}没有“{data.subkind}”子类",
                         f"No sub-type “{data.subkind}” for {KINDS[data.kind][1]}")
    if data.serves_small_micro_agri and data.kind != "guarantee":
        raise GzgovError("bad_small_micro_agri", "只有融资担保公司可认定为主要服务小微企业和农户",
                         "Only a financing guarantee company can be marked as serving mainly small/micro and farm clients")
    if data.status not in STATUSES:
        raise GzgovError("bad_status", f"未知的状态：{data.status}", f"Unknown status: {data.status}")
    if data.district_code not in BY_CODE:
        raise GzgovError("unknown_district", f"没有区划代码 {data.district_code}", f"No district {data.district_code}")
    if not data.code.strip() or not data.name.strip():
        raise GzgovError("incomplete", "机构代码和名称不能为空", "The code and name are required")
    try:
        credit = validate_credit_code(data.credit_code)
        capital = yuan_to_fen(data.registered_capital_yuan)
    except IdentityError as e:
        raise GzgovError("bad_credit_code", e.zh, e.en) from e
    except (ValueError, ArithmeticError) as e:
        raise GzgovError("bad_capital", f"注册资本无效：{data.registered_capital_yuan}",
                         f"Invalid registered capital: {data.registered_capital_yuan}") from e
    if capital <= 0:
        raise GzgovError("bad_capital", "注册资本须大于 0", "The registered capital must be positive")
    return credit, capital


def register_institution(session: Session, actor: Actor, data: InstitutionIn) -> Institution:
    """Register an institution, after checking it against the blacklist."""
    actor.require("finreg.registry.edit")
    credit, capital = _check_institution(data)
    hit = check_blacklist(session, credit)
    if hit is not None:
        raise BlacklistHit(data.name, hit)
    if session.scalar(select(Institution).where(or_(Institution.code == data.code.strip(),
                                                    Institution.credit_code == credit))):
        raise GzgovError("institution_exists", f"机构代码或统一社会信用代码已登记：{data.code}",
                         f"The code or credit code is already registered: {data.code}")
    inst = Institution(code=data.code.strip(), name=data.name.strip(), kind=data.kind, subkind=data.subkind,
                       licence_no=data.licence_no.strip(), credit_code=credit, district_code=data.district_code,
                       registered_capital_fen=capital, chief_risk_officer=data.chief_risk_officer.strip(),
                       status=data.status, established=data.established, updated_by=actor.username,
                       serves_small_micro_agri=data.serves_small_micro_agri)
    session.add(inst)
    session.flush()
    audit.record(session, actor.username, "finreg.institution.register", "finreg_institution", inst.code,
                 after={"name": inst.name, "kind": inst.kind, "subkind": inst.subkind, "credit_code": credit,
                        "district": inst.district_code, "capital_fen": capital, "status": inst.status,
                        "serves_small_micro_agri": inst.serves_small_micro_agri})
    return inst


def get_institution(session: Session, actor: Actor, code: str) -> Institution:
    inst = session.scalar(select(Institution).where(Institution.code == code))
    if inst is None:
        raise NotFound("监管对象", "Institution", code)
    if actor.institution_code:
        if actor.institution_code != code:
            raise NotFound("监管对象", "Institution", code)  # another institution's existence is not disclosed
    else:
        actor.require("finreg.view", inst.district_code)
    return inst


def add_party(session: Session, actor: Actor, institution_code: str, role: str, kind: str, name: str, number: str,
              share_bp: int | None = None, position: str = "") -> Party:
    """Register a shareholder, controller, related party or officer, after checking the blacklist."""
    actor.require("finreg.registry.edit")
    inst = get_institution(session, actor, institution_code)
    if role not in PARTY_ROLES:
        raise GzgovError("bad_role", f"未知的关系：{role}", f"Unknown role: {role}")
    try:
        number = _identity(kind, number)
    except IdentityError as e:
        raise GzgovError("bad_id", e.zh, e.en) from e
    hit = check_blacklist(session, number)
    if hit is not None:
        raise BlacklistHit(name, hit)
    if role == "shareholder" and (share_bp is None or not 0 < share_bp <= 10_000):
        raise GzgovError("bad_share", "股东须填写 0—100% 之间的持股比例", "A shareholder needs a stake between 0 and 100%")
    cipher = get_cipher()
    p = Party(institution_id=inst.id, role=role, kind=kind, name=name.strip(), id_index=cipher.blind_index(number),
              id_enc=cipher.encrypt(number), id_masked=mask_id(number), share_bp=share_bp, position=position.strip(),
              added_by=actor.username)
    session.add(p)
    session.flush()
    audit.record(session, actor.username, "finreg.party.add", "finreg_institution", inst.code,
                 after={"role": role, "kind": kind, "name": p.name, "id": p.id_masked, "share_bp": share_bp})
    return p


def set_status(session: Session, actor: Actor, code: str, status: str, reason: str) -> Institution:
    actor.require("finreg.registry.edit")
    inst = get_institution(session, actor, code)
    if status not in STATUSES:
        raise GzgovError("bad_status", f"未知的状态：{status}", f"Unknown status: {status}")
    if not reason.strip():
        raise GzgovError("reason_required", "变更状态须说明理由", "Give the reason for the change")
    before = inst.status
    inst.status, inst.version, inst.updated_by, inst.updated_at = status, inst.version + 1, actor.username, now()
    session.flush()
    audit.record(session, actor.username, "finreg.institution.status", "finreg_institution", code,
                 before={"status": before}, after={"status": status}, reason=reason)
    return inst


def issue_token(session: Session, actor: Actor, institution_code: str) -> str:
    """A new API token for an institution; the plaintext is returned once and only its digest kept."""
    actor.require("finreg.tokens.manage")
    inst = get_institution(session, actor, institution_code)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(institution_id=inst.id, token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                   prefix=token[:12], created_by=actor.username)
    session.add(row)
    session.flush()
    audit.record(session, actor.username, "finreg.token.issue", "finreg_institution", inst.code,
                 after={"token": row.prefix + "…"})
    return token


def institution_for_token(session: Session, token: str) -> Institution | None:
    """The institution a (not revoked) token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest(),
                                                ApiToken.revoked_at.is_(None)))
    return session.get(Institution, row.institution_id) if row else None


def revoke_token(session: Session, actor: Actor, prefix: str) -> None:
    actor.require("finreg.tokens.manage")
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None)))
    if row is None:
        raise NotFound("有效令牌", "Active token", prefix)
    row.revoked_at = now()
    session.flush()
    audit.record(session, actor.username, "finreg.token.revoke", "finreg_api_token", row.id, after={"token": prefix})


def institutions(session: Session, actor: Actor, kind: str | None = None) -> list[Institution]:
    """The institutions a reader may see: all (city), their district's, or their own."""
    if actor.institution_code:
        return [get_institution(session, actor, actor.institution_code)]
    actor.require("finreg.view")
    q = select(Institution).order_by(Institution.code)
    if actor.district_filter():
        q = q.where(Institution.district_code == actor.district_filter())
    if kind:
        q = q.where(Institution.kind == kind)
    return list(session.scalars(q))
