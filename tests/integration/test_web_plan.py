"""Plan pages: a responsible unit enters a value, the regulator approves it, the public page shows it
(and never an unapproved one); projects, zones, the plan's text, the method, evaluations and findings."""

from __future__ import annotations

import json
import re

import pytest

from gzgov.plan import evaluations, values
from tests.integration.test_web_support import logged_in, post, web_client
from tests.personas import NANSHA_GOV, REGULATOR


def test_a_value_goes_from_a_unit_to_the_public_only_once_approved(users):
    unit, regulator, public = logged_in("nansha_gov"), logged_in("regulator"), web_client()
    r = post(unit, "/plan/indicators/PREMIUMS/values", {"year": "2022", "value": "1540", "source": "广东银保监局统计",
                                                        "note": "原保险保费收入"})
    assert r.status_code == 303
    page = public.get("/public/plan").text
    row = re.search(r'data-code="PREMIUMS".*?</tr>', page, re.S).group(0)
    assert "1540" not in row and 'data-status="no_data"' in row  # not approved yet: not public
    assert "1540" not in public.get("/public/plan/indicators.csv").text

    queue = regulator.get("/plan/values").text
    value_id = re.search(r'data-value="(\d+)"', queue).group(1)
    assert post(regulator, f"/plan/values/{value_id}/approve", {"note": "核对无误", "back": "/plan/values"}).status_code == 303
    row = re.search(r'data-code="PREMIUMS".*?</tr>', public.get("/public/plan").text, re.S).group(0)
    # compound: P = 1495.6·(1540/1495.6)^(5/2) = 1609.08; AP = (1609.08 − 1495.6)/(1800 − 1495.6) = 0.3728
    assert "1540" in row and 'data-status="off_track"' in row
    data = {i["code"]: i for i in json.loads(public.get("/public/plan/indicators.json").text)}
    assert data["PREMIUMS"]["actual"] == "1540.0000" and data["PREMIUMS"]["status"] == "off_track"
    assert data["PREMIUMS"]["anticipated_progress"] == "0.3728"


def test_a_unit_cannot_approve_and_the_public_cannot_enter(users):
    unit = logged_in("nansha_gov")
    post(unit, "/plan/indicators/LOANS/values", {"year": "2021", "value": "6.03", "source": "人民银行广州分行"})
    page = unit.get("/plan/values").text
    v = re.search(r'data-value="(\d+)"', page).group(1)
    assert post(unit, f"/plan/values/{v}/approve", {}).status_code == 403
    anonymous = post(web_client(), "/plan/indicators/LOANS/values", {"year": "2021", "value": "1", "source": "x"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert logged_in("conghua").get("/plan/").status_code == 403
    assert logged_in("auditor").get("/plan/").status_code == 200


def test_a_bad_value_is_shown_back_in_both_languages(users):
    r = post(logged_in("nansha_gov"), "/plan/indicators/LOANS/values", {"year": "2021", "value": "七万亿", "source": "x"})
    assert r.status_code == 400 and "数值无效" in r.text and "Not a number" in r.text


@pytest.mark.parametrize("path", ["/plan/", "/plan/values", "/plan/projects", "/plan/projects?mine=1", "/plan/projects/1",
                                  "/plan/zones", "/plan/structure?q=期货交易所", "/plan/method", "/plan/evaluations",
                                  "/plan/indicators/FIN_VA_SHARE", "/public/plan", "/public/plan/zones",
                                  "/public/plan/projects.csv", "/public/plan/projects.json", "/plan/?lang=en"])
def test_every_plan_page_renders(users, path):
    r = logged_in("nansha_gov").get(path)
    assert r.status_code == 200, r.text[:3000]


def test_the_plan_text_search_links_to_its_clause(users):
    page = web_client().get("/plan/structure?q=广州期货交易所").text
    assert 'id="hits"' in page and 'href="#c-ch9-s1"' in page


def test_an_evaluation_is_written_published_and_frozen(users, session):
    v = values.enter_value(session, NANSHA_GOV, "FIN_VA_SHARE", 2022, "9.2", "市统计局")
    values.approve_value(session, REGULATOR, v.id)
    session.commit()
    regulator = logged_in("regulator")
    r = post(regulator, "/plan/evaluations", {"kind": "midterm", "year": "2023"})
    assert r.status_code == 303
    ev = r.headers["location"]
    assert post(regulator, f"{ev}/narrative", {"section": "summary", "text_zh": "总体进展顺利。"}).status_code == 303
    evaluator = logged_in("evaluator")
    assert post(evaluator, f"{ev}/findings", {"text": "建议加快直接融资。", "organisation": "某研究院"},
                files={"file": ("报告.pdf", b"%PDF-1.4 x", "application/pdf")}).status_code == 303
    assert post(evaluator, f"{ev}/publish", {}).status_code == 403
    assert post(regulator, f"{ev}/publish", {}).status_code == 303
    page = regulator.get(ev).text
    assert "总体进展顺利" in page and "建议加快直接融资" in page and 'id="publish-form"' not in page
    eid = int(ev.rsplit("/", 1)[1])
    public = web_client().get(f"/public/plan/evaluations/{eid}")
    assert public.status_code == 200 and "总体进展顺利" in public.text
    assert evaluations.frozen_results(session.get(evaluations.PlanEvaluation, eid))["indicators"][0]["status"] == "ahead"


def test_the_pdf_report_renders_its_charts(users, session):
    import io

    import pypdfium2 as pdfium

    from gzgov.web import svg

    for code, year, value in (("FIN_VA_SHARE", 2021, "9.0"), ("FIN_VA_SHARE", 2022, "9.2"), ("DEPOSITS", 2022, "8.09")):
        v = values.enter_value(session, NANSHA_GOV, code, year, value, "演示")
        values.approve_value(session, REGULATOR, v.id)
    ev = evaluations.create_evaluation(session, REGULATOR, "annual", 2022)
    evaluations.set_narrative(session, REGULATOR, ev.id, "summary", "二〇二二年规划实施总体平稳。")
    session.commit()
    r = logged_in("regulator").get(f"/plan/evaluations/{ev.id}?format=pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(io.BytesIO(r.content))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "二〇二二年规划实施总体平稳" in text and "金融业增加值" in text
    blue = tuple(int(svg.ACTUAL_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    drawn = 0
    for i in range(len(pdf)):  # the trajectory charts' actual-value lines, looked for as pixels
        data = pdf[i].render(scale=1.5).to_pil().convert("RGB").tobytes()
        drawn += sum(1 for px in zip(data[0::3], data[1::3], data[2::3], strict=True)
                     if all(abs(a - b) < 40 for a, b in zip(px, blue, strict=True)))
    assert drawn > 500, "no actual-value line was drawn in the PDF"


def test_the_13th_plan_review_computes_each_verdict(users):
    page = web_client().get("/plan/review").text
    verdicts = dict(re.findall(r'data-code="(\w+)">.*?data-verdict="(\w+)"', page, re.S))
    assert verdicts["FIN_VA_SHARE"] == "false"  # target 12%, achieved 8.9%
    assert verdicts["LISTED_COMPANIES"] == "true"  # 703 ≥ 500
    assert verdicts["LOCAL_INSTITUTIONS"] == "true"  # ">3500" meets ≥3000
    assert verdicts["NATIONAL_PLATFORMS"] == "true"  # 1 within 1—2
    assert verdicts["TOP500_INSTITUTIONS"] == "none"  # the table prints "—"
    assert list(verdicts.values()).count("false") == 5


def test_a_district_breakdown_shows_on_its_zone_once_approved(users):
    unit, regulator, public = logged_in("nansha_gov"), logged_in("regulator"), web_client()
    post(unit, "/plan/indicators/GREEN_BONDS_CUMULATIVE/values",
         {"year": "2023", "value": "320", "source": "南沙区金融工作局", "district": "440115"})
    zone = re.search(r'id="zone-440115".*?</section>', public.get("/public/plan/zones").text, re.S).group(0)
    assert "district-values" not in zone
    value_id = re.search(r'data-value="(\d+)"', regulator.get("/plan/values").text).group(1)
    post(regulator, f"/plan/values/{value_id}/approve", {})
    zone = re.search(r'id="zone-440115".*?</section>', public.get("/public/plan/zones").text, re.S).group(0)
    assert "320" in zone and "绿色债券累计发行" in zone
    city = re.search(r'data-code="GREEN_BONDS_CUMULATIVE".*?</tr>', public.get("/public/plan").text, re.S).group(0)
    assert "320" not in city and 'data-status="no_data"' in city  # a district's value is not the city's
