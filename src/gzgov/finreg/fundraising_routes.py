"""Pages of illegal-fundraising monitoring: the ranked watchlist with filters (district, industry, score), a
company's profile (facts, score breakdown by dimension with every point's evidence, signals, links, complaint
trend, network graph, warnings and cases), scoring the population, and the enterprise data import."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import BY_CODE, district_name
from gzgov.core.paging import Pager
from gzgov.core.tabular import ImportRejected
from gzgov.finreg import cases as cs
from gzgov.finreg import enterprises as ent
from gzgov.finreg import fundraising_service as fs
from gzgov.finreg.models import (
    Case,
    Enterprise,
    EnterpriseLink,
    EnterprisePerson,
    FundraisingScore,
    RiskWarning,
    Signal,
)
from gzgov.finreg.routes import _ctx
from gzgov.web.charts import graph_chart, line_chart
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash, render, render_page

router = APIRouter(prefix="/finreg/fundraising")
LINK_LABELS = {"shareholder": ("股东", "shareholder"), "officer": ("高管", "officer"),
               "legal_rep": ("法定代表人", "legal representative"), "controller": ("实际控制人", "actual controller"),
               "branch": ("分支机构", "branch"), "shared_address": ("同一住所", "same address"),
               "shared_phone": ("同一电话", "same phone")}
NODE_LABELS = {"company": ("企业", "company"), "person": ("自然人", "person"), "address": ("住所", "address"),
               "phone": ("电话", "phone")}


def _l(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _labels(lang: str) -> dict:
    """Names of the index's dimensions and features and the level of a score, from the scoring model's data."""
    from gzgov.finreg.fundraising import scoring

    model = scoring.load_model()

    def feature(fid: str) -> str:
        if not model.has(fid):
            return fid  # a feature of an older model version, kept in an earlier run
        f = model.feature(fid)
        return f.name_en if lang == "en" else f.name_zh

    def dimension(did: str) -> str:
        try:
            d = model.dimension(did)
        except KeyError:
            return did
        return d.name_en if lang == "en" else d.name_zh

    return {"dim_label": dimension, "feature_label": feature, "score_level": lambda s: model.level_for(s) or "none"}


@router.get("")
def watchlist(request: Request, db: DB, actor: CurrentActor, district: str = "", industry: str = "", q: str = "",
              min_score: Annotated[int, Query(ge=0, le=100)] = 0, page: Annotated[int, Query(ge=1)] = 1) -> object:
    actor.require("finreg.view", district or None)
    run = fs.latest_run(db)
    rows, pager = [], Pager.of(0, 1)
    if run is not None:
        stmt = fs.watchlist(db, actor, run, district if district in BY_CODE or district == ent.CITY else "",
                            industry, q, min_score)
        pager = Pager.of(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0, page)
        rows = db.execute(stmt.offset(pager.offset).limit(pager.per_page)).all()
    lang = lang_of(request)
    trend = fs.complaint_trend(db)
    chart = line_chart(translate(lang, "fz.complaint_trend"), [k for k, _n in trend],
                       [(translate(lang, "fz.complaints"), [n for _k, n in trend], "#c62828", False)])
    ctx = _ctx(request, run=run, rows=rows, pager=pager, f={"district": district, "industry": industry, "q": q,
                                                            "min_score": min_score},
               districts=[*sorted(BY_CODE), ent.CITY], industries=fs.industries(db), locked=actor.is_district,
               chart=chart, counts=fs.company_counts(db), dims=lambda r: json.loads(r.dimensions),
               can_score=actor.can("finreg.fundraising.score"), can_import=actor.can("finreg.enterprises.import"),
               district_label=lambda d: district_name(d, lang), **_labels(lang))
    return render_page(request, "finreg/fundraising.html", "finreg/_fundraising_rows.html", ctx)


@router.post("/score")
def score(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("finreg.fundraising.score")
    try:
        r = fs.score_and_record(db, actor)
    except GzgovError as err:
        db.rollback()
        flash(request, "flash.fr_error", zh=err.zh, en=err.en)
        return RedirectResponse("/finreg/fundraising", status_code=303)
    flash(request, "flash.fz_scored", companies=r.companies, scored=r.scored, warnings=r.warnings_new)
    return RedirectResponse("/finreg/fundraising", status_code=303)


def _import_page(request: Request, status_code: int = 200, **extra) -> object:
    return render(request, "finreg/fundraising_import.html", _ctx(request, **({"report": None, "error": None} | extra)),
                  status_code)


@router.get("/import")
def import_page(request: Request, actor: CurrentActor) -> object:
    actor.require("finreg.enterprises.import")
    return _import_page(request)


@router.post("/import")
def import_upload(request: Request, db: DB, actor: CurrentActor,
                  files: Annotated[list[UploadFile] | None, File()] = None) -> object:
    actor.require("finreg.enterprises.import")
    data = [(f.filename, f.file.read()) for f in (files or []) if f.filename]
    try:
        if not data:
            raise GzgovError("no_file", "请选择要导入的文件", "Choose the files to import")
        r = ent.import_files(db, actor, data)
    except ImportRejected as err:
        db.rollback()
        return _import_page(request, err.status_code, error=err, report=err.report)
    except GzgovError as err:
        db.rollback()
        return _import_page(request, err.status_code, error=err)
    flash(request, "flash.fz_imported", new=r.enterprises_new, updated=r.enterprises_updated, links=r.links_new,
          signals=r.signals_new)
    return RedirectResponse("/finreg/fundraising", status_code=303)


@router.get("/companies/{credit_code}")
def company(request: Request, db: DB, actor: CurrentActor, credit_code: str,
            hops: Annotated[int, Query(ge=1, le=3)] = 2) -> object:
    e = db.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))
    if e is None:
        raise NotFound("企业", "Enterprise", credit_code)
    actor.require("finreg.view", e.district_code)  # a district sees its own companies; the city's are the city's
    lang = lang_of(request)
    run = fs.latest_run(db)
    sc = db.scalar(select(FundraisingScore).where(FundraisingScore.run_id == run.id, FundraisingScore.company_id == e.id)
                   ) if run else None
    signals = db.scalars(select(Signal).where(Signal.company_id == e.id).order_by(Signal.on.desc(), Signal.id)).all()
    links = db.execute(select(EnterpriseLink, EnterprisePerson, Enterprise)
                       .outerjoin(EnterprisePerson, EnterprisePerson.id == EnterpriseLink.person_id)
                       .outerjoin(Enterprise, Enterprise.id == EnterpriseLink.other_company_id)
                       .where(EnterpriseLink.company_id == e.id).order_by(EnterpriseLink.kind, EnterpriseLink.id)).all()
    holdings = db.execute(select(EnterpriseLink, Enterprise).join(Enterprise, Enterprise.id == EnterpriseLink.company_id)
                          .where(EnterpriseLink.other_company_id == e.id)).all()
    trend = fs.complaint_trend(db, e.id)
    trend_chart = line_chart(translate(lang, "fz.complaint_trend"), [k for k, _n in trend],
                             [(translate(lang, "fz.complaints"), [n for _k, n in trend], "#c62828", False)])
    net = fs.neighbourhood(db, e.credit_code, hops)
    graph = graph_chart(translate(lang, "fz.network"), net["nodes"], net["edges"],
                        {k: _l(v, lang) for k, v in NODE_LABELS.items()}, {k: _l(v, lang) for k, v in LINK_LABELS.items()})
    warnings = db.scalars(select(RiskWarning).where(RiskWarning.enterprise_id == e.id)
                          .order_by(RiskWarning.period.desc())).all()
    case_of = {c.warning_id: c for c in db.scalars(select(Case).where(Case.enterprise_id == e.id))}
    return render(request, "finreg/fundraising_company.html", _ctx(
        request, e=e, run=run, sc=sc, reasons=json.loads(sc.reasons) if sc else [],
        dimensions=json.loads(sc.dimensions) if sc else {}, signals=signals, links=links, holdings=holdings,
        trend_chart=trend_chart, graph=graph, net=net, hops=hops, warnings=warnings, case_of=case_of,
        link_label=lambda k: _l(LINK_LABELS.get(k, (k, k)), lang), signal_label=lambda k: _l(ent.SIGNAL_KINDS[k], lang),
        district_label=district_name(e.district_code, lang), findings=cs.FINDINGS,
        can_open=actor.can("finreg.cases.manage", e.district_code), **_labels(lang),
        blacklisted=[n for n in net["nodes"] if n.get("blacklisted")]))
