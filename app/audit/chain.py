"""The audit trail's hash chain: each event carries an HMAC of its content and of the event before it.

Events are chained per partition (a transaction's audit events all join one partition), so concurrent
writers wait only for others in the same partition. On PostgreSQL a transaction takes the first
partition nobody else holds, starting from its first actor's, so even one busy account (a shared API
token, an integration) spreads over every partition instead of queueing on one. Each partition's
head (its last position and hash) is kept in `audit_chain_heads`, updated in the same transaction:
an edited, deleted, inserted or truncated range no longer matches the chain or its head, and
`verify` names where. The key (AUDIT_CHAIN_KEY) lives outside the database, so someone who can
write to the database alone cannot forge a consistent chain.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from app.audit.models import AuditChainHead, AuditEvent, AuditEventTarget
from app.timekeeping import ensure_utc

PARTITIONS = 8
GENESIS = "0" * 64
_key = b"meridian-audit-chain-unconfigured"


def configure(key: str) -> None:
    global _key
    _key = key.encode()


def canonical(row) -> bytes:
    """The content an event's hash covers (everything but its database id and its own hash)."""
    return json.dumps([
        row.chain_partition, row.chain_position, ensure_utc(row.occurred_at).isoformat(timespec="microseconds"),
        row.actor_id, row.action, row.target_type, row.target_id, row.source_address, row.detail or {},
    ], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(previous: str, row) -> str:
    return hmac.new(_key, previous.encode() + b"\n" + canonical(row), hashlib.sha256).hexdigest()


# pg_advisory_xact_lock keys, one per partition ("MAUD" + partition).
AUDIT_LOCK_BASE = 0x4D415544_00
_PENDING = "audit_pending"


def queue(session: Session, item: AuditEvent) -> None:
    """Hold `item` until the transaction commits, then chain and write it (see `write_queued`).

    Writing at commit keeps the partition lock to the commit itself, taken in the same place by
    every transaction (like the live-event lock), so locks are never taken in opposite orders."""
    real = session() if callable(session) and not isinstance(session, Session) else session
    real.info.setdefault(_PENDING, []).append(item)


def _claim_a_partition(session: Session, preferred: int) -> tuple[int, tuple[int, str]]:
    """A partition locked for this transaction, and its head: the first free one from `preferred` on,
    else (all busy) `preferred`, waiting for it. Only PostgreSQL has the locks; SQLite serialises
    writers anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return preferred, _locked_head(session, preferred, just_locked=True)
    for step in range(PARTITIONS):
        partition = (preferred + step) % PARTITIONS
        attempt = session.execute(_TRY_PARTITION, {"key": AUDIT_LOCK_BASE + partition, "partition": partition}).one()
        if attempt.locked:
            if attempt.position is None:  # the partition's first event: no head yet
                return partition, _locked_head(session, partition, just_locked=True)
            return partition, (attempt.position, attempt.entry_hash)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_BASE + preferred})
    return preferred, _locked_head(session, preferred, just_locked=True)


# A partition's lock tried and, only if taken, its head read, in one round trip. FOR UPDATE makes
# PostgreSQL return the head as the lock's last holder committed it, even if that was after this
# statement's snapshot was taken.
_TRY_PARTITION = text("""
SELECT attempt.locked, head.position, head.entry_hash
FROM (SELECT pg_try_advisory_xact_lock(:key) AS locked) AS attempt
LEFT JOIN LATERAL (SELECT position, entry_hash FROM audit_chain_heads
                   WHERE partition = :partition AND attempt.locked FOR UPDATE) AS head ON true
""")


_heads = AuditChainHead.__table__
_events = AuditEvent.__table__
# What an event's INSERT carries: every column but the id the database assigns.
_EVENT_COLUMNS = tuple(column.key for column in _events.columns if column.key != "id")


def _locked_head(session: Session, partition: int, *, just_locked: bool) -> tuple[int, str]:
    """The partition's head (position, hash), locked until commit (created at its first event). Locked
    again on a later write (`just_locked` False): a rolled-back savepoint may have released the lock
    it was first taken in."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not just_locked:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_BASE + partition})
    head = _select_head(session, partition)
    if head is not None:
        return head
    upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    values = {"partition": partition, "position": 0, "entry_hash": GENESIS}
    if upsert is None:  # another dialect: no upsert
        session.execute(insert(_heads).values(**values))
    else:
        session.execute(upsert(_heads).values(**values).on_conflict_do_nothing(index_elements=["partition"]))
    return _select_head(session, partition)


def _select_head(session: Session, partition: int) -> tuple[int, str] | None:
    row = session.execute(select(_heads.c.position, _heads.c.entry_hash)
                          .where(_heads.c.partition == partition).with_for_update()).first()
    return None if row is None else (row.position, row.entry_hash)


def _chain(session: Session, items: list[AuditEvent], *, move_head: bool = True) -> None:
    """Give `items` (not yet written) their places in this transaction's partition, in the order they
    occurred, and move the partition's head past them (unless the caller writes the head itself)."""
    items.sort(key=lambda item: ensure_utc(item.occurred_at))
    partition = session.info.get("audit_partition")
    if partition is None:  # the first events of this transaction: its lock is held until commit
        partition, (position, previous) = _claim_a_partition(session, (items[0].actor_id or 0) % PARTITIONS)
        session.info["audit_partition"] = partition
    else:
        position, previous = _locked_head(session, partition, just_locked=False)
    for item in items:
        item.detail = json.loads(json.dumps(item.detail or {}, default=str))  # as it will read back
        position += 1
        item.chain_partition, item.chain_position, item.previous_hash = partition, position, previous
        item.entry_hash = previous = entry_hash(previous, item)
    if move_head:
        session.execute(update(_heads).where(_heads.c.partition == partition)
                        .values(position=position, entry_hash=previous))


@event.listens_for(Session, "before_commit")
def write_queued(session: Session) -> None:
    """Chain and write the events queued in this transaction (at commit, or before reading the trail).

    Written as plain INSERTs, not through the ORM's flush (every read request writes one event, so
    the flush's bookkeeping was a large part of a read's cost); each event then joins the session as
    if loaded, so its holder sees its id and the ORM still refuses to change it."""
    queued = session.info.pop(_PENDING, None)
    if not queued:
        return
    if len(queued) == 1 and session.get_bind().dialect.name == "postgresql":
        _write_one_in_one_statement(session, queued[0])
    else:
        _chain(session, queued)
        rows = [{key: getattr(item, key) for key in _EVENT_COLUMNS} for item in queued]
        ids = session.execute(insert(_events).returning(_events.c.id, sort_by_parameter_order=True),
                              rows).scalars()
        for item, event_id in zip(queued, ids):
            item.id = event_id
        targets = [{"audit_event_id": item.id, "target_type": target_type, "target_id": target_id}
                   for item in queued for target_type, target_id in getattr(item, "pending_targets", ())]
        if targets:
            session.execute(insert(AuditEventTarget), targets)
    for item in queued:
        make_transient_to_detached(item)
        session.add(item)


def _write_one_in_one_statement(session: Session, item: AuditEvent) -> None:
    """A read request's one event, its targets and its partition's new head, in one round trip
    (PostgreSQL runs every data-modifying part of a WITH)."""
    _chain(session, [item], move_head=False)
    targets = getattr(item, "pending_targets", ())
    values = {key: getattr(item, key) for key in _EVENT_COLUMNS}
    values.update(head_partition=item.chain_partition, head_position=item.chain_position,
                  head_hash=item.entry_hash)
    if targets:
        values.update(target_types=[target_type for target_type, _ in targets],
                      target_ids=[target_id for _, target_id in targets])
    item.id = session.scalar(_ONE_EVENT_WITH_TARGETS if targets else _ONE_EVENT, values)


def _one_event_statement(*, with_targets: bool):
    """`_write_one_in_one_statement`'s SQL, built once: the event, the head moved past it and (with
    targets) one row per target, all from parameters."""
    written = (insert(_events).values({key: bindparam(key, type_=_events.c[key].type) for key in _EVENT_COLUMNS})
               .returning(_events.c.id).cte("written_event"))
    statement = select(written.c.id).add_cte(
        update(_heads).where(_heads.c.partition == bindparam("head_partition"))
        .values(position=bindparam("head_position"), entry_hash=bindparam("head_hash")).cte("moved_head"))
    if not with_targets:
        return statement
    return statement.add_cte(insert(AuditEventTarget.__table__).from_select(
        ["audit_event_id", "target_type", "target_id"],
        # Sent as JSON arrays: the driver writes a list as a PostgreSQL array value by value in Python,
        # where a list view names fifty targets.
        select(written.c.id, func.json_array_elements_text(bindparam("target_types", type_=postgresql.JSON)),
               func.json_array_elements_text(bindparam("target_ids", type_=postgresql.JSON)))
    ).cte("named_targets"))


_ONE_EVENT = _one_event_statement(with_targets=False)
_ONE_EVENT_WITH_TARGETS = _one_event_statement(with_targets=True)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context, instances) -> None:
    """Events added to the session directly (not queued) are chained as they are flushed."""
    new_events = [item for item in session.new if isinstance(item, AuditEvent)]
    if new_events:
        _chain(session, new_events)


@event.listens_for(Session, "after_transaction_end")
def _forget_partition(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("audit_partition", None)
        session.info.pop(_PENDING, None)


# --- verification --------------------------------------------------------------------------------


@dataclass
class Break:
    partition: int
    where: str
    what: str

    def __str__(self) -> str:
        return f"partition {self.partition} {self.where}: {self.what}"


def verify(session: Session, batch: int = 1000) -> tuple[int, list[Break]]:
    """(events checked, breaks found): every partition walked in position order against its head."""
    breaks: list[Break] = []
    checked = 0
    unchained = session.scalars(select(AuditEvent.id).where(AuditEvent.entry_hash.is_(None))
                                .order_by(AuditEvent.id).limit(20)).all()
    if unchained:
        breaks.append(Break(-1, f"event id {', '.join(map(str, unchained))}",
                            "inserted outside the chain (no hash)"))
    heads = {head.partition: head for head in session.scalars(
        select(AuditChainHead).execution_options(populate_existing=True))}
    partitions = sorted(set(heads) | set(session.scalars(
        select(AuditEvent.chain_partition).where(AuditEvent.chain_partition.is_not(None)).distinct())))
    for partition in partitions:
        expected, previous = 1, GENESIS
        rows = session.execute(select(AuditEvent).where(AuditEvent.chain_partition == partition)
                               .order_by(AuditEvent.chain_position)
                               .execution_options(yield_per=batch, populate_existing=True)).scalars()
        for row in rows:
            checked += 1
            where = f"position {row.chain_position} (event id {row.id})"
            if row.entry_hash != entry_hash(row.previous_hash or "", row):
                breaks.append(Break(partition, where, "edited"))
            if row.chain_position > expected:
                breaks.append(Break(partition, f"positions {expected}-{row.chain_position - 1}", "deleted"))
            elif row.previous_hash != previous:
                breaks.append(Break(partition, where, "does not follow the event before it (the chain was "
                                                     "rewritten)"))
            expected, previous = row.chain_position + 1, row.entry_hash
        head = heads.get(partition)
        last = expected - 1
        if head is None:
            breaks.append(Break(partition, f"positions 1-{last}", "have no head (inserted)"))
        elif head.position > last:
            breaks.append(Break(partition, f"positions {last + 1}-{head.position}", "truncated (missing at the end)"))
        elif head.position < last:
            breaks.append(Break(partition, f"positions {head.position + 1}-{last}", "inserted after the head"))
        elif head.entry_hash != previous:
            breaks.append(Break(partition, f"position {last}", "does not match the head"))
    return checked, breaks
