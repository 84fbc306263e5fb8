"""Actions through the forms: proposing and approving a standard, the funding split, registry
upload (all-or-nothing with a row-level report) and the audit log check."""

from __future__ import annotations

from sqlalchemy import func, select

from gzgov.core.db import session_scope
from gzgov.core.models import AuditEntry
from gzgov.forest.models import DistrictFunding, Parcel, StandardSet
from tests.factories import csv_bytes, document_registry, parcel_row
from tests.integration.test_web_support import logged_in, post

NEW_STANDARD = {"year": "2026", "comp_I": "170", "comp_II": "113", "comp_III": "91",
                "mgmt_state_forest_farm": "60", "mgmt_central_south": "40", "mgmt_northern_mountain": "26",
                "basis": "市政府批复（示例）", "note": "2026 年标准"}


def upload(client, data: bytes, filename: str = "registry.csv"):
    return post(client, "/forest/import", files={"file": (filename, data, "text/csv")})


def test_a_standard_is_proposed_by_the_city_and_approved_by_finance(users):
    city = logged_in("city")
    form = city.get("/forest/standards").text
    assert all(f'name="{field}"' in form for field in NEW_STANDARD)
    response = post(city, "/forest/standards/propose", NEW_STANDARD)
    assert response.status_code == 303
    page = city.get("/forest/standards").text
    assert "2026 年标准已录入，待市财政局批准" in page and "待批准" in page and "170.00" in page
    assert "2026 年没有经批准的补偿标准" in city.get("/forest/?year=2026").text  # not in force yet
    assert post(city, "/forest/standards/2026/approve", {"reason": "同意"}).status_code == 403

    finance = logged_in("finance")
    assert 'action="/forest/standards/2026/approve"' in finance.get("/forest/standards").text
    assert post(finance, "/forest/standards/2026/approve", {"reason": "同意"}).status_code == 303
    assert "2026 年标准已批准" in finance.get("/forest/standards").text
    with session_scope() as s:
        row = s.get(StandardSet, 2026)
        assert (row.status, row.proposed_by, row.approved_by, row.comp_i_fen) == ("approved", "city", "finance", 17000)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_id == "2026")) == 2
    dashboard = finance.get("/forest/?year=2026")
    assert dashboard.status_code == 200 and "市政府批复（示例）" in dashboard.text


def test_a_proposal_without_a_basis_is_refused_in_both_languages_and_keeps_the_form(users):
    city = logged_in("city")
    response = post(city, "/forest/standards/propose", NEW_STANDARD | {"basis": ""})
    assert response.status_code == 400
    assert "新标准必须注明依据" in response.text and "must cite its basis" in response.text
    assert 'value="113"' in response.text  # what was typed is kept
    with session_scope() as s:
        assert s.get(StandardSet, 2026) is None


def test_a_bad_rate_is_refused_and_nothing_is_written(users):
    response = post(logged_in("city"), "/forest/standards/propose", NEW_STANDARD | {"comp_II": "-5"})
    assert response.status_code == 400
    assert "须为正数" in response.text and "must be positive" in response.text
    with session_scope() as s:
        assert s.get(StandardSet, 2026) is None


def test_only_the_roles_allowed_may_propose_or_approve(users):
    assert post(logged_in("auditor"), "/forest/standards/propose", NEW_STANDARD).status_code == 403
    assert post(logged_in("conghua"), "/forest/standards/propose", NEW_STANDARD).status_code == 403
    assert post(logged_in("auditor"), "/forest/standards/2026/approve").status_code == 403
    assert "录入年度标准" not in logged_in("auditor").get("/forest/standards").text
    with session_scope() as s:
        assert s.get(StandardSet, 2026) is None


def test_finance_edits_a_districts_funding_split(users):
    finance = logged_in("finance")
    page = finance.get("/forest/funding").text
    assert "示例数据" in page and "从化区" in page and "70%" in page
    response = post(finance, "/forest/funding/440117", {"base_2012": "61000000.00", "city_share": "0.65",
                                                         "note": "市财政局确认（示例）"})
    assert response.status_code == 303
    assert "从化区的分担设置已保存" in finance.get("/forest/funding").text
    with session_scope() as s:
        row = s.get(DistrictFunding, "440117")
        assert (row.base_2012_fen, row.city_share_bp, row.updated_by) == (6_100_000_000, 6500, "finance")


def test_a_bad_funding_share_is_refused_in_both_languages(users):
    response = post(logged_in("finance"), "/forest/funding/440117", {"base_2012": "1", "city_share": "1.5", "note": "x"})
    assert response.status_code == 400
    assert "市级分担比例须在 0 到 1 之间" in response.text and "between 0 and 1" in response.text


def test_only_finance_may_edit_the_funding_split(users):
    for username in ("city", "auditor", "conghua_fin"):
        response = post(logged_in(username), "/forest/funding/440117", {"base_2012": "1", "city_share": "0.5", "note": "x"})
        assert response.status_code == 403, username
    district_view = logged_in("conghua").get("/forest/funding").text.split("<main")[1]
    assert "从化区" in district_view and "花都区" not in district_view  # a district sees its own split only
    assert 'action="/forest/funding/' not in district_view


def test_a_registry_upload_imports_and_reports_the_counts(users):
    client = logged_in("city")
    response = upload(client, csv_bytes(document_registry()))
    assert response.status_code == 200
    assert "导入完成：registry.csv" in response.text
    assert ">5<" in response.text  # five parcels added
    again = upload(client, csv_bytes(document_registry()))
    assert "文件内容与现有登记一致，未作任何修改" in again.text


def test_a_bad_file_shows_the_row_level_report_and_writes_nothing(users):
    rows = [parcel_row(1), parcel_row(2, grade="IV"), parcel_row(3, area_mu="-3")]
    response = upload(logged_in("city"), csv_bytes(rows))
    assert response.status_code == 422
    assert "导入被拒绝：共 2 处错误，未写入任何数据" in response.text
    assert "nothing was written" in response.text
    assert "等级“IV”无效" in response.text and "<td class=\"num\">3</td>" in response.text
    assert "面积必须大于 0" in response.text and "<td class=\"num\">4</td>" in response.text
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Parcel)) == 0


def test_a_district_officer_cannot_import_another_districts_rows(users):
    response = upload(logged_in("conghua"), csv_bytes([parcel_row(1), parcel_row(2, district="花都区")]))
    assert response.status_code == 422
    assert "无权修改花都区的登记" in response.text
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Parcel)) == 0


def test_a_file_of_the_wrong_type_is_refused(users):
    response = upload(logged_in("city"), b"hello", filename="registry.txt")
    assert response.status_code == 422 and "不支持的文件类型" in response.text


def test_the_auditor_cannot_upload(users):
    assert upload(logged_in("auditor"), csv_bytes(document_registry())).status_code == 403


def test_the_audit_log_lists_filters_and_verifies_the_chain(users):
    client = logged_in("city")
    upload(client, csv_bytes(document_registry()))
    auditor = logged_in("auditor")
    page = auditor.get("/audit")
    assert "registry.import" in page.text and "standard.load" in page.text
    filtered = auditor.get("/audit?entity_type=import_batch").text
    assert "registry.import" in filtered and "standard.load" not in filtered
    result = post(auditor, "/audit/verify")
    assert result.status_code == 200 and "审计日志完整" in result.text


def test_the_chain_check_reports_tampering(users):
    with session_scope() as s:
        entry = s.scalar(select(AuditEntry).order_by(AuditEntry.seq))
        entry.reason = "edited afterwards"
    result = post(logged_in("admin"), "/audit/verify")
    assert "审计日志已被篡改" in result.text and "content altered" in result.text


def test_only_roles_with_the_permission_may_verify_the_chain(users):
    assert post(logged_in("city"), "/audit/verify").status_code == 403  # may read the log, not run the check
    assert post(logged_in("conghua"), "/audit/verify").status_code == 403
