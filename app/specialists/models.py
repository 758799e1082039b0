from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime
from app.timekeeping import UTC, ensure_utc, from_local, now_utc


class Discipline(Base):
    """An MDT discipline from the controlled vocabulary (seeded by migration)."""

    __tablename__ = "disciplines"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The name in other interface languages, e.g. {"zh": "放射科"}; a language not here falls back to
    # the catalogues (shipped codes) or the English name.
    labels: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # A retired discipline is offered nowhere any more; boards, profiles and cases that name it keep it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


specialist_disciplines = Table(
    "specialist_disciplines",
    Base.metadata,
    Column("profile_id", ForeignKey("specialist_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("discipline_code", ForeignKey("disciplines.code"), primary_key=True),
)


class SpecialistProfile(Base):
    """What the matcher needs to know about a specialist, in their own wall-clock time."""

    __tablename__ = "specialist_profiles"
    __table_args__ = (
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_non_negative"),
        CheckConstraint("min_notice_hours >= 0", name="notice_non_negative"),
        CheckConstraint("max_meetings_per_day >= 1 AND max_meetings_per_week >= 1", name="caps_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    home_timezone: Mapped[str] = mapped_column(String(64))
    sub_specialty: Mapped[str | None] = mapped_column(Text)
    # The engine's format: {"mon": [["09:00", "17:00"]], ...}, local wall-clock time.
    weekly_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_hours: Mapped[int] = mapped_column(Integer, default=24)
    max_meetings_per_day: Mapped[int] = mapped_column(Integer, default=3)
    max_meetings_per_week: Mapped[int] = mapped_column(Integer, default=10)
    takes_urgent: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    user: Mapped[User] = relationship()
    disciplines: Mapped[list[Discipline]] = relationship(secondary=specialist_disciplines,
                                                         order_by=Discipline.code)
    leave: Mapped[list["Leave"]] = relationship(back_populates="profile", cascade="all, delete-orphan",
                                                order_by="Leave.starts_at")
    overrides: Mapped[list["DateOverride"]] = relationship(back_populates="profile",
                                                           cascade="all, delete-orphan",
                                                           order_by="DateOverride.local_date")
    licences: Mapped[list["Licence"]] = relationship(back_populates="profile", cascade="all, delete-orphan",
                                                     order_by="Licence.jurisdiction")

    @property
    def discipline_codes(self) -> list[str]:
        return [discipline.code for discipline in self.disciplines]

    def valid_licence_countries(self, at: datetime) -> set[str]:
        return {licence.jurisdiction for licence in self.licences if licence.is_valid_at(at)}


class Leave(Base):
    """Time off, as UTC instants (entered in the specialist's zone or in UTC)."""

    __tablename__ = "specialist_leave"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("specialist_profiles.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    profile: Mapped[SpecialistProfile] = relationship(back_populates="leave")


class DateOverride(Base):
    """Different working hours on one local date; an empty list means not working that day."""

    __tablename__ = "availability_overrides"
    __table_args__ = (UniqueConstraint("profile_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("specialist_profiles.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    ranges: Mapped[list] = mapped_column(JSON, default=list)  # [["09:00", "13:00"], ...]
    note: Mapped[str | None] = mapped_column(Text)

    profile: Mapped[SpecialistProfile] = relationship(back_populates="overrides")


class Licence(Base):
    """A registration to practise in one country. Counts only while verified and unexpired."""

    __tablename__ = "licences"
    __table_args__ = (UniqueConstraint("profile_id", "jurisdiction", "registration_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("specialist_profiles.id", ondelete="CASCADE"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    registration_number: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the verifier checked (a register entry, a document), or why they refused it.
    verification_note: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    profile: Mapped[SpecialistProfile] = relationship(back_populates="licences")
    verified_by: Mapped[User | None] = relationship()

    def expires_at(self) -> datetime:
        """The licence is good through its expiry date in the specialist's home zone."""
        return licence_expires_at(self.expires_on, self.profile.home_timezone)

    def is_valid_at(self, at: datetime) -> bool:
        return licence_valid_at(verified=self.verified_at is not None, expires_on=self.expires_on,
                                zone=self.profile.home_timezone, at=at)


def licence_expires_at(expires_on: date, zone: str) -> datetime:
    """The instant the licence stops counting: the midnight after `expires_on` in `zone`. An expiry at
    the end of the calendar (stored before expiry years were checked) never comes: the latest instant."""
    try:
        return from_local(datetime.combine(expires_on + timedelta(days=1), time(0)), zone)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def licence_valid_at(*, verified: bool, expires_on: date, zone: str, at: datetime) -> bool:
    """Verified, and `at` is before the end of the expiry date in the home zone. Every zone's date is
    within a day of UTC's, so only an expiry within a day of `at` needs the zone's midnight."""
    if not verified:
        return False
    utc_day = ensure_utc(at).date()
    if expires_on > utc_day + timedelta(days=1):
        return True
    if expires_on < utc_day - timedelta(days=1):
        return False
    return ensure_utc(at) < licence_expires_at(expires_on, zone)
