"""Pages of plan monitoring (officials) and the public disclosure pages (no login): thin adapters over
the services in values.py, evaluations.py and projects.py."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import BY_CODE
from gzgov.core.tabular import ImportRejected
from gzgov.plan import evaluations as evs
from gzgov.plan import projects as prj
from gzgov.plan import values as vals
from gzgov.plan.evaluation import (
    AHEAD,
    BASE_YEAR,
    HORIZON,
    NEEDS_ACCELERATION,
    ON_TRACK,
    STATUS_LABELS,
    Status,
)
from gzgov.plan.models import PlanEvaluation, PlanFinding, PlanNarrative
from gzgov.plan.reference import default_reference, search
from gzgov.plan.views import (
    YEARS,
    IndicatorRow,
    clause_anchor,
    indicator_rows,
    indicators_csv,
    indicators_json,
    projects_csv,
    review_verdict,
    status_counts,
    zone_views,
)
from gzgov.web.charts import line_chart, pie_chart
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash, render

router = APIRouter(prefix="/plan")
public_router = APIRouter(prefix="/public/plan")
LAST_YEAR = BASE_YEAR + HORIZON


VALUE_STATUS = {"submitted": "plan.value_submitted", "approved": "plan.value_approved",
                "rejected": "plan.value_rejected", "superseded": "plan.value_superseded"}
SECTION_TITLES = {"summary": "plan.section_summary", "indicators": "plan.section_indicators",
                  "projects": "plan.section_projects", "districts": "plan.section_districts",
                  "next_steps": "plan.section_next_steps"}


def _ctx(request: Request, **extra) -> dict:
    lang = lang_of(request)
    i = 1 if lang == "en" else 0
    return {"ref": default_reference(), "Status": Status, "PROJECT_STATUSES": prj.STATUSES, "anchor": clause_anchor,
            "years": YEARS, "status_label": lambda s: STATUS_LABELS[Status(s)][i],
            "project_status": lambda s: prj.STATUSES[s][i], "project_colour": lambda s: prj.STATUSES[s][2],
            "value_status": lambda s: translate(lang, VALUE_STATUS[s]),
            "section_title": lambda s: translate(lang, SECTION_TITLES[s]),
            "kind_label": lambda k: evs.KINDS[k][i]} | extra


def _page(request: Request, name: str, status_code: int = 200, **extra) -> object:
    return render(request, name, _ctx(request, **extra), status_code)


def trajectory_option(row, lang: str) -> dict:
    """ECharts option of an indicator's trajectory: baseline, expected path, actual values, target."""
    c = row.chart()

    def tr(key: str) -> str:
        return translate(lang, key)

    target = [None] * (len(YEARS) - 1) + [float(c["target_low"])]
    return line_chart(row.indicator.name_en if lang == "en" else row.indicator.name_zh, [str(y) for y in YEARS], [
        (tr("plan.expected_path"), [float(v) for v in c["expected"]], "#90a4ae", True),
        (tr("plan.actual"), [float(v) if v is not None else (float(c["baseline"]) if i == 0 else None)
                             for i, v in enumerate(c["actual"])], "#1e88e5", False),
        (tr("plan.target"), target, "#c62828", False),
    ], row.indicator.unit)


def _status_chart(rows, lang: str) -> dict:
    return pie_chart(translate(lang, "plan.chart_status"),
                     [(STATUS_LABELS[s][1 if lang == "en" else 0], n, s.colour) for s, n in status_counts(rows)])


# ------------------------------------------------------------------ dashboard and indicators

@router.get("/")
def dashboard(request: Request, db: DB, actor: CurrentActor,
              year: Annotated[int, Query(ge=BASE_YEAR + 1, le=LAST_YEAR)] = LAST_YEAR) -> object:
    actor.require("plan.view")
    rows = indicator_rows(db, actor, year)
    lang = lang_of(request)
    return _page(request, "plan/dashboard.html", rows=rows, year=year, counts=status_counts(rows),
                 status_chart=_status_chart(rows, lang), pending=len(vals.pending(db, actor)))


def _indicator_page(request: Request, db: Session, actor, code: str, status_code: int = 200, **extra) -> object:
    ref = default_reference()
    if code not in {i.code for i in ref.indicators}:
        raise NotFound("规划指标", "Plan indicator", code)
    row = next(r for r in indicator_rows(db, actor) if r.indicator.code == code)
    history = vals.history(db, actor, code, None)
    ctx = {"row": row, "history": history, "chart": trajectory_option(row, lang_of(request)),
           "can_enter": actor.can("plan.values.enter"), "can_approve": actor.can("plan.values.approve"),
           "districts": sorted(BY_CODE), "error": None, "form": None} | extra
    return _page(request, "plan/indicator.html", status_code, **ctx)


@router.get("/indicators/{code}")
def indicator(request: Request, db: DB, actor: CurrentActor, code: str) -> object:
    actor.require("plan.view")
    return _indicator_page(request, db, actor, code)


@router.post("/indicators/{code}/values")
def indicator_enter(request: Request, db: DB, actor: CurrentActor, code: str, year: Annotated[int, Form()],
                    value: Annotated[str, Form()], source: Annotated[str, Form()],
                    note: Annotated[str, Form()] = "", district: Annotated[str, Form()] = "") -> object:
    actor.require("plan.values.enter")
    try:
        vals.enter_value(db, actor, code, year, value, source, note, district.strip())
    except GzgovError as err:
        db.rollback()
        form = {"year": year, "value": value, "source": source, "note": note, "district": district}
        return _indicator_page(request, db, actor, code, err.status_code, error=err, form=form)
    flash(request, "flash.plan_value_entered", code=code, year=year)
    return RedirectResponse(f"/plan/indicators/{code}", status_code=303)


def _review(request: Request, db: Session, actor, value_id: int, run, key: str, back: str) -> object:
    try:
        row = run()
    except GzgovError as err:
        db.rollback()
        return _values_page(request, db, actor, err.status_code, error=err)
    flash(request, key, code=row.indicator_code, year=row.year)
    return RedirectResponse(back or "/plan/values", status_code=303)


@router.post("/values/{value_id}/approve")
def value_approve(request: Request, db: DB, actor: CurrentActor, value_id: int, note: Annotated[str, Form()] = "",
                  back: Annotated[str, Form()] = "") -> object:
    actor.require("plan.values.approve")
    return _review(request, db, actor, value_id, lambda: vals.approve_value(db, actor, value_id, note),
                   "flash.plan_value_approved", _safe_back(back))


@router.post("/values/{value_id}/reject")
def value_reject(request: Request, db: DB, actor: CurrentActor, value_id: int, note: Annotated[str, Form()] = "",
                 back: Annotated[str, Form()] = "") -> object:
    actor.require("plan.values.approve")
    return _review(request, db, actor, value_id, lambda: vals.reject_value(db, actor, value_id, note),
                   "flash.plan_value_rejected", _safe_back(back))


def _safe_back(back: str) -> str:
    return back if back.startswith("/plan/") and "//" not in back else "/plan/values"


def _values_page(request: Request, db: Session, actor, status_code: int = 200, **extra) -> object:
    ctx = {"pending": vals.pending(db, actor), "can_enter": actor.can("plan.values.enter"),
           "can_approve": actor.can("plan.values.approve"), "columns": vals.VALUE_COLUMNS, "error": None,
           "report": None, "result": None} | extra
    return _page(request, "plan/values.html", status_code, **ctx)


@router.get("/values")
def values_page(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("plan.view")
    return _values_page(request, db, actor)


@router.post("/values/import")
def values_import(request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile | None, File()] = None,
                  approve: Annotated[str, Form()] = "") -> object:
    actor.require("plan.values.enter")
    if file is None or not file.filename:
        err = GzgovError("no_file", translate("zh", "imp.no_file"), translate("en", "imp.no_file"))
        return _values_page(request, db, actor, 400, error=err)
    data = file.file.read()
    try:
        result = vals.import_values(db, actor, data, file.filename, approve=approve == "1")
    except ImportRejected as err:
        db.rollback()
        return _values_page(request, db, actor, err.status_code, error=err, report=err.report)
    except GzgovError as err:
        db.rollback()
        return _values_page(request, db, actor, err.status_code, error=err)
    return _values_page(request, db, actor, result=result)


# ------------------------------------------------------------------ key projects and zones

@router.get("/projects")
def projects_page(request: Request, db: DB, actor: CurrentActor, unit: str = "", status: str = "",
                  q: str = "", mine: str = "") -> object:
    actor.require("plan.view")
    if mine == "1" and actor.unit:
        unit = actor.unit
    views = prj.overview(db, actor, now().date(), unit=unit or None)
    if status in prj.STATUSES:
        views = [v for v in views if v.status == status]
    if q.strip():
        views = [v for v in views if q.strip() in v.project.title_zh or q.strip().lower() in v.project.title_en.lower()]
    units = sorted({u for p in default_reference().projects for u in p.units})
    return _page(request, "plan/projects.html", views=views, units=units, f={"unit": unit, "status": status, "q": q},
                 today=now().date())


def _project_page(request: Request, db: Session, actor, number: int, status_code: int = 200, **extra) -> object:
    p = prj.project(number)
    view = next(v for v in prj.overview(db, actor, now().date()) if v.project.number == number)
    ctx = {"p": p, "view": view, "updates": prj.updates_of(db, actor, number), "can_update": prj.may_update(actor, p),
           "today": now().date(), "error": None} | extra
    return _page(request, "plan/project.html", status_code, **ctx)


@router.get("/projects/{number}")
def project_page(request: Request, db: DB, actor: CurrentActor, number: int) -> object:
    actor.require("plan.view")
    return _project_page(request, db, actor, number)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise GzgovError("bad_date", f"日期格式应为 YYYY-MM-DD：{text}", f"The date must be YYYY-MM-DD: {text}") from None


def _project_action(request: Request, db: Session, actor, number: int, run, key: str) -> object:
    try:
        run()
    except GzgovError as err:
        db.rollback()
        return _project_page(request, db, actor, number, err.status_code, error=err)
    flash(request, key, number=number)
    return RedirectResponse(f"/plan/projects/{number}", status_code=303)


@router.post("/projects/{number}/updates")
def project_update(request: Request, db: DB, actor: CurrentActor, number: int, status: Annotated[str, Form()],
                   as_of: Annotated[str, Form()], evidence: Annotated[str, Form()],
                   file: Annotated[UploadFile | None, File()] = None) -> object:
    actor.require("plan.projects.update")
    data = file.file.read() if file is not None and file.filename else b""

    def run():
        attachment = prj.store_attachment(db, actor, file.filename, data, file.content_type or "") if data else None
        return prj.update_status(db, actor, number, status, _date(as_of), evidence,
                                 attachment.id if attachment else None)

    return _project_action(request, db, actor, number, run, "flash.plan_project_updated")


@router.post("/projects/{number}/milestones")
def project_milestone(request: Request, db: DB, actor: CurrentActor, number: int, title: Annotated[str, Form()],
                      due: Annotated[str, Form()] = "", start: Annotated[str, Form()] = "",
                      working_days: Annotated[str, Form()] = "", basis: Annotated[str, Form()] = "") -> object:
    actor.require("plan.projects.update")

    def run():
        days = int(working_days) if working_days.strip().isdigit() else None
        return prj.add_milestone(db, actor, number, title, _date(due) if due.strip() else None,
                                 _date(start) if start.strip() else None, days, basis)

    return _project_action(request, db, actor, number, run, "flash.plan_milestone_added")


@router.post("/projects/{number}/milestones/{milestone_id}/done")
def milestone_done(request: Request, db: DB, actor: CurrentActor, number: int, milestone_id: int,
                   done: Annotated[str, Form()]) -> object:
    actor.require("plan.projects.update")
    return _project_action(request, db, actor, number,
                           lambda: prj.complete_milestone(db, actor, milestone_id, _date(done)),
                           "flash.plan_milestone_done")


@router.get("/attachments/{attachment_id}")
def attachment(db: DB, actor: CurrentActor, attachment_id: int) -> Response:
    actor.require("plan.view")
    meta, data = prj.read_attachment(db, actor, attachment_id)
    return Response(data, media_type=meta.content_type or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}"})


@router.get("/zones")
def zones(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("plan.view")
    return _page(request, "plan/zones.html", zones=zone_views(db, actor, now().date()), public=False)


# ------------------------------------------------------------------ the plan's text and the method

@router.get("/structure")
def structure(request: Request, actor: CurrentActor, q: str = "") -> object:
    actor.require("plan.public")
    hits = search(default_reference(), q) if q.strip() else None
    return _page(request, "plan/structure.html", q=q, hits=hits)


@router.get("/review")
def review(request: Request, actor: CurrentActor) -> object:
    """专栏1: the 13th plan's targets against what was achieved, with the verdict computed."""
    actor.require("plan.public")
    rows = [(r, review_verdict(r)) for r in default_reference().review_13th]
    return _page(request, "plan/review.html", rows=rows)


@router.get("/method")
def method(request: Request, actor: CurrentActor) -> object:
    actor.require("plan.public")
    return _page(request, "plan/method.html", anchors={"ahead": AHEAD, "on_track": ON_TRACK,
                                                       "needs_acceleration": NEEDS_ACCELERATION})


# ------------------------------------------------------------------ evaluations and reports

@router.get("/evaluations")
def evaluations_page(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("plan.view")
    return _page(request, "plan/evaluations.html", evaluations=evs.evaluations(db, actor), kinds=evs.KINDS,
                 can_create=actor.can("plan.evaluate"), error=None)


@router.post("/evaluations")
def evaluation_create(request: Request, db: DB, actor: CurrentActor, kind: Annotated[str, Form()],
                      year: Annotated[int, Form()]) -> object:
    actor.require("plan.evaluate")
    try:
        ev = evs.create_evaluation(db, actor, kind, year)
    except GzgovError as err:
        db.rollback()
        return _page(request, "plan/evaluations.html", err.status_code, evaluations=evs.evaluations(db, actor),
                     kinds=evs.KINDS, can_create=True, error=err)
    return RedirectResponse(f"/plan/evaluations/{ev.id}", status_code=303)


def report_context(db: Session, actor, ev: PlanEvaluation, lang: str) -> dict:
    """Everything a report shows: the frozen results once published (else live from the approved values),
    narratives, projects by responsible unit, districts, findings."""
    frozen = evs.frozen_results(ev)
    if frozen:  # the vintage it was published on, whatever was revised since
        values = {i["code"]: {int(y): Decimal(v) for y, v in i["values"].items()} for i in frozen["indicators"]}
        rows = [IndicatorRow(r) for r in evs.evaluate_values(values, ev.year)]
    else:
        rows = indicator_rows(db, actor, ev.year)
    public = not actor.can("plan.view")
    narratives = {n.section: n for n in db.scalars(select(PlanNarrative).where(PlanNarrative.evaluation_id == ev.id))}
    findings = db.scalars(select(PlanFinding).where(PlanFinding.evaluation_id == ev.id).order_by(PlanFinding.id)).all()
    views = prj.overview(db, actor, now().date(), public=public)
    by_unit: dict[str, list] = {}
    for v in views:
        for unit in v.project.units:
            by_unit.setdefault(unit, []).append(v)
    units = sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {"ev": ev, "rows": rows, "frozen": frozen, "narratives": narratives, "findings": findings,
            "project_views": views, "units": units, "zones": zone_views(db, actor, now().date(), public=public),
            "charts": {r.indicator.code: trajectory_option(r, lang) for r in rows}, "kinds": evs.KINDS,
            "sections": evs.NARRATIVE_SECTIONS, "counts": status_counts(rows)}


def _evaluation(db: Session, evaluation_id: int) -> PlanEvaluation:
    ev = db.get(PlanEvaluation, evaluation_id)
    if ev is None:
        raise NotFound("评估", "Evaluation", evaluation_id)
    return ev


@router.get("/evaluations/{evaluation_id}")
def evaluation_page(request: Request, db: DB, actor: CurrentActor, evaluation_id: int,
                    format: str = "html") -> object:  # noqa: A002 - the query parameter's name
    actor.require("plan.view")
    ev = _evaluation(db, evaluation_id)
    ctx = report_context(db, actor, ev, lang_of(request))
    if format == "pdf":
        from gzgov.plan.reports import report_pdf

        name = quote(f"{ev.year}{evs.KINDS[ev.kind][0]}")
        return Response(report_pdf(_ctx(request, **ctx), lang_of(request)), media_type="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.pdf"})
    return _page(request, "plan/report.html", can_edit=actor.can("plan.evaluate") and ev.status != "published",
                 can_find=actor.can("plan.findings"), error=None, public=False, **ctx)


def _evaluation_action(request: Request, db: Session, actor, evaluation_id: int, run, key: str) -> object:
    try:
        run()
    except GzgovError as err:
        db.rollback()
        ev = _evaluation(db, evaluation_id)
        ctx = report_context(db, actor, ev, lang_of(request))
        return _page(request, "plan/report.html", err.status_code, can_edit=actor.can("plan.evaluate"),
                     can_find=actor.can("plan.findings"), error=err, public=False, **ctx)
    flash(request, key)
    return RedirectResponse(f"/plan/evaluations/{evaluation_id}", status_code=303)


@router.post("/evaluations/{evaluation_id}/narrative")
def evaluation_narrative(request: Request, db: DB, actor: CurrentActor, evaluation_id: int,
                         section: Annotated[str, Form()], text_zh: Annotated[str, Form()] = "",
                         text_en: Annotated[str, Form()] = "") -> object:
    actor.require("plan.evaluate")
    return _evaluation_action(request, db, actor, evaluation_id,
                              lambda: evs.set_narrative(db, actor, evaluation_id, section, text_zh, text_en),
                              "flash.plan_narrative_saved")


@router.post("/evaluations/{evaluation_id}/publish")
def evaluation_publish(request: Request, db: DB, actor: CurrentActor, evaluation_id: int) -> object:
    actor.require("plan.evaluate")
    return _evaluation_action(request, db, actor, evaluation_id, lambda: evs.publish(db, actor, evaluation_id),
                              "flash.plan_published")


@router.post("/evaluations/{evaluation_id}/findings")
def evaluation_finding(request: Request, db: DB, actor: CurrentActor, evaluation_id: int,
                       text: Annotated[str, Form()], organisation: Annotated[str, Form()] = "",
                       file: Annotated[UploadFile | None, File()] = None) -> object:
    actor.require("plan.findings")
    data = file.file.read() if file is not None and file.filename else b""

    def run():
        a = prj.store_attachment(db, actor, file.filename, data, file.content_type or "") if data else None
        return evs.add_finding(db, actor, evaluation_id, text, organisation, a.id if a else None)

    return _evaluation_action(request, db, actor, evaluation_id, run, "flash.plan_finding_added")


# ------------------------------------------------------------------ public disclosure (no login)

@public_router.get("")
def public_home(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("plan.public")
    rows = indicator_rows(db, actor)
    lang = lang_of(request)
    published = evs.evaluations(db, actor, published_only=True)
    return _page(request, "plan/public.html", rows=rows, counts=status_counts(rows),
                 status_chart=_status_chart(rows, lang),
                 charts={r.indicator.code: trajectory_option(r, lang) for r in rows}, published=published)


@public_router.get("/indicators.{fmt}")
def public_indicators(db: DB, actor: CurrentActor, fmt: str) -> Response:
    actor.require("plan.public")
    rows = indicator_rows(db, actor)
    if fmt == "csv":
        return Response(indicators_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=plan-indicators.csv"})
    if fmt == "json":
        return Response(json.dumps(indicators_json(rows), ensure_ascii=False, indent=1),
                        media_type="application/json")
    raise NotFound("数据格式", "Format", fmt)


@public_router.get("/zones")
def public_zones(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("plan.public")
    return _page(request, "plan/zones.html", zones=zone_views(db, actor, now().date(), public=True), public=True)


@public_router.get("/projects.{fmt}")
def public_projects(db: DB, actor: CurrentActor, fmt: str) -> Response:
    actor.require("plan.public")
    views = prj.overview(db, actor, now().date(), public=True)
    if fmt == "csv":
        return Response(projects_csv(views), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=plan-projects.csv"})
    if fmt == "json":
        return Response(json.dumps(prj.projects_json(views), ensure_ascii=False, indent=1),
                        media_type="application/json")
    raise NotFound("数据格式", "Format", fmt)


@public_router.get("/evaluations/{evaluation_id}")
def public_evaluation(request: Request, db: DB, actor: CurrentActor, evaluation_id: int) -> object:
    actor.require("plan.public")
    ev = _evaluation(db, evaluation_id)
    if ev.status != "published":
        raise NotFound("已发布的评估", "Published evaluation", evaluation_id)
    ctx = report_context(db, actor, ev, lang_of(request))
    return _page(request, "plan/report.html", can_edit=False, can_find=False, error=None, public=True, **ctx)
