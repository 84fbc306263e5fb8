"""Login, throttling, logout, CSRF and what an anonymous visitor may reach."""

from __future__ import annotations

from sqlalchemy import func, select

from gzgov.core.db import session_scope
from gzgov.core.models import LoginAttempt
from gzgov.forest.models import StandardSet
from tests.integration.test_web_support import csrf, logged_in, login, post, web_client


def test_an_official_logs_in_and_lands_on_the_dashboard(users):
    client = web_client()
    response = login(client, "city")
    assert response.status_code == 303
    assert response.headers["location"] == "/forest/"
    page = client.get("/forest/")
    assert page.status_code == 200
    assert "市林业园林局 李科长" in page.text and "退出" in page.text


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(users):
    client = web_client()
    assert login(client, "auditor", next="/forest/parcels?grade=I").headers["location"] == "/forest/parcels?grade=I"
    other = web_client()
    assert login(other, "auditor", next="https://evil.example/").headers["location"] == "/"
    assert other.get("/", follow_redirects=False).headers["location"] == "/forest/"  # the role's own start page


def test_each_role_starts_in_its_own_application(users):
    for username, start in (("city", "/forest/"), ("regulator", "/plan/"), ("nansha_gov", "/plan/"),
                            ("evaluator", "/plan/"), ("conghua", "/forest/")):
        assert logged_in(username).get("/", follow_redirects=False).headers["location"] == start


def test_a_wrong_password_is_refused_and_the_attempt_is_kept(users):
    client = web_client()
    response = login(client, "city", password="wrong-password-123")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text and "Wrong username or password" in response.text
    assert client.get("/forest/", follow_redirects=False).status_code == 303
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))) == 1


def test_five_failures_lock_the_account_even_against_the_right_password(users):
    client = web_client()
    for _ in range(5):
        assert login(client, "city", password="wrong-password-123").status_code == 401
    response = login(client, "city")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text and "Too many failed logins" in response.text
    assert client.get("/forest/", follow_redirects=False).status_code == 303  # still not logged in


def test_logout_ends_the_session(users):
    client = logged_in("finance")
    response = post(client, "/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "已退出登录" in client.get("/login").text
    assert client.get("/forest/", follow_redirects=False).headers["location"].startswith("/login")


def test_the_session_cookie_is_http_only_and_same_site(users):
    client = web_client()
    response = login(client, "city")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_post_without_the_csrf_token_is_refused(users):
    client = web_client()
    client.get("/login")
    response = client.post("/login", data={"username": "city", "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "CSRF 校验失败" in response.text and "CSRF check failed" in response.text


def test_a_state_changing_post_with_a_wrong_token_changes_nothing(users):
    client = logged_in("city")
    response = client.post("/forest/standards/propose", data={
        "year": "2026", "comp_I": "170", "comp_II": "113", "comp_III": "91", "basis": "批复", "csrf_token": "forged"})
    assert response.status_code == 403
    with session_scope() as s:
        assert s.get(StandardSet, 2026) is None


def test_htmx_requests_carry_the_token_in_a_header(users):
    client = logged_in("auditor")
    response = client.post("/audit/verify", headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)})
    assert response.status_code == 200
    assert "<html" not in response.text and "审计日志完整" in response.text


def test_an_anonymous_visitor_is_sent_to_the_login_page(users):
    client = web_client()
    response = client.get("/forest/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fforest%2F"
    for path in ("/forest/parcels", "/forest/payees", "/forest/standards", "/forest/funding", "/forest/import", "/audit"):
        assert client.get(path, follow_redirects=False).headers["location"].startswith("/login?next=")


def test_an_anonymous_api_call_gets_401_json(users):
    response = web_client().get("/api/forest/compute/2021")
    assert response.status_code == 401
    assert response.json()["code"] == "login_required"
    assert response.json()["en"] == "Please log in first"


def test_the_public_can_open_the_publicity_page_and_the_login_page():
    client = web_client()
    page = client.get("/forest/publicity")
    assert page.status_code == 200
    assert "公示期不得少于十五个工作日" in page.text
    assert 'href="/forest/parcels"' not in page.text  # no official navigation for the public
    assert client.get("/login").status_code == 200
