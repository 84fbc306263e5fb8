"""Tables of plan monitoring: indicator values with their review, frozen evaluations with their narrative
and third-party findings, key-project status updates, attachments and milestones.

The plan itself (chapters, indicators, projects, zones) is reference data in data/plan/*.yaml
(`gzgov.plan.reference`); these tables hold what people enter in the course of the plan.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gzgov.core.db import Base, now

S = String


class PlanValue(Base):
    """One yearly value of an indicator (city-level when district_code is ""), as entered by a responsible
    unit and reviewed by the regulator. A correction is a new revision; approving it supersedes the one
    before, whose row stays as history. Values are exact decimal text, never floats."""

    __tablename__ = "plan_value"
    __table_args__ = (UniqueConstraint("indicator_code", "year", "district_code", "revision"),
                      Index("ix_plan_value_key", "indicator_code", "year", "district_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_code: Mapped[str] = mapped_column(S(40))
    year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(S(6), default="")
    value: Mapped[str] = mapped_column(S(40))
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(S(16))  # submitted | approved | rejected | superseded
    revision: Mapped[int] = mapped_column(Integer, default=1)
    entered_by: Mapped[str] = mapped_column(S(64))
    entered_unit: Mapped[str] = mapped_column(S(128), default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    reviewed_by: Mapped[str] = mapped_column(S(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")


class PlanEvaluation(Base):
    """An annual monitoring report, the mid-term (2023) or the final (2025) evaluation. Publishing freezes
    the results computed from the approved values of that moment (the data vintage): a later revision of
    a value changes the live statuses, never a published evaluation."""

    __tablename__ = "plan_evaluation"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(S(16))  # annual | midterm | final
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(S(16))  # draft | published
    results: Mapped[str] = mapped_column(Text, default="")  # frozen JSON, set when published
    vintage_at: Mapped[datetime | None] = mapped_column(DateTime)
    vintage_value_id: Mapped[int | None] = mapped_column()  # the newest approved value id it saw
    created_by: Mapped[str] = mapped_column(S(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    published_by: Mapped[str] = mapped_column(S(64), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class PlanNarrative(Base):
    """A narrative section the regulator writes for an evaluation (in Chinese, with English available)."""

    __tablename__ = "plan_narrative"
    __table_args__ = (UniqueConstraint("evaluation_id", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("plan_evaluation.id"))
    section: Mapped[str] = mapped_column(S(32))
    text_zh: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(S(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class PlanFinding(Base):
    """A third-party evaluator's finding on an evaluation, with an optional attachment."""

    __tablename__ = "plan_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("plan_evaluation.id"))
    author: Mapped[str] = mapped_column(S(64))
    organisation: Mapped[str] = mapped_column(S(128), default="")
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("plan_attachment.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class PlanAttachment(Base):
    """A stored file (evidence of a project update, an evaluator's report): kept under var/plan/files by
    its SHA-256, which the database keeps to detect tampering."""

    __tablename__ = "plan_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(S(255))
    content_type: Mapped[str] = mapped_column(S(128), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(S(64))
    uploaded_by: Mapped[str] = mapped_column(S(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class ProjectUpdate(Base):
    """A status update of a key project by one of its responsible units (or the regulator)."""

    __tablename__ = "plan_project_update"
    __table_args__ = (Index("ix_plan_project_update", "project_number", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(S(16))  # not_started | in_progress | completed | delayed | suspended
    as_of: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(S(128), default="")
    entered_by: Mapped[str] = mapped_column(S(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("plan_attachment.id"))


class ProjectMilestone(Base):
    """A milestone of a key project. Where a deadline is set in working days it is counted on the
    official calendar from `start`; otherwise `due` is the date given."""

    __tablename__ = "plan_project_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_number: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text)
    start: Mapped[date | None] = mapped_column(Date)
    working_days: Mapped[int | None] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date)
    done: Mapped[date | None] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(S(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
