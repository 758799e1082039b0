from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.db import Base, UTCDateTime
from app.timekeeping import now_utc

MEMBER_ROLES = ("core", "deputy", "coordinator", "observer")
# What happens when someone declines a seat: the next eligible person is invited at once, or the
# board's coordinators are told and replace them by hand.
REPLACE_DECLINES = ("automatic", "manual")


class Board(Base):
    """A recurring MDT meeting. The recurrence is a wall-clock rule in the host's zone: the host's
    clock stays fixed across DST; each participant sees their own local time move."""

    __tablename__ = "boards"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("interval_weeks IN (1, 2)", name="weekly_or_fortnightly"),
        CheckConstraint("duration_minutes > 0 AND cases_per_meeting > 0 AND minutes_per_case > 0",
                        name="positive_sizes"),
        CheckConstraint("agenda_cutoff_hours >= 0", name="cutoff_non_negative"),
        CheckConstraint("replace_declines IN ('automatic', 'manual')", name="replace_declines_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, in the host's zone
    start_time: Mapped[time] = mapped_column(Time)  # host wall clock
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    interval_weeks: Mapped[int] = mapped_column(Integer, default=1)
    # The local date of one meeting of the series; fortnightly boards meet on weeks an even number away.
    anchor_date: Mapped[date] = mapped_column(Date)
    cases_per_meeting: Mapped[int] = mapped_column(Integer, default=12)
    minutes_per_case: Mapped[int] = mapped_column(Integer, default=10)
    agenda_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    replace_declines: Mapped[str] = mapped_column(String(20), default="automatic", server_default="automatic")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The board's standing call (Teams, Zoom, Webex); its meetings join there unless one has its own.
    conference_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    host_organization: Mapped[Organization] = relationship()
    quorum: Mapped[list["QuorumRequirement"]] = relationship(back_populates="board", cascade="all, delete-orphan",
                                                             order_by="QuorumRequirement.discipline_code")
    members: Mapped[list["BoardMember"]] = relationship(back_populates="board", cascade="all, delete-orphan",
                                                        order_by="BoardMember.id")


class QuorumRequirement(Base):
    __tablename__ = "board_quorum"
    __table_args__ = (CheckConstraint("count >= 1", name="count_positive"),)

    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    discipline_code: Mapped[str] = mapped_column(ForeignKey("disciplines.code"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)

    board: Mapped[Board] = relationship(back_populates="quorum")


class BoardMember(Base):
    """Core members and deputies hold a discipline; coordinators run the board; observers watch."""

    __tablename__ = "board_members"
    __table_args__ = (
        UniqueConstraint("board_id", "user_id", "role"),
        CheckConstraint("role IN ('core', 'deputy', 'coordinator', 'observer')", name="role_known"),
        CheckConstraint("role NOT IN ('core', 'deputy') OR discipline_code IS NOT NULL",
                        name="seat_members_have_a_discipline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    discipline_code: Mapped[str | None] = mapped_column(ForeignKey("disciplines.code"))

    board: Mapped[Board] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
