from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime
from app.timekeeping import now_utc

MEETING_STATES = ("scheduled", "in_progress", "finished", "cancelled")
INVITATION_STATES = ("pending", "accepted", "tentative", "declined", "withdrawn")
# An invitation in one of these states holds the invitee's time: nobody may be booked twice.
BOOKING_STATES = ("pending", "accepted", "tentative")
PARTICIPANT_ROLES = ("seat", "attendee", "chair", "observer")


class Meeting(Base):
    """A meeting at UTC instants; `host_timezone` is the wall clock it was planned in."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('scheduled', 'in_progress', 'finished', 'cancelled')", name="status_known"),
        CheckConstraint("kind IN ('board', 'adhoc')", name="kind_known"),
        # One meeting per board per local date: the job that creates meetings ahead is idempotent.
        UniqueConstraint("board_id", "occurrence_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)  # the board's local date of this meeting
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="adhoc")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host_timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    # Raised on every change a calendar client should pick up (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when a person moved this meeting off its board's rule: the board's sync leaves it where it is.
    rescheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    current_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # live meeting
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"radiology": [user ids present], ...} when the chair opened the meeting.
    quorum_at_start: Mapped[dict | None] = mapped_column(JSON)
    agenda_circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # This meeting's own call, instead of its board's link or the deployment's Jitsi room.
    conference_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    agenda: Mapped[list["AgendaItem"]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                      foreign_keys="AgendaItem.meeting_id",
                                                      order_by="AgendaItem.position")
    invitations: Mapped[list["Invitation"]] = relationship(back_populates="meeting",
                                                           cascade="all, delete-orphan",
                                                           order_by="Invitation.id")


class Invitation(Base):
    """A person invited to a meeting, for a discipline's seat or as an attendee.

    `busy_from`/`busy_until` are the meeting widened by the invitee's buffers: the time it
    takes from them, which no other booking may overlap. PostgreSQL enforces that with an
    exclusion constraint created by migration 0004 (`invitations_no_double_booking`).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        CheckConstraint("status IN ('pending', 'accepted', 'tentative', 'declined', 'withdrawn')",
                        name="status_known"),
        CheckConstraint("role IN ('seat', 'attendee', 'chair', 'observer')", name="role_known"),
        CheckConstraint("busy_until > busy_from", name="busy_ends_after_start"),
        # A person's invitations in time order (their agenda, their busy times in a search).
        Index("ix_invitations_user_id", "user_id", "busy_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    discipline_code: Mapped[str | None] = mapped_column(ForeignKey("disciplines.code"))
    role: Mapped[str] = mapped_column(String(20), default="seat")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    busy_from: Mapped[datetime] = mapped_column(UTCDateTime)
    busy_until: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # Set only when a coordinator booked the person outside their working hours on purpose: why.
    outside_hours_reason: Mapped[str | None] = mapped_column(Text)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="invitations")
    user: Mapped[User] = relationship()


class AgendaItem(Base):
    """A case on a meeting's agenda, in order. `rolled_from_meeting_id` marks a roll-over."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id"),
        CheckConstraint("status IN ('listed', 'discussed', 'not_discussed', 'removed')", name="status_known"),
        CheckConstraint("removal_reason IS NULL OR removal_reason IN ('missing_data', 'other')",
                        name="removal_reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="listed")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    rolled_from_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    notes: Mapped[str | None] = mapped_column(Text)  # shared notes taken during the live meeting
    # Why a removed case was taken off (REMOVAL_REASONS in app/meetings/agenda.py); the free text is in
    # the case's history. NULL for removals recorded before the reason was kept.
    removal_reason: Mapped[str | None] = mapped_column(String(20))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda", foreign_keys=[meeting_id])


class Attendance(Base):
    """One stretch of presence at a meeting (from the live board, or marked by the coordinator)."""

    __tablename__ = "attendance"
    __table_args__ = (CheckConstraint("source IN ('live', 'coordinator')", name="source_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(20), default="live")
