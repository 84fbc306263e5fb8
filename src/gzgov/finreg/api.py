"""The institutions' data API ("extraction, not forms"): authenticated by the institution's bearer token alone
(one or more per institution, `registry.issue_token`), never by a session; every call acts for the token's
institution only, so one institution can never read or write another's data. A retried upload carrying the
same `Idempotency-Key` returns the submission it created the first time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor, Role
from gzgov.core.errors import GzgovError
from gzgov.core.tabular import ImportRejected
from gzgov.finreg import intake
from gzgov.finreg.contracts import json_schema, load_datasets
from gzgov.finreg.models import Institution, Submission
from gzgov.finreg.registry import institution_for_token
from gzgov.web.deps import DB

router = APIRouter(prefix="/api/finreg", tags=["finreg"])
MAX_BODY = 512 * 1024 * 1024
SUFFIX = {"text/csv": ".csv", "application/vnd.apache.parquet": ".parquet", "application/x-parquet": ".parquet",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}


class TokenRefused(GzgovError):
    status_code = 401


def token_institution(db: DB, authorization: Annotated[str | None, Header()] = None) -> Institution:
    """The institution of the bearer token, or 401."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    inst = institution_for_token(db, token) if token else None
    if inst is None:
        raise TokenRefused("bad_token", "缺少或无效的访问令牌", "Missing or invalid access token")
    return inst


Token = Annotated[Institution, Depends(token_institution)]


def _actor(inst: Institution) -> Actor:
    return Actor(f"api:{inst.code}", Role.institution, None, inst.name, institution_code=inst.code)


def _json(sub: Submission) -> dict:
    return {"id": sub.id, "dataset": sub.dataset, "period": sub.period, "version": sub.version, "rows": sub.rows,
            "status": sub.status, "sha256": sub.sha256, "submitted_at": sub.submitted_at.isoformat()}


@router.post("/submissions/{dataset}/{period}", status_code=201)
async def submit(request: Request, db: DB, inst: Token, dataset: str, period: str,
                 content_type: Annotated[str, Header()] = "text/csv",
                 idempotency_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    """Submit one dataset for a period: the body is the CSV, XLSX or Parquet file itself."""
    actor = _actor(inst)
    actor.require("finreg.submit")
    data = await request.body()
    if len(data) > MAX_BODY:
        raise GzgovError("too_large", "文件超过 512 MB，请分批报送", "The file exceeds 512 MB; submit it in parts")
    suffix = SUFFIX.get(content_type.split(";")[0].strip(), ".csv")
    try:
        sub, created = _store(db, actor, inst, dataset, period, data, f"{dataset}{suffix}", idempotency_key)
    except ImportRejected as err:
        db.rollback()
        return JSONResponse({"code": err.code, "zh": err.zh, "en": err.en, "error_count": err.report.error_count,
                             "errors": [e.as_dict() for e in err.report.errors]}, status_code=422)
    return JSONResponse(_json(sub) | {"created": created}, status_code=201 if created else 200)


def _store(db: Session, actor: Actor, inst: Institution, dataset: str, period: str, data: bytes, filename: str,
           key: str | None) -> tuple[Submission, bool]:
    return intake.submit(db, actor, inst.code, dataset, period, data, filename, channel="api",
                         idempotency_key=(key or "").strip()[:128] or None)


@router.get("/submissions")
def my_submissions(db: DB, inst: Token) -> list[dict]:
    """The token's institution's submissions, newest first."""
    actor = _actor(inst)
    actor.require("finreg.submit")
    return [_json(s) for s in intake.submissions(db, actor, inst.code)]


@router.get("/contracts/{dataset}")
def contract(inst: Token, dataset: str) -> dict:
    """The JSON Schema of one record of a dataset, for the token's institution type."""
    _actor(inst).require("finreg.submit")
    ds = load_datasets().get(dataset)
    if ds is None or not ds.for_kind(inst.kind) or ds.grain == "institution":
        raise GzgovError("unknown_dataset", f"本机构不报送 {dataset}", f"This institution does not submit {dataset}")
    return json_schema(ds, inst.kind)
