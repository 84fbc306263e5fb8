"""The institutions' data API ("extraction, not forms"): authenticated by the institution's bearer token alone
(one or more per institution, `registry.issue_token`), never by a session; every call acts for the token's
institution only (no route takes an institution code), so one institution can never read or write another's
data. A retried upload carrying the same `Idempotency-Key` returns the submission it created the first time.
Its own OpenAPI document, without the HTML pages, is served at `/api/finreg/openapi.json`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor, Role
from gzgov.core.db import SHANGHAI
from gzgov.core.errors import GzgovError, NotFound
from gzgov.core.tabular import ImportRejected
from gzgov.finreg import intake
from gzgov.finreg.contracts import CONTRACT_VERSION, json_schema, load_datasets
from gzgov.finreg.models import Institution, Submission
from gzgov.finreg.registry import institution_for_token
from gzgov.web.deps import DB

router = APIRouter(prefix="/api/finreg", tags=["finreg"])
MAX_BODY = 512 * 1024 * 1024
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARQUET = ("application/vnd.apache.parquet", "application/x-parquet")
SUFFIX = {CSV: ".csv", XLSX: ".xlsx"} | dict.fromkeys(PARQUET, ".parquet")
PERIOD = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
DATASET = r"^[a-z][a-z_]{0,31}$"
IDEMPOTENCY_KEY = r"^[!-~]{1,128}$"  # visible ASCII, as a header carries it; stored as sent (max 128)
MAX_ID = 2**31 - 1  # an id column is a 32-bit integer on PostgreSQL


class Error(BaseModel):
    """Every refusal: a stable code and the message in Chinese and English (details may follow)."""

    model_config = ConfigDict(extra="allow")
    code: str
    zh: str
    en: str


class RowError(BaseModel):
    row: int = Field(ge=0, description="line in the file, header = 1; 0 = the file as a whole")
    column: str
    zh: str
    en: str


class Rejected(Error):
    """A file with bad records: nothing was stored; every fault with its row and column."""

    error_count: int = Field(ge=1)
    errors: list[RowError]


class SubmissionOut(BaseModel):
    id: int
    institution_code: str
    dataset: str = Field(pattern=DATASET)
    period: str = Field(pattern=PERIOD)
    version: int = Field(ge=1)
    rows: int = Field(ge=1)
    status: Literal["current", "superseded"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    submitted_at: datetime = Field(description="Asia/Shanghai time, with its offset")


class SubmissionResult(SubmissionOut):
    created: bool = Field(description="false when an Idempotency-Key replayed an earlier submission")


class Contract(BaseModel):
    """The JSON Schema (2020-12) of one record, as `contracts.json_schema` publishes it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    title: str
    type: Literal["object"]
    properties: dict[str, dict[str, Any]]
    required: list[str]
    additionalProperties: Literal[False]  # noqa: N815 - the JSON Schema keyword


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Bad request (unknown dataset, dataset not for this institution type) / 请求有误",
            401: "Missing, invalid or revoked token / 缺少或无效的访问令牌",
            403: "The token's institution may not do this / 无权执行此操作",
            404: "Not found, or not this institution's / 未找到",
            409: "Idempotency-Key already used for another payload, or a concurrent submission / 冲突",
            413: "The file exceeds the size limit / 文件过大",
            415: "Content-Type is not text/csv, XLSX or Parquet / 不支持的文件类型",
            422: "Invalid parameters / 参数无效"}
    return {c: {"model": Error, "description": text[c]} for c in codes}


class TokenRefused(GzgovError):
    status_code = 401


class Conflict(GzgovError):
    status_code = 409


class TooLarge(GzgovError):
    status_code = 413

    def __init__(self) -> None:
        super().__init__("too_large", f"文件超过 {MAX_BODY // 2**20} MB，请分批报送",
                         f"The file exceeds {MAX_BODY // 2**20} MB; submit it in parts")


class UnsupportedType(GzgovError):
    status_code = 415


BEARER = HTTPBearer(auto_error=False, scheme_name="institutionToken",
                    description="An institution's API token (gzf_…), issued by the regulator; "
                                "every call acts for that institution alone.")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def token_institution(request: Request, db: DB, credentials: Credentials) -> Institution:
    """The institution of the bearer token, or 401. The actor is kept on the request so that a refused
    permission is answered 403, not as an anonymous visitor's 401."""
    inst = institution_for_token(db, credentials.credentials) if credentials else None
    if inst is None:
        raise TokenRefused("bad_token", "缺少或无效的访问令牌", "Missing or invalid access token")
    request.state.actor = _actor(inst)
    return inst


Token = Annotated[Institution, Depends(token_institution)]
DatasetPath = Annotated[str, Path(pattern=DATASET, description="a dataset that institutions submit")]
IdempotencyKey = Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY)]
Period = Annotated[str, Path(pattern=PERIOD, description="the reporting month, YYYY-MM")]


def _actor(inst: Institution) -> Actor:
    return Actor(f"api:{inst.code}", Role.institution, None, inst.name, institution_code=inst.code)


def _out(sub: Submission, inst: Institution) -> dict[str, Any]:
    return {"id": sub.id, "institution_code": inst.code, "dataset": sub.dataset, "period": sub.period,
            "version": sub.version, "rows": sub.rows, "status": sub.status, "sha256": sub.sha256,
            "submitted_at": sub.submitted_at.replace(tzinfo=SHANGHAI)}


async def _body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it passes MAX_BODY rather than after reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _suffix(content_type: str | None) -> str:
    """The file type of the body from its Content-Type; a body without one is read as CSV."""
    media = (content_type or CSV).split(";")[0].strip().lower()
    if media not in SUFFIX:
        raise UnsupportedType("unsupported_media_type", f"不支持的文件类型：{media}，请用 CSV、XLSX 或 Parquet",
                              f"Unsupported Content-Type {media}; send CSV, XLSX or Parquet")
    return SUFFIX[media]


FILE_BODY = {"required": True,
             "description": "The dataset file itself (not a form): CSV (UTF-8, header row of field names), "
                            "XLSX (first sheet) or Parquet; its records follow `GET /api/finreg/contracts/"
                            "{dataset}`. Without a Content-Type it is read as CSV.",
             "content": {CSV: {"schema": {"type": "string"}},
                         XLSX: {"schema": {"type": "string", "format": "binary"}}}
             | {p: {"schema": {"type": "string", "format": "binary"}} for p in PARQUET}}


@router.post("/submissions/{dataset}/{period}", status_code=201, response_model=SubmissionResult,
             responses={200: {"model": SubmissionResult, "description": "An Idempotency-Key replay: the "
                              "submission it first created"},
                        **_errors(400, 401, 403, 409, 413, 415),
                        422: {"model": Rejected | Error, "description": "The file's records break the "
                              "contract (the row report; nothing stored), or invalid parameters"}},
             openapi_extra={"requestBody": FILE_BODY})
async def submit(request: Request, response: Response, db: DB, inst: Token, dataset: DatasetPath,
                 period: Period, idempotency_key: IdempotencyKey = None) -> Any:
    """Submit one dataset for a period: the body is the CSV, XLSX or Parquet file itself. 201 when stored;
    the same Idempotency-Key with the same file returns that submission (200), with another file 409."""
    actor = _actor(inst)
    actor.require("finreg.submit")
    suffix = _suffix(request.headers.get("content-type"))
    data = await _body(request)
    try:
        sub, created = _store(db, actor, inst, dataset, period, data, f"{dataset}{suffix}", idempotency_key)
    except ImportRejected as err:
        db.rollback()
        return JSONResponse({"code": err.code, "zh": err.zh, "en": err.en,
                             "error_count": err.report.error_count,
                             "errors": [e.as_dict() for e in err.report.errors]}, status_code=422)
    response.status_code = 201 if created else 200
    return _out(sub, inst) | {"created": created}


def _store(db: Session, actor: Actor, inst: Institution, dataset: str, period: str, data: bytes,
           filename: str, key: str | None) -> tuple[Submission, bool]:
    """intake.submit, with its conflicts answered 409: a key reused for another file, or a concurrent request
    that stored the same key or version first (the unique constraints refuse the second writer)."""
    try:
        return intake.submit(db, actor, inst.code, dataset, period, data, filename, channel="api",
                             idempotency_key=key)
    except IntegrityError:
        db.rollback()
        if key:  # the request that won may have been this one's retry: replay it like any other
            prior = db.scalar(select(Submission).where(Submission.institution_id == inst.id,
                                                       Submission.idempotency_key == key))
            if prior is not None and (prior.dataset, prior.period, prior.sha256) == (
                    dataset, period, hashlib.sha256(data).hexdigest()):
                return prior, False
        raise Conflict("concurrent_submission", "同一数据集同时有另一份报送，请稍后重试",
                       "Another submission of this dataset arrived at the same time; retry") from None
    except GzgovError as err:
        if err.code == "idempotency_conflict":
            raise Conflict(err.code, err.zh, err.en) from None
        raise


@router.get("/submissions", response_model=list[SubmissionOut], responses=_errors(401, 403, 422))
def my_submissions(db: DB, inst: Token,
                   dataset: Annotated[str | None, Query(pattern=DATASET)] = None,
                   period: Annotated[str | None, Query(pattern=PERIOD)] = None) -> Any:
    """The token's institution's submissions, newest period first, optionally of one dataset or period."""
    actor = _actor(inst)
    actor.require("finreg.submit")
    return [_out(s, inst) for s in intake.submissions(db, actor, inst.code)
            if dataset in (None, s.dataset) and period in (None, s.period)]


@router.get("/submissions/{submission_id}", response_model=SubmissionOut,
            responses=_errors(401, 403, 404, 422))
def one_submission(db: DB, inst: Token, submission_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Any:
    """One of the token's institution's submissions; another institution's answers 404, as a missing one."""
    actor = _actor(inst)
    actor.require("finreg.submit")
    for sub in intake.submissions(db, actor, inst.code):
        if sub.id == submission_id:
            return _out(sub, inst)
    raise NotFound("报送", "Submission", submission_id)


@router.get("/contracts/{dataset}", response_model=Contract, responses=_errors(401, 403, 404, 422))
def contract(inst: Token, dataset: DatasetPath) -> Any:
    """The JSON Schema of one record of a dataset, for the token's institution type (404 if it does not
    submit that dataset)."""
    _actor(inst).require("finreg.submit")
    ds = load_datasets().get(dataset)
    if ds is None or not ds.for_kind(inst.kind) or ds.grain == "institution":
        raise NotFound("本机构报送的数据集", "Dataset this institution submits", dataset)
    return json_schema(ds, inst.kind)


def api_schema() -> dict[str, Any]:
    """The OpenAPI document of these routes alone: the dataset parameters narrowed to the datasets that
    institutions submit (read from datasets.yaml, so it follows the contracts), and an optional parameter
    given as its type alone (a query or header is absent, never null)."""
    schema = get_openapi(title="gzgov finreg data API / 地方金融监管数据报送接口", version=CONTRACT_VERSION,
                         description=(__doc__ or "").strip(), routes=router.routes)
    submitted = sorted(n for n, d in load_datasets().items() if d.grain != "institution")
    for item in schema["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                options = param["schema"].pop("anyOf", None)
                if options:
                    param["schema"] |= next(o for o in options if o.get("type") != "null")
                if param["name"] == "dataset":
                    param["schema"]["enum"] = submitted
    return schema


@router.get("/openapi.json", include_in_schema=False)
def openapi() -> dict[str, Any]:
    """The API's own OpenAPI document (public: it describes the API, it holds no data)."""
    return api_schema()
