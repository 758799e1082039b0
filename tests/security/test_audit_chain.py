"""The audit trail is tamper-evident: `flask audit verify` finds an edited, deleted, inserted or
truncated range written directly in SQL and names where, in one line with a non-zero exit."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.audit.models import AuditEvent
from app.audit.operations import record, write_now
from tests.audit_tampering import tamper

AT = datetime(2026, 11, 26, 1, 43, tzinfo=timezone.utc)


@pytest.fixture
def trail(app, session, make_user):
    """Twelve events by two people, in separate transactions (so in up to two partitions)."""
    people = [make_user("coordinator"), make_user("specialist")]
    for number in range(12):
        event = record(session, "case.viewed", actor=people[number % 2], target_type="case",
                       target_id=number + 1, detail={"access": "full", "n": number})
        event.occurred_at = AT + timedelta(seconds=number)
        session.commit()
    return people


def verify(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output.strip()


def an_event(session, index=5):
    return session.query(AuditEvent).order_by(AuditEvent.id).all()[index]


def test_an_untouched_trail_verifies(app, trail):
    code, output = verify(app)
    assert code == 0 and output.startswith("audit trail intact")


def test_an_edited_event_is_named(app, session, trail):
    victim = an_event(session)
    tamper(session, "UPDATE audit_events SET target_id = '999' WHERE id = :id", id=victim.id)
    code, output = verify(app)
    assert code != 0 and len(output.splitlines()) == 1
    assert f"position {victim.chain_position} (event id {victim.id}): edited" in output


def test_a_deleted_range_is_named(app, session, trail):
    first, second = an_event(session, 2), an_event(session, 8)
    assert first.chain_partition == second.chain_partition
    tamper(session, "DELETE FROM audit_events WHERE id IN (:a, :b)", a=first.id, b=second.id)
    code, output = verify(app)
    assert code != 0
    assert f"positions {first.chain_position}-{first.chain_position}: deleted" in output
    assert f"positions {second.chain_position}-{second.chain_position}: deleted" in output


def test_an_inserted_event_is_named(app, session, trail):
    tamper(session, "INSERT INTO audit_events (occurred_at, action, target_type, target_id, detail) "
                    "VALUES (:at, 'case.viewed', 'case', '1', '{}')", at=AT)
    code, output = verify(app)
    assert code != 0 and "inserted outside the chain" in output
    forged = an_event(session, 11)
    tamper(session, "INSERT INTO audit_events (occurred_at, action, detail, chain_partition, chain_position, "
                    "previous_hash, entry_hash) VALUES (:at, 'x', '{}', :p, :pos, :h, :h)",
           at=AT, p=forged.chain_partition, pos=forged.chain_position + 1, h=forged.entry_hash)
    code, output = verify(app)
    assert code != 0 and f"positions {forged.chain_position + 1}-{forged.chain_position + 1}: inserted" in output


def test_a_truncated_trail_is_named(app, session, trail):
    last = an_event(session, 11)
    tamper(session, "DELETE FROM audit_events WHERE chain_partition = :p AND chain_position > 2",
           p=last.chain_partition)
    code, output = verify(app)
    assert code != 0
    assert f"partition {last.chain_partition} positions 3-{last.chain_position}: truncated" in output


def test_truncate_is_refused_on_postgresql(app, session, trail):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("TRUNCATE audit_events CASCADE"))
    session.rollback()
    assert verify(app)[0] == 0


def test_concurrent_transactions_each_keep_a_whole_chain(app, session, make_user):
    """Events written in one transaction stay consecutive in one partition, even across actors."""
    first, second = make_user("coordinator"), make_user("admin")
    record(session, "user.updated", actor=first, target_type="user", target_id=second.id)
    record(session, "user.updated", actor=second, target_type="user", target_id=first.id)
    session.commit()
    rows = session.query(AuditEvent).order_by(AuditEvent.id).all()[-2:]
    assert rows[0].chain_partition == rows[1].chain_partition
    assert rows[1].chain_position == rows[0].chain_position + 1
    assert verify(app)[0] == 0


def test_one_busy_account_spreads_over_partitions_instead_of_queueing(app, session, make_user):
    """Two open transactions by the same person (one API token used by many clients) chain into
    different partitions on PostgreSQL, so the second does not wait for the first to commit."""
    from sqlalchemy.orm import Session

    from app.extensions import db

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the partition locks are PostgreSQL's (SQLite serialises writers)")
    person = make_user("coordinator")
    first, second = Session(bind=db.engine), Session(bind=db.engine)
    try:
        events = []
        for open_transaction in (first, second):
            events.append(record(open_transaction, "case.viewed", actor=open_transaction.get(type(person), person.id),
                                 target_type="case", target_id=1, detail={"access": "full"}))
            write_now(open_transaction)   # chains now and holds its partition until commit
        assert events[0].chain_partition != events[1].chain_partition
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    assert verify(app)[0] == 0


def test_many_readers_at_once_leave_a_chain_that_verifies(app, session, make_user):
    """Readers sharing one account, each committing one event at a time from its own connection,
    as a busy API token's clients do: every event is chained once, and the trail verifies."""
    import threading

    from sqlalchemy.orm import Session

    from app.extensions import db

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's (SQLite serialises writers)")
    person = make_user("coordinator")
    session.commit()
    engine, failures = db.engine, []

    def reader(number):
        try:
            with Session(bind=engine) as own:
                for step in range(12):
                    record(own, "case.viewed", actor=person.id, target_type="case", target_id=number * 100 + step,
                           detail={"access": "full"})
                    own.commit()
        except Exception as error:  # reported below, outside the thread
            failures.append(error)

    threads = [threading.Thread(target=reader, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    viewed = session.query(AuditEvent).filter(AuditEvent.action == "case.viewed").all()
    assert sorted(int(event.target_id) for event in viewed) == sorted(n * 100 + s for n in range(6) for s in range(12))
    assert verify(app)[0] == 0
