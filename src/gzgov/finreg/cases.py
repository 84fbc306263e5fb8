"""Warnings and the closed loop (监测—预警—处置—反馈): breaches become warnings, deduplicated per
institution, rule and period and assigned to the institution's district supervisor; a warning is handled as a
case — warn → handle (regulatory talk, rectification notice, on-site inspection, referral) → feedback (the
institution's rectification report with evidence) → verification → closed — with deadlines in working days on
the official calendar, escalation when overdue, every step audited and every piece of evidence kept as a
tamper-evident record (存证) checked by `gzgov audit verify`.

A warning's subject is a supervised institution or an ordinary enterprise watched for illegal fundraising
(`raise_enterprise_warning`). An enterprise case runs the same loop; its feedback is the district's report of
what the handling found (the enterprise itself takes no part), and it closes with a finding: `illegal_fundraising`
puts the company and its controllers on the blacklist, `no_violation` clears it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor, Role
from gzgov.core.calendar_store import calendar
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound, StaleAction
from gzgov.core.models import AuditEntry, User
from gzgov.finreg.models import (
    Case,
    CaseStep,
    Enterprise,
    EnterpriseLink,
    EnterprisePerson,
    Evidence,
    Institution,
    RiskWarning,
)

LEVELS = {"red": ("红色预警", "Red"), "orange": ("橙色预警", "Orange"), "yellow": ("黄色预警", "Yellow")}
ACTIONS = {"talk": ("监管谈话", "Regulatory talk"), "rectification_notice": ("整改通知", "Rectification notice"),
           "onsite_inspection": ("现场检查", "On-site inspection"), "referral": ("移送处置", "Referral")}
STAGES = ("warn", "handle", "feedback", "verify", "closed")
STAGE_LABELS = {"warn": ("预警", "Warned"), "handle": ("处置", "Handling"), "feedback": ("反馈", "Feedback"),
                "verify": ("核查通过", "Verified"), "closed": ("办结", "Closed"), "escalated": ("逾期升级", "Escalated")}
# Working days allowed for the institution to answer each action (local practice; configurable here).
DEFAULT_DAYS = {"talk": 10, "rectification_notice": 20, "onsite_inspection": 30, "referral": 15}
MAX_EVIDENCE = 20 * 1024 * 1024
FINDINGS = {"illegal_fundraising": ("认定非法集资", "Illegal fundraising found"),
            "no_violation": ("未发现违法", "No violation found")}
# A company found to have raised funds illegally is blacklisted with its controllers: the legal representative,
# any actual controller, and natural-person shareholders holding 25% or more — the threshold of beneficial
# ownership in 中国人民银行 银发〔2017〕235号 — for BLACKLIST_YEARS (local practice; configurable here).
CONTROLLING_SHARE_BP = 2500
BLACKLIST_YEARS = 5


@dataclass(frozen=True)
class Subject:
    """Whom a warning or case is about: a supervised institution or a watched enterprise."""

    kind: str  # institution | enterprise
    id: int
    code: str  # the institution's code, or the enterprise's unified social credit code
    name: str
    district_code: str

    @property
    def url(self) -> str:
        return (f"/finreg/institutions/{self.code}" if self.kind == "institution"
                else f"/finreg/fundraising/companies/{self.code}")


def subject_of(session: Session, obj: RiskWarning | Case) -> Subject:
    if obj.institution_id is not None:
        inst = session.get(Institution, obj.institution_id)
        return Subject("institution", inst.id, inst.code, inst.name, inst.district_code)
    ent = session.get(Enterprise, obj.enterprise_id)
    return Subject("enterprise", ent.id, ent.credit_code, ent.name, ent.district_code)


@dataclass(frozen=True)
class Breach:
    """One rule breached by one institution in one period (from the rule engine)."""

    institution_code: str
    rule_id: str
    period: str
    level: str
    value: Decimal
    limit: Decimal
    basis: str
    explanation: dict


def district_supervisor(session: Session, district_code: str) -> str:
    """The username a district's warnings go to (the first active district supervisor), or "" (the city)."""
    return session.scalar(select(User.username).where(
        User.role == Role.district_supervisor.value, User.district_code == district_code, User.active.is_(True))
        .order_by(User.id)) or ""


def raise_warning(session: Session, actor: Actor, b: Breach) -> tuple[RiskWarning, bool]:
    """Record a breach as a warning; the same institution, rule and period give the same warning (its figures
    refreshed). Returns (warning, created)."""
    actor.require("finreg.warnings.raise")
    if b.level not in LEVELS:
        raise GzgovError("bad_level", f"未知的预警级别：{b.level}", f"Unknown warning level: {b.level}")
    inst = session.scalar(select(Institution).where(Institution.code == b.institution_code))
    if inst is None:
        raise NotFound("监管对象", "Institution", b.institution_code)
    w = session.scalar(select(RiskWarning).where(RiskWarning.institution_id == inst.id, RiskWarning.rule_id == b.rule_id,
                                                 RiskWarning.period == b.period))
    explanation = json.dumps(audit.canonical(b.explanation), ensure_ascii=False, sort_keys=True)
    if w is not None:
        if (w.value, w.limit, w.level, w.explanation) != (str(b.value), str(b.limit), b.level, explanation):
            w.value, w.limit, w.level, w.explanation, w.updated_at = str(b.value), str(b.limit), b.level, explanation, now()
            audit.record(session, actor.username, "finreg.warning.refresh", "finreg_warning", w.id,
                         after={"value": w.value, "level": w.level})
        return w, False
    w = RiskWarning(institution_id=inst.id, rule_id=b.rule_id, period=b.period, level=b.level, value=str(b.value),
                    limit=str(b.limit), basis=b.basis, explanation=explanation, status="open",
                    assigned_to=district_supervisor(session, inst.district_code))
    session.add(w)
    session.flush()
    audit.record(session, actor.username, "finreg.warning.raise", "finreg_warning", w.id,
                 after={"institution": inst.code, "rule": b.rule_id, "period": b.period, "level": b.level,
                        "value": w.value, "limit": w.limit, "assigned_to": w.assigned_to})
    return w, True


def raise_enterprise_warning(session: Session, actor: Actor, credit_code: str, rule_id: str, period: str, level: str,
                             value: Decimal, limit: Decimal, basis: str, explanation: dict) -> tuple[RiskWarning, bool]:
    """A watched enterprise crossing a threshold (the illegal-fundraising risk index): the same loop as an
    institution's warning, deduplicated per enterprise, rule and period. Returns (warning, created)."""
    actor.require("finreg.warnings.raise")
    if level not in LEVELS:
        raise GzgovError("bad_level", f"未知的预警级别：{level}", f"Unknown warning level: {level}")
    ent = session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))
    if ent is None:
        raise NotFound("企业", "Enterprise", credit_code)
    w = session.scalar(select(RiskWarning).where(RiskWarning.enterprise_id == ent.id, RiskWarning.rule_id == rule_id,
                                                 RiskWarning.period == period))
    text = json.dumps(audit.canonical(explanation), ensure_ascii=False, sort_keys=True)
    if w is not None:
        if (w.value, w.limit, w.level, w.explanation) != (str(value), str(limit), level, text):
            w.value, w.limit, w.level, w.explanation, w.updated_at = str(value), str(limit), level, text, now()
            audit.record(session, actor.username, "finreg.warning.refresh", "finreg_warning", w.id,
                         after={"value": w.value, "level": w.level})
        return w, False
    w = RiskWarning(enterprise_id=ent.id, rule_id=rule_id, period=period, level=level, value=str(value),
                    limit=str(limit), basis=basis, explanation=text, status="open",
                    assigned_to=district_supervisor(session, ent.district_code))
    session.add(w)
    session.flush()
    audit.record(session, actor.username, "finreg.warning.raise", "finreg_warning", w.id,
                 after={"enterprise": ent.credit_code, "rule": rule_id, "period": period, "level": level,
                        "value": w.value, "limit": w.limit, "assigned_to": w.assigned_to})
    return w, True


def _case(session: Session, actor: Actor, case_id: int) -> tuple[Case, Subject]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("处置案件", "Case", case_id)
    subj = subject_of(session, case)
    if actor.institution_code:  # an institution's staff see their own institution's cases, nothing else
        if subj.kind != "institution" or actor.institution_code != subj.code:
            raise NotFound("处置案件", "Case", case_id)
    else:
        actor.require("finreg.view", subj.district_code)
    return case, subj


def _advance(session: Session, actor: Actor, case: Case, stage: str, expected: set[str], expected_version: int | None,
             action: str = "", note: str = "", deadline: date | None = None) -> CaseStep:
    if case.stage not in expected:
        raise GzgovError("wrong_stage", f"案件当前为“{case.stage}”阶段，不能进入“{stage}”",
                         f"The case is at “{case.stage}”; it cannot move to “{stage}”")
    if expected_version is not None and expected_version != case.version:
        raise StaleAction("该案件", "This case")
    before = case.stage
    case.stage, case.version, case.deadline = stage, case.version + 1, deadline
    if action:
        case.action = action
    step = CaseStep(case_id=case.id, stage=stage, action=action, note=note.strip(), deadline=deadline,
                    actor=actor.username)
    session.add(step)
    session.flush()
    audit.record(session, actor.username, f"finreg.case.{stage}", "finreg_case", case.id,
                 before={"stage": before}, after={"stage": stage, "action": action, "deadline": deadline}, reason=note)
    return step


def open_case(session: Session, actor: Actor, warning_id: int) -> Case:
    """Take a warning into the closed loop (monitor → warn)."""
    w = session.get(RiskWarning, warning_id)
    if w is None:
        raise NotFound("预警", "Warning", warning_id)
    subj = subject_of(session, w)
    actor.require("finreg.cases.manage", subj.district_code)
    if w.status != "open":
        raise GzgovError("warning_taken", "该预警已在处置中或已关闭", "The warning is already in a case or closed")
    case = Case(warning_id=w.id, institution_id=w.institution_id, enterprise_id=w.enterprise_id, stage="warn",
                assigned_to=w.assigned_to or actor.username, opened_by=actor.username)
    session.add(case)
    w.status = "in_case"
    session.flush()
    session.add(CaseStep(case_id=case.id, stage="warn", note=f"{w.rule_id} {w.period}", actor=actor.username))
    session.flush()
    audit.record(session, actor.username, "finreg.case.open", "finreg_case", case.id,
                 after={"warning": w.id, subj.kind: subj.code, "rule": w.rule_id, "period": w.period})
    return case


def handle(session: Session, actor: Actor, case_id: int, action: str, note: str, working_days: int | None = None,
           today: date | None = None, expected_version: int | None = None) -> Case:
    """The supervisor's measure, with the institution's deadline in working days."""
    case, subj = _case(session, actor, case_id)
    actor.require("finreg.cases.manage", subj.district_code)
    if action not in ACTIONS:
        raise GzgovError("bad_action", f"未知的处置措施：{action}", f"Unknown measure: {action}")
    if not note.strip():
        raise GzgovError("note_required", "请说明处置要求", "Say what is required")
    days = working_days or DEFAULT_DAYS[action]
    deadline = calendar(session).add_working_days(today or now().date(), days)
    _advance(session, actor, case, "handle", {"warn", "handle", "verify"}, expected_version, action, note, deadline)
    return case


def evidence_dir() -> Path:
    d = get_settings().var_dir / "finreg" / "evidence"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _store_evidence(session: Session, actor: Actor, case: Case, step: CaseStep, filename: str, data: bytes) -> Evidence:
    if not data or len(data) > MAX_EVIDENCE:
        raise GzgovError("bad_evidence", "证据文件为空或超过 20 MB", "An evidence file is empty or over 20 MB")
    digest = hashlib.sha256(data).hexdigest()
    path = evidence_dir() / digest
    if not path.exists():
        path.write_bytes(data)
    entry = audit.record(session, actor.username, "finreg.evidence", "finreg_case", case.id,
                         after={"file": Path(filename).name, "sha256": digest, "size": len(data), "step": step.id})
    e = Evidence(case_id=case.id, step_id=step.id, filename=Path(filename).name[:255], size=len(data), sha256=digest,
                 audit_seq=entry.seq, added_by=actor.username)
    session.add(e)
    session.flush()
    return e


def feedback(session: Session, actor: Actor, case_id: int, report: str, files: list[tuple[str, bytes]],
             expected_version: int | None = None) -> Case:
    """The institution's rectification report with its evidence; for an enterprise case, the district's report
    of what the handling found, with its evidence."""
    case, subj = _case(session, actor, case_id)
    if subj.kind == "enterprise":
        actor.require("finreg.cases.manage", subj.district_code)
    else:
        actor.require("finreg.cases.feedback")
    if not report.strip() or not files:
        raise GzgovError("feedback_incomplete", "整改报告须附证据材料", "A rectification report needs its evidence")
    step = _advance(session, actor, case, "feedback", {"handle"}, expected_version, note=report)
    for name, data in files:
        _store_evidence(session, actor, case, step, name, data)
    return case


def verify(session: Session, actor: Actor, case_id: int, accepted: bool, note: str,
           expected_version: int | None = None, today: date | None = None) -> Case:
    """The supervisor checks the rectification: accepted → verified; otherwise back to handling."""
    case, subj = _case(session, actor, case_id)
    actor.require("finreg.cases.manage", subj.district_code)
    if not note.strip():
        raise GzgovError("note_required", "请填写核查意见", "Give the verification note")
    if accepted:
        _advance(session, actor, case, "verify", {"feedback"}, expected_version, note=note)
    else:
        days = DEFAULT_DAYS.get(case.action, 10)
        _advance(session, actor, case, "handle", {"feedback"}, expected_version, case.action, "未通过核查：" + note,
                 calendar(session).add_working_days(today or now().date(), days))
    return case


def close(session: Session, actor: Actor, case_id: int, note: str, expected_version: int | None = None,
          finding: str = "", today: date | None = None) -> Case:
    """Close a verified case. An enterprise case closes with a finding; `illegal_fundraising` (the city
    regulator's call, as it blacklists) adds the company and its controllers to the blacklist."""
    case, subj = _case(session, actor, case_id)
    actor.require("finreg.cases.manage", subj.district_code)
    if subj.kind == "enterprise":
        if finding not in FINDINGS:
            raise GzgovError("finding_required", "企业案件办结须给出认定结论（认定非法集资或未发现违法）",
                             "An enterprise case closes with a finding: illegal fundraising or no violation")
        if finding == "illegal_fundraising":
            actor.require("finreg.blacklist.edit")
    elif finding:
        raise GzgovError("bad_finding", "机构案件不作非法集资认定", "An institution's case has no fundraising finding")
    if not note.strip() and finding == "illegal_fundraising":
        raise GzgovError("note_required", "请写明认定依据（决定文号）", "Give the basis of the finding (decision number)")
    _advance(session, actor, case, "closed", {"verify"}, expected_version, note=note)
    case.closed_at, case.finding = now(), finding
    w = session.get(RiskWarning, case.warning_id)
    w.status = "closed"
    if finding == "illegal_fundraising":
        blacklist_finding(session, actor, case, note.strip(), today or now().date())
    session.flush()
    return case


def controllers(session: Session, enterprise_id: int) -> list[tuple[EnterprisePerson, str]]:
    """The persons who control a company: its legal representative, actual controllers and natural-person
    shareholders with 25% or more; each once, with the first role found."""
    rows = session.execute(select(EnterprisePerson, EnterpriseLink.kind, EnterpriseLink.share_bp)
                           .join(EnterpriseLink, EnterpriseLink.person_id == EnterprisePerson.id)
                           .where(EnterpriseLink.company_id == enterprise_id)
                           .order_by(EnterpriseLink.kind, EnterprisePerson.id)).all()
    out: dict[int, tuple[EnterprisePerson, str]] = {}
    for person, kind, share in rows:
        if kind in ("legal_rep", "controller") or (kind == "shareholder" and (share or 0) >= CONTROLLING_SHARE_BP):
            out.setdefault(person.id, (person, kind))
    return list(out.values())


def blacklist_finding(session: Session, actor: Actor, case: Case, basis: str, today: date) -> list:
    """The company and its controllers onto the blacklist, citing the case and its finding."""
    from gzgov.core.identity import get_cipher
    from gzgov.finreg.registry import add_to_blacklist, check_blacklist

    ent = session.get(Enterprise, case.enterprise_id)
    until = date(today.year + BLACKLIST_YEARS, today.month, min(today.day, 28))
    why = f"处置案件 #{case.id} 认定非法集资：{basis}"
    entries = []
    if check_blacklist(session, ent.credit_code, today) is None:
        entries.append(add_to_blacklist(session, actor, "entity", ent.name, ent.credit_code, why, today, until,
                                        reason=f"finreg_case:{case.id}"))
    decrypt = get_cipher().decryptor()
    for person, role in controllers(session, ent.id):
        number = decrypt(person.id_enc)
        if check_blacklist(session, number, today) is None:
            entries.append(add_to_blacklist(session, actor, "person", person.name, number, why, today, until,
                                            reason=f"finreg_case:{case.id} {role} of {ent.credit_code}"))
    return entries


def escalate_overdue(session: Session, actor: Actor, today: date | None = None) -> list[Case]:
    """Cases whose deadline has passed: each escalation raises the level by one and hands the case to the city
    (a red-letter step in the audit log). Run daily (`gzgov finreg escalate`)."""
    actor.require("finreg.cases.escalate")
    today = today or now().date()
    out = []
    for case in session.scalars(select(Case).where(Case.stage == "handle", Case.deadline < today)):
        last = session.scalar(select(CaseStep.at).where(CaseStep.case_id == case.id, CaseStep.stage == "escalated")
                              .order_by(CaseStep.id.desc()))
        if last is not None and last.date() >= case.deadline:
            continue  # already escalated for this deadline
        case.escalation += 1
        case.assigned_to = ""  # the city's pool
        session.add(CaseStep(case_id=case.id, stage="escalated", note=f"逾期未整改（期限 {case.deadline}）",
                             deadline=case.deadline, actor=actor.username))
        session.flush()
        audit.record(session, actor.username, "finreg.case.escalate", "finreg_case", case.id,
                     after={"escalation": case.escalation, "deadline": case.deadline})
        out.append(case)
    return out


def verify_evidence(session: Session) -> list[str]:
    """Every evidence file still hashes to its recorded digest, and every record matches its audit entry."""
    problems = []
    for e in session.scalars(select(Evidence).order_by(Evidence.id)):
        path = evidence_dir() / e.sha256
        if not path.exists():
            problems.append(f"evidence {e.id} ({e.filename}): file missing / 存证 {e.id} 文件缺失")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != e.sha256:
            problems.append(f"evidence {e.id} ({e.filename}): file altered / 存证 {e.id} 文件被篡改")
        entry = session.get(AuditEntry, e.audit_seq)
        if entry is None or (entry.after or {}).get("sha256") != e.sha256 or entry.entity_id != str(e.case_id):
            problems.append(f"evidence {e.id}: record differs from its audit entry / 存证 {e.id} 与审计记录不符")
    return problems
