"""Pages of tiered supervision and of the rule library: the period's ratings (classes by district, every point
explained, XLSX export, rating a period), the rule catalogue with each rule's legal basis and what was
verified, and complaints about institutions (recorded, then found substantiated or unfounded)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, or_, select

from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import BY_CODE, district_name
from gzgov.core.paging import Pager, like_pattern
from gzgov.core.tabular import xlsx_bytes
from gzgov.finreg import complaints as cp
from gzgov.finreg import rating as rt
from gzgov.finreg import registry as reg
from gzgov.finreg.models import Institution, InstitutionRating
from gzgov.finreg.routes import _ctx, _scope
from gzgov.web.charts import bar_chart, pie_chart
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash, render, render_page

router = APIRouter(prefix="/finreg")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLASS_COLOURS = {"A": "#2e7d32", "B": "#1e88e5", "C": "#ef6c00", "D": "#c62828"}


# ------------------------------------------------------------------ ratings

def _ratings_query(actor, period: str, kind: str, district: str, klass: str, q: str):
    base = _scope(actor, select(InstitutionRating, Institution).join(
        Institution, Institution.id == InstitutionRating.institution_id).where(InstitutionRating.period == period))
    if kind in reg.KINDS:
        base = base.where(Institution.kind == kind)
    if district in BY_CODE:
        base = base.where(Institution.district_code == district)
    if klass in CLASS_COLOURS:
        base = base.where(InstitutionRating.klass == klass)
    if q.strip():
        pattern = like_pattern(q.strip())
        base = base.where(or_(Institution.name.ilike(pattern, escape="\\"), Institution.code.ilike(pattern, escape="\\")))
    return base


def _ratings_charts(db, actor, period: str, lang: str) -> tuple[dict, dict]:
    by = db.execute(_scope(actor, select(Institution.district_code, InstitutionRating.klass, func.count())
                           .join(Institution, Institution.id == InstitutionRating.institution_id)
                           .where(InstitutionRating.period == period)
                           .group_by(Institution.district_code, InstitutionRating.klass))).all()
    totals = {k: sum(n for _d, k2, n in by if k2 == k) for k in CLASS_COLOURS}
    pie = pie_chart(translate(lang, "fr.rating_classes"), [(k, totals[k], c) for k, c in CLASS_COLOURS.items()])
    districts = sorted({d for d, _k, _n in by})
    bars = bar_chart(translate(lang, "fr.rating_by_district"), [district_name(d, lang) for d in districts],
                     [(k, [sum(n for d2, k2, n in by if d2 == d and k2 == k) for d in districts], c)
                      for k, c in CLASS_COLOURS.items()])
    return pie, bars


@router.get("/ratings")
def ratings(request: Request, db: DB, actor: CurrentActor, period: str = "", kind: str = "", district: str = "",
            klass: str = "", q: str = "", page: Annotated[int, Query(ge=1)] = 1) -> object:
    actor.require("finreg.view", district or None)
    periods = rt.recorded_periods(db)
    period = period or (periods[0] if periods else "")
    base = _ratings_query(actor, period, kind, district, klass, q)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    pager = Pager.of(total, page)
    rows = db.execute(base.order_by(InstitutionRating.score, Institution.code)
                      .offset(pager.offset).limit(pager.per_page)).all()
    lang = lang_of(request)
    pie, bars = _ratings_charts(db, actor, period, lang)
    m = rt.model()
    ctx = _ctx(request, rows=rows, pager=pager, periods=periods, period=period,
               f={"kind": kind, "district": district, "klass": klass, "q": q}, districts=sorted(BY_CODE),
               locked=actor.is_district, pie=pie, bars=bars, model=m, classes=CLASS_COLOURS,
               parts_of=lambda r: json.loads(r.parts), can_rate=actor.can("finreg.rate"),
               default_period=f"{now().year}-{now().month:02d}", today=now().date())
    return render_page(request, "finreg/ratings.html", "finreg/_ratings.html", ctx)


@router.get("/ratings.xlsx")
def ratings_xlsx(db: DB, actor: CurrentActor, period: str, kind: str = "", district: str = "", klass: str = "",
                 q: str = "") -> Response:
    actor.require("finreg.view", district or None)
    rows = db.execute(_ratings_query(actor, period, kind, district, klass, q)
                      .order_by(InstitutionRating.score, Institution.code)).all()
    dims = list(rt.model()["dimensions"])
    header = ["机构代码 code", "名称 name", "类型 type", "区 district", "期间 period", "等级 class", "得分 score",
              *[f"{rt.model()['dimensions'][d]['zh']} {d}" for d in dims], "扣分说明 reasons", "模型 model",
              "评定日 as of", "评定人 rated by"]
    body = []
    for r, inst in rows:
        parts = json.loads(r.parts)
        reasons = "；".join(f"{d}: {x}" for d in dims for x in parts.get(d, {}).get("reasons", []))
        body.append([inst.code, inst.name, reg.KINDS[inst.kind][0], district_name(inst.district_code), r.period,
                     r.klass, r.score, *[parts.get(d, {}).get("score", "") for d in dims], reasons, r.model_version,
                     r.as_of, r.rated_by])
    data = xlsx_bytes({f"评级 {period}": (header, body)})
    name = quote(f"分级分类评级-{period}")
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})


@router.post("/ratings")
def rate(request: Request, db: DB, actor: CurrentActor, period: Annotated[str, Form()],
         as_of: Annotated[str, Form()] = "") -> object:
    actor.require("finreg.rate")
    try:
        rt.check_period_text(period)
        try:
            day = date.fromisoformat(as_of) if as_of.strip() else now().date()
        except ValueError:
            raise GzgovError("bad_date", "日期格式应为 YYYY-MM-DD", "Dates must be YYYY-MM-DD") from None
        counts = rt.record_period(db, actor, period, day)
    except GzgovError as err:
        db.rollback()
        flash(request, "flash.fr_error", zh=err.zh, en=err.en)
        return RedirectResponse("/finreg/ratings", status_code=303)
    flash(request, "flash.fr_rated", period=period, a=counts["A"], b=counts["B"], c=counts["C"], d=counts["D"])
    return RedirectResponse(f"/finreg/ratings?period={period}", status_code=303)


# ------------------------------------------------------------------ the rule catalogue

def _book():
    from gzgov.finreg.rules import load_rules

    return load_rules()


@router.get("/rules")
def rules_page(request: Request, actor: CurrentActor, kind: str = "", severity: str = "", q: str = "",
               on: str = "") -> object:
    actor.require("finreg.view")
    book = _book()
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        day = None
    rows = [r for r in book if (not kind or kind in r.institution_types) and (not severity or r.severity == severity)
            and (day is None or r.in_force(day))
            and (not q.strip() or q.strip().lower() in f"{r.id} {r.name_zh} {r.name_en} {r.basis.document_number} "
                 f"{r.basis.article}".lower())]
    rows.sort(key=lambda r: (r.institution_types[0], r.lineage if hasattr(r, "lineage") else r.id, r.effective_from))
    types = sorted({t for r in book for t in r.institution_types}, key=lambda t: list(reg.KINDS).index(t)
                   if t in reg.KINDS else 99)
    verified = sum(1 for r in book if not r.basis.article_unverified)
    return render_page(request, "finreg/rules.html", "finreg/_rules.html", _ctx(
        request, rules=rows, types=types, f={"kind": kind, "severity": severity, "q": q, "on": on},
        total=len(book.rules), verified=verified))


@router.get("/rules/{rule_id}")
def rule_page(request: Request, actor: CurrentActor, rule_id: str) -> object:
    actor.require("finreg.view")
    book = _book()
    rule = next((r for r in book if r.id == rule_id), None)
    if rule is None:
        raise NotFound("规则", "Rule", rule_id)
    from gzgov.finreg.engine import describe

    versions = sorted((r for r in book if r.lineage == rule.lineage), key=lambda r: r.effective_from)
    return render(request, "finreg/rule.html", _ctx(request, rule=rule, metric=describe(rule), versions=versions,
                                                     regulation=book.regulation(rule.basis.regulation)))


# ------------------------------------------------------------------ complaints

def _back(code: str) -> RedirectResponse:
    return RedirectResponse(f"/finreg/institutions/{code}#complaints", status_code=303)


@router.post("/institutions/{code}/complaints")
def complaint_add(request: Request, db: DB, actor: CurrentActor, code: str, received_on: Annotated[str, Form()],
                  channel: Annotated[str, Form()], category: Annotated[str, Form()],
                  summary: Annotated[str, Form()]) -> object:
    inst = db.scalar(select(Institution).where(Institution.code == code))
    actor.require("finreg.complaints.record", inst.district_code if inst else None)
    try:
        try:
            day = date.fromisoformat(received_on)
        except ValueError:
            raise GzgovError("bad_date", "日期格式应为 YYYY-MM-DD", "Dates must be YYYY-MM-DD") from None
        c = cp.record(db, actor, code, day, channel, category, summary, today=now().date())
    except GzgovError as err:
        db.rollback()
        flash(request, "flash.fr_error", zh=err.zh, en=err.en)
        return _back(code)
    flash(request, "flash.fr_complaint", n=c.id)
    return _back(code)


@router.post("/complaints/{complaint_id}/finding")
def complaint_finding(request: Request, db: DB, actor: CurrentActor, complaint_id: int,
                      finding: Annotated[str, Form()], version: Annotated[int, Form()]) -> object:
    actor.require("finreg.complaints.record")  # the district is checked against the complaint's institution
    try:
        c = cp.find(db, actor, complaint_id, finding, version)
        code = db.get(Institution, c.institution_id).code
    except GzgovError as err:
        db.rollback()
        flash(request, "flash.fr_error", zh=err.zh, en=err.en)
        return RedirectResponse("/finreg/", status_code=303)
    flash(request, "flash.fr_complaint_found", n=c.id)
    return _back(code)
