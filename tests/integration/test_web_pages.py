"""Every page renders for each role allowed to see it and is refused (403) to the others;
the language switch; bilingual error pages."""

from __future__ import annotations

import pytest

from gzgov.core.auth import PERMISSIONS
from gzgov.forest.registry import import_registry
from tests.factories import csv_bytes, document_registry
from tests.integration.test_web_support import logged_in, web_client
from tests.personas import CITY, PERSONAS

PAGES = {
    "/forest/": "forest.view",
    "/forest/?year=2021": "forest.view",
    "/forest/parcels": "forest.view",
    "/forest/payees": "forest.view",
    "/forest/standards": "forest.view",
    "/forest/funding": "forest.view",
    "/forest/import": "forest.registry.edit",
    "/forest/publicity": "forest.publicity.view",
    "/forest/exceptions": "forest.export",
    "/forest/reports": "forest.export",
    "/forest/reports?year=2021&format=xlsx": "forest.export",
    "/forest/exceptions?format=xlsx": "forest.export",
    "/audit": "audit.view",
    "/plan/": "plan.view",
    "/plan/values": "plan.view",
    "/plan/projects": "plan.view",
    "/plan/projects/1": "plan.view",
    "/plan/zones": "plan.view",
    "/plan/evaluations": "plan.view",
    "/plan/indicators/DEPOSITS": "plan.view",
    "/plan/structure": "plan.public",
    "/plan/review": "plan.public",
    "/plan/method": "plan.public",
    "/public/plan": "plan.public",
    "/public/plan/zones": "plan.public",
    "/public/plan/indicators.json": "plan.public",
    "/finreg/": "finreg.view",
    "/finreg/?kind=leasing": "finreg.view",
    "/finreg/blacklist": "finreg.view",
    "/api/forest/compute/2021": "forest.view",
    "/api/forest/standards/2021": "forest.view",
}


@pytest.fixture
def registry(session):
    import_registry(session, CITY, csv_bytes(document_registry()), "doc.csv")
    session.commit()


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.username)
def test_every_page_renders_for_the_roles_allowed_and_is_refused_to_the_others(users, registry, persona):
    client = logged_in(persona.username)
    for path, permission in PAGES.items():
        response = client.get(path)
        expected = 200 if persona.role in PERMISSIONS[permission] else 403
        assert response.status_code == expected, f"{persona.username} {path}: {response.text[:300]}"
        if expected == 403 and not path.startswith("/api/"):
            assert "无权" in response.text and "may not" in response.text


def test_the_navigation_shows_only_what_the_role_may_open(users):
    district = logged_in("conghua").get("/forest/").text
    assert 'href="/audit"' not in district and 'href="/forest/import"' in district
    auditor = logged_in("auditor").get("/forest/").text
    assert 'href="/audit"' in auditor and 'href="/forest/import"' not in auditor


def test_the_language_switch_gives_english_pages_and_is_remembered(users, registry):
    client = logged_in("city")
    page = client.get("/forest/?lang=en")
    assert '<html lang="en">' in page.text
    for label in ("Dashboard", "Parcels", "Payees", "Standards", "Funding", "Audit log", "Log out", "Loss compensation"):
        assert label in page.text
    assert "总览" not in page.text and "损失性补偿" not in page.text
    assert "中文" in page.text  # the way back
    parcels = client.get("/forest/parcels")  # the cookie keeps the choice
    assert "Parcel registry" in parcels.text and "Grade I" in parcels.text
    back = client.get("/forest/parcels?lang=zh")
    assert '<html lang="zh-CN">' in back.text and "小班登记" in back.text


def test_a_refusal_shows_the_page_language_first_and_the_other_underneath(users):
    client = logged_in("conghua")
    zh = client.get("/audit")
    assert zh.status_code == 403
    assert zh.text.index("区林业园林部门无权执行此操作") < zh.text.index("District forestry bureau may not do this")
    en = client.get("/audit?lang=en")
    assert en.text.index("District forestry bureau may not do this") < en.text.index("区林业园林部门无权执行此操作")


def test_an_unknown_page_and_bad_input_get_bilingual_errors(users):
    client = logged_in("city")
    missing = client.get("/forest/nothing-here")
    assert missing.status_code == 404 and "页面不存在" in missing.text and "Page not found" in missing.text
    bad = client.get("/forest/?year=abc")
    assert bad.status_code == 422 and "提交的数据无效" in bad.text and "Invalid input" in bad.text


def test_api_errors_are_json_in_both_languages(users):
    client = logged_in("auditor")
    response = client.get("/api/forest/standards/2030")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_standard" and "2030" in body["zh"] and "2030" in body["en"]
    refused = logged_in("conghua").get("/api/forest/compute/2021?district=440114")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_pages_send_security_headers():
    response = web_client().get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
