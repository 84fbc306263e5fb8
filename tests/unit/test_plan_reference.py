"""The plan's reference data (data/plan) holds the gazette's plan exactly; the loader refuses broken data."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gzgov.config import REPO_ROOT
from gzgov.core.basis import SOURCE_PATH
from gzgov.core.geo import DISTRICTS
from gzgov.plan.reference import PlanDataError, PlanReference, Section, load_reference, search

DATA_DIR = REPO_ROOT / "data" / "plan"
needs_source = pytest.mark.skipif(
    not SOURCE_PATH.exists(), reason="the gazette text lives in ../shared beside the checkout"
)
FOOTER = re.compile(r"[（(]本文与正式文件同等?效力[）)]")
NUMERALS = [
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
    "十五",
]


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def ref() -> PlanReference:
    return load_reference(DATA_DIR)


@pytest.fixture(scope="module")
def source() -> str:
    """The gazette, whitespace removed and page footers dropped (a page break may split a paragraph)."""
    return FOOTER.sub("", _squash(SOURCE_PATH.read_text(encoding="utf-8")))


def _table(start: str, end: str) -> list[list[str]]:
    """Rows of a 专栏 table in the gazette: the non-empty cells of each data row."""
    text = SOURCE_PATH.read_text(encoding="utf-8")
    begin = text.index(start)
    block = text[begin : text.index(end, begin)]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        cells = [c for c in cells if c]
        if line.startswith("|") and cells and cells[0] != "指 标" and not set(cells[0]) <= {"-"}:
            rows.append(cells)
    return rows


# ---------------------------------------------------------------- 专栏2 indicators

# code, name and unit as the table prints them, 2020 column, comparator, 2025 target (value or low, high),
# trajectory
BOX_2 = [
    ("FIN_VA_SHARE", "金融业增加值占地区生产总值的比重", "%", "8.9", ">=", ("9.5",), "linear"),
    ("FIN_ASSETS", "金融业总资产", "万亿元", "9.06", ">", ("11",), "compound"),
    ("FIN_TAX", "金融业税收收入", "亿元", "489.3", ">=", ("700",), "compound"),
    ("NATIONAL_PLATFORMS", "打造全国性交易平台", "个", "1", "range", ("1", "2"), "linear"),
    (
        "FIN_HOLDING_GROUPS",
        "培育具有全国影响力的持牌金融控股集团公司",
        "家",
        "0",
        "range",
        ("1", "2"),
        "linear",
    ),
    ("BANK_ASSETS", "银行机构总资产", "万亿元", "8", ">=", ("9.6",), "compound"),
    ("DEPOSITS", "金融机构本外币存款余额", "万亿元", "6.78", ">", ("9",), "compound"),
    ("LOANS", "金融机构本外币贷款余额", "万亿元", "5.44", ">", ("7",), "compound"),
    ("INSURERS", "保险业金融机构数", "家", "112", ">=", ("115",), "linear"),
    ("PREMIUMS", "年保费收入", "亿元", "1495.6", ">", ("1800",), "compound"),
    ("INSURANCE_DEPTH", "保险深度", "%", "5.98", ">", ("6",), "linear"),
    ("INSURANCE_DENSITY", "保险密度", "元/人", "8309", ">", ("10000",), "compound"),
    ("LISTED_COMPANIES", "挂牌上市公司 (含新三板)", "家", "703", ">=", ("800",), "linear"),
    (
        "LEADING_SEC_FIRMS",
        "培育市场规模和竞争力居同行业前列的证券、基金、期货法人金融机构",
        "家",
        "3",
        ">=",
        ("6",),
        "linear",
    ),
    ("DIRECT_FINANCING_SHARE", "直接融资比重", "%", "17.9", ">=", ("25",), "linear"),
    ("GREEN_BONDS_CUMULATIVE", "绿色债券累计发行", "亿元", "705", ">", ("1400",), "compound"),
    ("LOCAL_INSTITUTIONS", "地方金融机构", "家", ">3500", ">=", ("4000",), "linear"),
]


@pytest.mark.parametrize(
    "code, name, unit, baseline, comparator, target, trajectory", BOX_2, ids=[r[0] for r in BOX_2]
)
def test_each_box_2_indicator_holds_the_documents_figures(
    ref, code, name, unit, baseline, comparator, target, trajectory
):
    ind = ref.indicator(code)
    assert (ind.name_zh, ind.unit, ind.baseline.label(), ind.baseline_year) == (name, unit, baseline, 2020)
    assert (ind.target.comparator, ind.target.year, ind.trajectory) == (comparator, 2025, trajectory)
    numbers = (ind.target.low, ind.target.high) if comparator == "range" else (ind.target.value,)
    assert numbers == tuple(Decimal(t) for t in target)
    assert all(isinstance(n, Decimal) for n in (*numbers, ind.baseline.value))
    assert (ind.basis, ind.target.basis) == ("plan 专栏2", "plan ch2 §2")


def test_box_2_has_exactly_the_17_indicators_in_the_documents_order(ref):
    assert [i.code for i in ref.indicators] == [r[0] for r in BOX_2]


@needs_source
def test_indicators_match_the_box_2_table_row_by_row(ref):
    rows = _table("专栏 2", "第三章 共建粤港澳大湾区")
    assert len(rows) == len(ref.indicators) == 17
    for ind, cells in zip(ref.indicators, rows, strict=True):
        label, y2020, y2025 = cells[-3:]
        assert _squash(label) == _squash(f"{ind.name_zh} ({ind.unit})"), ind.code
        assert y2020 == ind.baseline.label(), ind.code
        if ind.target.comparator == "range":
            assert y2025 == f"{ind.target.low}—{ind.target.high}", ind.code
        else:
            assert Decimal(y2025.lstrip(">")) == ind.target.value, ind.code
        if y2025.startswith(">") and ind.code != "LOCAL_INSTITUTIONS":  # its text says 达4000家以上: at least
            assert ind.target.comparator == ">", ind.code


def test_money_indicators_grow_compound_and_shares_and_counts_linear(ref):
    for ind in ref.indicators:
        expected = "compound" if ind.unit in {"万亿元", "亿元", "元/人"} else "linear"
        assert ind.unit in {"万亿元", "亿元", "元/人", "%", "家", "个"}
        assert ind.trajectory == expected, ind.code


# ---------------------------------------------------------------- 专栏1 review of the 13th plan

BOX_1 = [  # code, 13th-plan target as printed, achieved as printed
    ("FIN_VA_SHARE", "12", "8.9"),
    ("FIN_ASSETS", "10", "9.06"),
    ("FIN_TAX", "600", "489.3"),
    ("NATIONAL_PLATFORMS", "1—2", "1"),
    ("TOP500_INSTITUTIONS", "15", "—"),
    ("FIN_HOLDING_GROUPS", "1—2", "2"),
    ("LISTED_COMPANIES", "500", "703"),
    ("BANK_ASSETS", "8", "8"),
    ("DEPOSITS", "6", "6.78"),
    ("LOANS", "4", "5.44"),
    ("LEADING_SEC_FIRMS", "6", "3"),
    ("DIRECT_FINANCING_SHARE", "40", "17.9"),
    ("INSURERS", "100", "112"),
    ("PREMIUMS", "1000", "1495.6"),
    ("INSURANCE_DEPTH", "5", "5.98"),
    ("INSURANCE_DENSITY", "6000", "8309"),
    ("LOCAL_INSTITUTIONS", "3000", ">3500"),
]


def _printed_target(ind) -> str:
    t = ind.target
    return f"{t.low}—{t.high}" if t.comparator == "range" else str(t.value)


def test_the_13th_plan_review_holds_targets_and_achieved_values_without_a_verdict(ref):
    got = [
        (r.code, _printed_target(r), r.achieved.label() if r.achieved else r.achieved_text)
        for r in ref.review_13th
    ]
    assert got == BOX_1
    assert all(r.basis == "plan 专栏1" and r.target.wording is None for r in ref.review_13th)
    assert not any(hasattr(r, "achieved_ok") or hasattr(r, "verdict") for r in ref.review_13th)


@needs_source
def test_the_13th_plan_review_matches_the_box_1_table(ref):
    rows = _table("专栏 1", "第二节 “十四五” 时期")
    assert len(rows) == len(ref.review_13th)
    for review, cells in zip(ref.review_13th, rows, strict=True):
        label, target, achieved = cells[-3:]
        assert _squash(label) == _squash(f"{review.name_zh} ({review.unit})"), review.code
        assert (target, achieved) == (
            _printed_target(review),
            review.achieved.label() if review.achieved else "—",
        )


# ---------------------------------------------------------------- structure

CHAPTERS = [
    "发展基础",
    "总体要求",
    "共建粤港澳大湾区国际金融枢纽，增强金融资源配置能力",
    "优化金融服务体系，增强金融供给能力",
    "构建科创金融体系，增强金融支持科创能力",
    "推动数字金融创新，提升金融科技服务能力",
    "发展普惠金融，提升中小微企业融资能力",
    "大力发展绿色金融，增强绿色发展能力",
    "聚力推进期货市场建设，提升风险管理能力",
    "优化金融区域布局，增强金融综合竞争能力",
    "优化地方金融监管体制机制，强化防范化解金融风险能力",
    "优化金融营商环境，提升金融发展能力",
    "推进金融开放合作，不断提升广州金融国际影响力",
    "推进金融人才和金融文化建设，进一步提升广州金融文化影响力",
    "保障实施",
]


def test_the_plan_has_15_chapters_with_the_documents_titles(ref):
    assert [c.title_zh for c in ref.chapters] == CHAPTERS
    assert [len(c.sections) for c in ref.chapters] == [2, 2, 4, 5, 3, 5, 5, 5, 3, 11, 5, 4, 4, 3, 3]
    assert all(c.title_en and all(s.title_en for s in c.sections) for c in ref.chapters)


@needs_source
def test_chapter_and_section_titles_follow_the_table_of_contents(ref):
    toc = SOURCE_PATH.read_text(encoding="utf-8").split("附件 广州市金融发展")[0]
    for chapter in ref.chapters:
        assert f"第{NUMERALS[chapter.number - 1]}章 {chapter.title_zh}" in toc
        for s in chapter.sections:
            assert _squash(f"第{NUMERALS[s.number - 1]}节{s.toc_title_zh or s.title_zh}") in _squash(toc), (
                s.clause
            )
    differing = [s.clause for s in ref.sections() if s.toc_title_zh]
    assert differing == ["plan ch12 §1"]  # 目录 "优化金融政策支持", 正文 "优化金融政策支撑"


@needs_source
def test_the_structure_reproduces_the_whole_plan_text_and_nothing_else(ref, source):
    body = source[source.index("本规划根据") : source.index("附件：广州市金融发展")]
    figure = body.index("广州市金融功能区布局图")
    body = body[:figure] + body[body.index("第十一章优化地方金融监管") :]  # the map caption under 专栏4
    boxes = {b.section_clause: b for b in ref.boxes}
    rebuilt = [ref.document.preamble]
    for chapter in ref.chapters:
        rebuilt += [f"第{NUMERALS[chapter.number - 1]}章{chapter.title_zh}", chapter.intro]
        for s in chapter.sections:
            rebuilt += [f"第{NUMERALS[s.number - 1]}节{s.title_zh}", s.text]
            if s.clause in boxes:
                rebuilt += [f"专栏{boxes[s.clause].number}{boxes[s.clause].title_zh}", boxes[s.clause].text]
    assert _squash("".join(rebuilt)) == body


def test_every_clause_id_resolves_and_an_unknown_one_is_refused(ref):
    assert isinstance(ref.resolve("plan ch10 §2"), Section)
    assert ref.resolve("plan ch10 §2").title_zh == "建设金融支持数字经济和人工智能发展核心区（海珠区）"
    assert ref.resolve("plan 专栏2").section_clause == "plan ch2 §2"
    assert ref.resolve("plan 附件").title_zh == "广州市金融发展“十四五”重点项目和工作"
    with pytest.raises(KeyError, match="plan ch16"):
        ref.resolve("plan ch16")


def test_search_finds_sections_by_chinese_or_english_words(ref):
    assert [s.clause for s in search(ref, "钻石交易中心")] == ["plan ch3 §1"]
    assert "plan ch10 §9" in [s.clause for s in search(ref, "期货 南沙")]
    assert [s.clause for s in search(ref, "2035年远景目标")] == [
        "plan ch2 §2"
    ]  # the gazette prints "2035 年"
    assert [s.clause for s in search(ref, "nansha")] == ["plan ch10 §9"]
    assert [s.clause for s in search(ref, "各类类金融机构")] == [
        "plan ch1 §1"
    ]  # found in 专栏1, placed in ch1 §1
    assert search(ref, "   ") == [] and search(ref, "没有这个词语") == []


# ---------------------------------------------------------------- key projects

LEADS = {1: "市地方金融监管局", 10: "市财政局", 25: "广州开发区管委会", 40: "市地方金融监管局"}


def test_there_are_40_projects_numbered_1_to_40_each_led_by_its_first_unit(ref):
    assert [p.number for p in ref.projects] == list(range(1, 41))
    assert {n: ref.project(n).lead for n in LEADS} == LEADS
    assert ref.project(5).units == (
        "市地方金融监管局",
        "市法院",
        "广州金融科技股份有限公司",
        "广州金融权益纠纷人民调解委员会",
    )
    assert ref.project(24).units == ("市地方金融监管局", "相关企业主体", "广州开发区管委会", "南沙区政府")
    assert ref.project(38).units == ("市地方金融监管局", "市人才办", "市人力资源社会保障局", "各区政府")
    assert ref.project(9).units == ("市地方金融监管局",)
    assert all(p.basis == "plan 附件" and p.title_en for p in ref.projects)


@needs_source
def test_every_project_row_is_the_annex_row_verbatim(ref):
    text = SOURCE_PATH.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \|$", text[text.index("附件\n") :], flags=re.M)
    assert [(int(n), t, u) for n, t, u in rows] == [
        (p.number, p.title_zh, "、".join(p.units)) for p in ref.projects
    ]


@needs_source
def test_every_project_title_appears_in_the_gazette(ref, source):
    assert [p.number for p in ref.projects if _squash(p.title_zh) not in source] == []


def test_project_links_to_sections_are_marked_inferred_and_name_real_sections(ref):
    sections = {s.clause for s in ref.sections()}
    links = [link for p in ref.projects for link in p.serves]
    assert len(links) > 40 and all(link.inferred for link in links)
    assert {link.clause for link in links} <= sections
    assert {link.clause for link in ref.project(7).serves} == {"plan ch3 §3", "plan ch4 §1", "plan ch10 §9"}


# ---------------------------------------------------------------- district zones


def test_there_are_11_zones_one_per_district_in_chapter_10_order(ref):
    assert len(ref.zones) == 11
    assert sorted(z.district for z in ref.zones) == sorted(d.code for d in DISTRICTS)
    assert [z.basis for z in ref.zones] == [f"plan ch10 §{n}" for n in range(1, 12)]
    for zone in ref.zones:
        section = ref.resolve(zone.basis)
        assert section.title_zh == f"{zone.name_zh}（{zone.district_zh}）"
        assert zone.positioning_zh.startswith(zone.district_zh) and zone.positioning_basis == "plan 专栏4"


def test_zones_link_projects_the_section_supports(ref):
    assert [link.number for link in ref.zone_of_district("440105").projects] == [20]
    assert {link.number for link in ref.zone_of_district("440115").projects} >= {1, 7, 8, 27, 31, 36}
    assert ref.zone_of_district("440114").projects == ()
    assert [p.number for p in ref.projects_naming_district(ref.zone_of_district("440113"))] == [6]


# ---------------------------------------------------------------- quotes


def _quotes(ref: PlanReference):
    yield "document preamble", ref.document.preamble
    for ind in (*ref.indicators, *ref.review_13th):
        yield f"{ind.code} table_row", ind.table_row
        if ind.target.wording:
            yield f"{ind.code} wording", ind.target.wording
    for chapter in ref.chapters:
        yield chapter.clause, chapter.intro
        for s in chapter.sections:
            yield s.clause, s.text
    for box in ref.boxes:
        yield box.clause, box.text
    for p in ref.projects:
        yield f"project {p.number}", p.title_zh
        for link in p.serves:
            yield f"project {p.number} evidence", link.evidence
    for zone in ref.zones:
        yield f"{zone.code} positioning", zone.positioning_zh
        for link in zone.projects:
            yield f"{zone.code} evidence", link.evidence


@needs_source
def test_every_quote_appears_verbatim_in_the_gazette(ref, source):
    assert [where for where, quote in _quotes(ref) if _squash(quote) not in source] == []


# ---------------------------------------------------------------- the loader refuses broken data


def _broken(tmp_path: Path, name: str, edit) -> Path:
    shutil.copytree(DATA_DIR, tmp_path / "plan")
    path = tmp_path / "plan" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return tmp_path / "plan"


def _problems(folder: Path) -> str:
    with pytest.raises(PlanDataError) as caught:
        load_reference(folder)
    return "\n".join(caught.value.problems)


def test_the_loader_refuses_a_float_figure(tmp_path):
    folder = _broken(tmp_path, "indicators.yaml", lambda d: d["indicators"][1]["baseline"].update(value=9.06))
    assert "must be a quoted string" in _problems(folder)


def test_the_loader_refuses_a_duplicate_code_and_an_unknown_comparator(tmp_path):
    def edit(d):
        d["indicators"][1]["code"] = "FIN_VA_SHARE"
        d["indicators"][2]["target"]["comparator"] = "about"

    problems = _problems(_broken(tmp_path, "indicators.yaml", edit))
    assert "'FIN_VA_SHARE' appears twice" in problems and "comparator 'about'" in problems


def test_the_loader_refuses_a_clause_that_does_not_resolve(tmp_path):
    folder = _broken(
        tmp_path, "projects.yaml", lambda d: d["projects"][0]["serves"][0].update(clause="plan ch10 §12")
    )
    assert "'plan ch10 §12' does not resolve" in _problems(folder)


def test_the_loader_refuses_evidence_the_section_does_not_contain(tmp_path):
    folder = _broken(
        tmp_path, "zones.yaml", lambda d: d["zones"][1]["projects"][0].update(evidence="不存在的字句")
    )
    assert "evidence '不存在的字句' is not in the text of plan ch10 §2" in _problems(folder)


def test_the_loader_refuses_missing_projects_and_empty_units(tmp_path):
    def edit(d):
        del d["projects"][39]
        d["projects"][0]["units"] = []

    problems = _problems(_broken(tmp_path, "projects.yaml", edit))
    assert "expected 1..40" in problems and "'units' (责任单位) must be a non-empty list" in problems


def test_the_loader_refuses_an_unknown_district_and_a_bad_range(tmp_path):
    folder = _broken(tmp_path, "zones.yaml", lambda d: d["zones"][0].update(district="440199"))
    assert "'440199' is not a Guangzhou district code" in _problems(folder)
    shutil.rmtree(folder)
    folder = _broken(tmp_path, "indicators.yaml", lambda d: d["indicators"][3]["target"].update(low="3"))
    assert "range low 3 is above high 2" in _problems(folder)


def test_the_loader_refuses_a_file_that_is_not_yaml_and_says_which(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "plan")
    (tmp_path / "plan" / "zones.yaml").write_text("zones: [\n  - {code: X", encoding="utf-8")
    with pytest.raises(PlanDataError) as caught:
        load_reference(tmp_path / "plan")
    assert caught.value.problems[0].startswith("zones.yaml: not valid YAML")
    assert "data/plan" in caught.value.en and "规划基础数据" in caught.value.zh


def test_the_default_data_directory_is_the_configured_one():
    assert [c.number for c in load_reference().chapters] == list(range(1, 16))
