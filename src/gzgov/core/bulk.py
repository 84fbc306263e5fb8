"""Fast bulk inserts for large imports: COPY on PostgreSQL, executemany of tuples on SQLite.

SQLAlchemy's per-row parameter processing dominates at a million rows; these paths hand plain
tuples to the driver. Values must already be of the column's Python type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert rows (tuples in `columns` order) in the session's transaction; returns the count."""
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    n = 0
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n
    marks = ", ".join("?" for _ in columns)
    cur = raw.cursor()
    batch: list[Sequence[object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 20_000:
            cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', batch)
            n += len(batch)
            batch.clear()
    if batch:
        cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', batch)
        n += len(batch)
    cur.close()
    return n
