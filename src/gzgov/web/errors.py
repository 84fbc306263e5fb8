"""Exception handlers: every refusal shown in the page language with the other language underneath,
as JSON on /api/ paths, and a login redirect (or 401 on the API) for an anonymous visitor."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gzgov.core.auth import Role
from gzgov.core.errors import GzgovError, PermissionDenied
from gzgov.web.deps import actor_of, is_htmx
from gzgov.web.i18n import translate
from gzgov.web.templating import render

log = logging.getLogger("gzgov.web")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _login_required(request: Request) -> Response:
    if is_api(request):
        return JSONResponse({"code": "login_required", "zh": translate("zh", "error.login_required"),
                             "en": translate("en", "error.login_required")}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


async def gzgov_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, GzgovError)
    if isinstance(err, PermissionDenied) and actor_of(request).role is Role.public:
        return _login_required(request)
    if is_api(request):
        return JSONResponse(err.as_dict(), status_code=err.status_code)
    template = "_error.html" if is_htmx(request) else "error.html"
    return render(request, template, {"error": err}, status_code=err.status_code)


def _bilingual(code: str, key: str, **fields: object) -> GzgovError:
    return GzgovError(code, translate("zh", key, **fields), translate("en", key, **fields))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    key = {404: "error.not_found", 405: "error.method"}.get(exc.status_code, "error.http")
    err = _bilingual(f"http_{exc.status_code}", key, status=exc.status_code)
    err.status_code = exc.status_code
    response = await gzgov_error(request, err)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = ", ".join(sorted({str(e.get("loc", ["?"])[-1]) for e in exc.errors()}))
    err = _bilingual("invalid_input", "error.invalid_input", fields=fields)
    err.status_code = 422
    return await gzgov_error(request, err)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    err = _bilingual("server_error", "error.server")
    if is_api(request):
        return JSONResponse(err.as_dict(), status_code=500)
    return PlainTextResponse(err.bilingual(), status_code=500)  # no template: the error may lie there


def install(app: FastAPI) -> None:
    app.add_exception_handler(GzgovError, gzgov_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
