"""Pages of off-site supervision: the supervisor's dashboard and institution list, an institution's profile,
the case workspace (handle, feedback with evidence, verify, close) and the blacklist."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gzgov.core.db import now
from gzgov.core.errors import GzgovError
from gzgov.core.geo import BY_CODE, district_name
from gzgov.core.paging import Pager, like_pattern
from gzgov.finreg import cases as cs
from gzgov.finreg import complaints as cp
from gzgov.finreg import rating as rt
from gzgov.finreg import registry as reg
from gzgov.finreg.models import BlacklistEntry, Case, CaseStep, Evidence, Institution, Party, RiskWarning
from gzgov.web.charts import bar_chart, line_chart, pie_chart
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash, render, render_page

router = APIRouter(prefix="/finreg")


def _ctx(request: Request, **extra) -> dict:
    i = 1 if lang_of(request) == "en" else 0
    return {"kind_label": lambda k: reg.KINDS[k][i], "status_label": lambda s: reg.STATUSES[s][i],
            "subkind_label": lambda s: reg.SUBKIND_LABELS[s][i],
            "role_name": lambda r: reg.PARTY_ROLES[r][i], "level_label": lambda lv: cs.LEVELS[lv][i],
            "action_label": lambda a: cs.ACTIONS[a][i] if a else "", "stage_label": lambda s: cs.STAGE_LABELS[s][i], "KINDS": reg.KINDS, "ACTIONS": cs.ACTIONS,
            "STATUSES": reg.STATUSES, "measure": fmt_measure} | extra


@lru_cache(maxsize=1)
def _units() -> dict[str, str]:
    from gzgov.finreg.rules import load_rules

    return {r.id: r.limit.unit for r in load_rules()}


def fmt_measure(rule_id: str, text: str) -> str:
    """A warning's value or limit in its unit: yuan for fen, a percentage for ratios, "×" for multiples."""
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError):
        return text
    unit = _units().get(rule_id, "")
    if unit == "fen":
        return f"¥{d / 100:,.2f}"
    if unit == "ratio":
        return f"{(d * 100).quantize(Decimal('0.01'))}%"
    if unit == "multiple":
        return f"{d.normalize()}×"
    return str(d.normalize()) if d == d.to_integral() else str(d)


def _scope(actor, q):
    """Limit an institution query to what the reader may see."""
    if actor.institution_code:
        return q.where(Institution.code == actor.institution_code)
    if actor.district_filter():
        return q.where(Institution.district_code == actor.district_filter())
    return q


def _trends(db: Session, actor, lang: str) -> dict:
    """The dashboard's trend charts: warnings raised per period by level, and the latest rated period's
    classes (the rating page has the detail)."""
    from gzgov.finreg.models import InstitutionRating

    per = db.execute(_scope(actor, select(RiskWarning.period, RiskWarning.level, func.count())
                            .join(Institution, Institution.id == RiskWarning.institution_id)
                            .group_by(RiskWarning.period, RiskWarning.level))).all()
    periods = sorted({p for p, _lv, _n in per})[-12:]
    trend = bar_chart(translate(lang, "fr.chart_warning_trend"), periods, [
        (cs.LEVELS[lv][1 if lang == "en" else 0], [sum(n for p2, l2, n in per if p2 == p and l2 == lv) for p in periods], c)
        for lv, c in (("red", "#c62828"), ("orange", "#ef6c00"), ("yellow", "#f9a825"))])
    latest = db.scalar(select(func.max(InstitutionRating.period)))
    classes = dict(db.execute(_scope(actor, select(InstitutionRating.klass, func.count())
                                     .join(Institution, Institution.id == InstitutionRating.institution_id)
                                     .where(InstitutionRating.period == latest)
                                     .group_by(InstitutionRating.klass))).all()) if latest else {}
    pie = pie_chart(translate(lang, "fr.rating_classes") + (f" {latest}" if latest else ""),
                    [(k, classes.get(k, 0), c) for k, c in
                     (("A", "#2e7d32"), ("B", "#1e88e5"), ("C", "#ef6c00"), ("D", "#c62828"))])
    return {"trend": trend if periods else None, "class_pie": pie if classes else None, "rated_period": latest}


@router.get("/")
def dashboard(request: Request, db: DB, actor: CurrentActor, kind: str = "", district: str = "", q: str = "",
              page: Annotated[int, Query(ge=1)] = 1) -> object:
    actor.require("finreg.view", district or None)
    base = _scope(actor, select(Institution))
    if kind in reg.KINDS:
        base = base.where(Institution.kind == kind)
    if district in BY_CODE:
        base = base.where(Institution.district_code == district)
    if q.strip():
        pattern = like_pattern(q.strip())
        base = base.where(or_(Institution.name.ilike(pattern, escape="\\"), Institution.code.ilike(pattern, escape="\\")))
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    pager = Pager.of(total, page)
    rows = db.scalars(base.order_by(Institution.code).offset(pager.offset).limit(pager.per_page)).all()
    scoped = _scope(actor, select(Institution.kind, Institution.district_code, func.count()).group_by(
        Institution.kind, Institution.district_code))
    by = db.execute(scoped).all()
    lang = lang_of(request)
    districts = sorted({d for _k, d, _n in by})
    chart = bar_chart(translate(lang, "fr.chart_by_district"), [district_name(d, lang) for d in districts], [
        (reg.KINDS[k][1 if lang == "en" else 0], [sum(n for k2, d2, n in by if k2 == k and d2 == d) for d in districts], c)
        for k, c in zip(reg.KINDS, ("#1e88e5", "#43a047", "#8e24aa", "#f9a825", "#e53935", "#6d4c41"), strict=True)])
    wq = _scope(actor, select(RiskWarning.level, func.count()).join(Institution, Institution.id == RiskWarning.institution_id)
                .where(RiskWarning.status != "closed").group_by(RiskWarning.level))
    warnings = dict(db.execute(wq).all())
    overdue = db.scalar(_scope(actor, select(func.count()).select_from(Case).join(
        Institution, Institution.id == Case.institution_id).where(Case.stage == "handle", Case.deadline < now().date())))
    ctx = _ctx(request, rows=rows, pager=pager, f={"kind": kind, "district": district, "q": q},
               districts=sorted(BY_CODE), locked=actor.is_district, chart=chart, warnings=warnings,
               overdue=overdue or 0, counts={k: sum(n for k2, _d, n in by if k2 == k) for k in reg.KINDS},
               **_trends(db, actor, lang))
    return render_page(request, "finreg/dashboard.html", "finreg/_institutions.html", ctx)


@router.get("/my")
def my_institution(actor: CurrentActor) -> RedirectResponse:
    """An institution's staff start on their own institution's page."""
    actor.require("finreg.cases.feedback")
    return RedirectResponse(f"/finreg/institutions/{actor.institution_code}", status_code=303)


@router.get("/institutions/{code}")
def institution(request: Request, db: DB, actor: CurrentActor, code: str) -> object:
    if not actor.institution_code:  # an institution's own staff see only their own (get_institution checks)
        actor.require("finreg.view")
    inst = reg.get_institution(db, actor, code)
    parties = db.scalars(select(Party).where(Party.institution_id == inst.id).order_by(Party.role, Party.id)).all()
    warnings = db.scalars(select(RiskWarning).where(RiskWarning.institution_id == inst.id)
                          .order_by(RiskWarning.period.desc(), RiskWarning.id)).all()
    case_of = {c.warning_id: c for c in db.scalars(select(Case).where(Case.institution_id == inst.id))}
    ratings = rt.history(db, inst)
    lang = lang_of(request)
    trend = line_chart(translate(lang, "fr.rating_history"), [r.period for r in ratings],
                       [(translate(lang, "fr.score"), [r.score for r in ratings], "#1e88e5", False)])
    complaints = cp.of_institution(db, inst) if not actor.institution_code else []
    return render(request, "finreg/institution.html", _ctx(
        request, inst=inst, parties=parties, warnings=warnings, case_of=case_of, ratings=ratings[::-1],
        trend=trend, parts_of=lambda r: json.loads(r.parts), complaints=complaints, today=now().date(),
        channels=cp.CHANNELS, categories=cp.CATEGORIES, findings=cp.FINDINGS,
        can_complain=actor.can("finreg.complaints.record", inst.district_code),
        can_open=actor.can("finreg.cases.manage", inst.district_code)))


@router.post("/warnings/{warning_id}/case")
def open_case(request: Request, db: DB, actor: CurrentActor, warning_id: int) -> object:
    actor.require("finreg.cases.manage")
    case = cs.open_case(db, actor, warning_id)
    flash(request, "flash.fr_case_opened", id=case.id)
    return RedirectResponse(f"/finreg/cases/{case.id}", status_code=303)


def _case_page(request: Request, db: Session, actor, case_id: int, status_code: int = 200, error=None) -> object:
    case, inst = cs._case(db, actor, case_id)
    w = db.get(RiskWarning, case.warning_id)
    steps = db.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)).all()
    evidence = db.scalars(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)).all()
    manage = actor.can("finreg.cases.manage", inst.district_code)
    reporter = manage if inst.kind == "enterprise" else actor.can("finreg.cases.feedback")
    return render(request, "finreg/case.html", _ctx(
        request, case=case, inst=inst, w=w, steps=steps, evidence=evidence, error=error, today=now().date(),
        can_handle=manage and case.stage in ("warn", "handle", "verify"),
        can_verify=manage and case.stage == "feedback", can_close=manage and case.stage == "verify",
        can_feedback=reporter and case.stage == "handle", findings=cs.FINDINGS,
        can_blacklist=actor.can("finreg.blacklist.edit")), status_code)


@router.get("/cases/{case_id}")
def case_page(request: Request, db: DB, actor: CurrentActor, case_id: int) -> object:
    if actor.institution_code:
        actor.require("finreg.cases.feedback")
    else:
        actor.require("finreg.view")
    return _case_page(request, db, actor, case_id)


def _case_action(request: Request, db: Session, actor, case_id: int, run, key: str) -> object:
    try:
        run()
    except GzgovError as err:
        db.rollback()
        return _case_page(request, db, actor, case_id, err.status_code, err)
    flash(request, key, id=case_id)
    return RedirectResponse(f"/finreg/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/handle")
def case_handle(request: Request, db: DB, actor: CurrentActor, case_id: int, version: Annotated[int, Form()],
                action: Annotated[str, Form()], note: Annotated[str, Form()] = "",
                working_days: Annotated[str, Form()] = "") -> object:
    actor.require("finreg.cases.manage")
    days = int(working_days) if working_days.strip().isdigit() else None
    return _case_action(request, db, actor, case_id,
                        lambda: cs.handle(db, actor, case_id, action, note, days, expected_version=version),
                        "flash.fr_case_handled")


@router.post("/cases/{case_id}/feedback")
def case_feedback(request: Request, db: DB, actor: CurrentActor, case_id: int, version: Annotated[int, Form()],
                  report: Annotated[str, Form()] = "",
                  files: Annotated[list[UploadFile] | None, File()] = None) -> object:
    if not (actor.can("finreg.cases.feedback") or actor.can("finreg.cases.manage")):
        actor.require("finreg.cases.feedback")  # who may report on which case is checked by the service
    data = [(f.filename, f.file.read()) for f in (files or []) if f.filename]
    return _case_action(request, db, actor, case_id,
                        lambda: cs.feedback(db, actor, case_id, report, data, expected_version=version),
                        "flash.fr_case_feedback")


@router.post("/cases/{case_id}/verify")
def case_verify(request: Request, db: DB, actor: CurrentActor, case_id: int, version: Annotated[int, Form()],
                accepted: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> object:
    actor.require("finreg.cases.manage")
    return _case_action(request, db, actor, case_id,
                        lambda: cs.verify(db, actor, case_id, accepted == "1", note, expected_version=version),
                        "flash.fr_case_verified")


@router.post("/cases/{case_id}/close")
def case_close(request: Request, db: DB, actor: CurrentActor, case_id: int, version: Annotated[int, Form()],
               note: Annotated[str, Form()] = "", finding: Annotated[str, Form()] = "") -> object:
    actor.require("finreg.cases.manage")
    return _case_action(request, db, actor, case_id,
                        lambda: cs.close(db, actor, case_id, note, expected_version=version, finding=finding),
                        "flash.fr_case_closed")


def _submissions_page(request: Request, db: Session, actor, code: str, status_code: int = 200, **extra) -> object:
    from gzgov.finreg.contracts import load_datasets
    from gzgov.finreg.intake import submissions

    inst = reg.get_institution(db, actor, code)
    datasets = [d for d in load_datasets().values() if d.grain != "institution" and d.for_kind(inst.kind)]
    ctx = _ctx(request, inst=inst, rows=submissions(db, actor, code), datasets=datasets, error=None, report=None,
               can_submit=actor.can("finreg.submit") and actor.institution_code == code) | extra
    return render(request, "finreg/submissions.html", ctx, status_code)


@router.get("/institutions/{code}/submissions")
def submissions_page(request: Request, db: DB, actor: CurrentActor, code: str) -> object:
    if actor.institution_code:
        actor.require("finreg.submit")
    else:
        actor.require("finreg.view")
    return _submissions_page(request, db, actor, code)


@router.post("/institutions/{code}/submissions")
def submissions_upload(request: Request, db: DB, actor: CurrentActor, code: str, dataset: Annotated[str, Form()],
                       period: Annotated[str, Form()], file: Annotated[UploadFile | None, File()] = None) -> object:
    from gzgov.core.tabular import ImportRejected
    from gzgov.finreg.intake import submit

    actor.require("finreg.submit")
    if actor.institution_code != code:
        return _submissions_page(request, db, actor, actor.institution_code, 403)
    data = file.file.read() if file is not None and file.filename else b""
    try:
        sub, _created = submit(db, actor, code, dataset, period.strip(), data, file.filename if data else "empty.csv")
    except ImportRejected as err:
        db.rollback()
        return _submissions_page(request, db, actor, code, err.status_code, error=err, report=err.report)
    except GzgovError as err:
        db.rollback()
        return _submissions_page(request, db, actor, code, err.status_code, error=err)
    flash(request, "flash.fr_submitted", dataset=dataset, period=sub.period, version=sub.version, rows=sub.rows)
    return RedirectResponse(f"/finreg/institutions/{code}/submissions", status_code=303)


@router.get("/price-index")
def price_index_page(request: Request, db: DB, actor: CurrentActor, period: str = "") -> object:
    """广州价格: the month's principal-weighted average rates of new small loans, by term and borrower type."""
    from gzgov.finreg import price_index as px

    actor.require("finreg.view")
    period = period or f"{now().year}-{now().month:02d}"
    lang = lang_of(request)
    error, cells = None, []
    try:
        cells = px.compute(db, actor, period)
    except GzgovError as err:
        error = err
    buckets = {key: (zh, en) for key, _lo, _hi, zh, en in px.BUCKETS} | {"all": ("合计", "All terms")}
    overall = [c for c in cells if c.borrower_type == "all" and c.bucket != "all"]
    chart = bar_chart(translate(lang, "fr.index_chart"), [buckets[c.bucket][1 if lang == "en" else 0] for c in overall],
                      [(translate(lang, "fr.index_rate"), [float(c.rate * 100) for c in overall], "#1e88e5")],
                      stacked=False)
    return render(request, "finreg/price_index.html", _ctx(request, period=period, cells=cells, error=error,
                                                            buckets=buckets, chart=chart, basis=px.BASIS))


def _blacklist_page(request: Request, db: Session, actor, status_code: int = 200, error=None) -> object:
    rows = db.scalars(select(BlacklistEntry).order_by(BlacklistEntry.id.desc())).all()
    return render(request, "finreg/blacklist.html", _ctx(request, rows=rows, error=error, today=now().date(),
                                                          can_edit=actor.can("finreg.blacklist.edit")), status_code)


@router.get("/blacklist")
def blacklist(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("finreg.view")
    return _blacklist_page(request, db, actor)


@router.post("/blacklist")
def blacklist_add(request: Request, db: DB, actor: CurrentActor, kind: Annotated[str, Form()],
                  name: Annotated[str, Form()], number: Annotated[str, Form()], basis: Annotated[str, Form()],
                  valid_from: Annotated[str, Form()], valid_to: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "") -> object:
    actor.require("finreg.blacklist.edit")
    try:
        start = date.fromisoformat(valid_from)
        end = date.fromisoformat(valid_to) if valid_to.strip() else None
        reg.add_to_blacklist(db, actor, kind, name, number, basis, start, end, reason)
    except ValueError:
        db.rollback()
        err = GzgovError("bad_date", "日期格式应为 YYYY-MM-DD", "Dates must be YYYY-MM-DD")
        return _blacklist_page(request, db, actor, 400, err)
    except GzgovError as err:
        db.rollback()
        return _blacklist_page(request, db, actor, err.status_code, err)
    flash(request, "flash.fr_blacklisted")
    return RedirectResponse("/finreg/blacklist", status_code=303)
