"""The outcome's reads and writes: the call locked, the number's history, the attempt.

Prebuilt statements with bound parameters, in SQLAlchemy Core: an outcome
follows every call, and building statements or running the ORM's unit of work
per request cost more than the database does. On PostgreSQL the attempt, the
lease's end and the contact's new state go in one statement.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Row, String, Table, bindparam, exists, func, select, text, true, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import NotFound
from dialer.base.models import (
    Attempt,
    CallbackScope,
    ContactState,
    Disposition,
    LeaseEnd,
    Shift,
    SoftphoneEvent,
)
from dialer.calls.calls import Heard
from dialer.queue.claims import READY, contact, lease

attempt = cast(Table, Attempt.__table__)
shift = cast(Table, Shift.__table__)
softphone_event = cast(Table, SoftphoneEvent.__table__)

LEASE_COLUMNS = (
    lease.c.id,
    lease.c.operator_id,
    lease.c.contact_id,
    lease.c.campaign_id,
    lease.c.shift_id,
    lease.c.attempt_no,
    lease.c.created_at,
    lease.c.expires_at,
    lease.c.ended_at,
    lease.c.end_reason,
)


class Report(Protocol):
    """The parts of an operator's report that the attempt keeps."""

    @property
    def disposition(self) -> Disposition: ...
    @property
    def objection(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...
    @property
    def callback_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class HeldLease:
    """A lease as its lifecycle checks see it."""

    id: uuid.UUID
    operator_id: uuid.UUID
    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    shift_id: uuid.UUID | None
    attempt_no: int
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: LeaseEnd | None

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> "HeldLease":
        return cls.of_mapping(row._mapping)

    @classmethod
    def of_mapping(cls, row: Mapping[Any, Any]) -> "HeldLease":
        """The lease of a row by column name, as SQLAlchemy or the driver returns it."""
        held = cls(*(row[c.name] for c in LEASE_COLUMNS))
        reason = held.end_reason
        return replace(held, end_reason=LeaseEnd(reason) if reason is not None else None)


@dataclass(frozen=True)
class CalledContact:
    """What an outcome needs to know of the contact called."""

    id: uuid.UUID
    state: ContactState
    phone_hash: str
    phone: str | None
    company: str | None
    timezone: str
    attempts: int
    next_call_at: datetime


History = list[tuple[uuid.UUID, Disposition, datetime]]


@dataclass(frozen=True)
class Call:
    """A lease and its contact, locked together, and every earlier attempt on the number."""

    lease: HeldLease
    contact: CalledContact
    shift_ends_at: datetime | None
    has_events: bool
    history: History


@dataclass(frozen=True)
class Change:
    """The contact's state after the outcome."""

    state: ContactState
    next_call_at: datetime
    callback_at: datetime | None = None
    callback_scope: CallbackScope | None = None
    callback_operator_id: uuid.UUID | None = None


_CONTACT_COLUMNS = (
    contact.c.id.label("c_id"),
    contact.c.state.label("c_state"),
    contact.c.phone_hash,
    contact.c.phone,
    contact.c.company,
    contact.c.timezone,
    contact.c.attempts,
    contact.c.next_call_at,
)

_LOCK_LEASE = select(*LEASE_COLUMNS).where(lease.c.id == bindparam("lease_id")).with_for_update()

_CALL = (
    select(
        *LEASE_COLUMNS,
        *_CONTACT_COLUMNS,
        shift.c.ends_at.label("shift_ends_at"),
        exists().where(softphone_event.c.lease_id == lease.c.id).label("has_events"),
    )
    .select_from(
        lease.join(contact, contact.c.id == lease.c.contact_id).outerjoin(
            shift, shift.c.id == lease.c.shift_id
        )
    )
    .where(lease.c.id == bindparam("lease_id"))
)
_LOCK_CALL = _CALL.with_for_update(of=[lease, contact])

_HISTORY = (
    select(attempt.c.contact_id, attempt.c.disposition, attempt.c.created_at)
    .select_from(attempt.join(contact, contact.c.id == attempt.c.contact_id))
    .where(contact.c.phone_hash == bindparam("phone_hash"))
)

# On PostgreSQL the number's history comes with the lock, as three arrays.
_same_number = contact.alias("same_number")
_history_arrays = (
    select(
        func.array_agg(attempt.c.contact_id).label("h_contacts"),
        func.array_agg(sql_cast(attempt.c.disposition, String())).label("h_dispositions"),
        func.array_agg(attempt.c.created_at).label("h_times"),
    )
    .select_from(attempt.join(_same_number, _same_number.c.id == attempt.c.contact_id))
    .where(_same_number.c.phone_hash == contact.c.phone_hash)
    .lateral("history")
)
# Read alone, unlocked, by an outcome's usual case (`dialer.queue.usual_outcome`).
CALL_WITH_HISTORY = _CALL.add_columns(
    _history_arrays.c.h_contacts, _history_arrays.c.h_dispositions, _history_arrays.c.h_times
).join_from(contact, _history_arrays, true())
_LOCK_CALL_WITH_HISTORY = CALL_WITH_HISTORY.with_for_update(of=[lease, contact])

# The attempt, the lease's end and the contact's new state, in one round trip. `guard`
# (a CTE named guard, and what follows it) lets a caller make every write depend on it.
WRITE_POSTGRES = """
    WITH {guard}new_attempt AS (
        INSERT INTO attempt (id, lease_id, contact_id, operator_id, campaign_id, shift_id,
                             attempt_no, disposition, objection, notes, callback_at, created_at,
                             call_id, dialed_at, ringing_at, answered_at, hangup_at,
                             hangup_reason)
        SELECT :attempt_id, :lease_id, :contact_id, :operator_id, :campaign_id, :shift_id,
               :attempt_no, :disposition, :objection, :notes, :callback_at, :now,
               :call_id, :dialed_at, :ringing_at, :answered_at, :hangup_at, :hangup_reason
        {where_guarded}
    ), ended AS (
        UPDATE lease SET ended_at = :now, end_reason = 'outcome'
        WHERE id = :lease_id {and_guarded}
    )
    UPDATE contact SET state = :state, next_call_at = :next_call_at, attempts = attempts + 1,
        last_attempt_at = :now, expired_streak = 0, callback_at = :new_callback_at,
        callback_scope = :callback_scope, callback_operator_id = :callback_operator_id
    WHERE id = :contact_id {and_guarded}
    RETURNING id
"""
_WRITE_POSTGRES = text(WRITE_POSTGRES.format(guard="", where_guarded="", and_guarded=""))


async def lock_lease(session: AsyncSession, lease_id: uuid.UUID) -> HeldLease:
    """The lease, locked against a concurrent outcome, release or expiry."""
    connection = await session.connection()
    row = (await connection.execute(_LOCK_LEASE, {"lease_id": lease_id})).first()
    if row is None:
        raise NotFound("There is no such lease.")
    return HeldLease.of(row)


async def lock_call(session: AsyncSession, lease_id: uuid.UUID) -> Call:
    """Lease and contact locked, against a concurrent outcome or expiry, with the number's
    history: one statement on PostgreSQL, two on SQLite (where a query costs no round trip)."""
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    lock = _LOCK_CALL_WITH_HISTORY if postgres else _LOCK_CALL
    row = (await connection.execute(lock, {"lease_id": lease_id})).first()
    if row is None:
        raise NotFound("There is no such lease.")
    if postgres:
        return call_of(row._mapping, history_of(row._mapping))
    return call_of(row._mapping, await number_history(session, row.phone_hash))


def history_of(row: Mapping[Any, Any]) -> History:
    """The number's history from the arrays of `CALL_WITH_HISTORY`."""
    return [
        (contact_id, Disposition(disposition), at.astimezone(UTC))
        for contact_id, disposition, at in zip(
            row["h_contacts"] or [], row["h_dispositions"] or [], row["h_times"] or [], strict=True
        )
    ]


def call_of(row: Mapping[Any, Any], history: History) -> Call:
    """The call of a row of `_CALL` by column name, as SQLAlchemy or the driver returns it."""
    called = CalledContact(
        row["c_id"],
        ContactState(row["c_state"]),
        row["phone_hash"],
        row["phone"],
        row["company"],
        row["timezone"],
        row["attempts"],
        row["next_call_at"],
    )
    held = HeldLease.of_mapping(row)
    return Call(held, called, row["shift_ends_at"], bool(row["has_events"]), history)


async def number_history(session: AsyncSession, phone_hash: str) -> History:
    """Every earlier attempt on this number, in any campaign: (contact, disposition, when)."""
    connection = await session.connection()
    rows = await connection.execute(_HISTORY, {"phone_hash": phone_hash})
    return [(row[0], row[1], row[2]) for row in rows]


def _attempt_values(
    call: Call, attempt_id: uuid.UUID, report: Report, heard: Heard, now: datetime
) -> dict[str, Any]:
    held = call.lease
    times = heard.times
    return {
        "call_id": heard.call_id,
        "dialed_at": times.dialed,
        "ringing_at": times.ringing,
        "answered_at": times.answered,
        "hangup_at": times.hangup,
        "hangup_reason": times.reason,
        "attempt_id": attempt_id,
        "lease_id": held.id,
        "contact_id": held.contact_id,
        "operator_id": held.operator_id,
        "campaign_id": held.campaign_id,
        "shift_id": held.shift_id,
        "attempt_no": held.attempt_no,
        "disposition": report.disposition.value,
        "objection": report.objection,
        "notes": report.notes,
        "callback_at": report.callback_at,
        "now": now,
    }


def write_values(
    call: Call, attempt_id: uuid.UUID, report: Report, change: Change, heard: Heard, now: datetime
) -> dict[str, Any]:
    """The parameters of `WRITE_POSTGRES`."""
    scope = change.callback_scope.value if change.callback_scope else None
    return {
        **_attempt_values(call, attempt_id, report, heard, now),
        "state": change.state.value,
        "next_call_at": change.next_call_at,
        "new_callback_at": change.callback_at,
        "callback_scope": scope,
        "callback_operator_id": change.callback_operator_id,
    }


async def write_outcome(
    session: AsyncSession,
    call: Call,
    attempt_id: uuid.UUID,
    report: Report,
    change: Change,
    heard: Heard,
    now: datetime,
) -> None:
    """Write the attempt with the call heard, end the lease, set the contact's new state."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        values = write_values(call, attempt_id, report, change, heard, now)
        await connection.execute(_WRITE_POSTGRES, values)
        return
    values = _attempt_values(call, attempt_id, report, heard, now)
    await connection.execute(
        attempt.insert().values(
            id=attempt_id,
            **{k: v for k, v in values.items() if k not in ("attempt_id", "now")},
            created_at=now,
        )
    )
    await connection.execute(
        update(lease)
        .where(lease.c.id == call.lease.id)
        .values(ended_at=now, end_reason=LeaseEnd.OUTCOME)
    )
    await connection.execute(
        update(contact)
        .where(contact.c.id == call.contact.id)
        .values(
            state=change.state,
            next_call_at=change.next_call_at,
            attempts=contact.c.attempts + 1,
            last_attempt_at=now,
            expired_streak=0,
            callback_at=change.callback_at,
            callback_scope=change.callback_scope,
            callback_operator_id=change.callback_operator_id,
        )
    )


async def cap_siblings(
    session: AsyncSession, phone_hash: str, contact_id: uuid.UUID, capped: datetime
) -> None:
    """The cap is per number: the same number in other campaigns waits as long.

    A sibling locked by its own call in progress is skipped rather than waited
    for (two outcomes on one number must not deadlock): its outcome computes the
    cap from the number's history when it is recorded.
    """
    siblings = (
        select(contact.c.id)
        .where(
            contact.c.phone_hash == phone_hash,
            contact.c.id != contact_id,
            contact.c.state == READY,
            contact.c.next_call_at < capped,
        )
        .with_for_update(skip_locked=True)
    )
    connection = await session.connection()
    await connection.execute(
        update(contact)
        .where(contact.c.id.in_(siblings.scalar_subquery()))
        .values(next_call_at=capped)
    )
