"""Request dependencies: the database session, the acting user and the CSRF check.

Routes declare them with `Annotated`:

    def page(request: Request, db: DB, actor: CurrentActor): ...
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gzgov.core.auth import PUBLIC, Actor
from gzgov.core.db import session_scope
from gzgov.core.errors import GzgovError
from gzgov.core.models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def get_db() -> Iterator[Session]:
    """One transaction per request: commit when the route returns, roll back on any error.
    Declared with scope="function" so the commit happens before the response is sent."""
    with session_scope() as session:
        yield session


DB = Annotated[Session, Depends(get_db, scope="function")]


def current_actor(request: Request, db: DB) -> Actor:
    """The logged-in official, or the anonymous public. Also kept on request.state for error pages."""
    actor = PUBLIC
    user_id = request.session.get("user_id")
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or not user.active:
            request.session.clear()
        else:
            actor = Actor.from_user(user)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def actor_of(request: Request) -> Actor:
    return getattr(request.state, "actor", PUBLIC)


class CsrfRejected(GzgovError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("csrf_failed", "表单已失效或来源不明（CSRF 校验失败），请刷新页面后重试",
                         "The form has expired or came from elsewhere (CSRF check failed); reload the page and try again")


def csrf_token(request: Request) -> str:
    """This browser session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def new_csrf_token(request: Request) -> str:
    request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


TOKEN_API = "/api/finreg/"  # routes authenticated only by an institution's bearer token (finreg/api.py)


async def csrf_protect(request: Request) -> None:
    """Applied to every route of the app: a state-changing request must carry the session's token,
    as the form field `csrf_token` or (htmx) the header `X-CSRF-Token`."""
    if request.method in SAFE_METHODS:
        return
    if request.url.path.startswith(TOKEN_API):
        return  # the token API ignores cookies and sessions: it authenticates by a bearer token alone
    expected = request.session.get("csrf")
    supplied = request.headers.get(CSRF_HEADER)
    if not supplied and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # cached by Starlette: the route's own Form() fields still read it
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not hmac.compare_digest(expected, supplied):
        raise CsrfRejected()


def is_htmx(request: Request) -> bool:
    """An htmx request asking for a fragment (a history restore wants the full page)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true"
            and request.headers.get("hx-boosted") != "true")


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only (no scheme, no host, no protocol-relative URL)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
