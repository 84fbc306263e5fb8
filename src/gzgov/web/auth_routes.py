"""Login and logout. Every attempt is recorded (and committed even when refused) so the
throttle of `gzgov.core.auth.authenticate` holds: 5 failures in 15 minutes refuse further logins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from gzgov.core.auth import LoginRefused, authenticate
from gzgov.web.deps import DB, CurrentActor, new_csrf_token, safe_next
from gzgov.web.templating import flash, render, start_page

router = APIRouter()


@router.get("/")
def home(actor: CurrentActor) -> RedirectResponse:
    """The start page: the first page of the official's own application; the login page for the public."""
    if actor.user_id is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(start_page(actor), status_code=303)


@router.get("/login")
def login_page(request: Request, actor: CurrentActor, next: str = "") -> object:
    return render(request, "login.html", {"next": safe_next(next, default="/"), "username": "", "error": None})


@router.post("/login")
def login(request: Request, db: DB, username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "") -> object:
    address = request.client.host if request.client else "unknown"
    try:
        actor = authenticate(db, username.strip(), password, address)
    except LoginRefused as err:
        db.commit()  # keep the attempt: the throttle counts it
        status = 429 if err.code == "login_throttled" else 401
        return render(request, "login.html", {"error": err, "next": safe_next(next, default="/"), "username": username},
                      status_code=status)
    request.session.clear()  # a fresh session on login (no fixation)
    request.session["user_id"] = actor.user_id
    new_csrf_token(request)
    return RedirectResponse(safe_next(next, default="/"), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    new_csrf_token(request)
    flash(request, "flash.logged_out")
    return RedirectResponse("/login", status_code=303)
