"""Server-side SVG charts (gzgov.web.svg): valid XML, the elements each chart promises, escaped text,
and degenerate data (no values, all equal, zeros) drawn without error."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal as D

import pytest

from gzgov.web import svg

NS = "{http://www.w3.org/2000/svg}"
YEARS = list(range(2020, 2026))
ZH = {"baseline": "基期值", "expected": "预期路径", "actual": "实际值", "target": "目标值"}


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == f"{NS}svg"
    return root


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{NS}text")]


def path_points(d: str) -> list[tuple[str, float, float]]:
    return [(c, float(x), float(y)) for c, x, y in re.findall(r"([ML])(-?[\d.]+),(-?[\d.]+)", d)]


def no_bad_numbers(markup: str) -> None:
    assert not re.search(r"\b(nan|inf)\b", markup, re.IGNORECASE)


def chart(**over) -> str:
    args = {"title": "森林覆盖率", "years": YEARS, "baseline": (2020, D("41.6")),
            "target": (2025, D("42"), D("45")),
            "expected": {y: D("41.6") + D("0.08") * (y - 2020) for y in range(2021, 2026)},
            "actual": {2021: D("41.7"), 2022: D("41.9"), 2023: D("42.0")}, "unit": "%", "labels": ZH}
    return svg.trajectory_chart(**(args | over))


# --- nice ticks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lo", "hi", "expect"), [
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (41.6, 45, [41, 42, 43, 44, 45]),
    (25019, 36000, [25000, 30000, 35000, 40000]),
    (-3, 7, [-4, -2, 0, 2, 4, 6, 8]),
])
def test_nice_ticks_are_round_and_cover_the_range(lo, hi, expect):
    assert svg.nice_ticks(lo, hi) == pytest.approx(expect)


@pytest.mark.parametrize(("lo", "hi"), [(0, 0), (5, 5), (-2, -2), (0.001, 0.001), (1e9, 1e9 + 1), (7, 3)])
def test_nice_ticks_never_collapse(lo, hi):
    ticks = svg.nice_ticks(lo, hi)
    assert len(ticks) >= 2 and ticks == sorted(ticks) and ticks[0] < ticks[-1]
    assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)


def test_tick_labels_carry_the_decimals_of_the_step():
    assert [svg.fmt_tick(t, 0.2) for t in svg.nice_ticks(0, 1)] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert svg.fmt_tick(-0.0, 1) == "0" and svg.fmt_tick(40000.0, 5000) == "40000"


# --- the trajectory chart ------------------------------------------------------------------------------

def test_trajectory_chart_is_sized_svg_with_a_cjk_font():
    root = parse(chart())
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("480", "260", "0 0 480 260")
    assert "WenQuanYi Micro Hei" in root.get("font-family") and "Noto Sans CJK SC" in root.get("font-family")


def test_the_actual_line_has_one_point_per_value_and_a_dot_on_each():
    actual = {2021: D("41.7"), 2022: D("41.9"), 2023: D("42.0"), 2024: D("42.3")}
    root = parse(chart(actual=actual))
    (line,) = by_class(root, "actual")
    assert line.tag == f"{NS}path" and line.get("stroke") == svg.ACTUAL_COLOUR
    pts = path_points(line.get("d"))
    assert len(pts) == len(actual) and [c for c, *_ in pts] == ["M", "L", "L", "L"]
    assert len(by_class(root, "actual-dot")) == len(actual)
    ys = [y for *_, y in pts]
    assert ys == sorted(ys, reverse=True)  # rising values climb (SVG y grows downwards)


def test_a_missing_year_breaks_the_actual_line():
    root = parse(chart(actual={2021: D("41.7"), 2022: D("41.9"), 2024: D("42.3")}))
    (line,) = by_class(root, "actual")
    assert [c for c, *_ in path_points(line.get("d"))] == ["M", "L", "M"]
    assert len(by_class(root, "actual-dot")) == 3


def test_the_expected_path_is_dashed_from_baseline_to_target():
    root = parse(chart(expected={}))
    (exp,) = by_class(root, "expected")
    assert exp.tag == f"{NS}polyline" and exp.get("stroke-dasharray")
    assert len(exp.get("points").split()) == 2  # baseline → target when no expected values are given
    root = parse(chart())
    (exp,) = by_class(root, "expected")
    assert len(exp.get("points").split()) == 6  # baseline and 2021–2025
    assert len(by_class(root, "baseline")) == 1


def test_a_range_target_is_a_band_and_a_single_target_a_marker():
    root = parse(chart())
    (band,) = by_class(root, "target-band")
    assert band.tag == f"{NS}rect" and float(band.get("height")) > 0 and float(band.get("width")) > 0
    assert any("42–45" in t for t in texts(root))
    root = parse(chart(target=(2025, D("36000"), None)))
    assert not by_class(root, "target-band") and len(by_class(root, "target-marker")) == 1


def test_the_legend_speaks_the_callers_language():
    assert {"基期值", "预期路径", "实际值", "目标值"} <= set(texts(parse(chart())))
    en = {"baseline": "Baseline", "expected": "Expected", "actual": "Actual", "target": "Target"}
    assert {"Baseline", "Expected", "Actual", "Target"} <= set(texts(parse(chart(labels=en))))


def test_text_is_escaped_and_round_trips():
    title, unit = 'A <b>&"quoted"</b> \'title\'', "<万元&>"
    markup = chart(title=title, unit=unit, labels=ZH | {"actual": "实际<&>"})
    root = parse(markup)
    assert title in texts(root) and unit in texts(root) and "实际<&>" in texts(root)
    assert root.get("aria-label") == title
    assert "<b>" not in markup


@pytest.mark.parametrize("over", [
    {"actual": {}},
    {"actual": {}, "expected": {}},
    {"baseline": (2020, D("5")), "target": (2025, D("5"), None), "expected": {}, "actual": {2021: D("5")}},
    {"baseline": (2020, D("0")), "target": (2025, D("0"), D("0")), "expected": {2021: D("0")}, "actual": {2022: D("0")}},
    {"baseline": (2020, 0.0), "target": (2025, 0.0, None), "expected": {}, "actual": {2023: 0}},
    {"baseline": (2025, D("1")), "target": (2025, D("1"), D("1")), "years": [2025], "expected": {}, "actual": {}},
    {"baseline": (2020, D("-3.5")), "target": (2025, D("-1"), None), "actual": {2021: D("-4")}},
])
def test_degenerate_data_still_draws(over):
    markup = chart(**over)
    no_bad_numbers(markup)
    root = parse(markup)
    assert len(by_class(root, "actual-dot")) == len(over.get("actual", {}))
    assert len(by_class(root, "actual")) == (1 if over.get("actual") else 0)


def test_values_draw_inside_the_plot():
    root = parse(chart(actual={2021: D("40"), 2025: D("50")}))
    for dot in by_class(root, "actual-dot"):
        assert 0 < float(dot.get("cx")) < 480 and 0 < float(dot.get("cy")) < 260


# --- the bar chart -------------------------------------------------------------------------------------

def test_bar_chart_draws_one_bar_per_value_and_a_legend():
    series = [("损失性补偿", [D("1.5"), D("2"), D("3")], "#2e7d32"), ("管护补助", [0.5, None, -1.0], "#1e88e5")]
    markup = svg.bar_chart("各区补偿资金 <万元>", ["越秀区", "海珠区", "荔湾区"], series, unit="万元")
    root = parse(markup)
    bars = by_class(root, "bar")
    assert len(bars) == 5  # None draws no bar
    assert {b.get("fill") for b in bars} == {"#2e7d32", "#1e88e5"}
    assert {"损失性补偿", "管护补助", "越秀区", "各区补偿资金 <万元>", "万元"} <= set(texts(root))
    # the negative bar hangs below the zero line, the positive ones stand on it
    zero = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars if b.get("fill") == "#2e7d32"}
    (neg,) = [b for b in bars if b.get("fill") == "#1e88e5" and float(b.get("y")) in zero]
    assert float(neg.get("height")) > 0


@pytest.mark.parametrize(("categories", "series"), [
    ([], []),
    (["a", "b"], []),
    (["a", "b"], [("s", [0, 0], "#000000")]),
    (["a"], [("s", [D("7")], "#000000")]),
    (["很长很长很长很长的类别名称" * 3] * 12, [("s", list(range(12)), "#000000")]),
])
def test_bar_chart_degenerate_data(categories, series):
    markup = svg.bar_chart("空", categories, series)
    no_bad_numbers(markup)
    root = parse(markup)
    assert len(by_class(root, "bar")) == sum(len(v) for _, v, _ in series)


# --- the status bar ------------------------------------------------------------------------------------

def test_status_bar_splits_its_width_by_count():
    parts = [("提前实现", 5, "#2e7d32"), ("基本符合预期", 10, "#1e88e5"), ("倒退", 0, "#c62828"), ("暂无数据", 2, "#90a4ae")]
    root = parse(svg.status_bar("17项指标进展", parts))
    segs = by_class(root, "status-part")
    assert [s.get("fill") for s in segs] == ["#2e7d32", "#1e88e5", "#90a4ae"]  # a zero count draws no segment
    (track,) = by_class(root, "status-track")
    assert sum(float(s.get("width")) for s in segs) == pytest.approx(float(track.get("width")), abs=0.2)
    assert float(segs[1].get("width")) == pytest.approx(2 * float(segs[0].get("width")), abs=0.2)
    assert {"提前实现 5", "倒退 0", "暂无数据 2", "10"} <= set(texts(root))


def test_status_bar_grows_with_its_legend_and_survives_nothing():
    many = [(f"Needs acceleration {i}", 1, "#f9a825") for i in range(12)]
    assert int(parse(svg.status_bar("t", many)).get("height")) > int(parse(svg.status_bar("t", many[:1])).get("height"))
    for parts in ([], [("暂无数据", 0, "#90a4ae")]):
        markup = svg.status_bar("<&>", parts)
        no_bad_numbers(markup)
        root = parse(markup)
        assert not by_class(root, "status-part") and "<&>" in texts(root)
