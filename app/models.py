"""Every model, imported in one place so that metadata (and Alembic) sees the whole schema."""
from app.accounts.models import ApiToken, Organization, Role, User, UserRole  # noqa: F401
from app.audit.models import AuditEvent  # noqa: F401
from app.db import Base  # noqa: F401
