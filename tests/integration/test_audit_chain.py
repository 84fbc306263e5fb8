"""The hash-chained audit log detects an edited, a deleted and a truncated entry."""

from __future__ import annotations

from sqlalchemy import delete, text, update

from gzgov.core import audit
from gzgov.core.models import AuditEntry


def three_entries(session):
    for i in range(3):
        audit.record(session, "city", "parcel.update", "forest_parcel", f"P-{i}", before={"area_e4": i},
                     after={"area_e4": i + 1}, reason="test")
    session.commit()


def test_an_untouched_chain_verifies(session):
    three_entries(session)
    result = audit.verify(session)
    assert result.ok and result.entries >= 3


def test_an_edited_entry_is_detected(session):
    three_entries(session)
    last = session.query(AuditEntry).order_by(AuditEntry.seq.desc()).first().seq
    session.execute(update(AuditEntry).where(AuditEntry.seq == last - 1).values(after={"area_e4": 999}))
    session.commit()
    result = audit.verify(session)
    assert not result.ok and any(f"entry {last - 1}" in p for p in result.problems)


def test_a_deleted_entry_is_detected(session):
    three_entries(session)
    last = session.query(AuditEntry).order_by(AuditEntry.seq.desc()).first().seq
    session.execute(delete(AuditEntry).where(AuditEntry.seq == last - 1))
    session.commit()
    assert not audit.verify(session).ok


def test_a_deleted_tail_is_detected(session):
    three_entries(session)
    last = session.query(AuditEntry).order_by(AuditEntry.seq.desc()).first().seq
    session.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    session.commit()
    result = audit.verify(session)
    assert not result.ok and "tail" in result.problems[-1]


def test_a_rewritten_actor_is_detected_even_with_raw_sql(session):
    three_entries(session)
    session.execute(text("UPDATE audit_entry SET actor = 'someone_else' WHERE seq = 1"))
    session.commit()
    assert not audit.verify(session).ok
