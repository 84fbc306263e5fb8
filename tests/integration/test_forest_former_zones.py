"""Former management zones (forest §4(3)): their subsidy is abolished; such a parcel is paid nothing until
re-designated district-level or city-level eco-forest with its owner's recorded consent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gzgov.core.errors import GzgovError, PermissionDenied
from gzgov.core.models import AuditEntry
from gzgov.forest import cycle
from gzgov.forest.choices import Grade
from gzgov.forest.models import EntitlementLine, Parcel
from gzgov.forest.parcels import redesignate
from gzgov.forest.registry import import_registry
from gzgov.forest.totals import compute_totals
from tests.factories import csv_bytes, parcel_row
from tests.integration.test_cli import run
from tests.integration.test_web_support import logged_in, post
from tests.personas import AUDITOR, CITY, CONGHUA, HUADU


@pytest.fixture
def registry(session):
    rows = [parcel_row(1, grade="I", area_mu="10.00"),
            parcel_row(2, grade="I", area_mu="5.00", former_zone="1", payee_no=2)]
    import_registry(session, CITY, csv_bytes(rows), "r.csv")
    session.commit()


def grade_i_mu(session) -> str:
    return str(compute_totals(session, AUDITOR, 2025).compensation[Grade.I].area_e4 // 10000)


def test_a_former_zone_parcel_is_paid_nothing_until_redesignated_with_consent(session, registry):
    assert grade_i_mu(session) == "10"  # the 5 mu former-zone parcel is left out
    cycle.open_cycle(session, CITY, 2025)
    cycle.verify_areas(session, CONGHUA, 2025, "440117", {"I": "10"})
    cycle.compute_district(session, CONGHUA, 2025, "440117")
    assert len(session.scalars(select(EntitlementLine)).all()) == 1  # payee 2 has no line

    with pytest.raises(GzgovError) as err:
        redesignate(session, CONGHUA, "P-000002", "district", "  ")
    assert err.value.code == "consent_required" and "同意" in err.value.zh
    with pytest.raises(GzgovError):
        redesignate(session, CONGHUA, "P-000001", "district", "同意书 2025-001")  # not a former zone
    with pytest.raises(PermissionDenied):
        redesignate(session, HUADU, "P-000002", "district", "同意书 2025-001")
    redesignate(session, CONGHUA, "P-000002", "district", "同意书 2025-001", "村民小组会议同意")
    assert grade_i_mu(session) == "15"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "parcel.redesignate")).one()
    assert entry.actor == "conghua" and "同意书 2025-001" in str(entry.after) and entry.reason == "村民小组会议同意"
    with pytest.raises(GzgovError) as err:
        redesignate(session, CONGHUA, "P-000002", "city", "同意书 2025-002")
    assert err.value.code == "already_redesignated"

    # the verified total no longer matches the registry: the district re-verifies, then the parcel is paid
    with pytest.raises(GzgovError) as err:
        cycle.compute_district(session, CONGHUA, 2025, "440117")
    assert err.value.code == "area_mismatch"
    cycle.verify_areas(session, CONGHUA, 2025, "440117", {"I": "15"})
    cycle.compute_district(session, CONGHUA, 2025, "440117")
    assert sorted(ln.amount_fen for ln in session.scalars(select(EntitlementLine))) == [5 * 168_00, 10 * 168_00]


def test_redesignation_from_the_command_line(session, registry, users):
    result = run("forest", "redesignate", "P-000002", "--level", "city", "--consent", "同意书 2025-003", user="conghua")
    assert result.exit_code == 0, result.output
    assert "市级以上生态公益林" in result.output
    session.expire_all()
    assert session.scalar(select(Parcel.redesignation).where(Parcel.code == "P-000002")) == "city"
    refused = run("forest", "redesignate", "P-000001", "--level", "city", "--consent", "x", user="conghua")
    assert refused.exit_code != 0 and "not in a former management zone" in refused.output


def test_redesignation_on_the_parcel_page(session, registry, users):
    client = logged_in("conghua")
    page = client.get("/forest/parcels?former_zone=1").text
    assert "原管护区，不计发" in page and 'action="/forest/parcels/P-000002/redesignate"' in page
    r = post(client, "/forest/parcels/P-000002/redesignate", {"level": "district", "consent_ref": ""})
    assert r.status_code in (400, 422)
    r = post(client, "/forest/parcels/P-000002/redesignate", {"level": "district", "consent_ref": "同意书 2025-004"})
    assert r.status_code == 303
    assert "区级生态公益林" in client.get(r.headers["location"]).text
    assert 'redesignate"' not in logged_in("auditor").get("/forest/parcels?former_zone=1").text
    assert post(logged_in("auditor"), "/forest/parcels/P-000002/redesignate",
                {"level": "city", "consent_ref": "x"}).status_code == 403
