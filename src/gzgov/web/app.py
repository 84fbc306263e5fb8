"""The app factory: sessions, CSRF, language, security headers, static files, error pages and
every application's routers."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from gzgov.config import get_settings
from gzgov.web import errors
from gzgov.web.deps import csrf_protect
from gzgov.web.i18n import LANG_COOKIE, LANGS
from gzgov.web.templating import WEB_DIR

SESSION_COOKIE = "gzgov_session"
SESSION_MAX_AGE = 8 * 3600  # one working day
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
}


async def _language_and_headers(request: Request, call_next):
    """`?lang=en|zh` chooses the language and remembers it in a cookie; every response gets the
    security headers."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        request.state.lang = chosen
    response = await call_next(request)
    if chosen in LANGS:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="gzgov", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  dependencies=[Depends(csrf_protect)])
    app.middleware("http")(_language_and_headers)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=settings.env != "development")
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    errors.install(app)

    from gzgov.finreg import api as finreg_api
    from gzgov.finreg import fundraising_routes as finreg_fundraising_routes
    from gzgov.finreg import rating_routes as finreg_rating_routes
    from gzgov.finreg import routes as finreg_routes
    from gzgov.forest import cycle_routes as forest_cycle_routes
    from gzgov.forest import routes as forest_routes
    from gzgov.plan import routes as plan_routes
    from gzgov.web import audit_routes, auth_routes

    app.include_router(auth_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(forest_routes.router)
    app.include_router(forest_cycle_routes.router)
    app.include_router(forest_routes.api_router)
    app.include_router(plan_routes.router)
    app.include_router(plan_routes.public_router)
    app.include_router(finreg_routes.router)
    app.include_router(finreg_rating_routes.router)
    app.include_router(finreg_fundraising_routes.router)
    app.include_router(finreg_api.router)
    return app
