"""Bring a database to a usable state: run the migrations, then load reference data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gzgov.core.db import session_scope, upgrade
from gzgov.core.geo import DISTRICTS
from gzgov.core.models import District


def seed_reference_data(session: Session) -> None:
    from gzgov.forest.funding import seed_funding
    from gzgov.forest.standards import seed_gazette_standards

    for d in DISTRICTS:
        if session.get(District, d.code) is None:
            session.add(District(code=d.code, name_zh=d.name_zh, name_en=d.name_en))
    session.flush()
    seed_gazette_standards(session)
    seed_funding(session)


def init_database() -> None:
    upgrade()
    with session_scope() as session:
        seed_reference_data(session)
