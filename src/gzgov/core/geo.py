"""Guangzhou's 11 districts (GB/T 2260 codes) and the groupings the documents use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DistrictInfo:
    code: str
    name_zh: str
    name_en: str


DISTRICTS: tuple[DistrictInfo, ...] = (
    DistrictInfo("440103", "荔湾区", "Liwan"),
    DistrictInfo("440104", "越秀区", "Yuexiu"),
    DistrictInfo("440105", "海珠区", "Haizhu"),
    DistrictInfo("440106", "天河区", "Tianhe"),
    DistrictInfo("440111", "白云区", "Baiyun"),
    DistrictInfo("440112", "黄埔区", "Huangpu"),
    DistrictInfo("440113", "番禺区", "Panyu"),
    DistrictInfo("440114", "花都区", "Huadu"),
    DistrictInfo("440115", "南沙区", "Nansha"),
    DistrictInfo("440117", "从化区", "Conghua"),
    DistrictInfo("440118", "增城区", "Zengcheng"),
)

BY_CODE = {d.code: d for d in DISTRICTS}
_BY_NAME = {d.name_zh: d for d in DISTRICTS}
_BY_NAME.update({d.name_zh.removesuffix("区"): d for d in DISTRICTS})
_BY_NAME.update({d.name_en.lower(): d for d in DISTRICTS})


def district_by_code(code: str) -> DistrictInfo:
    return BY_CODE[code]


def find_district(text: str) -> DistrictInfo | None:
    """A district from its code, Chinese name (with or without 区) or English name."""
    t = (text or "").strip()
    return BY_CODE.get(t) or _BY_NAME.get(t) or _BY_NAME.get(t.lower())


def district_name(code: str | None, lang: str = "zh") -> str:
    if not code or code not in BY_CODE:
        return "全市" if lang != "en" else "City"
    d = BY_CODE[code]
    return d.name_en if lang == "en" else d.name_zh
