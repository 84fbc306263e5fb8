"""Pages of the yearly cycle (§5, §7): the city's overview, each district's year on one page, its
lines and villages, objections, approvals, review, budget, bank files and results, reconciliation,
the public publicity lists and rosters, and the exceptions for audit.

Every form carries the version of the cycle the official saw; a stale form is refused (409).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.calendar_store import calendar
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.geo import district_name
from gzgov.core.tabular import ImportRejected, file_digest
from gzgov.forest import cycle as cyc
from gzgov.forest import objections as obj
from gzgov.forest import payments as pay
from gzgov.forest import reports
from gzgov.forest.choices import FOREST_DISTRICTS, DistrictState
from gzgov.forest.cycle_views import (
    LineFilters,
    district_page,
    is_posted,
    line_list,
    objection_lines,
    public_lists,
    village_list,
)
from gzgov.forest.models import PaymentBatch
from gzgov.forest.routes import DEFAULT_YEAR, XLSX, _render
from gzgov.forest.views import cycle_overview
from gzgov.web.deps import DB, CurrentActor
from gzgov.web.i18n import lang_of, translate
from gzgov.web.templating import flash

router = APIRouter(prefix="/forest")

# Message ids of the states and columns the cycle pages label (shown as `t(msg.<group>[value])`).
MSG = {
    "objection": {"open": "obj.open", "investigating": "obj.investigating", "resolved": "obj.resolved"},
    "batch": {"issued": "batch.issued", "reconciled": "batch.reconciled"},
    "source": {"base_2012": "source.base_2012", "city_increment": "source.city_increment",
               "district_increment": "source.district_increment", "total": "source.total"},
    "skip": {"publicity_not_ended": "cyc.skip_publicity_not_ended", "no_account": "cyc.skip_no_account",
             "difference_without_reason": "cyc.skip_difference_without_reason"},
    "exc_col": {"payee": "exc.col_payee", "id_masked": "exc.col_id_masked", "villages": "exc.col_villages",
                "reason": "exc.col_reason", "district": "exc.col_district", "parcel": "exc.col_parcel",
                "village": "exc.col_village", "changed_at": "exc.col_changed_at", "posted_at": "exc.col_posted_at",
                "grade": "exc.col_grade", "verified_mu": "exc.col_verified_mu", "registry_mu": "exc.col_registry_mu"},
}

Version = Annotated[int, Form()]
Reason = Annotated[str, Form()]


def _district_code(code: str) -> str:
    if code not in FOREST_DISTRICTS:
        raise NotFound("生态公益林区", "Eco-forest district", code)
    return code


def _back(year: int, district: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/forest/cycle/{year}/{district}{anchor}", status_code=303)


# ------------------------------------------------------------------ overview (city)

def _overview(request: Request, db: Session, actor, year: int, status_code: int = 200, **extra) -> object:
    ctx: dict = {"year": year, "overview": None, "no_cycle": None, "error": None,
                 "can_open": actor.can("forest.cycle.open"), "can_budget": actor.can("forest.budget"),
                 "can_close": actor.can("forest.cycle.close"), "can_review": actor.can("forest.city.review")} | extra
    try:
        ctx["overview"] = cycle_overview(db, actor, year)
    except GzgovError as err:
        ctx["no_cycle"] = err
    if ctx["overview"]:
        ctx["rec"] = pay.reconciliation(db, actor, year)
    return _render(request, "forest/cycle.html", ctx, status_code)


@router.get("/cycle")
def cycle_page(request: Request, db: DB, actor: CurrentActor,
               year: Annotated[int, Query(ge=1990, le=2100)] = DEFAULT_YEAR) -> object:
    actor.require("forest.view")
    if actor.is_district:
        return RedirectResponse(f"/forest/cycle/{year}/{actor.district_code}", status_code=303)
    return _overview(request, db, actor, year)


def _city_action(request: Request, db: Session, actor, year: int, run, flash_key: str) -> object:
    try:
        run()
    except GzgovError as err:
        db.rollback()
        return _overview(request, db, actor, year, err.status_code, error=err)
    flash(request, flash_key, year=year)
    return RedirectResponse(f"/forest/cycle?year={year}", status_code=303)


@router.post("/cycle/open")
def cycle_open(request: Request, db: DB, actor: CurrentActor, year: Annotated[int, Form()]) -> object:
    actor.require("forest.cycle.open")
    return _city_action(request, db, actor, year, lambda: cyc.open_cycle(db, actor, year), "flash.cycle_opened")


@router.post("/cycle/{year}/budget")
def cycle_budget(request: Request, db: DB, actor: CurrentActor, year: int, version: Version, note: Reason) -> object:
    actor.require("forest.budget")
    return _city_action(request, db, actor, year, lambda: cyc.set_budget(db, actor, year, note.strip(), version),
                        "flash.budget_set")


@router.post("/cycle/{year}/close")
def cycle_close(request: Request, db: DB, actor: CurrentActor, year: int, version: Version) -> object:
    actor.require("forest.cycle.close")
    return _city_action(request, db, actor, year, lambda: pay.close_cycle(db, actor, year, version), "flash.cycle_closed")


# ------------------------------------------------------------------ a district's year

def _district(request: Request, db: Session, actor, year: int, district: str, status_code: int = 200, **extra) -> object:
    ctx = district_page(db, actor, year, district)
    ctx["objection_lines"] = objection_lines(db, [o.id for o in ctx["objections"]])
    ctx |= {"district_code": district, "error": None, "report": None, "nothing_to_pay": None, "msg": MSG} | extra
    return _render(request, "forest/cycle_district.html", ctx, status_code)


@router.get("/cycle/{year}/{district}")
def district_cycle(request: Request, db: DB, actor: CurrentActor, year: int, district: str) -> object:
    actor.require("forest.view", _district_code(district))
    return _district(request, db, actor, year, district)


def _district_action(request: Request, db: Session, actor, year: int, district: str, run, flash_key: str,
                     anchor: str = "", **fields) -> object:
    try:
        out = run()
    except ImportRejected as err:
        db.rollback()
        return _district(request, db, actor, year, district, err.status_code, error=err, report=err.report)
    except GzgovError as err:
        db.rollback()
        return _district(request, db, actor, year, district, err.status_code, error=err)
    flash(request, flash_key, **({k: v(out) if callable(v) else v for k, v in fields.items()}))
    return _back(year, district, anchor)


@router.post("/cycle/{year}/{district}/verify")
def district_verify(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version,
                    area_I: Annotated[str, Form()] = "", area_II: Annotated[str, Form()] = "",  # noqa: N803
                    area_III: Annotated[str, Form()] = "", reason: Reason = "") -> object:  # noqa: N803
    actor.require("forest.area.verify", _district_code(district))
    areas = {"I": area_I.strip(), "II": area_II.strip(), "III": area_III.strip()}
    return _district_action(request, db, actor, year, district,
                            lambda: cyc.verify_areas(db, actor, year, district, areas, version, reason),
                            "flash.areas_verified")


@router.post("/cycle/{year}/{district}/compute")
def district_compute(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version) -> object:
    actor.require("forest.compute", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: cyc.compute_district(db, actor, year, district, version),
                            "flash.lines_computed", lines=lambda n: n)


def _start_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise GzgovError("bad_date", f"日期格式应为 YYYY-MM-DD：{text}", f"The date must be YYYY-MM-DD: {text}") from exc


@router.post("/cycle/{year}/{district}/publicity")
def district_publicity(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version,
                       start: Annotated[str, Form()]) -> object:
    actor.require("forest.publicity.manage", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: cyc.post_publicity(db, actor, year, district, _start_date(start),
                                                       expected_version=version),
                            "flash.publicity_posted", villages=len, end=lambda pubs: pubs[0].end_date)


@router.get("/cycle/publicity-end")
def publicity_end(request: Request, db: DB, actor: CurrentActor, start: str = "") -> object:
    """htmx preview of the last publicity day for a start date (≥ 15 working days, official calendar)."""
    actor.require("forest.view")
    n = int(cyc.cycle_rules()["publicity"]["min_working_days"])
    try:
        end, err = calendar(db).add_working_days(_start_date(start), n), None
    except GzgovError as e:
        end, err = None, e
    return _render(request, "forest/_publicity_end.html", {"end": end, "error": err, "working_days": n})


@router.post("/cycle/{year}/{district}/approve")
def district_approve(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version,
                     reason: Reason = "") -> object:
    _district_code(district)
    actor.require("forest.approve.forestry" if actor.can("forest.approve.forestry", district)
                  else "forest.approve.finance", district)
    return _district_action(request, db, actor, year, district,
                            lambda: cyc.approve_district(db, actor, year, district, expected_version=version,
                                                         reason=reason),
                            "flash.district_approved")


@router.post("/cycle/{year}/{district}/review")
def district_review(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version,
                    reason: Reason = "") -> object:
    actor.require("forest.city.review", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: cyc.city_review(db, actor, year, district, version, reason), "flash.district_reviewed")


# ------------------------------------------------------------------ lines, villages, objections

@router.get("/cycle/{year}/{district}/lines")
def district_lines(request: Request, db: DB, actor: CurrentActor, year: int, district: str,
                   f: Annotated[LineFilters, Query()]) -> object:
    actor.require("forest.view", _district_code(district))
    ctx = line_list(db, actor, year, district, f)
    ctx |= {"year": year, "district_code": district,
            "can_object": actor.can("forest.objection.manage", district) and ctx["state"] == DistrictState.publicity,
            "can_correct": actor.can("forest.registry.edit", district)}
    return _render(request, "forest/cycle_lines.html", ctx, fragment="forest/_lines_table.html")


@router.get("/cycle/{year}/{district}/villages")
def district_villages(request: Request, db: DB, actor: CurrentActor, year: int, district: str, q: str = "",
                      page: int = 1) -> object:
    actor.require("forest.view", _district_code(district))
    ctx = village_list(db, actor, year, district, q, page) | {"year": year, "district_code": district}
    return _render(request, "forest/cycle_villages.html", ctx, fragment="forest/_villages_table.html")


@router.post("/cycle/{year}/{district}/objections")
def objection_record(request: Request, db: DB, actor: CurrentActor, year: int, district: str,
                     raised_by: Annotated[str, Form()], text: Annotated[str, Form()],
                     line_ids: Annotated[list[int], Form()] = ()) -> object:  # noqa: B008
    actor.require("forest.objection.manage", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: obj.record_objection(db, actor, year, district, list(line_ids), raised_by, text),
                            "flash.objection_recorded", "#objections", id=lambda o: o.id)


@router.post("/cycle/{year}/{district}/objections/{objection_id}/investigate")
def objection_investigate(request: Request, db: DB, actor: CurrentActor, year: int, district: str, objection_id: int,
                          note: Reason) -> object:
    actor.require("forest.objection.manage", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: obj.investigate(db, actor, objection_id, note), "flash.objection_investigating",
                            "#objections", id=objection_id)


CHANGE_KINDS = ("area", "payee", "account")


@router.post("/cycle/{year}/{district}/objections/{objection_id}/resolve")
def objection_resolve(request: Request, db: DB, actor: CurrentActor, year: int, district: str, objection_id: int,
                      resolution: Reason, kind: Annotated[list[str], Form()] = (),  # noqa: B008
                      target: Annotated[list[str], Form()] = (), value: Annotated[list[str], Form()] = (),  # noqa: B008
                      bank: Annotated[list[str], Form()] = ()) -> object:  # noqa: B008
    actor.require("forest.objection.manage", _district_code(district))
    changes = [obj.Change(k, t.strip(), v.strip(), b.strip())
               for k, t, v, b in zip(kind, target, value, list(bank) + [""] * len(kind), strict=False)
               if k in CHANGE_KINDS and t.strip()]
    return _district_action(request, db, actor, year, district,
                            lambda: obj.resolve(db, actor, objection_id, resolution, changes), "flash.objection_resolved",
                            "#objections", id=objection_id)


@router.post("/cycle/{year}/{district}/lines/{line_id}/account")
def line_account(request: Request, db: DB, actor: CurrentActor, year: int, district: str, line_id: int,
                 bank: Annotated[str, Form()], account: Annotated[str, Form()], reason: Reason) -> object:
    """Correct the account of a failed payment so that the next bank file re-issues it."""
    actor.require("forest.registry.edit", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: obj.correct_failed_account(db, actor, year, district, line_id, bank, account, reason),
                            "flash.account_corrected", "#payments", id=line_id)


# ------------------------------------------------------------------ payments

@router.post("/cycle/{year}/{district}/pay")
def district_pay(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version) -> object:
    actor.require("forest.disburse", _district_code(district))
    try:
        res = pay.create_batch(db, actor, year, district, expected_version=version)
    except GzgovError as err:
        db.rollback()
        return _district(request, db, actor, year, district, err.status_code, error=err)
    held = {k: len(v) for k, v in res.skipped.items() if v}
    if res.batch is None:
        return _district(request, db, actor, year, district, 409, nothing_to_pay=held)
    flash(request, "flash.batch_issued", number=res.batch.number, lines=res.batch.lines,
          held=sum(held.values()))
    return _back(year, district, "#payments")


def _batch(db: Session, batch_id: int) -> PaymentBatch:
    batch = db.get(PaymentBatch, batch_id)
    if batch is None:
        raise NotFound("拨付批次", "Payment batch", batch_id)
    return batch


@router.get("/batches/{batch_id}/file")
def batch_file(db: DB, actor: CurrentActor, batch_id: int) -> Response:
    """The bank payment file: the only export with full ID and account numbers; every download is audited."""
    batch = _batch(db, batch_id)
    actor.require("forest.disburse", batch.district_code)
    year = db.scalar(select(cyc.Cycle.year).where(cyc.Cycle.id == batch.cycle_id))
    path = pay.bank_dir(year) / batch.file_name
    if not path.exists():
        raise NotFound("服务器上的银行文件", "Bank file on the server", batch.file_name)
    data = path.read_bytes()
    if file_digest(data) != batch.file_sha256:
        raise GzgovError("bank_file_altered", "银行文件与生成时的摘要不符，已拒绝下载",
                         "The bank file differs from the digest recorded when it was made; download refused")
    audit.record(db, actor.username, "payment.file_download", "forest_payment_batch", batch.id,
                 after={"file": batch.file_name, "sha256": batch.file_sha256})
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={batch.file_name}"})


@router.post("/batches/{batch_id}/result")
def batch_result(request: Request, db: DB, actor: CurrentActor, batch_id: int,
                 file: Annotated[UploadFile | None, File()] = None) -> object:
    batch = _batch(db, batch_id)
    actor.require("forest.reconcile", batch.district_code)
    year = db.scalar(select(cyc.Cycle.year).where(cyc.Cycle.id == batch.cycle_id))
    if file is None or not file.filename:
        err = GzgovError("no_file", translate("zh", "imp.no_file"), translate("en", "imp.no_file"))
        return _district(request, db, actor, year, batch.district_code, 400, error=err)
    data = file.file.read()
    name = file.filename
    return _district_action(request, db, actor, year, batch.district_code,
                            lambda: pay.import_bank_result(db, actor, batch_id, data, name), "flash.bank_result",
                            "#payments", paid=lambda c: c["paid"], failed=lambda c: c["failed"],
                            returned=lambda c: c["returned"])


@router.post("/cycle/{year}/{district}/reconcile")
def district_reconcile(request: Request, db: DB, actor: CurrentActor, year: int, district: str, version: Version) -> object:
    actor.require("forest.reconcile", _district_code(district))
    return _district_action(request, db, actor, year, district,
                            lambda: pay.reconcile_district(db, actor, year, district, version), "flash.reconciled")


# ------------------------------------------------------------------ publicity (public) and rosters

@router.get("/publicity")
def publicity(request: Request, db: DB, actor: CurrentActor, year: int | None = None, district: str = "",
              q: str = "", page: int = 1) -> object:
    actor.require("forest.publicity.view")
    district = district if district in FOREST_DISTRICTS else ""
    ctx = public_lists(db, actor, year, district, q, page) | {"districts": sorted(FOREST_DISTRICTS)}
    return _render(request, "forest/publicity.html", ctx, fragment="forest/_publicity_table.html")


def _roster(db: Session, actor, year: int, district: str, town: str, village: str) -> reports.Roster:
    """A village's roster; before it is posted only officials may preview it."""
    _district_code(district)
    if not actor.can("forest.view", district) and not is_posted(db, year, district, town, village):
        raise NotFound("已公示的村名单", "Posted village list", f"{town}{village}")
    return reports.village_roster(db, actor, year, district, town, village)


@router.get("/publicity/{year}/{district}/roster")
def roster(request: Request, db: DB, actor: CurrentActor, year: int, district: str, town: str, village: str,
           format: str = "html") -> object:  # noqa: A002 - the query parameter's name
    actor.require("forest.publicity.view")
    r = _roster(db, actor, year, district, town, village)
    stem = quote(f"{year}-{district_name(district)}-{town}{village}-公示名单")
    if format == "xlsx":
        return Response(reports.roster_xlsx(r), media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{stem}.xlsx"})
    if format == "pdf":
        return Response(reports.roster_pdf(r), media_type="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{stem}.pdf"})
    return _render(request, "forest/roster.html", {"r": r, "headers": reports.ROSTER_HEADER,
                                                   "district_code": district})


# ------------------------------------------------------------------ exceptions for audit

@router.get("/exceptions")
def exceptions(request: Request, db: DB, actor: CurrentActor, year: int | None = None,
               format: str = "html") -> object:  # noqa: A002
    actor.require("forest.export")
    ex = reports.exceptions(db, actor, year)
    if format == "xlsx":
        name = quote(f"{year or ''}审计异常清单")
        return Response(reports.exceptions_xlsx(ex), media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})
    titles = {k: (zh if lang_of(request) == "zh" else en) for k, (zh, en) in reports.EXCEPTION_TITLES.items()}
    return _render(request, "forest/exceptions.html", {"year": year, "titles": titles, "counts": ex.counts(), "msg": MSG,
                                                       "sections": [(k, getattr(ex, k)) for k in ex.counts()]})

