from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class LiveEvent(Base):
    """A change a viewer would care about, written in the same transaction as the change and
    emitted after the commit. `seq` grows with every event, so a client that reconnects asks for
    everything after the last seq it saw.

    `data` is what a viewer with full access receives; `summary_data` is what a viewer who may see
    only a case's pseudonymised summary receives (None: such viewers do not get this event).

    `seq` is global, so a room's seqs have holes. `prev_seq` is the seq of the room's previous
    event (`summary_prev_seq`: the previous one summary viewers get), set under the same lock that
    orders `seq`: a client that receives an event whose `prev` it has not applied knows it missed
    one (docs/live.md, "Delivery protocol").
    """

    __tablename__ = "live_events"
    __table_args__ = (Index("ix_live_events_room_seq", "room", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    room: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    summary_data: Mapped[dict | None] = mapped_column(JSON)
    has_summary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    prev_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    summary_prev_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class LiveRoom(Base):
    """Each room's latest seq, and the latest seq summary viewers get: written with the room's events
    (under the same lock), so the heartbeat and `prev` read one row per room, however long the
    room's history."""

    __tablename__ = "live_rooms"

    room: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    summary_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0,
                                             server_default="0")
