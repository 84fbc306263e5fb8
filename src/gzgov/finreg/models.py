"""Tables of off-site supervision: the registry of supervised institutions with their shareholders,
related parties and officers, the blacklist, and the institutions' API tokens.

Personal ID numbers (officers, natural-person shareholders, blacklisted persons) are encrypted at rest with a
blind index for look-ups, like the forest payees' (core/identity.py); unified social credit codes of
entities are public and kept in clear.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gzgov.core.db import Base, now

S = String


class Institution(Base):
    """A supervised institution (监管对象): small-loan, guarantee, pawn, leasing, factoring company or a
    local trading venue."""

    __tablename__ = "finreg_institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(S(24), unique=True)  # the regulator's own code, e.g. SL-0001
    name: Mapped[str] = mapped_column(S(200))
    kind: Mapped[str] = mapped_column(S(16), index=True)  # small_loan | guarantee | pawn | leasing | factoring | trading_venue
    subkind: Mapped[str] = mapped_column(S(24), default="")  # internet (small_loan), government (guarantee)
    licence_no: Mapped[str] = mapped_column(S(64), default="")
    credit_code: Mapped[str] = mapped_column(S(18), unique=True)
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"), index=True)
    registered_capital_fen: Mapped[int] = mapped_column()
    chief_risk_officer: Mapped[str] = mapped_column(S(64), default="")
    # a financing guarantee company serving mainly small/micro enterprises and agriculture (条例 第十五条:
    # its liabilities may reach 15× net assets instead of 10×); set by the regulator, read by the rule engine
    serves_small_micro_agri: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(S(16))  # operating | restricted | exiting | exited
    established: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(S(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Party(Base):
    """A shareholder, actual controller, related party or officer of an institution."""

    __tablename__ = "finreg_party"
    __table_args__ = (Index("ix_finreg_party_id_index", "id_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    role: Mapped[str] = mapped_column(S(24))  # shareholder | actual_controller | related_party | officer
    kind: Mapped[str] = mapped_column(S(8))  # person | entity
    name: Mapped[str] = mapped_column(S(200))
    id_index: Mapped[str] = mapped_column(S(64))  # blind index of the ID number or credit code
    id_enc: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(S(40))
    share_bp: Mapped[int | None] = mapped_column(Integer)  # a shareholder's stake in basis points
    position: Mapped[str] = mapped_column(S(64), default="")  # an officer's position
    added_by: Mapped[str] = mapped_column(S(64))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class BlacklistEntry(Base):
    """黑名单: an entity or person barred (e.g. after illegal fundraising), with its basis and validity."""

    __tablename__ = "finreg_blacklist"
    __table_args__ = (Index("ix_finreg_blacklist_id_index", "id_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(S(8))  # person | entity
    name: Mapped[str] = mapped_column(S(200))
    id_index: Mapped[str] = mapped_column(S(64))
    id_enc: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(S(40))
    basis: Mapped[str] = mapped_column(Text)  # the decision or judgment, with its number
    reason: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(S(64))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class ApiToken(Base):
    """An institution's API token for data submission: only its SHA-256 is kept."""

    __tablename__ = "finreg_api_token"
    __table_args__ = (UniqueConstraint("token_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(S(64))
    prefix: Mapped[str] = mapped_column(S(12))  # shown to tell tokens apart
    created_by: Mapped[str] = mapped_column(S(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class RiskWarning(Base):
    """预警: a breach of a rule by an institution in a period, deduplicated per institution, rule and period."""

    __tablename__ = "finreg_warning"
    __table_args__ = (UniqueConstraint("institution_id", "rule_id", "period"),
                      UniqueConstraint("enterprise_id", "rule_id", "period", name="uq_finreg_warning_enterprise"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # the subject: a supervised institution, or an enterprise watched for illegal fundraising
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    rule_id: Mapped[str] = mapped_column(S(48))
    period: Mapped[str] = mapped_column(S(7))  # YYYY-MM
    level: Mapped[str] = mapped_column(S(8))  # red | orange | yellow
    value: Mapped[str] = mapped_column(S(40))
    limit: Mapped[str] = mapped_column(S(40))
    basis: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")  # JSON: metric, contributors
    status: Mapped[str] = mapped_column(S(16))  # open | in_case | closed
    assigned_to: Mapped[str] = mapped_column(S(64), default="")
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Case(Base):
    """处置案件: the closed loop of a warning — warn → handle → feedback → verification → closed."""

    __tablename__ = "finreg_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("finreg_warning.id"), unique=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    # how an enterprise case ended: illegal_fundraising (company and controllers blacklisted) | no_violation
    finding: Mapped[str] = mapped_column(S(24), default="")
    stage: Mapped[str] = mapped_column(S(16))  # warn | handle | feedback | verify | closed
    action: Mapped[str] = mapped_column(S(24), default="")  # talk | rectification_notice | onsite_inspection | referral
    deadline: Mapped[date | None] = mapped_column(Date)
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    assigned_to: Mapped[str] = mapped_column(S(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_by: Mapped[str] = mapped_column(S(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CaseStep(Base):
    """One step of a case, in order, with who, when, what and its deadline."""

    __tablename__ = "finreg_case_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("finreg_case.id"), index=True)
    stage: Mapped[str] = mapped_column(S(16))
    action: Mapped[str] = mapped_column(S(24), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(S(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Evidence(Base):
    """存证: a piece of evidence of a case step, kept under var/finreg/evidence by its SHA-256; the digest is
    also written into the audit chain, so `gzgov audit verify` detects an altered file or record."""

    __tablename__ = "finreg_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("finreg_case.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("finreg_case_step.id"))
    filename: Mapped[str] = mapped_column(S(255))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(S(64))
    audit_seq: Mapped[int] = mapped_column()  # the audit entry that records the digest
    added_by: Mapped[str] = mapped_column(S(64))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Submission(Base):
    """报送: one dataset of one institution for one period, stored as Parquet; a corrected resubmission is a new
    version and the one before is kept as superseded. An idempotency key makes a retried upload a no-op."""

    __tablename__ = "finreg_submission"
    __table_args__ = (UniqueConstraint("institution_id", "dataset", "period", "version",
                                       name="uq_finreg_submission_version"),
                      UniqueConstraint("institution_id", "idempotency_key", name="uq_finreg_submission_idempotency"))

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    dataset: Mapped[str] = mapped_column(S(32))
    period: Mapped[str] = mapped_column(S(7))
    version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(S(64))  # of the file as received
    path: Mapped[str] = mapped_column(S(255))  # under var/finreg/store
    status: Mapped[str] = mapped_column(S(16))  # current | superseded
    idempotency_key: Mapped[str | None] = mapped_column(S(128))
    channel: Mapped[str] = mapped_column(S(8))  # api | file | cli
    submitted_by: Mapped[str] = mapped_column(S(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class InstitutionRating(Base):
    """分级分类评级: an institution's class for a period as the regulator recorded it, with every point of the
    model version used, so the history stays what it was when the model changes."""

    __tablename__ = "finreg_rating"
    __table_args__ = (UniqueConstraint("institution_id", "period", name="uq_finreg_rating_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    period: Mapped[str] = mapped_column(S(7))
    score: Mapped[int] = mapped_column(Integer)
    klass: Mapped[str] = mapped_column(S(1))  # A | B | C | D
    parts: Mapped[str] = mapped_column(Text)  # JSON: dimension -> {score, of, reasons}
    model_version: Mapped[str] = mapped_column(S(16))
    as_of: Mapped[date] = mapped_column(Date)  # the day timeliness was judged on
    rated_by: Mapped[str] = mapped_column(S(64))
    rated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Complaint(Base):
    """投诉: a complaint about a supervised institution received by the regulator (12345 hotline, letters and
    visits, its own mailbox); once investigated it is found substantiated or not, which the rating counts."""

    __tablename__ = "finreg_complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finreg_institution.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(S(16))  # hotline_12345 | letter | mailbox | referral
    category: Mapped[str] = mapped_column(S(24))  # collection | fees | disclosure | privacy | other
    summary: Mapped[str] = mapped_column(Text)
    finding: Mapped[str] = mapped_column(S(16), default="pending")  # pending | substantiated | unfounded
    recorded_by: Mapped[str] = mapped_column(S(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)


# ---------------------------------------------------------------- illegal-fundraising monitoring (企业监测)


class Enterprise(Base):
    """An ordinary company watched for illegal fundraising (非法集资监测): from the market-regulation registry,
    not a supervised institution. `financial_licence` is the licence it holds, if any (e.g. 证券投资咨询);
    a company whose credit code is in the supervised registry counts as licensed too."""

    __tablename__ = "finreg_enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(S(18), unique=True)
    name: Mapped[str] = mapped_column(S(200), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")  # 经营范围
    registered_capital_fen: Mapped[int] = mapped_column()
    paid_in_capital_fen: Mapped[int | None] = mapped_column()
    established: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(S(300), default="")
    phone: Mapped[str] = mapped_column(S(40), default="")
    # the address and phone as the network compares them (gzgov.finreg.fundraising.network.normalise_*)
    address_key: Mapped[str | None] = mapped_column(S(300), index=True)
    phone_key: Mapped[str | None] = mapped_column(S(40), index=True)
    legal_rep: Mapped[str] = mapped_column(S(64), default="")
    district_code: Mapped[str] = mapped_column(S(6), index=True)  # from the credit code's registration authority
    industry: Mapped[str] = mapped_column(S(64), default="")
    financial_licence: Mapped[str] = mapped_column(S(120), default="")
    status: Mapped[str] = mapped_column(S(16), default="active")  # active | deregistered | revoked
    batch: Mapped[str] = mapped_column(S(64))  # digest of the import that last wrote it
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class EnterprisePerson(Base):
    """A natural person in the enterprise network (shareholder, officer, legal representative), keyed by the
    blind index of the ID number; the number itself is encrypted."""

    __tablename__ = "finreg_enterprise_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_index: Mapped[str] = mapped_column(S(64), unique=True)
    name: Mapped[str] = mapped_column(S(64))
    id_enc: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(S(40))


class EnterpriseLink(Base):
    """An edge of the network: a person or company holding shares in a company, a person as its officer or legal
    representative, a branch of a company (shared addresses and phones are derived, not stored)."""

    __tablename__ = "finreg_enterprise_link"
    __table_args__ = (UniqueConstraint("kind", "company_id", "person_id", "other_company_id",
                                       name="uq_finreg_enterprise_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(S(16))  # shareholder | officer | legal_rep | branch
    company_id: Mapped[int] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_enterprise_person.id"), index=True)
    other_company_id: Mapped[int | None] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    share_bp: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[str] = mapped_column(S(64), default="")
    since: Mapped[date | None] = mapped_column(Date)


class Signal(Base):
    """A signal about a company: a public complaint or report, an advertisement or marketing text, a recruitment
    notice, a news/opinion item, a court or enforcement record. The same text for the same company and day is
    kept once (`digest`)."""

    __tablename__ = "finreg_signal"
    __table_args__ = (UniqueConstraint("company_id", "digest", name="uq_finreg_signal_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    kind: Mapped[str] = mapped_column(S(16))  # complaint | advert | recruitment | news | court
    on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(S(200), default="")
    url: Mapped[str] = mapped_column(S(500), default="")
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(S(64))


class FundraisingRun(Base):
    """One scoring of the whole enterprise population under one model version."""

    __tablename__ = "finreg_fundraising_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version: Mapped[str] = mapped_column(S(16))
    as_of: Mapped[date] = mapped_column(Date)
    companies: Mapped[int] = mapped_column()
    scored: Mapped[int] = mapped_column()  # companies with a score above zero (the only ones kept)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    run_by: Mapped[str] = mapped_column(S(64))
    run_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class FundraisingScore(Base):
    """A company's risk index in a run, with every point explained (reasons) and its ring, if any."""

    __tablename__ = "finreg_fundraising_score"
    __table_args__ = (UniqueConstraint("run_id", "company_id", name="uq_finreg_fundraising_score"),
                      Index("ix_finreg_fundraising_score_rank", "run_id", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("finreg_fundraising_run.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("finreg_enterprise.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    dimensions: Mapped[str] = mapped_column(Text)  # JSON: dimension -> points
    reasons: Mapped[str] = mapped_column(Text)  # JSON: [{feature, dimension, points, evidence}]
    cluster: Mapped[str | None] = mapped_column(S(32))
    cluster_size: Mapped[int | None] = mapped_column(Integer)
