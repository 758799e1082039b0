"""Every model, imported in one place so that metadata (and Alembic) sees the whole schema."""
from app.accounts.models import ApiToken, Organization, Role, User, UserRole  # noqa: F401
from app.audit.models import AuditChainHead, AuditEvent, AuditEventTarget  # noqa: F401
from app.boards.models import Board, BoardMember, QuorumRequirement  # noqa: F401
from app.calendar.models import CalendarFeed  # noqa: F401
from app.cases.models import Attachment, Case, CaseComment, CaseTransition  # noqa: F401
from app.db import Base  # noqa: F401
from app.imaging.models import DicomImage  # noqa: F401
from app.live.models import LiveEvent  # noqa: F401
from app.meetings.models import AgendaItem, Attendance, Invitation, Meeting  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.outcomes.models import Outcome, OutcomeSignature  # noqa: F401
from app.preparation.models import CaseReview  # noqa: F401
from app.rotas.models import CoverRequest, OnCallShift, Rota, RotaMember  # noqa: F401
from app.specialists.models import (  # noqa: F401
    DateOverride,
    Discipline,
    Leave,
    Licence,
    SpecialistProfile,
)
