from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class LiveEvent(Base):
    """A change a viewer would care about, written in the same transaction as the change and
    emitted after the commit. `seq` grows with every event, so a client that reconnects asks for
    everything after the last seq it saw.

    `data` is what a viewer with full access receives; `summary_data` is what a viewer who may see
    only a case's pseudonymised summary receives (None: such viewers do not get this event).
    """

    __tablename__ = "live_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    room: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    summary_data: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
