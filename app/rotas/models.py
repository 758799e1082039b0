from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, Time, UniqueConstraint, and_, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime
from app.timekeeping import now_utc

SHIFT_STATES = ("scheduled", "cancelled")
COVER_STATES = ("open", "accepted", "approved", "rejected", "withdrawn")


class Rota(Base):
    """One discipline's on-call rota; handoffs happen at a wall-clock time in a named zone."""

    __tablename__ = "rotas"
    __table_args__ = (
        CheckConstraint("handoff_weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("period_weeks IN (1, 2)", name="period_one_or_two_weeks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    discipline_code: Mapped[str] = mapped_column(ForeignKey("disciplines.code"), index=True)
    # A rota may serve one board; its on-call specialist is then preferred for that board's seats.
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)
    handoff_weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    handoff_time: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    period_weeks: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    members: Mapped[list["RotaMember"]] = relationship(back_populates="rota", cascade="all, delete-orphan",
                                                       order_by="RotaMember.position")
    shifts: Mapped[list["OnCallShift"]] = relationship(back_populates="rota", cascade="all, delete-orphan",
                                                       order_by="OnCallShift.starts_at")


class RotaMember(Base):
    __tablename__ = "rota_members"
    __table_args__ = (UniqueConstraint("rota_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(ForeignKey("rotas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)

    rota: Mapped[Rota] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class OnCallShift(Base):
    """One on-call period. `sequence` rises on every change, for calendar clients (iCalendar SEQUENCE)."""

    __tablename__ = "on_call_shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('scheduled', 'cancelled')", name="status_known"),
        UniqueConstraint("rota_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(ForeignKey("rotas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # A draft until the coordinator publishes the generated period; members see published shifts only.
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    rota: Mapped[Rota] = relationship(back_populates="shifts")
    user: Mapped[User] = relationship()

    @classmethod
    def in_force(cls):
        """The shifts that put someone on call: scheduled and published (a draft puts nobody on call)."""
        return and_(cls.status == "scheduled", cls.published.is_(True))


class CoverRequest(Base):
    """A member asks for cover; another accepts; a coordinator approves, and the shift moves."""

    __tablename__ = "cover_requests"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'approved', 'rejected', 'withdrawn')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("on_call_shifts.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    covered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str | None] = mapped_column(Text)
    decision_reason: Mapped[str | None] = mapped_column(Text)  # why a coordinator rejected it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[OnCallShift] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    covered_by: Mapped[User | None] = relationship(foreign_keys=[covered_by_id])
