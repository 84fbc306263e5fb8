"""ECharts option objects built in Python (passed to the page with `|tojson`, drawn by static/charts.js).

Numbers here are for drawing only: they come from exact Decimal/fen values already rounded for
display; the tables beside each chart carry the exact figures.
"""

from __future__ import annotations

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
_TEXT = {"fontFamily": FONT, "color": "#263238"}


def bar_chart(title: str, categories: list[str], series: list[tuple[str, list[float], str]],
              stacked: bool = True) -> dict:
    """A vertical bar chart; `series` is (name, values, colour)."""
    return {
        "title": {"text": title, "left": "center", "textStyle": _TEXT | {"fontSize": 14}},
        "textStyle": _TEXT,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0, "textStyle": _TEXT},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"interval": 0}},
        "yAxis": {"type": "value"},
        "series": [{"name": name, "type": "bar", "data": values, "itemStyle": {"color": colour},
                    **({"stack": "total"} if stacked else {}), "barMaxWidth": 48}
                   for name, values, colour in series],
    }


def pie_chart(title: str, items: list[tuple[str, float, str]]) -> dict:
    """A ring chart; `items` is (name, value, colour). Empty items draw nothing."""
    return {
        "title": {"text": title, "left": "center", "textStyle": _TEXT | {"fontSize": 14}},
        "textStyle": _TEXT,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "textStyle": _TEXT},
        "series": [{"type": "pie", "radius": ["32%", "55%"], "center": ["50%", "48%"],
                    "label": {"formatter": "{d}%"}, "avoidLabelOverlap": True,
                    "data": [{"name": n, "value": v, "itemStyle": {"color": c}} for n, v, c in items if v]}],
    }


def line_chart(title: str, categories: list[str], series: list[tuple[str, list[float | None], str, bool]],
               unit: str = "") -> dict:
    """A line chart; `series` is (name, values with None for a gap, colour, dashed)."""
    return {
        "title": {"text": title, "left": "center", "textStyle": _TEXT | {"fontSize": 14}},
        "textStyle": _TEXT,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "textStyle": _TEXT},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": categories, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit, "scale": True},
        "series": [{"name": name, "type": "line", "data": values, "connectNulls": False, "symbolSize": 7,
                    "itemStyle": {"color": colour}, "lineStyle": {"color": colour, "type": "dashed" if dashed else "solid"}}
                   for name, values, colour, dashed in series],
    }
