"""The registry of supervised institutions: validation, blacklist checks on every institution and party,
district and institution scoping, API tokens kept only as digests, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gzgov.core.errors import GzgovError, NotFound, PermissionDenied
from gzgov.core.identity import make_credit_code
from gzgov.core.models import AuditEntry
from gzgov.finreg import registry as reg
from gzgov.finreg.models import ApiToken
from tests.factories import household_id
from tests.personas import AUDITOR, CONGHUA, INSTITUTION, SUPERVISOR, TIANHE_SUP


def entity(n: int) -> str:
    return make_credit_code("440106", f"F{n:07d}")


def small_loan(code="SL-0001", n=1, district="440106", **kw) -> reg.InstitutionIn:
    return reg.InstitutionIn(code=code, name=f"广州某小额贷款有限公司{n}", kind="small_loan", credit_code=entity(n),
                             district_code=district, registered_capital_yuan="100000000", **kw)


def test_an_institution_is_registered_and_audited(session):
    inst = reg.register_institution(session, SUPERVISOR, small_loan(subkind="internet"))
    assert inst.registered_capital_fen == 100_000_000_00 and inst.status == "operating"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "finreg.institution.register")).one()
    assert entry.after["credit_code"] == inst.credit_code
    with pytest.raises(GzgovError) as err:
        reg.register_institution(session, SUPERVISOR, small_loan(n=1))
    assert err.value.code == "institution_exists"


@pytest.mark.parametrize(("change", "code"), [
    ({"kind": "bank"}, "bad_kind"), ({"subkind": "government"}, "bad_subkind"), ({"district_code": "999999"},
                                                                                   "unknown_district"),
    ({"credit_code": "91440106MA59ABCDE0"}, "bad_credit_code"), ({"registered_capital_yuan": "一亿"}, "bad_capital"),
    ({"registered_capital_yuan": "0"}, "bad_capital"), ({"status": "dormant"}, "bad_status"),
])
def test_bad_registrations_are_refused_in_both_languages(session, change, code):
    data = small_loan().__dict__ | change
    with pytest.raises(GzgovError) as err:
        reg.register_institution(session, SUPERVISOR, reg.InstitutionIn(**data))
    assert err.value.code == code and err.value.zh and err.value.en


def test_the_blacklist_bars_institutions_shareholders_and_officers_while_valid(session):
    reg.add_to_blacklist(session, SUPERVISOR, "entity", "某投资公司", entity(9), "（2023）粤0106刑初123号判决",
                         date(2023, 1, 1))
    reg.add_to_blacklist(session, SUPERVISOR, "person", "张某", household_id(5, "440106"), "穗金管罚〔2022〕8号",
                         date(2022, 1, 1), date(2024, 12, 31))
    with pytest.raises(reg.BlacklistHit) as err:
        reg.register_institution(session, SUPERVISOR, small_loan(n=9))
    assert "（2023）粤0106刑初123号" in err.value.zh
    reg.register_institution(session, SUPERVISOR, small_loan())
    with pytest.raises(reg.BlacklistHit):
        reg.add_party(session, SUPERVISOR, "SL-0001", "shareholder", "entity", "某投资公司", entity(9), share_bp=3000)
    # the person's entry expired at the end of 2024: today (2026) they may be registered
    officer = reg.add_party(session, SUPERVISOR, "SL-0001", "officer", "person", "张某", household_id(5, "440106"),
                            position="风控总监")
    assert officer.id_masked != household_id(5, "440106") and household_id(5, "440106") not in officer.id_enc
    assert reg.check_blacklist(session, household_id(5, "440106"), date(2024, 6, 1)) is not None
    with pytest.raises(GzgovError) as err:
        reg.add_party(session, SUPERVISOR, "SL-0001", "shareholder", "entity", "某公司", entity(3), share_bp=0)
    assert err.value.code == "bad_share"


def test_who_sees_which_institution(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2, district="440113"))
    assert [i.code for i in reg.institutions(session, SUPERVISOR)] == ["SL-0001", "SL-0002"]
    assert [i.code for i in reg.institutions(session, AUDITOR)] == ["SL-0001", "SL-0002"]
    assert [i.code for i in reg.institutions(session, TIANHE_SUP)] == ["SL-0001"]
    assert [i.code for i in reg.institutions(session, INSTITUTION)] == ["SL-0001"]
    with pytest.raises(PermissionDenied):
        reg.get_institution(session, TIANHE_SUP, "SL-0002")
    with pytest.raises(NotFound):  # an institution cannot even learn another exists
        reg.get_institution(session, INSTITUTION, "SL-0002")
    with pytest.raises(PermissionDenied):
        reg.institutions(session, CONGHUA)
    for outsider in (TIANHE_SUP, INSTITUTION, AUDITOR):
        with pytest.raises(PermissionDenied):
            reg.register_institution(session, outsider, small_loan("SL-0003", 3))


def test_an_api_token_is_shown_once_and_kept_as_a_digest(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    token = reg.issue_token(session, SUPERVISOR, "SL-0001")
    assert token.startswith("gzf_") and len(token) > 40
    row = session.scalar(select(ApiToken))
    assert token not in (row.token_sha256, row.prefix) and row.prefix == token[:12]
    assert reg.institution_for_token(session, token).code == "SL-0001"
    assert reg.institution_for_token(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    reg.revoke_token(session, SUPERVISOR, row.prefix)
    assert reg.institution_for_token(session, token) is None
    with pytest.raises(PermissionDenied):
        reg.issue_token(session, INSTITUTION, "SL-0001")
