from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.db import Base, UTCDateTime
from app.specialists.models import Discipline
from app.timekeeping import now_utc

CASE_STATES = ("draft", "submitted", "returned", "triaged", "listed_not_discussed", "scheduled",
               "discussed", "outcome_signed", "closed", "withdrawn")

case_disciplines = Table(
    "case_disciplines",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("discipline_code", ForeignKey("disciplines.code"), primary_key=True),
)


class Case(Base):
    """A referral to an MDT. The patient is known only by the site's pseudonymous reference."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'submitted', 'returned', 'triaged', 'listed_not_discussed', "
                        "'scheduled', 'discussed', 'outcome_signed', 'closed', 'withdrawn')", name="state_known"),
        CheckConstraint("urgency IN ('routine', 'urgent')", name="urgency_known"),
        CheckConstraint("performance_status IS NULL OR performance_status BETWEEN 0 AND 4",
                        name="performance_status_range"),
        CheckConstraint("frailty_score IS NULL OR frailty_score BETWEEN 1 AND 9", name="frailty_range"),
        # Lists are filtered by these and paged by id (keyset); each also serves its foreign key.
        Index("ix_cases_organization_id", "organization_id", "id"),
        Index("ix_cases_board_id", "board_id", "state", "id"),
        Index("ix_cases_state", "state", "id"),
        Index("ix_cases_submitted_at", "submitted_at", "id"),
        Index("ix_cases_site_updated", "organization_id", "updated_at", "id"),   # a site's list page
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))
    # Copied from the referring site when the case is created: where the patient's data must stay.
    residency_region: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(30), default="draft")

    patient_reference: Mapped[str | None] = mapped_column(String(64))
    year_of_birth: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(10))
    country_of_residence: Mapped[str | None] = mapped_column(String(2))
    icd10_code: Mapped[str | None] = mapped_column(String(8))
    diagnosis: Mapped[str | None] = mapped_column(Text)
    performance_status: Mapped[int | None] = mapped_column(Integer)  # WHO / ECOG 0-4
    frailty_score: Mapped[int | None] = mapped_column(Integer)  # Clinical Frailty Scale 1-9
    clinical_summary: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10), default="routine")
    language: Mapped[str | None] = mapped_column(String(2))

    cross_border_consent: Mapped[bool | None] = mapped_column(Boolean)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    triage_decision: Mapped[str | None] = mapped_column(String(30))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # discuss before this instant
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organization: Mapped[Organization] = relationship()
    referrer: Mapped[User] = relationship(foreign_keys=[referrer_id])
    disciplines: Mapped[list[Discipline]] = relationship(secondary=case_disciplines, order_by=Discipline.code)
    transitions: Mapped[list["CaseTransition"]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                               order_by="CaseTransition.id")
    comments: Mapped[list["CaseComment"]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                         order_by="CaseComment.id")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                           order_by="Attachment.id")


class CaseTransition(Base):
    """Every change of state: who, when, why."""

    __tablename__ = "case_transitions"
    # The reports read one kind of move (a case's first discussion) for the cases of a period: an
    # index-only lookup by state, then case, instead of a scan of every move.
    __table_args__ = (Index("ix_case_transitions_state_case_at", "to_state", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    reason: Mapped[str | None] = mapped_column(Text)  # a person's words
    # Or why Meridian moved it: a code of app.vocabulary.TRANSITION_REASONS and its values, put into
    # words in the reader's language when shown.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_params: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class CaseComment(Base):
    __tablename__ = "case_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Attachment(Base):
    """A report or image, stored by SHA-256 under the instance folder; the name is only a label."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="attachments")
