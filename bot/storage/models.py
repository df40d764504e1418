"""The database tables as typed SQLAlchemy models; every change here needs a migration."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.clock import utcnow
from bot.core.case_status import CaseStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_ID = 2**31 - 1
"""The largest id a row can have on every database: the tables' ids are PostgreSQL `integer`s
(SQLite's go to 2**63 - 1); a larger number is no row's id, and asking for it is an error."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores `timestamptz`; SQLite keeps no zone, so values are written as UTC and read
    back with the UTC zone attached. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value (datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # A plain class attribute, as SQLAlchemy documents and reads it (not a ClassVar).
    type_annotation_map = {  # noqa: RUF012
        datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}


class User(Base):
    """A person who writes to the bot, once per channel."""

    __tablename__ = "users"
    # ids are never reused, so nothing keyed by a deleted person's id (e.g. a Redis state that
    # has not expired yet) can ever reach someone else
    __table_args__ = (UniqueConstraint("channel", "external_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "telegram", "console"
    external_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_at: Mapped[datetime | None]  # the user blocked the bot


class ConversationState(Base):
    """Where a user is in the conversation: the engine's state as a JSON-able dict."""

    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]]
    content_version: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """A handoff to a human counsellor; `id` is the case number people see."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.NEW)  # a CaseStatus
    urgent: Mapped[bool] = mapped_column(default=False)
    crisis: Mapped[str | None] = mapped_column(String(32))  # a CrisisKind value, when urgent
    topic: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    flow_path: Mapped[list[str]] = mapped_column(default=list)
    residence_status: Mapped[str | None] = mapped_column(String(64))
    german_level: Mapped[str | None] = mapped_column(String(64))
    contact_preference: Mapped[str | None] = mapped_column(String(64))
    preferred_time: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    question: Mapped[str | None] = mapped_column(Text)
    question_locale: Mapped[str | None] = mapped_column(String(16))
    shown_faq: Mapped[list[str]] = mapped_column(default=list)  # FAQ entry ids
    note: Mapped[str] = mapped_column(Text)  # the German case note, rendered
    staff_thread_id: Mapped[int | None]  # forum topic in the staff group
    staff_message_id: Mapped[int | None]
    claimed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by_name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    called_at: Mapped[datetime | None]  # the callback the person asked for was made
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None]
    translation_off: Mapped[bool] = mapped_column(default=False)
    """A counsellor turned machine translation off for this case (`/translation off`)."""


class TranscriptMessage(Base):
    """One message of a case's conversation between the user, the counsellor and the bot."""

    __tablename__ = "transcript_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # "user", "counsellor", "bot", "note"
    kind: Mapped[str] = mapped_column(String(16))  # "text", "photo", "document", "voice"
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    translation: Mapped[str | None] = mapped_column(Text)
    """The text's machine translation (Telegram HTML), into German for the person's messages and
    into the person's language for a counsellor's (`bot.handoff.relay_translation`)."""
    translation_state: Mapped[str | None] = mapped_column(String(32))
    """"translated", "kept" (sent as written on purpose), a failure's `Untranslated` reason, or
    None (nothing to translate: no provider for the language, the same language, a medium)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message promised but not yet delivered; the outbox worker sends it, then marks it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_delivered_at_next_attempt_at", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # an OutboxKind (bot.handoff.delivery)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # no personal data


class ProcessedUpdate(Base):
    """A Telegram update already handled, so a redelivery is not handled twice."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageEvent(Base):
    """One anonymous step of a conversation, for the statistics of the year review.

    `session` is a random key per conversation (not derived from the person and forgotten with
    the conversation state), so a conversation's steps can be followed but never tied to anyone."""

    __tablename__ = "usage_events"
    __table_args__ = (Index(None, "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    session: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    """"person" (first activity in a month), "conversation", "answer", "step", "consent",
    "case"."""
    locale: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    entry: Mapped[str | None] = mapped_column(String(64))
    flow: Mapped[str | None] = mapped_column(String(64))
    node: Mapped[str | None] = mapped_column(String(64))


class UnansweredQuestion(Base):
    """A free-text question no FAQ entry answered confidently, with no link to who asked; phone
    numbers and e-mail addresses are removed before it is stored."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index(None, "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class StaffAccount(Base):
    """A counsellor's or an admin's account for the web workspace (`lotse staff add`); never
    deleted, only disabled, so the audit log keeps saying who."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))  # what colleagues and the case note see
    role: Mapped[str] = mapped_column(String(16))  # "counsellor", "admin"
    password_hash: Mapped[str] = mapped_column(String(256))  # Argon2id, in its PHC string form
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser: the SHA-256 of its cookie's random token (the token itself is never
    stored), its CSRF token and when it expires."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """One action on a case in the web workspace: who, what, when (never a message's text). The
    case is kept by its number alone, so the entry outlives the case's erasure."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    case_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))  # "claim", "reply", "note", …
    form_key: Mapped[str] = mapped_column(String(128), unique=True)
    """The change's key (`bot.channels.web.workspace.update_key`): a form posted twice is one
    entry, as it is one change."""
