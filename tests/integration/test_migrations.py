"""The migrations build exactly the schema the models declare (no table, column, index or constraint only on
one side), on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gzgov.core.db import Base, get_engine, import_all_models


def test_the_migrated_schema_matches_the_models():
    import_all_models()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []
