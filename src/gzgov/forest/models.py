"""Tables of the eco-forest compensation application (生态公益林补偿)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gzgov.core.db import Base, now

S = String


class Payee(Base):
    """补偿对象: who is paid for a parcel. ID and bank account are encrypted; a blind index
    (keyed HMAC) lets equal values be found without decrypting."""

    __tablename__ = "forest_payee"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(S(16))
    name: Mapped[str] = mapped_column(S(128))
    id_index: Mapped[str] = mapped_column(S(32), unique=True)
    id_enc: Mapped[str] = mapped_column(S(96))
    id_masked: Mapped[str] = mapped_column(S(24))
    bank_name: Mapped[str] = mapped_column(S(64), default="")
    account_index: Mapped[str] = mapped_column(S(32), default="", index=True)
    account_enc: Mapped[str] = mapped_column(S(120), default="")
    account_masked: Mapped[str] = mapped_column(S(40), default="")
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Parcel(Base):
    """小班: the smallest forest management unit, with grade, area and payee."""

    __tablename__ = "forest_parcel"
    __table_args__ = (Index("ix_forest_parcel_place", "district_code", "town", "village"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(S(40), unique=True)
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    town: Mapped[str] = mapped_column(S(64))
    village: Mapped[str] = mapped_column(S(64))
    grade: Mapped[str] = mapped_column(S(4))
    area_e4: Mapped[int] = mapped_column()  # ten-thousandths of a mu
    state_forest_farm: Mapped[str] = mapped_column(S(64), default="")
    tier: Mapped[str] = mapped_column(S(24))
    tenure: Mapped[str] = mapped_column(S(16))
    contract_ref: Mapped[str] = mapped_column(S(64), default="")
    former_zone: Mapped[bool] = mapped_column(Boolean, default=False)  # 原森林管护区 (forest §4(3))
    redesignation: Mapped[str] = mapped_column(S(16), default="")  # "", "district", "city"
    consent_ref: Mapped[str] = mapped_column(S(128), default="")  # owner's recorded consent
    payee_id: Mapped[int] = mapped_column(ForeignKey("forest_payee.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class StandardSet(Base):
    """One year's compensation and management standards (补偿标准、管护标准), yuan per mu per year
    held in fen, each part with the clause it comes from. Only an approved set can be used."""

    __tablename__ = "forest_standard_set"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(S(16))  # proposed | approved
    comp_i_fen: Mapped[int] = mapped_column()
    comp_ii_fen: Mapped[int] = mapped_column()
    comp_iii_fen: Mapped[int] = mapped_column()
    comp_basis: Mapped[str] = mapped_column(S(64))
    mgmt_state_farm_fen: Mapped[int | None] = mapped_column()
    mgmt_central_south_fen: Mapped[int | None] = mapped_column()
    mgmt_northern_fen: Mapped[int | None] = mapped_column()
    mgmt_basis: Mapped[str] = mapped_column(S(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(S(64))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    approved_by: Mapped[str] = mapped_column(S(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)


class DistrictFunding(Base):
    """City/district split of a district's funds (forest §8(2)): the 2012 base is paid wholly by the
    city; the increment is shared at `city_share_bp` (basis points) by the city, the rest by the district."""

    __tablename__ = "forest_district_funding"

    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"), primary_key=True)
    base_2012_fen: Mapped[int] = mapped_column()
    city_share_bp: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(S(64))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(S(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Cycle(Base):
    """One year's compensation cycle (年度补偿周期), forest §5 and §7."""

    __tablename__ = "forest_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    state: Mapped[str] = mapped_column(S(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_by: Mapped[str] = mapped_column(S(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    budget_note: Mapped[str] = mapped_column(Text, default="")


class DistrictCycle(Base):
    """A district's part of a cycle: verified areas, approvals, its own state."""

    __tablename__ = "forest_district_cycle"
    __table_args__ = (UniqueConstraint("cycle_id", "district_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("forest_cycle.id"))
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    state: Mapped[str] = mapped_column(S(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    verified_i_e4: Mapped[int | None] = mapped_column()
    verified_ii_e4: Mapped[int | None] = mapped_column()
    verified_iii_e4: Mapped[int | None] = mapped_column()
    verified_by: Mapped[str] = mapped_column(S(64), default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    split_base_fen: Mapped[int] = mapped_column(default=0)  # the 2012 base applied to this district
    split_total_fen: Mapped[int] = mapped_column(default=0)  # the district's total when lines were computed
    city_share_bp: Mapped[int] = mapped_column(Integer, default=0)
    forestry_approved_by: Mapped[str] = mapped_column(S(64), default="")
    finance_approved_by: Mapped[str] = mapped_column(S(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by: Mapped[str] = mapped_column(S(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)


class VillagePublicity(Base):
    """公示: the payee list of one village posted for ≥ 15 working days (forest §7); what was
    posted is frozen in the lines' posted_* columns."""

    __tablename__ = "forest_village_publicity"
    __table_args__ = (UniqueConstraint("cycle_id", "district_code", "town", "village"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("forest_cycle.id"))
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    town: Mapped[str] = mapped_column(S(64))
    village: Mapped[str] = mapped_column(S(64))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column()
    snapshot_sha256: Mapped[str] = mapped_column(S(64))
    posted_by: Mapped[str] = mapped_column(S(64))
    posted_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class EntitlementLine(Base):
    """应发明细: one payee's compensation in one village for a cycle, with the posted snapshot
    and its budget-source split (forest §8(2))."""

    __tablename__ = "forest_entitlement_line"
    __table_args__ = (
        UniqueConstraint("cycle_id", "payee_id", "district_code", "town", "village"),
        Index("ix_forest_line_place", "cycle_id", "district_code", "town", "village"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("forest_cycle.id"))
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    town: Mapped[str] = mapped_column(S(64))
    village: Mapped[str] = mapped_column(S(64))
    payee_id: Mapped[int] = mapped_column(ForeignKey("forest_payee.id"), index=True)
    area_i_e4: Mapped[int] = mapped_column(default=0)
    area_ii_e4: Mapped[int] = mapped_column(default=0)
    area_iii_e4: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(S(16))
    posted_amount_fen: Mapped[int | None] = mapped_column()
    posted_payee_id: Mapped[int | None] = mapped_column()
    posted_account_index: Mapped[str | None] = mapped_column(S(32))
    difference_reason: Mapped[str] = mapped_column(Text, default="")
    base_fen: Mapped[int] = mapped_column(default=0)
    city_increment_fen: Mapped[int] = mapped_column(default=0)
    district_increment_fen: Mapped[int] = mapped_column(default=0)


class Objection(Base):
    """异议: raised during publicity; holds exactly the lines it concerns until resolved."""

    __tablename__ = "forest_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("forest_cycle.id"))
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    raised_by: Mapped[str] = mapped_column(S(128))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(S(16))  # open | investigating | resolved
    resolution: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(S(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    resolved_by: Mapped[str] = mapped_column(S(64), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


class ObjectionLine(Base):
    __tablename__ = "forest_objection_line"

    objection_id: Mapped[int] = mapped_column(ForeignKey("forest_objection.id"), primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("forest_entitlement_line.id"), primary_key=True)


class PaymentBatch(Base):
    """拨付批次: one bank file for one district ("一卡（折）通", forest §5)."""

    __tablename__ = "forest_payment_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("forest_cycle.id"))
    district_code: Mapped[str] = mapped_column(S(6), ForeignKey("district.code"))
    number: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(S(255))
    file_sha256: Mapped[str] = mapped_column(S(64))
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(S(16))  # issued | reconciled
    created_by: Mapped[str] = mapped_column(S(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Payment(Base):
    """支付明细: one payment instruction in a batch, paid into the payee's own account."""

    __tablename__ = "forest_payment"
    __table_args__ = (Index("ix_forest_payment_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("forest_payment_batch.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("forest_entitlement_line.id"), index=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("forest_payee.id"))
    account_index: Mapped[str] = mapped_column(S(32))
    amount_fen: Mapped[int] = mapped_column()
    base_fen: Mapped[int] = mapped_column(default=0)
    city_increment_fen: Mapped[int] = mapped_column(default=0)
    district_increment_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(S(16))  # issued | paid | failed | returned
    bank_ref: Mapped[str] = mapped_column(S(64), default="")
    result_note: Mapped[str] = mapped_column(Text, default="")
    reissue_of: Mapped[int | None] = mapped_column(ForeignKey("forest_payment.id"))
