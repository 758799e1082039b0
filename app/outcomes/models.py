from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime
from app.errors import Conflict
from app.timekeeping import now_utc

OUTCOME_CATEGORIES = ("surgery", "systemic_therapy", "radiotherapy", "chemoradiotherapy",
                      "further_investigation", "surveillance", "palliative_care", "clinical_trial",
                      "refer_on", "no_further_action")


class Outcome(Base):
    """One version of a case's recommendation. Once `signed_at` is set it never changes; an
    amendment is a new version pointing at the one it replaces."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("case_id", "version"),
                      CheckConstraint("version >= 1", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("outcomes.id"))
    recommendation: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    rationale: Mapped[str | None] = mapped_column(Text)
    dissent: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list] = mapped_column(JSON, default=list)  # [{"action", "owner_id", "due"}]
    # Staging (UICC/AJCC TNM) as the board agreed it, in the edition named; each part is optional.
    tnm_edition: Mapped[int | None] = mapped_column(Integer)
    clinical_t: Mapped[str | None] = mapped_column(String(16))
    clinical_n: Mapped[str | None] = mapped_column(String(16))
    clinical_m: Mapped[str | None] = mapped_column(String(16))
    pathological_t: Mapped[str | None] = mapped_column(String(16))
    pathological_n: Mapped[str | None] = mapped_column(String(16))
    stage_group: Mapped[str | None] = mapped_column(String(16))
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Why this version replaces the one it supersedes (every amendment says; the first version has none).
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    signatures: Mapped[list["OutcomeSignature"]] = relationship(back_populates="outcome",
                                                                cascade="all, delete-orphan",
                                                                order_by="OutcomeSignature.id")


class OutcomeSignature(Base):
    __tablename__ = "outcome_signatures"
    __table_args__ = (UniqueConstraint("outcome_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    discipline_code: Mapped[str] = mapped_column(ForeignKey("disciplines.code"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    outcome: Mapped[Outcome] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship()


FOLLOW_UP_STATUSES = ("carried_out", "changed", "not_carried_out")
STAGING_FIELDS = ("clinical_t", "clinical_n", "clinical_m", "pathological_t", "pathological_n", "stage_group")
TNM_EDITIONS = (7, 8, 9)


class OutcomeFollowUp(Base):
    """What became of a signed recommendation: carried out, changed or not carried out, on which
    date and why. One record per signed outcome version, corrected in place; the quality reports
    read it to tell whether the board's advice was followed."""
    __tablename__ = "outcome_follow_ups"
    __table_args__ = (
        CheckConstraint("status IN ('carried_out', 'changed', 'not_carried_out')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    outcome: Mapped[Outcome] = relationship()
    recorded_by: Mapped[User] = relationship()


class SignedOutcomeIsImmutable(Conflict):
    """Raised by the ORM guard when something tries to change a signed outcome or its signatures."""


# --- the ORM guard: a signed outcome never changes ------------------------------------------------


def _stored_signed_at(connection, outcome_id) -> datetime | None:
    if outcome_id is None:
        return None
    table = Outcome.__table__
    return connection.execute(select(table.c.signed_at).where(table.c.id == outcome_id)).scalar()


@event.listens_for(Outcome, "before_update")
def _refuse_changes_to_signed_outcome(mapper, connection, target):
    if _stored_signed_at(connection, target.id) is None:
        return  # a draft (signing it sets signed_at, which is allowed)
    state = inspect(target)
    changed = [attr.key for attr in mapper.column_attrs if state.attrs[attr.key].history.has_changes()]
    if changed:
        raise SignedOutcomeIsImmutable(
            f"Outcome {target.id} is signed and cannot be changed ({', '.join(changed)}); amend it instead.")


@event.listens_for(Outcome, "before_delete")
def _refuse_deleting_signed_outcome(mapper, connection, target):
    if _stored_signed_at(connection, target.id) is not None:
        raise SignedOutcomeIsImmutable(f"Outcome {target.id} is signed and cannot be deleted.")


@event.listens_for(OutcomeSignature, "before_insert")
@event.listens_for(OutcomeSignature, "before_update")
@event.listens_for(OutcomeSignature, "before_delete")
def _refuse_changing_signatures_of_signed_outcome(mapper, connection, target):
    if _stored_signed_at(connection, target.outcome_id or getattr(target.outcome, "id", None)) is not None:
        raise SignedOutcomeIsImmutable("The signatures of a signed outcome cannot be changed.")
