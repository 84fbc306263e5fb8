"""Choices of the forest application: stored value, Chinese and English label, colour.

The single source for stored values, badges and chart colours.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache


@cache
def _lookup(cls: type) -> dict[str, object]:
    table: dict[str, object] = dict(cls.ALIASES())
    for member, (zh, en, _c) in cls.LABELS().items():
        table.update({member.value: member, zh: member, en: member, en.lower(): member})
    return table


class LabelledChoice(StrEnum):
    """A StrEnum whose members carry (zh, en, colour) in LABELS."""

    @property
    def zh(self) -> str:
        return type(self).LABELS()[self][0]

    @property
    def en(self) -> str:
        return type(self).LABELS()[self][1]

    @property
    def colour(self) -> str:
        return type(self).LABELS()[self][2]

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    @classmethod
    def LABELS(cls) -> dict:  # noqa: N802 - overridden per class
        raise NotImplementedError

    @classmethod
    def parse(cls, text: str):
        """A member from its value, Chinese or English label or alias (None when nothing matches)."""
        t = (text or "").strip()
        return _lookup(cls).get(t) or _lookup(cls).get(t.lower())

    @classmethod
    def ALIASES(cls) -> dict:  # noqa: N802
        return {}


class Grade(LabelledChoice):
    """生态公益林等级 (forest §4(1)2)."""

    I = "I"  # noqa: E741 - the document's Roman numeral
    II = "II"
    III = "III"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.I: ("Ⅰ级", "Grade I", "#1b5e20"), cls.II: ("Ⅱ级", "Grade II", "#43a047"),
                cls.III: ("Ⅲ级", "Grade III", "#a5d6a7")}

    @classmethod
    def ALIASES(cls):  # noqa: N802
        return {"Ⅰ": cls.I, "Ⅱ": cls.II, "Ⅲ": cls.III, "1": cls.I, "2": cls.II, "3": cls.III,
                "一级": cls.I, "二级": cls.II, "三级": cls.III}


class Tier(LabelledChoice):
    """管护档次 (forest §4(2)2)."""

    state_forest_farm = "state_forest_farm"
    central_south = "central_south"
    northern_mountain = "northern_mountain"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.state_forest_farm: ("第一档次·国有林场", "Tier 1 · state forest farms", "#0d47a1"),
                cls.central_south: ("第二档次·中南部地区", "Tier 2 · central-south", "#1e88e5"),
                cls.northern_mountain: ("第三档次·北部山区", "Tier 3 · northern mountains", "#90caf9")}


CENTRAL_SOUTH_DISTRICTS = {"440112", "440106", "440113", "440115"}  # 黄埔 天河 番禺 南沙, forest §4(2)2
NORTHERN_MOUNTAIN_DISTRICTS = {"440117", "440118", "440114", "440111"}  # 从化 增城 花都 白云, forest §4(2)2
FOREST_DISTRICTS = CENTRAL_SOUTH_DISTRICTS | NORTHERN_MOUNTAIN_DISTRICTS


def tier_for(district_code: str, state_forest_farm: str | None) -> Tier | None:
    """Management tier of a parcel (forest §4(2)2); None for a district outside both groups."""
    if state_forest_farm:
        return Tier.state_forest_farm
    if district_code in CENTRAL_SOUTH_DISTRICTS:
        return Tier.central_south
    if district_code in NORTHERN_MOUNTAIN_DISTRICTS:
        return Tier.northern_mountain
    return None


class Tenure(LabelledChoice):
    """权属 / who is paid (forest §4(1)1)."""

    uncontracted = "uncontracted"
    contracted = "contracted"
    transferred = "transferred"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.uncontracted: ("未发包和流转", "Neither contracted nor transferred", "#6d4c41"),
                cls.contracted: ("承包", "Contracted", "#8d6e63"),
                cls.transferred: ("流转", "Transferred", "#bcaaa4")}

    @classmethod
    def ALIASES(cls):  # noqa: N802
        return {"未发包流转": cls.uncontracted, "未发包": cls.uncontracted}


class PayeeKind(LabelledChoice):
    """补偿对象类型 (forest §4(1)1)."""

    collective = "collective"
    forest_farm = "forest_farm"
    household = "household"
    enterprise = "enterprise"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.collective: ("农村集体经济组织", "Rural collective economic organisation", "#5d4037"),
                cls.forest_farm: ("国有或集体林（农）场", "State or collective forest farm", "#1565c0"),
                cls.household: ("农户（承包者）", "Household (contractor)", "#2e7d32"),
                cls.enterprise: ("企业", "Enterprise", "#6a1b9a")}

    @classmethod
    def ALIASES(cls):  # noqa: N802
        return {"农户": cls.household, "林场": cls.forest_farm, "集体": cls.collective}

    @property
    def personal(self) -> bool:
        """Identified by a resident ID card and paid into a personal bank card."""
        return self is PayeeKind.household


# Who may be paid under each tenure (forest §4(1)1)
ALLOWED_PAYEES = {
    Tenure.uncontracted: {PayeeKind.collective, PayeeKind.forest_farm},
    Tenure.contracted: {PayeeKind.household, PayeeKind.enterprise, PayeeKind.collective},
    Tenure.transferred: {PayeeKind.household, PayeeKind.enterprise, PayeeKind.collective, PayeeKind.forest_farm},
}


class CycleState(LabelledChoice):
    """State of a year's cycle (forest §5, §7)."""

    open = "open"
    reviewed = "reviewed"
    budgeted = "budgeted"
    closed = "closed"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.open: ("区级核定与公示中", "Districts verifying and posting", "#1e88e5"),
                cls.reviewed: ("市级审查汇总清算完成", "City review, consolidation and clearing done", "#5e35b1"),
                cls.budgeted: ("已编制下一年度预算，拨付中", "Next-year budget set; disbursing", "#f9a825"),
                cls.closed: ("已结束", "Closed", "#2e7d32")}


class DistrictState(LabelledChoice):
    """State of one district within a cycle."""

    verifying = "verifying"
    verified = "verified"
    computed = "computed"
    publicity = "publicity"
    approved = "approved"
    reviewed = "reviewed"
    reconciled = "reconciled"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.verifying: ("面积核定中", "Verifying areas", "#90a4ae"),
                cls.verified: ("面积已核定", "Areas verified", "#64b5f6"),
                cls.computed: ("已测算补偿", "Entitlements computed", "#4fc3f7"),
                cls.publicity: ("公示中", "In publicity", "#ffb74d"),
                cls.approved: ("区林业、财政已审核", "Approved by district forestry and finance", "#81c784"),
                cls.reviewed: ("市级已审查", "Reviewed by the city", "#7986cb"),
                cls.reconciled: ("已对账", "Reconciled", "#388e3c")}


class LineStatus(LabelledChoice):
    """State of one payee's compensation line."""

    computed = "computed"
    posted = "posted"
    held = "held"
    issued = "issued"
    paid = "paid"
    failed = "failed"
    cancelled = "cancelled"

    @classmethod
    def LABELS(cls):  # noqa: N802
        return {cls.computed: ("已测算", "Computed", "#90a4ae"), cls.posted: ("已公示", "Posted", "#ffb74d"),
                cls.held: ("异议暂缓", "Held by objection", "#e53935"), cls.issued: ("已发送银行", "Sent to bank", "#29b6f6"),
                cls.paid: ("已支付", "Paid", "#2e7d32"), cls.failed: ("支付失败/退回", "Failed or returned", "#c62828"),
                cls.cancelled: ("已取消", "Cancelled", "#616161")}
