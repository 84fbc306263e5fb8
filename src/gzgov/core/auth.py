"""Users, roles, district scope and permission checks (用户、角色与权限).

One table of permissions per role is the single source for pages, API routes and CLI
commands. District roles see and change only their own district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, PermissionDenied
from gzgov.core.geo import BY_CODE, district_name
from gzgov.core.models import LoginAttempt, User


class Role(StrEnum):
    admin = "admin"
    city_forestry = "city_forestry"
    city_finance = "city_finance"
    district_forestry = "district_forestry"
    district_finance = "district_finance"
    auditor = "auditor"
    plan_regulator = "plan_regulator"  # the local financial regulator monitoring the plan
    responsible_unit = "responsible_unit"  # a unit named responsible in the plan (its `unit`)
    evaluator = "evaluator"  # a third-party evaluator: reads everything, attaches findings
    finreg_supervisor = "finreg_supervisor"  # the city regulator's off-site supervision
    district_supervisor = "district_supervisor"  # a district's financial supervisor (its own district)
    institution = "institution"  # a supervised institution's staff (its own institution only)
    system = "system"  # the local operator running the CLI without naming an official
    public = "public"  # anonymous visitor of the publicity pages

    @property
    def label_zh(self) -> str:
        return ROLE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return ROLE_LABELS[self][1]


ROLE_LABELS = {
    Role.admin: ("系统管理员", "System administrator"),
    Role.city_forestry: ("市林业园林局", "City forestry bureau"),
    Role.city_finance: ("市财政局", "City finance bureau"),
    Role.district_forestry: ("区林业园林部门", "District forestry bureau"),
    Role.district_finance: ("区财政部门", "District finance bureau"),
    Role.auditor: ("审计人员", "Auditor"),
    Role.plan_regulator: ("市地方金融监管局（规划监测）", "Financial regulator (plan monitoring)"),
    Role.responsible_unit: ("规划责任单位", "Responsible unit"),
    Role.evaluator: ("第三方评估机构", "Third-party evaluator"),
    Role.finreg_supervisor: ("市地方金融监管局（非现场监管）", "Financial regulator (off-site supervision)"),
    Role.district_supervisor: ("区金融监管部门", "District financial supervisor"),
    Role.institution: ("监管对象（机构）", "Supervised institution"),
    Role.system: ("本机运维（命令行）", "Local operator (CLI)"),
    Role.public: ("公众", "Public"),
}
DISTRICT_ROLES = {Role.district_forestry, Role.district_finance, Role.district_supervisor}

_READ = {Role.admin, Role.city_forestry, Role.city_finance, Role.district_forestry, Role.district_finance,
         Role.auditor, Role.system}
PERMISSIONS: dict[str, set[Role]] = {
    "forest.view": _READ,
    "forest.export": _READ,
    "forest.publicity.view": set(Role),
    "forest.registry.edit": {Role.district_forestry, Role.city_forestry, Role.system},
    "forest.standards.propose": {Role.city_forestry},
    "forest.standards.approve": {Role.city_finance},
    "forest.funding.edit": {Role.city_finance},
    "forest.cycle.open": {Role.city_forestry},
    "forest.area.verify": {Role.district_forestry},
    "forest.compute": {Role.district_forestry, Role.city_forestry, Role.system},
    "forest.publicity.manage": {Role.district_forestry},
    "forest.objection.manage": {Role.district_forestry},
    "forest.approve.forestry": {Role.district_forestry},
    "forest.approve.finance": {Role.district_finance},
    "forest.city.review": {Role.city_forestry},
    "forest.budget": {Role.city_finance},
    "forest.disburse": {Role.district_finance, Role.district_forestry},
    "forest.reconcile": {Role.district_finance, Role.district_forestry},
    "forest.cycle.close": {Role.city_forestry},
    # plan monitoring (gzgov.plan)
    "plan.view": {Role.admin, Role.plan_regulator, Role.responsible_unit, Role.evaluator, Role.auditor, Role.system},
    "plan.public": set(Role),
    "plan.values.enter": {Role.responsible_unit, Role.plan_regulator, Role.system},
    "plan.values.approve": {Role.plan_regulator, Role.system},
    "plan.projects.update": {Role.responsible_unit, Role.plan_regulator, Role.system},
    "plan.evaluate": {Role.plan_regulator, Role.system},
    "plan.findings": {Role.evaluator},
    # off-site supervision (gzgov.finreg)
    "finreg.view": {Role.admin, Role.finreg_supervisor, Role.district_supervisor, Role.auditor, Role.system},
    "finreg.registry.edit": {Role.finreg_supervisor, Role.system},
    "finreg.blacklist.edit": {Role.finreg_supervisor, Role.system},
    "finreg.tokens.manage": {Role.finreg_supervisor, Role.system},
    "finreg.submit": {Role.institution, Role.system},
    "finreg.warnings.raise": {Role.finreg_supervisor, Role.system},
    "finreg.cases.manage": {Role.finreg_supervisor, Role.district_supervisor, Role.system},
    "finreg.cases.feedback": {Role.institution, Role.system},
    "finreg.cases.escalate": {Role.finreg_supervisor, Role.system},
    "finreg.rate": {Role.finreg_supervisor, Role.system},
    "finreg.enterprises.import": {Role.finreg_supervisor, Role.system},
    "finreg.fundraising.score": {Role.finreg_supervisor, Role.system},
    "finreg.complaints.record": {Role.finreg_supervisor, Role.district_supervisor, Role.system},
    "audit.view": {Role.admin, Role.auditor, Role.city_forestry, Role.city_finance, Role.plan_regulator,
                   Role.finreg_supervisor},
    "audit.verify": {Role.admin, Role.auditor, Role.system},
    "calendar.load": {Role.admin, Role.system},
    "users.manage": {Role.admin, Role.system},
    "system.demo": {Role.system},
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, the CLI operator or an anonymous visitor."""

    username: str
    role: Role
    district_code: str | None = None
    display_name: str = ""
    user_id: int | None = None
    unit: str = ""  # a responsible unit's name, as the plan writes it
    institution_code: str = ""  # a supervised institution's code (finreg)

    @property
    def is_district(self) -> bool:
        return self.role in DISTRICT_ROLES

    def can(self, permission: str, district_code: str | None = None) -> bool:
        if self.role not in PERMISSIONS.get(permission, set()):
            return False
        return not (self.is_district and district_code is not None and district_code != self.district_code)

    def require(self, permission: str, district_code: str | None = None) -> None:
        if self.role not in PERMISSIONS.get(permission, set()):
            raise PermissionDenied(
                f"{self.role.label_zh}无权执行此操作（{permission}）",
                f"{self.role.label_en} may not do this ({permission})",
                permission=permission,
            )
        if self.is_district and district_code is not None and district_code != self.district_code:
            raise PermissionDenied(
                f"只能查看和办理本区（{district_name(self.district_code)}）的事项，不能办理{district_name(district_code)}的事项",
                f"You may act only for your own district ({district_name(self.district_code, 'en')}), "
                f"not {district_name(district_code, 'en')}",
                permission=permission,
            )

    def district_filter(self) -> str | None:
        """The district a list must be limited to, or None for city-wide roles."""
        return self.district_code if self.is_district else None

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(user.username, Role(user.role), user.district_code, user.display_name, user.id, user.unit or "",
                   user.institution_code or "")


PUBLIC = Actor("public", Role.public, display_name="公众")
SYSTEM = Actor("system", Role.system, display_name="本机运维")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, actor: Actor, username: str, password: str, role: Role | str,
                display_name: str, district_code: str | None = None, unit: str = "",
                institution_code: str = "") -> User:
    actor.require("users.manage")
    role = Role(role)
    if role == Role.institution and not institution_code.strip():
        raise GzgovError("institution_required", "机构用户必须指定所属机构代码", "An institution user needs its institution's code")
    if role == Role.responsible_unit and not unit.strip():
        raise GzgovError("unit_required", "责任单位用户必须指定单位名称（与规划中的写法一致）",
                         "A responsible-unit user needs the unit's name, as the plan writes it")
    if role in DISTRICT_ROLES and district_code not in BY_CODE:
        raise GzgovError("district_required", "区级角色必须指定所属区", "A district role needs its district")
    if role not in DISTRICT_ROLES:
        district_code = None
    if len(password) < 10:
        raise GzgovError("weak_password", "密码至少 10 位", "The password needs at least 10 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise GzgovError("user_exists", f"用户名已存在：{username}", f"Username already exists: {username}")
    user = User(username=username, password_hash=hash_password(password), role=role.value,
                district_code=district_code, display_name=display_name,
                unit=unit.strip() if role == Role.responsible_unit else "",
                institution_code=institution_code.strip() if role == Role.institution else "")
    session.add(user)
    session.flush()
    audit.record(session, actor.username, "user.create", "user", username,
                 after={"role": role.value, "district": district_code, "display_name": display_name,
                        "unit": user.unit})
    return user


class LoginRefused(GzgovError):
    status_code = 401


def authenticate(session: Session, username: str, password: str, address: str) -> Actor:
    """Check a login; refuse after too many recent failures for this user or address."""
    window_start = now() - timedelta(minutes=15)
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.attempted_at >= window_start,
            LoginAttempt.succeeded.is_(False),
            (LoginAttempt.username == username) | (LoginAttempt.address == address),
        )
    ) or 0
    if failures >= get_settings().login_max_failures:
        raise LoginRefused("login_throttled", "登录失败次数过多，请 15 分钟后再试",
                           "Too many failed logins; try again in 15 minutes")
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = False
    if user is not None:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    session.add(LoginAttempt(username=username, address=address, succeeded=ok))
    session.flush()
    if not ok or user is None:
        raise LoginRefused("login_failed", "用户名或密码错误", "Wrong username or password")
    return Actor.from_user(user)


def actor_for_username(session: Session, username: str | None) -> Actor:
    """The CLI's actor: the named official (GZGOV_USER / --user) or the local operator."""
    if not username or username == SYSTEM.username:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise GzgovError("unknown_user", f"没有此用户：{username}", f"No such user: {username}")
    return Actor.from_user(user)
