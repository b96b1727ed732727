"""Builders for shift tests: a clock the test moves, the seeded day's shifts, calls made."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import (
    Attempt,
    Disposition,
    Lease,
    LeaseEnd,
    Shift,
    ShiftTemplate,
)
from dialer.shifts.dated import reconcile
from tests.builders import contact

# Monday 30 November 2026; Moscow is UTC+3 all year, so 10:00 there is 07:00 UTC.
MONDAY = date(2026, 11, 30)


def msk(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """An instant given as Moscow wall-clock time on a day, in UTC."""
    return datetime.combine(day, time(hour, minute), UTC) - timedelta(hours=3)


class Clock:
    """The request clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def clock_at(app: FastAPI, now: datetime) -> Iterator[Clock]:
    """Answer requests as if it were `now` (move `clock.now` to go on)."""
    clock = Clock(now)
    app.state.clock = clock
    try:
        yield clock
    finally:
        app.state.clock = utcnow


async def run_scheduler(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """What the scheduler's reconcile does at `now`, in its own transaction."""
    async with sessionmaker.begin() as session:
        await reconcile(session, now)


async def day_shifts(
    sessionmaker: async_sessionmaker[AsyncSession], day: date = MONDAY
) -> tuple[uuid.UUID, uuid.UUID]:
    """The ids of the seeded morning and afternoon shifts of a Moscow day, generated if need be."""
    await run_scheduler(sessionmaker, msk(0, 0, day))
    async with sessionmaker() as session:
        ids = list(
            await session.scalars(
                select(Shift.id)
                .join(ShiftTemplate, ShiftTemplate.id == Shift.template_id)
                .where(Shift.starts_at >= msk(0, 0, day), Shift.starts_at < msk(23, 0, day))
                .order_by(Shift.starts_at)
            )
        )
    assert len(ids) == 2, ids
    return ids[0], ids[1]


async def call(
    sessionmaker: async_sessionmaker[AsyncSession],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID,
    campaign_id: str,
    disposition: Disposition,
    at: datetime,
    talk: timedelta = timedelta(),
) -> uuid.UUID:
    """A finished call: a contact, its ended lease and the attempt, as next-call leaves them."""
    contact_id = await contact(sessionmaker, campaign_id, f"+7495{uuid.uuid4().int % 10**7:07d}")
    async with sessionmaker.begin() as session:
        lease = Lease(
            contact_id=contact_id,
            operator_id=operator_id,
            campaign_id=uuid.UUID(campaign_id),
            shift_id=shift_id,
            attempt_no=1,
            created_at=at,
            expires_at=at + timedelta(minutes=10),
            ended_at=at + talk + timedelta(seconds=30),
            end_reason=LeaseEnd.OUTCOME,
        )
        session.add(lease)
        await session.flush()
        answered = at + timedelta(seconds=10) if talk else None
        attempt = Attempt(
            lease_id=lease.id,
            contact_id=contact_id,
            operator_id=operator_id,
            campaign_id=uuid.UUID(campaign_id),
            shift_id=shift_id,
            attempt_no=1,
            disposition=disposition,
            dialed_at=at,
            answered_at=answered,
            hangup_at=answered + talk if answered else None,
            created_at=at + talk,
        )
        session.add(attempt)
        await session.flush()
        return attempt.id
