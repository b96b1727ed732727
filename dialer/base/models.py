"""The tables of Cascade: typed SQLAlchemy models, one class a table."""

import uuid
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    literal_column,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnClause

from dialer.base.db import UTCDateTime
from dialer.base.folds import company_key

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        uuid.UUID: Uuid,
        dict[str, Any]: JSON,
        list[Any]: JSON,
        time: Time,
        Decimal: Numeric(12, 2),
    }


def str_enum(enum: type[StrEnum]) -> Enum:
    """A StrEnum stored as its value in a plain string column."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
    )


def new_id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


class Role(StrEnum):
    OPERATOR = "operator"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Who runs the floor: its dashboard, its stream, pauses and imports.
STAFF_ROLES = (Role.ADMIN, Role.SUPERVISOR)


class Desk(StrEnum):
    ACQUISITION = "acquisition"
    DEVELOPMENT = "development"
    REGULAR = "regular"
    KEY_ACCOUNT = "key_account"


class User(Base):
    __tablename__ = "user_account"
    # `ADMIN` beside `admin` would be two people to the eye and one to a person typing.
    __table_args__ = (
        Index("uq_user_account_login_lower", text("lower(login)"), unique=True),
        # The managers alone (only they have a desk): see migration sales_lookups.
        Index(
            "ix_user_account_desk",
            "desk",
            postgresql_where=text("desk IS NOT NULL"),
            sqlite_where=text("desk IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = new_id()
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    desk: Mapped[Desk | None] = mapped_column(str_enum(Desk))
    capacity: Mapped[int | None]
    hourly_rate: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on deactivation and password change: every token carries the
    # version it was issued at, so old tokens stop working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    hook_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[uuid.UUID] = new_id()
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[time]
    window_end: Mapped[time]
    retry: Mapped[dict[str, Any]]
    max_attempts: Mapped[int]
    calls_per_day: Mapped[int]
    lease_seconds: Mapped[int]
    callback_handover_minutes: Mapped[int]
    # How far ahead a callback may be set: a contact asking to be called in 9999 is a typo.
    callback_max_days: Mapped[int] = mapped_column(server_default=text("90"))
    script: Mapped[str] = mapped_column(Text)
    objections: Mapped[list[Any]]
    questionnaire_fields: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # What the shift planner assumes while the floor has too little history of its own.
    planning: Mapped[dict[str, Any] | None]
    # How long its calls' recordings are kept; the scheduler deletes older ones.
    recording_days: Mapped[int] = mapped_column(default=90, server_default=text("90"))
    # Quality control: the criteria a reviewer scores, and the share of the calls that
    # are neither warm nor an objection that is sampled for review.
    qc_form: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    qc_sample_percent: Mapped[int] = mapped_column(default=10, server_default=text("10"))
    # Consent evidence: whether a warm questionnaire needs the consent said on the call, and
    # the recording notice the operator says first (the lease's script begins with it).
    consent_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    recording_notice: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))


class ContactState(StrEnum):
    READY = "ready"
    LEASED = "leased"
    REVIEW = "review"
    CLOSED = "closed"
    DO_NOT_CALL = "do_not_call"
    ERASED = "erased"


class CallbackScope(StrEnum):
    PERSONAL = "personal"
    ANYONE = "anyone"


# The contacts the queue claims from (ix_contact_ready's), and every other one
# (ix_contact_campaign_state's): each contact is in exactly one of the two.
# Each in brackets: written into a statement beside other conditions, the OR must stay whole.
QUEUED = "(state = 'ready' AND callback_at IS NULL)"
NOT_QUEUED = "(state <> 'ready' OR callback_at IS NOT NULL)"


def state_literal(state: ContactState) -> ColumnClause[str]:
    """A contact's state written into a statement, never bound: a generic plan reaches a
    partial index only where it sees that the statement's condition implies its predicate."""
    return literal_column(f"'{state.value}'", String())


def _folded_company(context: Any) -> str | None:
    # A contact inserted without its key (the demo, the tests' builders): its company's.
    return company_key(context.get_current_parameters().get("company"))


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        # Number first: it also finds a number's contacts in every campaign (see the migration).
        UniqueConstraint("phone_hash", "campaign_id", name="uq_contact_phone_campaign"),
        # The queue's ready rows in claim order within each time zone; the partial
        # index stays small however many contacts are closed or exhausted. The
        # zone comes before the order so that a claim walks only zones whose
        # calling window is open: rows of closed zones never pile up in front.
        Index(
            "ix_contact_ready",
            "campaign_id",
            "timezone",
            "priority",
            "next_call_at",
            postgresql_where=text(QUEUED),
            sqlite_where=text(QUEUED),
        ),
        # Callbacks are few and claimed before anything else, from their own index.
        Index(
            "ix_contact_callback",
            "callback_at",
            postgresql_where=text("state = 'ready' AND callback_at IS NOT NULL"),
            sqlite_where=text("state = 'ready' AND callback_at IS NOT NULL"),
        ),
        # A new client's contacts, closed at its first order, and kept out of the claim.
        Index("ix_contact_company_key", "company_key"),
        # Every contact of a campaign that ix_contact_ready does not hold, by state: with
        # that index, a campaign's stats in one pass over the two indexes alone (see
        # dialer/reports/campaigns.py). Not the ready ones again: an import writes nothing
        # else, and keeping them here too was a seventh of its work on the server. A query
        # reaches it with the state a literal (`state_literal`).
        Index(
            "ix_contact_campaign_state",
            "campaign_id",
            "state",
            "timezone",
            "next_call_at",
            postgresql_where=text(NOT_QUEUED),
            sqlite_where=text(NOT_QUEUED),
        ),
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[uuid.UUID] = new_id()
    # The campaign and the import that brought the contact in; no foreign keys, which
    # would cost every imported row a trigger (see migrations 0006_contact_import_reference
    # and contact_campaign_reference).
    campaign_id: Mapped[uuid.UUID]
    import_id: Mapped[uuid.UUID | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    # The company folded as accounts compare it, written with the contact (an import
    # folds it in its workers): see migration contact_company_key_column.
    company_key: Mapped[str | None] = mapped_column(String(200), default=_folded_company)
    region: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]]
    state: Mapped[ContactState] = mapped_column(str_enum(ContactState), default=ContactState.READY)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    next_call_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expired_streak: Mapped[int] = mapped_column(Integer, default=0)
    callback_at: Mapped[datetime | None]
    callback_scope: Mapped[CallbackScope | None] = mapped_column(str_enum(CallbackScope))
    # The operator a personal callback is kept for; no foreign key (see migration
    # contact_campaign_state_partial): written only from the lease of an operator.
    callback_operator_id: Mapped[uuid.UUID | None]
    last_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DncEntry(Base):
    """A suppressed number: by keyed hash, with the number itself unless erased."""

    __tablename__ = "dnc_entry"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(24))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ContactImport(Base):
    __tablename__ = "contact_import"

    id: Mapped[uuid.UUID] = new_id()
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    do_not_call: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ShiftState(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class ShiftTemplate(Base):
    __tablename__ = "shift_template"

    id: Mapped[uuid.UUID] = new_id()
    name: Mapped[str] = mapped_column(String(100))
    start: Mapped[time]
    end: Mapped[time]
    weekdays: Mapped[list[Any]]
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Shift(Base):
    __tablename__ = "shift"
    __table_args__ = (UniqueConstraint("template_id", "starts_at", name="uq_shift_template_start"),)

    id: Mapped[uuid.UUID] = new_id()
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift_template.id"))
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    state: Mapped[ShiftState] = mapped_column(str_enum(ShiftState), default=ShiftState.PLANNED)
    created_at: Mapped[datetime]


class ShiftEvent(Base):
    """One transition of a shift: who or what made it, and why."""

    __tablename__ = "shift_event"

    id: Mapped[uuid.UUID] = new_id()
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"), index=True)
    from_state: Mapped[ShiftState] = mapped_column(str_enum(ShiftState))
    to_state: Mapped[ShiftState] = mapped_column(str_enum(ShiftState))
    source: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class RosterEntry(Base):
    __tablename__ = "roster_entry"

    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"), primary_key=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime]


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        Index(
            "uq_attendance_open",
            "shift_id",
            "operator_id",
            unique=True,
            postgresql_where=text("clock_out_at IS NULL"),
            sqlite_where=text("clock_out_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = new_id()
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    clock_in_at: Mapped[datetime]
    clock_out_at: Mapped[datetime | None]


class PauseScope(StrEnum):
    DIALER = "dialer"
    SHIFT = "shift"
    OPERATOR = "operator"


class PauseReason(StrEnum):
    SUPERVISOR = "supervisor"
    MANAGERS_SATURATED = "managers_saturated"
    CLIENTS_SATURATED = "clients_saturated"
    SELF = "self"


class Pause(Base):
    """A pause of the dialer, a shift or an operator; open while ended_at is null."""

    __tablename__ = "pause"
    __table_args__ = (
        Index(
            "uq_pause_active",
            "scope",
            "target_id",
            "reason_code",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = new_id()
    scope: Mapped[PauseScope] = mapped_column(str_enum(PauseScope))
    # The shift or operator paused; a fixed all-zero id for the whole dialer so
    # that the unique index also covers it (NULLs never collide).
    target_id: Mapped[uuid.UUID]
    reason_code: Mapped[PauseReason] = mapped_column(str_enum(PauseReason))
    reason: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime]
    # An operator's own break names its kind (lunch, training…), paid or not per code.
    break_code: Mapped[str | None] = mapped_column(ForeignKey("break_code.code"))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]


class LeaseEnd(StrEnum):
    OUTCOME = "outcome"
    RELEASED = "released"
    EXPIRED = "expired"


class Lease(Base):
    __tablename__ = "lease"
    __table_args__ = (
        # At most one active lease per contact and per operator, enforced by
        # the database whatever the code above it does. On PostgreSQL the indexes by
        # contact and by expiry also require their own (never null) column, so that
        # only the index by operator can answer "does this operator hold a lease?"
        # (see migration 0010).
        Index(
            "uq_lease_active_contact",
            "contact_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL AND contact_id IS NOT NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index(
            "uq_lease_active_operator",
            "operator_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index(
            "ix_lease_active_expiry",
            "expires_at",
            postgresql_where=text("ended_at IS NULL AND expires_at IS NOT NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[uuid.UUID] = new_id()
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"))
    shift_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shift.id"))
    attempt_no: Mapped[int]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[LeaseEnd | None] = mapped_column(str_enum(LeaseEnd))


class Disposition(StrEnum):
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    NOT_INTERESTED = "not_interested"
    CALLBACK = "callback"
    WARM = "warm"
    DO_NOT_CALL = "do_not_call"


class Attempt(Base):
    __tablename__ = "attempt"

    id: Mapped[uuid.UUID] = new_id()
    lease_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lease.id"), unique=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"), index=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"))
    shift_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shift.id"), index=True)
    attempt_no: Mapped[int]
    disposition: Mapped[Disposition] = mapped_column(str_enum(Disposition))
    objection: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    callback_at: Mapped[datetime | None]
    call_id: Mapped[str | None] = mapped_column(String(255))
    dialed_at: Mapped[datetime | None]
    ringing_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    hangup_at: Mapped[datetime | None]
    hangup_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(index=True)
    # The consent the contact said on the call, if the operator recorded it: the evidence.
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_scope: Mapped[str | None] = mapped_column(String(64))


class SoftphoneEvent(Base):
    """A call event from a softphone, kept whether or not it matched a lease."""

    __tablename__ = "softphone_event"

    id: Mapped[uuid.UUID] = new_id()
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    lease_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lease.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime]
    received_at: Mapped[datetime]


class QuestionnaireStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    FIRST_ORDER = "first_order"
    LOST = "lost"


class Questionnaire(Base):
    __tablename__ = "questionnaire"
    # The open ones by manager and the closed ones by when: see migration sales_lookups.
    __table_args__ = (
        Index(
            "ix_questionnaire_open",
            "manager_id",
            postgresql_where=text("status IN ('new', 'in_progress')"),
            sqlite_where=text("status IN ('new', 'in_progress')"),
        ),
        Index(
            "ix_questionnaire_closed",
            "updated_at",
            postgresql_where=text("status IN ('first_order', 'lost')"),
            sqlite_where=text("status IN ('first_order', 'lost')"),
        ),
    )

    id: Mapped[uuid.UUID] = new_id()
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempt.id"), unique=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[QuestionnaireStatus] = mapped_column(
        str_enum(QuestionnaireStatus), default=QuestionnaireStatus.NEW
    )
    answers: Mapped[dict[str, Any]]
    company: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AccountStage(StrEnum):
    WORKING = "working"
    REGULAR = "regular"
    KEY_ACCOUNT = "key_account"


class Account(Base):
    __tablename__ = "account"
    # Accounts waiting for a manager, oldest first within a stage: see migration sales_lookups.
    __table_args__ = (
        Index(
            "ix_account_unowned",
            "stage",
            "created_at",
            "id",
            postgresql_where=text("manager_id IS NULL"),
            sqlite_where=text("manager_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = new_id()
    questionnaire_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questionnaire.id"), unique=True)
    company: Mapped[str | None] = mapped_column(String(200), index=True)
    company_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    stage: Mapped[AccountStage] = mapped_column(str_enum(AccountStage))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    strategic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # The account's own plan; None follows the setting (CASCADE_PLAN_VOLUME).
    plan_volume: Mapped[Decimal | None]


class AccountOrder(Base):
    __tablename__ = "account_order"

    id: Mapped[uuid.UUID] = new_id()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    amount: Mapped[Decimal]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime]


class AccountHandoff(Base):
    """One step of a client down the cascade, with who made it and why."""

    __tablename__ = "account_handoff"

    id: Mapped[uuid.UUID] = new_id()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    from_stage: Mapped[AccountStage | None] = mapped_column(str_enum(AccountStage))
    to_stage: Mapped[AccountStage] = mapped_column(str_enum(AccountStage))
    from_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    to_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class IdempotencyRecord(Base):
    """The first answer to an unsafe request, returned again for its key."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SchedulerBeat(Base):
    """When a scheduler last did its periodic work, for readiness checks."""

    __tablename__ = "scheduler_beat"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime]


class BreakCode(Base):
    """A kind of operator break (lunch, training, technical…), paid or not on the timesheet."""

    __tablename__ = "break_code"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class OperatorPresence(Base):
    """When an operator last showed a sign of life: a request, or an open stream.

    Written by each app process at most every few seconds for the operators it saw,
    so that the floor can tell an operator who closed the tab (`offline`).
    """

    __tablename__ = "operator_presence"

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    seen_at: Mapped[datetime]


class AuditEntry(Base):
    """One change a person made through the API: who, when, what, and a short summary."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)

    id: Mapped[uuid.UUID] = new_id()
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    # A uuid for most things; the keyed hash of a number for the do-not-call list, so
    # that the log's ids never carry a number.
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(Text)


class QuestionnaireAddition(Base):
    """A warm call from another number of a company whose questionnaire is still open.

    One questionnaire per company: the call's answers and notes are added to it, for its
    MPK to see, instead of filing a second questionnaire for a second MPK.
    """

    __tablename__ = "questionnaire_addition"

    id: Mapped[uuid.UUID] = new_id()
    questionnaire_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempt.id"), unique=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    answers: Mapped[dict[str, Any]]
    notes: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Recording(Base):
    """The audio of one attempt: where the store keeps it and what it is."""

    __tablename__ = "recording"

    id: Mapped[uuid.UUID] = new_id()
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempt.id"), unique=True)
    key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int]
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    # Chosen for the review queue when it arrived (`dialer.calls.qc.sampled`).
    sampled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class QcReview(Base):
    """A supervisor's scores of one recorded call against its campaign's QC form."""

    __tablename__ = "qc_review"

    id: Mapped[uuid.UUID] = new_id()
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempt.id"), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    scores: Mapped[dict[str, Any]]
    # The weighted score in percent of the form's maximum.
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
