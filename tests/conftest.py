"""Test databases are built by running the migrations, once per run, on SQLite or on PostgreSQL
(GZGOV_TEST_DATABASE_URL); every test starts from the reference data alone."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

_TMP = Path(tempfile.mkdtemp(prefix="gzgov-test-"))
_PG_BASE = os.environ.get("GZGOV_TEST_DATABASE_URL", "")
_SCHEMA = f"gzgov_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
if _PG_BASE.startswith("postgresql"):
    sep = "&" if "?" in _PG_BASE else "?"
    DB_URL = f"{_PG_BASE}{sep}options=-csearch_path%3D{_SCHEMA}"
else:
    DB_URL = f"sqlite:///{_TMP / 'test.db'}"
os.environ["GZGOV_DATABASE_URL"] = DB_URL
os.environ["GZGOV_VAR_DIR"] = str(_TMP / "var")
os.environ.pop("GZGOV_USER", None)
os.environ.setdefault("GZGOV_ENV", "development")

from gzgov.config import get_settings  # noqa: E402

get_settings.cache_clear()

from gzgov.core.db import Base, get_engine, import_all_models, session_scope  # noqa: E402

IS_PG = DB_URL.startswith("postgresql")


@pytest.fixture(scope="session", autouse=True)
def _database():
    if IS_PG:
        admin = create_engine(_PG_BASE)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{_SCHEMA}"'))
    from gzgov.bootstrap import init_database

    init_database()
    yield
    get_engine().dispose()
    if IS_PG:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{_SCHEMA}" CASCADE'))
        admin.dispose()


@pytest.fixture(autouse=True)
def clean_db(_database):
    """Empty every table, then reload the reference data (districts, gazette standards, funding)."""
    import_all_models()
    engine = get_engine()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if IS_PG:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
    from gzgov.bootstrap import seed_reference_data

    with session_scope() as session:
        seed_reference_data(session)
    yield


@pytest.fixture
def session():
    with session_scope() as s:
        yield s


from tests.personas import PERSONAS, TEST_PASSWORD  # noqa: E402


@pytest.fixture
def users(session):
    """The personas as login accounts (one Argon2 hash shared, computed once)."""
    from gzgov.core.models import User

    for p in PERSONAS:
        session.add(User(username=p.username, display_name=p.display_name, password_hash=_password_hash(),
                         role=p.role.value, district_code=p.district_code, unit=p.unit,
                         institution_code=p.institution_code))
    session.commit()
    return {p.username: p for p in PERSONAS}


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        from gzgov.core.auth import hash_password

        _HASH.append(hash_password(TEST_PASSWORD))
    return _HASH[0]
