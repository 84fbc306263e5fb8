"""Complaints about supervised institutions (投诉): recorded by the regulator or a district supervisor as they
arrive (12345 hotline, letters and visits, the regulator's mailbox, referrals), then found substantiated or
unfounded after investigation. The rating's complaints dimension counts them (data/finreg/rating.yaml)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError, NotFound, StaleAction
from gzgov.finreg.models import Complaint, Institution

CHANNELS = {"hotline_12345": ("12345热线", "12345 hotline"), "letter": ("信访", "letters and visits"),
            "mailbox": ("监管局信箱", "regulator's mailbox"), "referral": ("部门移送", "referral")}
CATEGORIES = {"collection": ("暴力或不当催收", "abusive collection"), "fees": ("收费及利率", "fees and rates"),
              "disclosure": ("信息披露不实", "misleading disclosure"), "privacy": ("个人信息", "personal data"),
              "other": ("其他", "other")}
FINDINGS = {"pending": ("调查中", "under investigation"), "substantiated": ("属实", "substantiated"),
            "unfounded": ("不属实", "unfounded")}


def _institution(session: Session, code: str) -> Institution:
    inst = session.scalar(select(Institution).where(Institution.code == code))
    if inst is None:
        raise NotFound("监管对象", "Institution", code)
    return inst


def record(session: Session, actor: Actor, code: str, received_on: date, channel: str, category: str,
           summary: str, today: date | None = None) -> Complaint:
    inst = _institution(session, code)
    actor.require("finreg.complaints.record", inst.district_code)
    if channel not in CHANNELS:
        raise GzgovError("bad_channel", f"未知的投诉渠道：{channel}", f"Unknown complaint channel: {channel}")
    if category not in CATEGORIES:
        raise GzgovError("bad_category", f"未知的投诉类别：{category}", f"Unknown complaint category: {category}")
    if not summary.strip():
        raise GzgovError("incomplete", "请填写投诉摘要", "A summary of the complaint is required")
    if received_on > (today or date.today()):
        raise GzgovError("future_date", "收到日期不能晚于今天", "The date received cannot be in the future")
    c = Complaint(institution_id=inst.id, received_on=received_on, channel=channel, category=category,
                  summary=summary.strip(), finding="pending", recorded_by=actor.username)
    session.add(c)
    session.flush()
    audit.record(session, actor.username, "finreg.complaint.record", "finreg_complaint", c.id,
                 after={"institution": code, "received_on": received_on.isoformat(), "channel": channel,
                        "category": category})
    return c


def find(session: Session, actor: Actor, complaint_id: int, finding: str, version: int) -> Complaint:
    """Record the outcome of the investigation; the form's version guards against a stale page."""
    c = session.get(Complaint, complaint_id)
    if c is None:
        raise NotFound("投诉", "Complaint", complaint_id)
    inst = session.get(Institution, c.institution_id)
    actor.require("finreg.complaints.record", inst.district_code)
    if finding not in ("substantiated", "unfounded"):
        raise GzgovError("bad_finding", f"未知的调查结论：{finding}", f"Unknown finding: {finding}")
    if c.version != version:
        raise StaleAction("该投诉", "This complaint")
    before = c.finding
    c.finding, c.version = finding, c.version + 1
    audit.record(session, actor.username, "finreg.complaint.find", "finreg_complaint", c.id,
                 before={"finding": before}, after={"finding": finding})
    return c


def of_institution(session: Session, inst: Institution) -> list[Complaint]:
    return list(session.scalars(select(Complaint).where(Complaint.institution_id == inst.id)
                                .order_by(Complaint.received_on.desc(), Complaint.id.desc())))
