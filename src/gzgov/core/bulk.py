"""Fast bulk inserts for large imports: COPY on PostgreSQL, executemany of tuples on SQLite.

SQLAlchemy's per-row parameter processing dominates at a million rows; these paths hand plain
tuples to the driver. Values must already be of the column's Python type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

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


def bulk_datetime(session: Session, value: datetime) -> datetime | str:
    """`value` as a constant column for `bulk_insert`: on SQLite the very text SQLAlchemy's DateTime stores
    ("YYYY-MM-DD HH:MM:SS.ffffff", microseconds always written), so that a million rows skip a million adapter
    calls and compare correctly with rows the ORM wrote (a bare "HH:MM:SS" sorts before "HH:MM:SS.000000")."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if session.connection().dialect.name == "sqlite" else value


@contextmanager
def roomy_cache(session: Session, mib: int = 64) -> Iterator[None]:
    """On SQLite, a larger page cache for the duration of a big write (indexes with random keys thrash the
    default 2 MiB), restored afterwards; nothing on other databases."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    cur = conn.connection.dbapi_connection.cursor()
    before = cur.execute("PRAGMA cache_size").fetchone()[0]
    cur.execute(f"PRAGMA cache_size = {-int(mib) * 1024}")
    try:
        yield
    finally:
        cur.execute(f"PRAGMA cache_size = {int(before)}")
        cur.close()
