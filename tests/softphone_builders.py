"""Builders for the softphone tests: leases and attempts straight into the database."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Attempt, Contact, ContactState, Disposition, Lease, LeaseEnd
from dialer.calls.events import heard_on
from tests.builders import contact


async def lease(
    sessionmaker: async_sessionmaker[AsyncSession],
    operator_id: uuid.UUID,
    campaign_id: uuid.UUID | str,
    phone: str,
) -> uuid.UUID:
    """An active lease of a new contact with the phone, held by the operator."""
    contact_id = await contact(sessionmaker, campaign_id, phone)
    now = utcnow()
    async with sessionmaker.begin() as session:
        held = await session.get(Contact, contact_id)
        assert held is not None
        held.state = ContactState.LEASED
        row = Lease(
            contact_id=contact_id,
            operator_id=operator_id,
            campaign_id=held.campaign_id,
            attempt_no=1,
            created_at=now,
            expires_at=now + timedelta(minutes=10),
        )
        session.add(row)
        await session.flush()
        return row.id


async def end_with_attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
    lease_id: uuid.UUID,
    disposition: Disposition,
    now: datetime | None = None,
) -> uuid.UUID:
    """End the lease with an attempt the way the outcome path does, call times included."""
    now = now or utcnow()
    async with sessionmaker.begin() as session:
        row = await session.get(Lease, lease_id)
        assert row is not None
        row.ended_at = now
        row.end_reason = LeaseEnd.OUTCOME
        heard = await heard_on(session, row.id)
        attempt = Attempt(
            lease_id=row.id,
            contact_id=row.contact_id,
            operator_id=row.operator_id,
            campaign_id=row.campaign_id,
            attempt_no=row.attempt_no,
            disposition=disposition,
            created_at=now,
            call_id=heard.call_id,
            dialed_at=heard.times.dialed,
            ringing_at=heard.times.ringing,
            answered_at=heard.times.answered,
            hangup_at=heard.times.hangup,
            hangup_reason=heard.times.reason,
        )
        session.add(attempt)
        await session.flush()
        return attempt.id


async def attempt_of(
    sessionmaker: async_sessionmaker[AsyncSession], lease_id: uuid.UUID
) -> Attempt | None:
    """The attempt recorded for a lease, if any."""
    async with sessionmaker() as session:
        found: Attempt | None = await session.scalar(
            select(Attempt).where(Attempt.lease_id == lease_id)
        )
        return found
