"""Changes to single parcels outside an import: re-designating a former management-zone parcel (forest §4(3)).

The management-zone subsidy is abolished; a former zone parcel is paid nothing until, with the consent of
its owner, contractor or operator, the district designates it district-level eco-forest or it is taken
into city-level (or higher) eco-forest. The consent is recorded with the change, which is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.errors import GzgovError, NotFound
from gzgov.forest.models import Parcel

# The two ways out of a former management zone, as §4(3) names them.
LEVELS = {"district": ("区级生态公益林", "district-level eco-forest"),
          "city": ("市级以上生态公益林", "city-level or higher eco-forest")}
BASIS = "forest §4(3)"


def redesignate(session: Session, actor: Actor, code: str, level: str, consent_ref: str, reason: str = "") -> Parcel:
    """Re-designate a former management-zone parcel with the owner's recorded consent; it is payable again
    from the next computation."""
    parcel = session.scalar(select(Parcel).where(Parcel.code == code.strip()))
    if parcel is None:
        raise NotFound("小班", "Parcel", code)
    actor.require("forest.registry.edit", parcel.district_code)
    if not parcel.former_zone:
        raise GzgovError("not_former_zone", f"小班 {code} 不属于原森林管护区，无需重新划定",
                         f"Parcel {code} is not in a former management zone; nothing to re-designate")
    if parcel.redesignation:
        raise GzgovError("already_redesignated", f"小班 {code} 已划定为{LEVELS[parcel.redesignation][0]}",
                         f"Parcel {code} is already {LEVELS[parcel.redesignation][1]}")
    if level not in LEVELS:
        raise GzgovError("bad_level", "请选择划定为区级生态公益林或纳入市级以上生态公益林",
                         "Choose district-level or city-level (or higher) eco-forest")
    if not consent_ref.strip():
        raise GzgovError("consent_required", "须记录所有者、承包者或者经营者同意的凭证（第四条第（三）项）",
                         "Record the consent of the owner, contractor or operator (forest §4(3))")
    before = {"redesignation": "", "consent_ref": ""}
    parcel.redesignation, parcel.consent_ref = level, consent_ref.strip()
    parcel.version += 1
    parcel.updated_at = now()
    session.flush()
    audit.record(session, actor.username, "parcel.redesignate", "forest_parcel", parcel.code, before=before,
                 after={"redesignation": level, "consent_ref": parcel.consent_ref, "basis": BASIS}, reason=reason)
    return parcel
