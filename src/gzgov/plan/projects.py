"""Key projects (重点项目和工作, the plan's annex): status updates with evidence and attachments,
milestones (deadlines in working days on the official calendar where set), overdue flags, and the views
per responsible unit ("my projects") and per district."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor, Role
from gzgov.core.calendar_store import calendar
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound, PermissionDenied
from gzgov.plan.models import PlanAttachment, ProjectMilestone, ProjectUpdate
from gzgov.plan.reference import Project, default_reference

STATUSES = {
    "not_started": ("未启动", "Not started", "#90a4ae"),
    "in_progress": ("推进中", "In progress", "#1e88e5"),
    "completed": ("已完成", "Completed", "#2e7d32"),
    "delayed": ("滞后", "Delayed", "#e65100"),
    "suspended": ("暂停", "Suspended", "#6d4c41"),
}
MAX_ATTACHMENT = 20 * 1024 * 1024
BASIS = "plan ch15 §3"  # 做实重点项目推进


def project(number: int) -> Project:
    ref = default_reference()
    if not 1 <= number <= len(ref.projects):
        raise NotFound("重点项目", "Key project", number)
    return ref.project(number)


# Units the annex names collectively: every district government is one of them.
ALL_DISTRICTS = ("各区政府", "相关区政府")


def is_responsible(unit: str, p: Project) -> bool:
    """Whether a unit is among a project's responsible units (a district government also where the annex
    says 各区政府 or 相关区政府)."""
    return unit in p.units or (unit.endswith("区政府") and any(u in p.units for u in ALL_DISTRICTS))


def may_update(actor: Actor, p: Project) -> bool:
    """The regulator, or a responsible unit named for the project."""
    if not actor.can("plan.projects.update"):
        return False
    return actor.role != Role.responsible_unit or is_responsible(actor.unit, p)


def _require_update(actor: Actor, p: Project) -> None:
    actor.require("plan.projects.update")
    if not may_update(actor, p):
        raise PermissionDenied(f"{actor.unit}不是第 {p.number} 项的责任单位", f"{actor.unit} is not responsible for "
                               f"project {p.number}", permission="plan.projects.update")


def store_attachment(session: Session, actor: Actor, filename: str, data: bytes,
                     content_type: str = "application/octet-stream") -> PlanAttachment:
    """Keep a file under var/plan/files by its SHA-256 (the name on disk is the digest)."""
    actor.require("plan.view")
    if not data:
        raise GzgovError("empty_file", "附件为空", "The attachment is empty")
    if len(data) > MAX_ATTACHMENT:
        raise GzgovError("file_too_large", "附件不能超过 20 MB", "An attachment may not exceed 20 MB")
    digest = hashlib.sha256(data).hexdigest()
    path = files_dir() / digest
    if not path.exists():
        path.write_bytes(data)
    a = PlanAttachment(filename=Path(filename).name[:255] or "attachment", content_type=content_type[:128],
                       size=len(data), sha256=digest, uploaded_by=actor.username)
    session.add(a)
    session.flush()
    return a


def files_dir() -> Path:
    d = get_settings().var_dir / "plan" / "files"
    d.mkdir(parents=True, exist_ok=True)
    return d


def read_attachment(session: Session, actor: Actor, attachment_id: int) -> tuple[PlanAttachment, bytes]:
    actor.require("plan.view")
    a = session.get(PlanAttachment, attachment_id)
    if a is None:
        raise NotFound("附件", "Attachment", attachment_id)
    data = (files_dir() / a.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != a.sha256:
        raise GzgovError("attachment_altered", "附件与登记的摘要不符", "The attachment differs from its recorded digest")
    return a, data


def update_status(session: Session, actor: Actor, number: int, status: str, as_of: date, evidence: str,
                  attachment_id: int | None = None) -> ProjectUpdate:
    p = project(number)
    _require_update(actor, p)
    if status not in STATUSES:
        raise GzgovError("bad_status", f"无效的状态：{status}", f"Invalid status: {status}")
    if not evidence.strip():
        raise GzgovError("evidence_required", "请说明进展依据", "Give the evidence of progress")
    if as_of > now().date():
        raise GzgovError("future_date", "进展日期不能晚于今天", "The date of the update cannot be in the future")
    u = ProjectUpdate(project_number=number, status=status, as_of=as_of, evidence=evidence.strip(),
                      unit=actor.unit, entered_by=actor.username, attachment_id=attachment_id)
    session.add(u)
    session.flush()
    audit.record(session, actor.username, "plan.project.update", "plan_project", number,
                 after={"status": status, "as_of": as_of, "unit": actor.unit, "attachment": attachment_id})
    return u


def add_milestone(session: Session, actor: Actor, number: int, title: str, due: date | None = None,
                  start: date | None = None, working_days: int | None = None, basis: str = "") -> ProjectMilestone:
    """A milestone: a due date, or `working_days` counted on the official calendar from `start`."""
    p = project(number)
    _require_update(actor, p)
    if not title.strip():
        raise GzgovError("title_required", "请填写里程碑内容", "Give the milestone")
    if working_days is not None:
        if start is None or working_days < 1:
            raise GzgovError("bad_deadline", "按工作日计算期限须给出起算日和天数", "A working-day deadline needs a start and days")
        due = calendar(session).add_working_days(start, working_days)
    if due is None:
        raise GzgovError("due_required", "请给出完成期限", "Give the due date")
    m = ProjectMilestone(project_number=number, title=title.strip(), start=start, working_days=working_days, due=due,
                         basis=basis.strip(), created_by=actor.username)
    session.add(m)
    session.flush()
    audit.record(session, actor.username, "plan.milestone.add", "plan_project", number,
                 after={"title": m.title, "due": due, "working_days": working_days})
    return m


def complete_milestone(session: Session, actor: Actor, milestone_id: int, done: date) -> ProjectMilestone:
    m = session.get(ProjectMilestone, milestone_id)
    if m is None:
        raise NotFound("里程碑", "Milestone", milestone_id)
    _require_update(actor, project(m.project_number))
    m.done = done
    session.flush()
    audit.record(session, actor.username, "plan.milestone.done", "plan_project", m.project_number,
                 after={"milestone": m.id, "done": done})
    return m


@dataclass(frozen=True)
class ProjectView:
    project: Project
    latest: ProjectUpdate | None
    milestones: list[ProjectMilestone]
    overdue: list[ProjectMilestone]

    @property
    def status(self) -> str:
        return self.latest.status if self.latest else "not_started"


def overview(session: Session, actor: Actor, today: date, unit: str | None = None, district_zh: str | None = None,
             public: bool = False) -> list[ProjectView]:
    """Every project with its latest update and milestones; `unit` limits to a unit's projects ("my projects"),
    `district_zh` to projects naming that district's government."""
    actor.require("plan.public" if public else "plan.view")
    latest: dict[int, ProjectUpdate] = {}
    for u in session.scalars(select(ProjectUpdate).order_by(ProjectUpdate.as_of, ProjectUpdate.id)):
        latest[u.project_number] = u
    stones: dict[int, list[ProjectMilestone]] = {}
    for m in session.scalars(select(ProjectMilestone).order_by(ProjectMilestone.due)):
        stones.setdefault(m.project_number, []).append(m)
    out = []
    for p in default_reference().projects:
        if unit and not is_responsible(unit, p):
            continue
        if district_zh and f"{district_zh}政府" not in p.units:
            continue
        ms = stones.get(p.number, [])
        out.append(ProjectView(p, latest.get(p.number), ms, [m for m in ms if m.done is None and m.due < today]))
    return out


def updates_of(session: Session, actor: Actor, number: int) -> list[ProjectUpdate]:
    actor.require("plan.view")
    project(number)
    return list(session.scalars(select(ProjectUpdate).where(ProjectUpdate.project_number == number)
                                .order_by(ProjectUpdate.as_of.desc(), ProjectUpdate.id.desc())))


def projects_json(views: list[ProjectView]) -> list[dict]:
    """The stable `gzgov plan projects --json` shape."""
    return [{"number": v.project.number, "title_zh": v.project.title_zh, "responsible_units": list(v.project.units),
             "status": v.status, "as_of": v.latest.as_of.isoformat() if v.latest else None,
             "overdue_milestones": len(v.overdue)} for v in views]
