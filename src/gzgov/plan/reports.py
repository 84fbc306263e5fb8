"""The evaluation report as PDF (WeasyPrint): the same content as the report page, with its charts drawn
on the server as SVG (web/svg.py), since a PDF runs no JavaScript."""

from __future__ import annotations

from markupsafe import Markup

from gzgov.plan.evaluation import BASE_YEAR, HORIZON
from gzgov.plan.evaluations import target_spec
from gzgov.plan.projects import STATUSES
from gzgov.plan.views import YEARS, IndicatorRow
from gzgov.web import svg
from gzgov.web.i18n import translate


def trajectory_svg(row: IndicatorRow, lang: str) -> Markup:
    ind, t = row.indicator, target_spec(row.indicator)
    labels = {k: translate(lang, f"plan.{k}") for k in ("baseline", "target")} | {
        "expected": translate(lang, "plan.expected_path"), "actual": translate(lang, "plan.actual")}
    return Markup(svg.trajectory_chart(  # noqa: S704 - svg.py escapes every text it writes
        ind.name_en if lang == "en" else ind.name_zh, YEARS, (BASE_YEAR, ind.baseline.value),
        (BASE_YEAR + HORIZON, t.threshold, t.high), row.expected_path(), row.result.values, ind.unit, labels))


def report_pdf(ctx: dict, lang: str) -> bytes:
    """Render `plan/report_print.html` with the report context (see routes.report_context) to PDF."""
    from weasyprint import HTML

    from gzgov.web.templating import templates

    i = 1 if lang == "en" else 0
    charts = {r.indicator.code: trajectory_svg(r, lang) for r in ctx["rows"]}
    status = Markup(svg.status_bar(  # noqa: S704
        translate(lang, "plan.chart_status"), [(ctx["status_label"](s), n, s.colour) for s, n in ctx["counts"]]))
    views = ctx["project_views"]
    projects = Markup(svg.bar_chart(  # noqa: S704
        translate(lang, "plan.section_projects"), [STATUSES[s][i] for s in STATUSES],
        [(translate(lang, "plan.projects_total"), [sum(v.status == s for v in views) for s in STATUSES], "#1e88e5")]))
    html = templates.env.get_template("plan/report_print.html").render(
        ctx | {"lang": lang, "svg_charts": charts, "status_svg": status, "projects_svg": projects})
    return HTML(string=html).write_pdf()
