"""Softphone call events: kept, matched to the operator's lease, written into its attempt.

An event belongs to a lease when it continues a call already matched (same SIP
Call-ID), or when its number is the number of the operator's active lease (a hang-up
also looks at the lease that ended last for that number). Every event is kept; one
that matches nothing keeps a null lease for the supervisors.

The attempt is the record of the call once its outcome is written: an event that
comes after the lease ended, or whose time lies outside the lease's life by more than
a minute, is kept aside (a null lease, and the reason in the answer) and changes
nothing. Otherwise a late `answered` would turn a no-answer into a conversation, and
a time in the year 9999 would give a talk time of centuries.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import Forbidden, NotFound
from dialer.base.models import (
    Contact,
    Disposition,
    Lease,
    LeaseEnd,
    Role,
    SoftphoneEvent,
    User,
)
from dialer.calls.calls import (
    CallEvent,
    CallTimes,
    Heard,
    call_id_of,
    call_times,
    suggest_disposition,
)
from dialer.contacts.phones import normalise

# How long after its lease ended a hang-up without a known Call-ID is still told apart
# as that call's, to say why it was kept aside.
LATE_HANGUP_WINDOW = timedelta(minutes=15)
# A softphone's clock may be this far from the service's.
CLOCK_SKEW = timedelta(minutes=1)
NUMBER_LENGTH = 32
TEXT_LENGTH = 255


@dataclass(frozen=True)
class IncomingEvent:
    """A call event as a softphone reports it."""

    event: CallEvent
    at: datetime
    call_id: str | None = None
    number: str | None = None
    reason: str | None = None


class Aside(StrEnum):
    """Why an event that found its lease was kept aside instead of joining its call."""

    OUTCOME_RECORDED = "outcome_recorded"
    LEASE_ENDED = "lease_ended"
    OUTSIDE_LEASE = "outside_lease"


@dataclass(frozen=True)
class Recorded:
    """An event as kept, and why it joined no lease when it found one."""

    row: SoftphoneEvent
    aside: Aside | None = None


@dataclass(frozen=True)
class LeaseCall:
    """What the softphone said about a lease's call, and the disposition it suggests."""

    lease_id: uuid.UUID
    events: list[SoftphoneEvent]
    call_id: str | None
    times: CallTimes
    suggestion: Disposition | None


def dialled_number(raw: str | None, region: str) -> str | None:
    """E.164 of a number as softphones send it: bare, or the user part of a tel:/sip: URI."""
    if not raw:
        return None
    text = raw.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("tel", "sip", "sips", "callto"):
        text = rest
    text = text.split("@", 1)[0].split(";", 1)[0]
    return normalise(text, region)


async def record_event(
    session: AsyncSession,
    operator_id: uuid.UUID,
    incoming: IncomingEvent,
    region: str,
    now: datetime,
) -> Recorded:
    """Keep the event, attached to its lease when one matches and may still take it."""
    e164 = dialled_number(incoming.number, region)
    repeated = await _same_event(session, operator_id, incoming)
    if repeated is not None:
        return Recorded(repeated)
    lease = await _matching_lease(session, operator_id, incoming, e164, now)
    aside = None if lease is None else kept_aside(lease, incoming.at, now)
    row = SoftphoneEvent(
        operator_id=operator_id,
        lease_id=None if lease is None or aside is not None else lease.id,
        event=incoming.event.value,
        call_id=clip(incoming.call_id, TEXT_LENGTH),
        number=e164 or clip(incoming.number, NUMBER_LENGTH),
        reason=clip(incoming.reason, TEXT_LENGTH),
        at=incoming.at,
        received_at=now,
    )
    session.add(row)
    await session.flush()
    return Recorded(row, aside)


def kept_aside(lease: Lease, at: datetime, now: datetime) -> Aside | None:
    """Why an event of the lease must not join its call, or None when it may."""
    if lease.ended_at is not None:
        return Aside.OUTCOME_RECORDED if lease.end_reason is LeaseEnd.OUTCOME else Aside.LEASE_ENDED
    if not lease.created_at - CLOCK_SKEW <= at <= now + CLOCK_SKEW:
        return Aside.OUTSIDE_LEASE
    return None


def clip(text: str | None, length: int) -> str | None:
    """The text cut to the column's length; None for nothing."""
    return text[:length] if text else None


async def _same_event(
    session: AsyncSession, operator_id: uuid.UUID, incoming: IncomingEvent
) -> SoftphoneEvent | None:
    # A client retrying after a lost answer, or a hook URL opened again, sends the same
    # event of the same call again, its time that of the request when it gives none:
    # one call has one event of each kind, so keep the first.
    if incoming.call_id is None:
        return None
    found: SoftphoneEvent | None = await session.scalar(
        select(SoftphoneEvent)
        .where(
            SoftphoneEvent.operator_id == operator_id,
            SoftphoneEvent.call_id == clip(incoming.call_id, TEXT_LENGTH),
            SoftphoneEvent.event == incoming.event.value,
        )
        .order_by(SoftphoneEvent.received_at)
        .limit(1)
    )
    return found


async def _matching_lease(
    session: AsyncSession,
    operator_id: uuid.UUID,
    incoming: IncomingEvent,
    e164: str | None,
    now: datetime,
) -> Lease | None:
    if incoming.call_id is not None:
        known = await session.scalar(
            select(Lease)
            .join(SoftphoneEvent, SoftphoneEvent.lease_id == Lease.id)
            .where(
                SoftphoneEvent.operator_id == operator_id,
                SoftphoneEvent.call_id == clip(incoming.call_id, TEXT_LENGTH),
                SoftphoneEvent.lease_id.is_not(None),
            )
            .limit(1)
        )
        if known is not None:
            return known
    if e164 is None:
        return None
    leases = select(Lease).join(Contact, Contact.id == Lease.contact_id)
    mine = leases.where(Lease.operator_id == operator_id, Contact.phone == e164)
    active: Lease | None = await session.scalar(mine.where(Lease.ended_at.is_(None)))
    if active is not None or incoming.event is not CallEvent.HANGUP:
        return active
    recent = mine.where(Lease.ended_at >= now - LATE_HANGUP_WINDOW).order_by(Lease.ended_at.desc())
    late: Lease | None = await session.scalar(recent.limit(1))
    return late


async def lease_events(session: AsyncSession, lease_id: uuid.UUID) -> list[SoftphoneEvent]:
    """The events matched to a lease, oldest first."""
    rows = await session.scalars(
        select(SoftphoneEvent)
        .where(SoftphoneEvent.lease_id == lease_id)
        .order_by(SoftphoneEvent.at, SoftphoneEvent.received_at)
    )
    return list(rows)


async def heard_on(session: AsyncSession, lease_id: uuid.UUID) -> Heard:
    """What the lease's events say of its call, for the attempt about to be written."""
    events = await lease_events(session, lease_id)
    return Heard(call_id_of(events), call_times(events))


async def lease_call(session: AsyncSession, lease_id: uuid.UUID, viewer: User) -> LeaseCall:
    """The call of a lease as its operator, or a supervisor or admin, may see it."""
    lease = await session.get(Lease, lease_id)
    if lease is None:
        raise NotFound("There is no such lease.")
    staff = viewer.role in (Role.SUPERVISOR, Role.ADMIN)
    if not staff and lease.operator_id != viewer.id:
        raise Forbidden("That lease is another operator's.")
    events = await lease_events(session, lease_id)
    return LeaseCall(
        lease_id=lease_id,
        events=events,
        call_id=call_id_of(events),
        times=call_times(events),
        suggestion=suggest_disposition(events),
    )


async def list_events(
    session: AsyncSession,
    *,
    operator_id: uuid.UUID | None = None,
    unmatched: bool | None = None,
    limit: int = 100,
) -> list[SoftphoneEvent]:
    """Events newest first, for one operator or all, matched or not."""
    query = select(SoftphoneEvent).order_by(SoftphoneEvent.received_at.desc()).limit(limit)
    if operator_id is not None:
        query = query.where(SoftphoneEvent.operator_id == operator_id)
    if unmatched is True:
        query = query.where(SoftphoneEvent.lease_id.is_(None))
    elif unmatched is False:
        query = query.where(SoftphoneEvent.lease_id.is_not(None))
    return list(await session.scalars(query))
