"""Pages and JSON API of the eco-forest application (thin: read input, call a service, render).

Every route checks its permission with `actor.require(...)`; district officials are limited to
their own district by the services and by the list filters below.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gzgov.core.errors import GzgovError
from gzgov.core.geo import BY_CODE, district_name
from gzgov.core.money import fmt_wan
from gzgov.core.paging import Pager, like_pattern
from gzgov.core.tabular import ImportRejected
from gzgov.forest.choices import FOREST_DISTRICTS, Grade, LineStatus, PayeeKind, Tenure, Tier
from gzgov.forest.entitlement import split_line
from gzgov.forest.funding import all_funding, set_funding
from gzgov.forest.models import Parcel, Payee, StandardSet
from gzgov.forest.parcels import LEVELS, redesignate
from gzgov.forest.registry import COLUMNS, import_registry
from gzgov.forest.reports import summary, summary_xlsx
from gzgov.forest.standards import NoStandard, approve_standard, propose_standard, rates_for, standards_json
from gzgov.forest.totals import compute_totals, totals_json
from gzgov.web.charts import bar_chart, pie_chart
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash, render, render_page, wanmu

router = APIRouter(prefix="/forest")
api_router = APIRouter(prefix="/api/forest")

CHOICES = {"Grade": Grade, "Tier": Tier, "Tenure": Tenure, "PayeeKind": PayeeKind, "LineStatus": LineStatus}
DEFAULT_YEAR = 2025


def _render(request: Request, page: str, ctx: dict, status_code: int = 200, fragment: str | None = None) -> object:
    """Render a forest page (or its htmx fragment) with the choice classes its templates label with."""
    ctx = CHOICES | ctx
    if fragment:
        return render_page(request, page, fragment, ctx, status_code)
    return render(request, page, ctx, status_code)


def _districts(actor) -> list[str]:
    """Districts a filter may offer: the official's own, or every district with eco-forest."""
    return [actor.district_code] if actor.is_district else sorted(FOREST_DISTRICTS)


# ------------------------------------------------------------------ dashboard

def _dashboard(totals, lang: str) -> dict:
    def tr(key: str) -> str:
        return translate(lang, key)

    grades = list(totals.compensation.items())
    tiers = list((totals.management or {}).items())
    names = [district_name(d, lang) for d in totals.by_district]
    charts = {
        "district": bar_chart(tr("dash.chart_district"), names, [
            (tr("dash.compensation"), [float(fmt_wan(v["compensation"])) for v in totals.by_district.values()], "#2e7d32"),
            (tr("dash.management"), [float(fmt_wan(v["management"])) for v in totals.by_district.values()], "#1e88e5"),
        ]),
        "grade": pie_chart(tr("dash.chart_grade"), [(g.label(lang), float(wanmu(i.area_e4)), g.colour) for g, i in grades]),
        "tier": pie_chart(tr("dash.chart_tier"), [(t.label(lang), float(wanmu(i.area_e4)), t.colour) for t, i in tiers]),
    }
    return {"totals": totals, "grades": grades, "tiers": tiers, "charts": charts,
            "total_area_e4": sum(i.area_e4 for _g, i in grades)}


@router.get("/")
def dashboard(request: Request, db: DB, actor: CurrentActor,
              year: Annotated[int, Query(ge=1990, le=2100)] = DEFAULT_YEAR) -> object:
    actor.require("forest.view")
    years = set(db.scalars(select(StandardSet.year).where(StandardSet.status == "approved")))
    ctx: dict = {"year": year, "years": sorted(years | {year}, reverse=True)}
    try:
        totals = compute_totals(db, actor, year)
    except NoStandard as err:
        return _render(request, "forest/dashboard.html", ctx | {"no_standard": err})
    rates = rates_for(db, year)
    ctx |= _dashboard(totals, lang_of(request)) | {"rates": rates}
    return _render(request, "forest/dashboard.html", ctx | {"no_standard": None})


# ------------------------------------------------------------------ summary reports (year over year)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/reports")
def summary_report(request: Request, db: DB, actor: CurrentActor,
                   year: Annotated[int, Query(ge=1990, le=2100)] = DEFAULT_YEAR, district: str = "",
                   format: str = "html") -> object:  # noqa: A002 - the query parameter's name
    """City or district summary by grade, tier and district beside the year before, and the trend."""
    actor.require("forest.export", district or None)
    district = district if district in FOREST_DISTRICTS else (actor.district_filter() or "")
    ctx: dict = {"year": year, "district_code": district, "districts": _districts(actor), "locked": actor.is_district}
    try:
        s = summary(db, actor, year, district or None)
    except NoStandard as err:
        return _render(request, "forest/reports.html", ctx | {"no_standard": err})
    if format == "xlsx":
        name = quote(f"{year}生态公益林补偿汇总{district_name(district) if district else '全市'}")
        return Response(summary_xlsx(s), media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})
    lang = lang_of(request)
    this, prev = s["this"], s["previous"]
    names = [district_name(d, lang) for d in this.by_district]
    series = [(str(year), [float(fmt_wan(v["total"])) for v in this.by_district.values()], "#2e7d32")]
    if prev:
        series.insert(0, (str(year - 1), [float(fmt_wan(prev.by_district.get(d, {}).get("total", 0)))
                                          for d in this.by_district], "#90a4ae"))
    years = list(s["by_year"])
    charts = {
        "district": bar_chart(translate(lang, "rep.chart_district"), names, series, stacked=False),
        "trend": bar_chart(translate(lang, "rep.chart_trend"), [str(y) for y in years], [
            (translate(lang, "dash.compensation"), [float(fmt_wan(t.compensation_fen)) for t in s["by_year"].values()], "#2e7d32"),
            (translate(lang, "dash.management"), [float(fmt_wan(t.management_fen)) for t in s["by_year"].values()], "#1e88e5"),
        ]),
    }
    return _render(request, "forest/reports.html", ctx | {"no_standard": None, "s": s, "this": this, "prev": prev,
                                                          "charts": charts})


# ------------------------------------------------------------------ parcels

class ParcelFilters(BaseModel):
    q: str = ""
    district: str = ""
    grade: str = ""
    tier: str = ""
    tenure: str = ""
    former_zone: str = ""
    page: int = 1


def _parcel_conditions(f: ParcelFilters, district: str | None) -> tuple[list, bool]:
    """WHERE conditions of the parcel list, and whether they need the payee table."""
    conds: list = []
    if district:
        conds.append(Parcel.district_code == district)
    for column, value, choice in ((Parcel.grade, f.grade, Grade), (Parcel.tier, f.tier, Tier),
                                  (Parcel.tenure, f.tenure, Tenure)):
        member = choice.parse(value) if value else None
        if member is not None:
            conds.append(column == member.value)
    if f.former_zone in ("1", "0"):
        conds.append(Parcel.former_zone.is_(f.former_zone == "1"))
    q = f.q.strip()
    if q:
        pattern = like_pattern(q)
        conds.append(or_(Parcel.code.ilike(pattern, escape="\\"), Parcel.village.ilike(pattern, escape="\\"),
                         Parcel.town.ilike(pattern, escape="\\"), Payee.name.ilike(pattern, escape="\\")))
    return conds, bool(q)


@router.get("/parcels")
def parcels(request: Request, db: DB, actor: CurrentActor, f: Annotated[ParcelFilters, Query()]) -> object:
    actor.require("forest.view", f.district or None)
    return _parcels_page(request, db, actor, f)


@router.post("/parcels/{code}/redesignate")
def parcel_redesignate(request: Request, db: DB, actor: CurrentActor, code: str, level: Annotated[str, Form()],
                       consent_ref: Annotated[str, Form()], reason: Annotated[str, Form()] = "") -> object:
    """Re-designate a former management-zone parcel with the owner's consent (forest §4(3))."""
    actor.require("forest.registry.edit", actor.district_filter())
    try:
        redesignate(db, actor, code, level, consent_ref, reason)
    except GzgovError as err:
        db.rollback()
        return _parcels_page(request, db, actor, ParcelFilters(q=code), err.status_code, err)
    flash(request, "flash.parcel_redesignated", code=code)
    return RedirectResponse(f"/forest/parcels?q={quote(code)}", status_code=303)


def _parcels_page(request: Request, db: Session, actor, f: ParcelFilters, status_code: int = 200,
                  error: GzgovError | None = None) -> object:
    district = f.district or actor.district_filter()
    conds, with_payee = _parcel_conditions(f, district)
    summary = select(func.count(), func.coalesce(func.sum(Parcel.area_e4), 0)).select_from(Parcel)
    if with_payee:
        summary = summary.join(Payee, Payee.id == Parcel.payee_id)
    count, area_e4 = db.execute(summary.where(*conds)).one()
    pager = Pager.of(count, f.page)
    rows = db.execute(select(Parcel, Payee.name, Payee.id_masked).join(Payee, Payee.id == Parcel.payee_id)
                      .where(*conds).order_by(Parcel.code).offset(pager.offset).limit(pager.per_page)).all()
    ctx = {"f": f, "rows": rows, "pager": pager, "area_e4": int(area_e4), "districts": _districts(actor),
           "locked": actor.is_district, "error": error, "levels": LEVELS,
           "can_redesignate": actor.can("forest.registry.edit", actor.district_filter())}
    return _render(request, "forest/parcels.html", ctx, status_code, fragment="forest/_parcels_table.html")


# ------------------------------------------------------------------ payees

class PayeeFilters(BaseModel):
    q: str = ""
    district: str = ""
    kind: str = ""
    account: str = ""  # "", "missing", "present"
    page: int = 1


def _payee_conditions(f: PayeeFilters, district: str | None) -> list:
    conds: list = []
    if district:
        conds.append(Payee.district_code == district)
    kind = PayeeKind.parse(f.kind) if f.kind else None
    if kind is not None:
        conds.append(Payee.kind == kind.value)
    if f.account == "missing":
        conds.append(Payee.account_index == "")
    elif f.account == "present":
        conds.append(Payee.account_index != "")
    if f.q.strip():
        conds.append(Payee.name.ilike(like_pattern(f.q.strip()), escape="\\"))
    return conds


@router.get("/payees")
def payees(request: Request, db: DB, actor: CurrentActor, f: Annotated[PayeeFilters, Query()]) -> object:
    actor.require("forest.view", f.district or None)
    conds = _payee_conditions(f, f.district or actor.district_filter())
    count = db.scalar(select(func.count()).select_from(Payee).where(*conds)) or 0
    missing = db.scalar(select(func.count()).select_from(Payee).where(*conds, Payee.account_index == "")) or 0
    pager = Pager.of(count, f.page)
    rows = db.scalars(select(Payee).where(*conds).order_by(Payee.district_code, Payee.name, Payee.id)
                      .offset(pager.offset).limit(pager.per_page)).all()
    holdings = {pid: (n, a) for pid, n, a in db.execute(
        select(Parcel.payee_id, func.count(), func.sum(Parcel.area_e4))
        .where(Parcel.payee_id.in_([p.id for p in rows])).group_by(Parcel.payee_id))} if rows else {}
    ctx = {"f": f, "rows": rows, "holdings": holdings, "pager": pager, "missing": missing,
           "districts": _districts(actor), "locked": actor.is_district}
    return _render(request, "forest/payees.html", ctx, fragment="forest/_payees_table.html")


# ------------------------------------------------------------------ standards

class StandardForm(BaseModel):
    year: int
    comp_I: str = ""  # noqa: N815 - the grade's own numeral
    comp_II: str = ""  # noqa: N815
    comp_III: str = ""  # noqa: N815
    mgmt_state_forest_farm: str = ""
    mgmt_central_south: str = ""
    mgmt_northern_mountain: str = ""
    basis: str = ""
    note: str = ""


def _standards_page(request: Request, db: Session, actor, status_code: int = 200, **extra) -> object:
    sets = db.scalars(select(StandardSet).order_by(StandardSet.year.desc())).all()
    ctx = {"sets": sets, "can_propose": actor.can("forest.standards.propose"),
           "can_approve": actor.can("forest.standards.approve"), "form": None, "error": None} | extra
    return _render(request, "forest/standards.html", ctx, status_code)


@router.get("/standards")
def standards(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("forest.view")
    return _standards_page(request, db, actor)


@router.post("/standards/propose")
def standards_propose(request: Request, db: DB, actor: CurrentActor, form: Annotated[StandardForm, Form()]) -> object:
    actor.require("forest.standards.propose")
    comp = {"I": form.comp_I, "II": form.comp_II, "III": form.comp_III}
    mgmt = {"state_forest_farm": form.mgmt_state_forest_farm, "central_south": form.mgmt_central_south,
            "northern_mountain": form.mgmt_northern_mountain}
    try:
        propose_standard(db, actor, form.year, comp, mgmt if any(v.strip() for v in mgmt.values()) else None,
                         form.basis, form.note)
    except GzgovError as err:
        db.rollback()
        return _standards_page(request, db, actor, err.status_code, error=err, form=form)
    flash(request, "flash.standard_proposed", year=form.year)
    return RedirectResponse("/forest/standards", status_code=303)


@router.post("/standards/{year}/approve")
def standards_approve(request: Request, db: DB, actor: CurrentActor, year: int,
                      reason: Annotated[str, Form()] = "") -> object:
    actor.require("forest.standards.approve")
    try:
        approve_standard(db, actor, year, reason)
    except GzgovError as err:
        db.rollback()
        return _standards_page(request, db, actor, err.status_code, error=err)
    flash(request, "flash.standard_approved", year=year)
    return RedirectResponse("/forest/standards", status_code=303)


# ------------------------------------------------------------------ funding split

def _funding_page(request: Request, db: Session, actor, status_code: int = 200, year: int = DEFAULT_YEAR,
                  **extra) -> object:
    rows = [f for code, f in sorted(all_funding(db).items()) if actor.can("forest.view", code)]
    try:
        by_district = compute_totals(db, actor, year).by_district
    except NoStandard:
        by_district = None
    due = {}
    for f in rows:  # each district's loss compensation of the year split by budget source (forest §8(2))
        comp = (by_district or {}).get(f.district_code, {}).get("compensation", 0)
        due[f.district_code] = split_line(comp, min(f.base_2012_fen, comp), comp, f.city_share_bp)
    ctx = {"rows": rows, "can_edit": actor.can("forest.funding.edit"), "error": None, "edited": None,
           "year": year, "due": due if by_district is not None else None} | extra
    return _render(request, "forest/funding.html", ctx, status_code)


@router.get("/funding")
def funding(request: Request, db: DB, actor: CurrentActor,
            year: Annotated[int, Query(ge=1990, le=2100)] = DEFAULT_YEAR) -> object:
    actor.require("forest.view")
    return _funding_page(request, db, actor, year=year)


@router.post("/funding/{district_code}")
def funding_edit(request: Request, db: DB, actor: CurrentActor, district_code: str,
                 base_2012: Annotated[str, Form()], city_share: Annotated[str, Form()],
                 note: Annotated[str, Form()] = "") -> object:
    actor.require("forest.funding.edit", district_code)
    try:
        set_funding(db, actor, district_code, base_2012.strip(), city_share.strip(), note)
    except GzgovError as err:
        db.rollback()
        return _funding_page(request, db, actor, err.status_code, error=err, edited=district_code)
    flash(request, "flash.funding_saved", district=district_name(district_code, lang_of(request))
          if district_code in BY_CODE else district_code)
    return RedirectResponse("/forest/funding", status_code=303)


# ------------------------------------------------------------------ registry import

def _import_page(request: Request, status_code: int = 200, **extra) -> object:
    ctx = {"columns": COLUMNS, "result": None, "report": None, "error": None} | extra
    return _render(request, "forest/import.html", ctx, status_code)


@router.get("/import")
def import_form(request: Request, actor: CurrentActor) -> object:
    actor.require("forest.registry.edit")
    return _import_page(request)


@router.post("/import")
def import_upload(request: Request, db: DB, actor: CurrentActor,
                  file: Annotated[UploadFile | None, File()] = None) -> object:
    actor.require("forest.registry.edit")
    if file is None or not file.filename:
        err = GzgovError("no_file", translate("zh", "imp.no_file"), translate("en", "imp.no_file"))
        return _import_page(request, 400, error=err)
    data = file.file.read()
    try:
        result = import_registry(db, actor, data, file.filename)
    except ImportRejected as err:
        db.rollback()
        return _import_page(request, err.status_code, report=err.report, error=err)
    except GzgovError as err:
        db.rollback()
        return _import_page(request, err.status_code, error=err)
    return _import_page(request, result=result)


# ------------------------------------------------------------------ JSON API (same shapes as the CLI's --json)

@api_router.get("/standards/{year}")
def api_standards(year: int, db: DB, actor: CurrentActor) -> dict:
    actor.require("forest.view")
    return standards_json(db, year)


@api_router.get("/compute/{year}")
def api_compute(year: int, db: DB, actor: CurrentActor, district: str | None = None) -> dict:
    actor.require("forest.view", district)
    return totals_json(compute_totals(db, actor, year, district))
