"""Helpers of the web tests (clients logged in as a persona, forms posted with the CSRF token) and
checks of the web frame itself: the catalogs are complete and every route checks a permission."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import httpx
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from gzgov.web.app import create_app
from gzgov.web.i18n import CATALOGS
from gzgov.web.templating import TEMPLATE_DIRS
from tests.personas import TEST_PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
PUBLIC_ROUTES = {"/", "/login", "/logout"}  # open by design: no permission to check


def web_client() -> TestClient:
    return TestClient(create_app())


def csrf(client: TestClient) -> str:
    """The session's CSRF token, read from a page anyone may open."""
    return CSRF_META.search(client.get("/forest/publicity").text).group(1)


def login(client: TestClient, username: str, password: str = TEST_PASSWORD, next: str = "/forest/") -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password, "next": next,
                                       "csrf_token": csrf(client)}, follow_redirects=False)


def logged_in(username: str) -> TestClient:
    client = web_client()
    response = login(client, username)
    assert response.status_code == 303, response.text
    return client


def post(client: TestClient, path: str, data: dict | None = None, **kwargs) -> httpx.Response:
    """POST a form as a browser would: with the session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client)}, follow_redirects=False, **kwargs)


# ------------------------------------------------------------------ checks of the frame

SRC = Path(__file__).resolve().parents[2] / "src" / "gzgov"
CODE_FILES = [*SRC.joinpath("web").glob("*.py"), SRC / "forest" / "routes.py", SRC / "forest" / "cycle_routes.py",
              SRC / "plan" / "routes.py", SRC / "finreg" / "routes.py", SRC / "finreg" / "rating_routes.py",
              SRC / "finreg" / "fundraising_routes.py"]


def _message_ids_used() -> set[str]:
    """Message ids passed to t() in templates, or to translate/flash/NavItem/_bilingual in code."""
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*['"]([a-z_]+\.[a-z0-9_.]+)['"]""")
    for root in TEMPLATE_DIRS:
        for path in root.rglob("*.html"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    code = re.compile(r"""(?:translate\([^,]+,|tr\(|flash\(request,|NavItem\(|_bilingual\([^,]+,|\.get\([^,]+,|: )\s*['"]([a-z_]+\.[a-z0-9_.]+)['"]""")
    flash_arg = re.compile(r""",\s*['"](flash\.[a-z0-9_.]+)['"]""")  # a flash message handed to a helper
    for path in CODE_FILES:
        text = path.read_text(encoding="utf-8")
        used |= set(code.findall(text)) | set(flash_arg.findall(text))
    return used


def test_every_message_used_exists_in_both_languages():
    used = _message_ids_used()
    assert len(used) > 100
    for lang, catalog in CATALOGS.items():
        assert not used - set(catalog), f"missing in {lang}: {sorted(used - set(catalog))}"


def test_every_message_in_the_catalog_is_used():
    assert not set(CATALOGS["zh"]) - _message_ids_used()


def test_no_message_is_left_empty_or_untranslated():
    assert set(CATALOGS["zh"]) == set(CATALOGS["en"])
    for key in CATALOGS["zh"]:
        assert CATALOGS["zh"][key].strip() and CATALOGS["en"][key].strip(), key
        if key not in {"app.short"}:
            assert CATALOGS["zh"][key] != CATALOGS["en"][key], f"{key} is not translated"


def test_every_page_and_api_route_checks_a_permission():
    app = create_app()
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.path in PUBLIC_ROUTES:
            continue
        assert ".require(" in inspect.getsource(route.endpoint), f"{route.path} checks no permission"
