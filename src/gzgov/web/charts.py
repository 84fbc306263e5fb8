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


GRAPH_COLOURS = {"company": "#1e88e5", "person": "#43a047", "address": "#8d6e63", "phone": "#fb8c00"}


def graph_chart(title: str, nodes: list[dict], edges: list[dict], category_names: dict[str, str],
                edge_names: dict[str, str]) -> dict:
    """A force-directed network; `nodes` carry id, name, category, depth and optionally blacklisted/score,
    `edges` source, target and kind. Blacklisted nodes are drawn red with a thick border."""
    cats = list(GRAPH_COLOURS)
    return {
        "title": {"text": title, "left": "center", "textStyle": _TEXT | {"fontSize": 14}},
        "textStyle": _TEXT,
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "data": [category_names.get(c, c) for c in cats], "textStyle": _TEXT},
        "series": [{
            "type": "graph", "layout": "force", "roam": True, "draggable": True,
            "force": {"repulsion": 160, "edgeLength": [40, 110], "gravity": 0.08},
            "categories": [{"name": category_names.get(c, c), "itemStyle": {"color": GRAPH_COLOURS[c]}} for c in cats],
            "label": {"show": True, "position": "right", "fontSize": 10},
            "lineStyle": {"color": "source", "opacity": 0.6},
            "emphasis": {"focus": "adjacency"},
            "data": [{"id": n["id"], "name": n["name"], "category": cats.index(n["category"]),
                      "symbolSize": 28 if n.get("depth") == 0 else 18 if n["category"] == "company" else 12,
                      "value": n.get("score", ""),
                      **({"itemStyle": {"color": "#c62828", "borderColor": "#000", "borderWidth": 2}}
                         if n.get("blacklisted") else {})} for n in nodes],
            "links": [{"source": e["source"], "target": e["target"], "value": edge_names.get(e["kind"], e["kind"])}
                      for e in edges],
        }],
    }
