"""Charts drawn on the server as SVG markup, for print and PDF (WeasyPrint runs no JavaScript).

The web pages draw their charts in the browser with ECharts (`gzgov.web.charts`); the evaluation reports
rendered to PDF embed these instead, inline in the HTML. Every function is pure and returns a string.
Numbers come in as Decimal or float and are rounded for drawing only: the tables beside each chart carry
the exact figures. Text is escaped, so titles and labels may contain any character.

See docs/charts.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

FONT = '"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif'

TEXT_COLOUR = "#263238"
GRID_COLOUR = "#e0e0e0"
AXIS_COLOUR = "#90a4ae"
BASELINE_COLOUR = "#455a64"
EXPECTED_COLOUR = "#78909c"
ACTUAL_COLOUR = "#1565c0"
TARGET_COLOUR = "#e65100"

Number = Decimal | float | int

# The trajectory chart and the bar chart share one frame; the status bar is a short strip.
CHART_W, CHART_H = 480, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 36, 62  # the plot area's margins
STATUS_W = 480
LEGEND_ROW = 16  # the height of a legend row


# --- numbers -------------------------------------------------------------------------------------------

def nice_number(x: float, round_: bool) -> float:
    """The 1, 2, 5 × 10^k number nearest `x` (round_) or the smallest one not below it (Heckbert)."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    exp = math.floor(math.log10(x))
    f = x / 10**exp
    if round_:
        nf = 1 if f < 1.5 else 2 if f < 3 else 5 if f < 7 else 10
    else:
        nf = 1 if f <= 1 else 2 if f <= 2 else 5 if f <= 5 else 10
    return nf * 10.0**exp


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` evenly spaced round tick values covering lo..hi (always at least two ticks)."""
    lo, hi = (float(lo), float(hi)) if lo <= hi else (float(hi), float(lo))
    if hi == lo:  # one value (or none): open a small range around it
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = (lo - pad, hi + pad) if lo != 0 else (0.0, 1.0)
    step = nice_number(nice_number(hi - lo, False) / max(count - 1, 1), True)
    start, stop = math.floor(lo / step), math.ceil(hi / step)
    if stop == start:
        stop += 1
    digits = _decimals(step) + 2
    return [round(i * step, digits) for i in range(start, stop + 1)]


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step > 0 else 0


def fmt_tick(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (no "-0")."""
    text = f"{value:.{_decimals(step)}f}"
    return "0" if text.strip("-0.") == "" else text


def _fmt_value(value: Number) -> str:
    """A data label: the Decimal as given (trailing zeros dropped), a float to four significant digits."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if text != "-0" else "0"
    return f"{float(value):.4g}"


def _f(x: float) -> str:
    """A coordinate, rounded for drawing."""
    return f"{x:.1f}".removesuffix(".0")


# --- markup helpers ------------------------------------------------------------------------------------

def _attrs(**kw: object) -> str:
    return "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for k, v in kw.items() if v is not None)


def _el(tag: str, **kw: object) -> str:
    """An empty element with its attributes (see _attrs)."""
    return f"<{tag}{_attrs(**kw)}/>"


def _text(x: float, y: float, s: str, size: int = 10, anchor: str = "start", fill: str = TEXT_COLOUR,
          **kw: object) -> str:
    return f"<text{_attrs(x=_f(x), y=_f(y), font_size=size, text_anchor=anchor, fill=fill, **kw)}>{escape(s)}</text>"


def _svg(width: int, height: int, title: str, body: Iterable[str], kind: str) -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg"{_attrs(width=width, height=height)}'
            f'{_attrs(viewBox=f"0 0 {width} {height}", role="img", aria_label=title, font_family=FONT)}'
            f'{_attrs(class_=f"gz-chart gz-chart-{kind}")}>')
    parts = [head, f'<rect{_attrs(width=width, height=height, fill="#ffffff")}/>',
             _text(width / 2, 20, title, size=13, anchor="middle", font_weight="bold", class_="title"), *body, "</svg>"]
    return "\n".join(parts)


def text_width(s: str, size: float) -> float:
    """An estimate of a label's width: CJK and full-width characters one em, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in s)


def _swatch(x: float, y: float, colour: str, kind: str) -> str:
    """A legend key 18 wide centred on y: a line, a dashed line, a dot, a box or a pale band."""
    if kind in ("line", "dashed"):
        dash = "5 3" if kind == "dashed" else None
        line = _el("line", x1=_f(x), y1=_f(y), x2=_f(x + 18), y2=_f(y), stroke=colour, stroke_width=2, stroke_dasharray=dash)
        return line + (_el("circle", cx=_f(x + 9), cy=_f(y), r=3, fill=colour) if kind == "line" else "")
    if kind == "dot":
        return _el("circle", cx=_f(x + 9), cy=_f(y), r=4, fill='#ffffff', stroke=colour, stroke_width=2)
    opacity = 0.25 if kind == "band" else None
    return _el("rect", x=_f(x + 2), y=_f(y - 6), width=14, height=12, fill=colour, fill_opacity=opacity)


def _legend_layout(items: Sequence[tuple[str, str, str]], width: float, size: int) -> list[list[tuple[str, str, str, float]]]:
    rows: list[list[tuple[str, str, str, float]]] = [[]]
    used = 0.0
    for label, colour, kind in items:
        w = 22 + text_width(label, size) + 14
        if rows[-1] and used + w > width - 16:
            rows.append([])
            used = 0.0
        rows[-1].append((label, colour, kind, w))
        used += w
    return rows


def legend_rows(items: Sequence[tuple[str, str, str]], width: float, size: int = 10) -> int:
    """How many rows `legend` needs for these keys."""
    return len(_legend_layout(items, width, size))


def legend(items: Sequence[tuple[str, str, str]], y: float, width: float, size: int = 10) -> str:
    """(label, colour, kind) keys in centred rows from y down, wrapped when they do not fit the width."""
    out = ['<g class="legend">']
    for r, row in enumerate(_legend_layout(items, width, size)):
        x = (width - sum(w for *_, w in row)) / 2
        yy = y + r * LEGEND_ROW
        for label, colour, kind, w in row:
            out.append(_swatch(x, yy, colour, kind) + _text(x + 22, yy + size * 0.35, label, size=size))
            x += w
    out.append("</g>")
    return "".join(out)


class _Scale:
    """A linear map from a data interval onto a pixel interval (either may be reversed)."""

    def __init__(self, d0: float, d1: float, p0: float, p1: float) -> None:
        self.d0, self.p0, self.p1 = d0, p0, p1
        self.k = (p1 - p0) / (d1 - d0) if d1 != d0 else 0.0

    def __call__(self, v: Number) -> float:
        if self.k == 0.0:
            return (self.p0 + self.p1) / 2
        return self.p0 + (float(v) - self.d0) * self.k


@dataclass(frozen=True)
class _Frame:
    """The plot area inside the chart."""

    left: float
    right: float
    top: float
    bottom: float


def _frame(legend_keys: Sequence[tuple[str, str, str]], extra_bottom: float = 0.0) -> _Frame:
    """The plot area of a CHART_W × CHART_H chart, raised by the legend rows beyond the first."""
    more = (legend_rows(legend_keys, CHART_W) - 1) * LEGEND_ROW
    return _Frame(_LEFT, CHART_W - _RIGHT, _TOP, CHART_H - _BOTTOM - more - extra_bottom)


def _legend_y(legend_keys: Sequence[tuple[str, str, str]]) -> float:
    return CHART_H - 16 - (legend_rows(legend_keys, CHART_W) - 1) * LEGEND_ROW


def _y_axis(ticks: list[float], y: _Scale, fr: _Frame, unit: str) -> str:
    step = ticks[1] - ticks[0]
    out = ['<g class="y-axis">']
    for t in ticks:
        py = y(t)
        out.append(_el("line", x1=_f(fr.left), y1=_f(py), x2=_f(fr.right), y2=_f(py), stroke=GRID_COLOUR, stroke_width=1))
        out.append(_text(fr.left - 6, py + 3.5, fmt_tick(t, step), size=9, anchor="end"))
    if unit:
        out.append(_text(fr.left - 6, fr.top - 8, unit, size=9, anchor="end", class_="unit"))
    out.append("</g>")
    return "".join(out)


def _x_axis_line(fr: _Frame, py: float) -> str:
    return _el("line", x1=_f(fr.left), y1=_f(py), x2=_f(fr.right), y2=_f(py), stroke=AXIS_COLOUR, stroke_width=1)


# --- the trajectory chart ------------------------------------------------------------------------------

def _trajectory_scales(fr: _Frame, years: list[int], baseline: tuple[int, Number],
                       target: tuple[int, Number, Number | None], expected: dict[int, Number],
                       actual: dict[int, Number]) -> tuple[_Scale, _Scale, list[float]]:
    all_years = [*years, baseline[0], target[0], *expected, *actual]
    values = [float(v) for v in (baseline[1], target[1], target[2], *expected.values(), *actual.values()) if v is not None]
    ticks = nice_ticks(min(values), max(values))
    x = _Scale(min(all_years), max(all_years), fr.left + 18, fr.right - 18)
    y = _Scale(ticks[0], ticks[-1], fr.bottom, fr.top)
    return x, y, ticks


def _year_ticks(years: list[int], x: _Scale, fr: _Frame) -> str:
    out = ['<g class="x-axis">', _x_axis_line(fr, fr.bottom)]
    for yr in years:
        px = x(yr)
        out.append(_el("line", x1=_f(px), y1=_f(fr.bottom), x2=_f(px), y2=_f(fr.bottom + 4), stroke=AXIS_COLOUR))
        out.append(_text(px, fr.bottom + 16, str(yr), size=9, anchor="middle"))
    out.append("</g>")
    return "".join(out)


def _target_mark(target: tuple[int, Number, Number | None], x: _Scale, y: _Scale, fr: _Frame, unit: str) -> str:
    year, low, high = target
    px, py = x(year), y(low)
    label = (_fmt_value(low) if high is None else f"{_fmt_value(low)}–{_fmt_value(high)}") + (f" {unit}" if unit else "")
    if high is None:  # a diamond at the target value
        d = f"M{_f(px)},{_f(py - 6)} L{_f(px + 6)},{_f(py)} L{_f(px)},{_f(py + 6)} L{_f(px - 6)},{_f(py)} Z"
        return ('<g class="target">' + _el("path", d=d, fill=TARGET_COLOUR, class_='target-marker')
                + _text(px - 8, py - 8, label, size=9, anchor="end", fill=TARGET_COLOUR, class_="target-label") + "</g>")
    top, bottom = min(y(low), y(high)), max(y(low), y(high))
    if bottom - top < 2:
        top, bottom = top - 1, bottom + 1
    x0, x1 = max(x(year - 0.5), fr.left), min(x(year + 0.5), fr.right)
    if x1 - x0 < 12:  # one year only: a fixed width
        x0, x1 = px - 6, px + 6
    band = _el("rect", x=_f(x0), y=_f(top), width=_f(x1 - x0), height=_f(bottom - top), fill=TARGET_COLOUR,
               fill_opacity=0.25, stroke=TARGET_COLOUR, stroke_width=1, class_="target-band")
    return ('<g class="target">' + band
            + _text(x0 - 4, top + 9, label, size=9, anchor="end", fill=TARGET_COLOUR, class_="target-label") + "</g>")


def _expected_path(baseline: tuple[int, Number], target: tuple[int, Number, Number | None],
                   expected: dict[int, Number], x: _Scale, y: _Scale) -> str:
    """Dashed, from the baseline through the expected values to the target (its lower bound)."""
    points = {baseline[0]: baseline[1], **expected}
    points.setdefault(target[0], target[1])
    pts = " ".join(f"{_f(x(yr))},{_f(y(v))}" for yr, v in sorted(points.items()))
    return (_el("polyline", points=pts, fill='none', stroke=EXPECTED_COLOUR, stroke_width=1.5,
                               stroke_dasharray='6 4', class_='expected'))


def _baseline_mark(baseline: tuple[int, Number], x: _Scale, y: _Scale, fr: _Frame) -> str:
    px, py = x(baseline[0]), y(baseline[1])
    return (_el("circle", cx=_f(px), cy=_f(py), r=4.5, fill='#ffffff', stroke=BASELINE_COLOUR, stroke_width=2,
                             class_='baseline')
            + _text(px + 7, py + 14 if py + 14 < fr.bottom - 4 else py - 7, _fmt_value(baseline[1]), size=9,
                    fill=BASELINE_COLOUR, class_="baseline-label"))


def _actual_series(actual: dict[int, Number], x: _Scale, y: _Scale) -> str:
    """One path through the actual values, broken where a year is missing, and a dot on each value."""
    if not actual:
        return ""
    cmds, prev = [], None
    for yr, v in sorted(actual.items()):
        cmds.append(f"{'L' if prev is not None and yr - prev == 1 else 'M'}{_f(x(yr))},{_f(y(v))}")
        prev = yr
    path = (_el("path", d=' '.join(cmds), fill='none', stroke=ACTUAL_COLOUR, stroke_width=2.5,
                           stroke_linejoin='round', class_='actual'))
    dots = "".join(_el("circle", cx=_f(x(yr)), cy=_f(y(v)), r=3.5, fill=ACTUAL_COLOUR, class_='actual-dot')
                   for yr, v in sorted(actual.items()))
    last = max(actual)
    at_end = x(last) > (x.p0 + x.p1) / 2 + (x.p1 - x.p0) * 0.4  # in the last slot: label to the left
    label = _text(x(last) + (-6 if at_end else 6), y(actual[last]) - 6, _fmt_value(actual[last]), size=9,
                  anchor="end" if at_end else "start", fill=ACTUAL_COLOUR, class_="actual-label")
    return '<g class="actual-series">' + path + dots + label + "</g>"


def trajectory_chart(title: str, years: list[int], baseline: tuple[int, Number],
                     target: tuple[int, Number, Number | None], expected: dict[int, Number],
                     actual: dict[int, Number], unit: str, labels: dict[str, str]) -> str:
    """An indicator's path: baseline point, dashed expected path to the target, solid actual values with
    dots (a missing year breaks the line), the target as a diamond or, for a low–high range, a pale band.

    `target` is (year, low, high) with high None unless the target is a range; `labels` names the legend
    keys "baseline", "expected", "actual", "target" in the reader's language."""
    keys = [(labels.get("baseline", "baseline"), BASELINE_COLOUR, "dot"),
            (labels.get("expected", "expected"), EXPECTED_COLOUR, "dashed"),
            (labels.get("actual", "actual"), ACTUAL_COLOUR, "line"),
            (labels.get("target", "target"), TARGET_COLOUR, "band" if target[2] is not None else "box")]
    fr = _frame(keys)
    x, y, ticks = _trajectory_scales(fr, years, baseline, target, expected, actual)
    body = [_y_axis(ticks, y, fr, unit), _target_mark(target, x, y, fr, unit), _year_ticks(years, x, fr),
            _expected_path(baseline, target, expected, x, y), _baseline_mark(baseline, x, y, fr),
            _actual_series(actual, x, y), legend(keys, _legend_y(keys), CHART_W)]
    return _svg(CHART_W, CHART_H, title, body, "trajectory")


# --- the grouped bar chart -----------------------------------------------------------------------------

def _clip(s: str, size: float, max_width: float) -> str:
    """The label cut with "…" to fit max_width."""
    if text_width(s, size) <= max_width:
        return s
    while s and text_width(s + "…", size) > max_width:
        s = s[:-1]
    return s + "…"


def _category_labels(categories: list[str], fr: _Frame, slot: float) -> str:
    """Labels under the groups, turned 30° (and cut at 80 wide) when they do not fit their slot."""
    rotate = max((text_width(c, 9) for c in categories), default=0.0) > slot - 4
    out = ['<g class="categories">']
    for i, c in enumerate(categories):
        cx, py = fr.left + slot * (i + 0.5), fr.bottom + 12
        if rotate:
            out.append(_text(cx, py, _clip(c, 9, 80), size=9, anchor="end", transform=f"rotate(-30 {_f(cx)} {_f(py)})"))
        else:
            out.append(_text(cx, py + 2, c, size=9, anchor="middle"))
    out.append("</g>")
    return "".join(out)


def _bars(series: list[tuple[str, list[Number | None], str]], n_cat: int, fr: _Frame, slot: float, y: _Scale) -> str:
    n = max(len(series), 1)
    bar_w = min(slot * 0.8 / n, 40.0)
    zero = y(0.0)
    out = ['<g class="bars">']
    for s, (name, values, colour) in enumerate(series):
        for i, v in enumerate(values[:n_cat]):
            if v is None:
                continue
            bx = fr.left + slot * (i + 0.5) - bar_w * n / 2 + bar_w * s
            py = y(v)
            out.append(_el("rect", x=_f(bx + 0.5), y=_f(min(py, zero)), width=_f(max(bar_w - 1, 1)),
                                      height=_f(abs(zero - py)), fill=colour, class_='bar', data_series=name))
    out.append("</g>")
    return "".join(out)


def bar_chart(title: str, categories: list[str], series: list[tuple[str, list[Number | None], str]],
              unit: str = "") -> str:
    """Grouped vertical bars: one group per category, one bar per series (name, values, colour), from zero
    (negative values hang below it), with a legend of the series. A None value draws no bar."""
    keys = [(name, colour, "box") for name, _, colour in series]
    slot = (CHART_W - _RIGHT - _LEFT) / max(len(categories), 1)
    rotate = max((text_width(c, 9) for c in categories), default=0.0) > slot - 4
    fr = _frame(keys, extra_bottom=24 if rotate else 0)
    values = [float(v) for _, vs, _ in series for v in vs if v is not None]
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]))
    y = _Scale(ticks[0], ticks[-1], fr.bottom, fr.top)
    body = [_y_axis(ticks, y, fr, unit), _bars(series, len(categories), fr, slot, y), _x_axis_line(fr, y(0.0)),
            _category_labels(categories, fr, slot), legend(keys, _legend_y(keys), CHART_W)]
    return _svg(CHART_W, CHART_H, title, body, "bar")


# --- the status bar ------------------------------------------------------------------------------------

def status_bar(title: str, parts: list[tuple[str, int, str]]) -> str:
    """One horizontal bar split by count (e.g. the statuses of the plan's indicators), counts written in
    the segments wide enough to hold them, and a legend "label count". All counts zero draws an empty bar.
    The height grows with the legend's rows."""
    left, right, top, height = 16, STATUS_W - 16, 34, 22
    total = sum(max(c, 0) for _, c, _ in parts)
    out = [_el("rect", x=left, y=top, width=right - left, height=height, fill='#f5f5f5', stroke=GRID_COLOUR,
                          class_='status-track')]
    px = float(left)
    for label, count, colour in parts:
        if count <= 0:
            continue
        w = (right - left) * count / total
        out.append(_el("rect", x=_f(px), y=top, width=_f(w), height=height, fill=colour, class_='status-part',
                                  data_label=label))
        if w >= text_width(str(count), 10) + 6:
            out.append(_text(px + w / 2, top + height / 2 + 3.5, str(count), size=10, anchor="middle", fill="#ffffff"))
        px += w
    keys = [(f"{label} {count}", colour, "box") for label, count, colour in parts]
    out.append(legend(keys, top + height + 18, STATUS_W))
    full_height = top + height + 18 + legend_rows(keys, STATUS_W) * LEGEND_ROW
    return _svg(STATUS_W, int(full_height), title, out, "status")
