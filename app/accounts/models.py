from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class Role(str, enum.Enum):
    REFERRER = "referrer"
    SPECIALIST = "specialist"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    # A site's data-protection officer: exports, erases and sets retention for their own site only;
    # sees no patient data otherwise (not a clinical role).
    DATA_PROTECTION_OFFICER = "data-protection-officer"


ROLE_VALUES = tuple(role.value for role in Role)


class Organization(Base):
    """A hospital or site in the network. Its region decides where its patients' data may go."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    residency_region: Mapped[str] = mapped_column(String(32))
    # Finished cases are erased this many years after they finished (None: kept; app.dataprotection).
    retention_years: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    users: Mapped[list["User"]] = relationship(back_populates="organization")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so that uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    display_timezone: Mapped[str | None] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1, preferred first
    # The interface language this person chose ('en', 'zh', 'ru'); None follows their browser.
    locale: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session cookie's user id: raising it ends every session (sign-out, new password).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organization: Mapped[Organization] = relationship(back_populates="users")
    role_grants: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def timezone(self) -> str:
        """The zone this person reads times in: their own choice, else their organisation's."""
        return self.display_timezone or self.organization.timezone

    # Flask-Login's protocol, kept here so the login manager needs no adapter class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_generation or 0}"


# People suggestions match the start of a name or an e-mail address, whatever its case
# (`people_starting_with`). On PostgreSQL the pattern operator class lets `LIKE 'ab%'` read these
# indexes under any database collation; SQLite, the single-site store, scans its few thousand rows.
Index("ix_users_name_prefix", func.lower(User.name).label("name_lower"),
      postgresql_ops={"name_lower": "text_pattern_ops"}).ddl_if(dialect="postgresql")
Index("ix_users_email_prefix", User.email, postgresql_ops={"email": "text_pattern_ops"}).ddl_if(dialect="postgresql")


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(
            "role IN ('referrer', 'specialist', 'coordinator', 'admin', 'data-protection-officer')",
            name="role_known"
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_grants")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


class PasswordLink(Base):
    """A one-time link to set a password: sent to an invited person, or to someone whose password an
    admin reset. The link's secret is never stored: it is derived from the id and `nonce` with a key
    kept outside the database (app.accounts.password_links); the link works once, until it expires."""

    __tablename__ = "password_links"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Random, not secret on its own: the link's secret is HMAC(key, id and nonce).
    nonce: Mapped[str | None] = mapped_column(String(64))
    # Only links made before migration 0032 (no nonce): the SHA-256 of their secret.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, at: datetime) -> bool:
        return self.used_at is None and at < self.expires_at
