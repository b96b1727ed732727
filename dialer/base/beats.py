"""Scheduler heartbeats: when each periodic job last ran, for readiness checks."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.dialects import insert
from dialer.base.models import SchedulerBeat


async def record_beat(session: AsyncSession, name: str, now: datetime) -> None:
    """Note that the named job ran at `now`."""
    statement = insert(session, SchedulerBeat).values(name=name, beat_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"beat_at": statement.excluded.beat_at}
        )
    )


async def last_beat(session: AsyncSession, name: str) -> datetime | None:
    """When the named job last ran, or None if never."""
    beat: datetime | None = await session.scalar(
        select(SchedulerBeat.beat_at).where(SchedulerBeat.name == name)
    )
    return beat
