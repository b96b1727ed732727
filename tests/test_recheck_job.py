"""The periodic managers' check: room that appeared without a request is found by the clock."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Desk, Pause, PauseReason, Questionnaire, Role
from dialer.sales.policy import Marks, Policy
from scheduler.jobs import RECHECK_MANAGERS
from scheduler.service import CascadeScheduler
from tests.builders_managers import floor, user_row, warm


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
def maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


async def saturation_pauses(maker: async_sessionmaker[AsyncSession]) -> list[Pause]:
    async with maker() as session:
        query = select(Pause).where(Pause.reason_code == PauseReason.MANAGERS_SATURATED)
        return list(await session.scalars(query.order_by(Pause.started_at)))


async def test_the_clock_hands_out_the_waiting_line_and_resumes_dialing(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await user_row(maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=1)
    where = await floor(maker)
    clock = Clock()
    await warm(maker, where, now=clock.now)
    waiting = await warm(maker, where, now=clock.now + timedelta(seconds=1))
    assert waiting.manager_id is None
    [pause] = await saturation_pauses(maker)
    # A manager created without any request of the managers' side: nothing re-weighs yet.
    newcomer = await user_row(maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=9)
    assert (await saturation_pauses(maker))[0].ended_at is None

    clock.now += timedelta(minutes=1)
    service = CascadeScheduler(engine, database_url, clock=clock)
    try:
        assert await service.run(RECHECK_MANAGERS)
    finally:
        await service.stop()
    [pause] = await saturation_pauses(maker)
    assert pause.ended_at == clock.now
    async with maker() as session:
        handed = await session.get(Questionnaire, waiting.id)
        assert handed is not None
        assert handed.manager_id == newcomer


async def test_the_clock_weighs_with_the_configured_marks(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await user_row(maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    where = await floor(maker)
    for _ in range(3):
        await warm(maker, where)  # 30 %: running with the default marks
    assert await saturation_pauses(maker) == []
    strict = Policy(marks=Marks(high=30, low=10))
    service = CascadeScheduler(engine, database_url, clock=Clock(), policy=strict)
    try:
        assert await service.run(RECHECK_MANAGERS)
    finally:
        await service.stop()
    [pause] = await saturation_pauses(maker)
    assert pause.ended_at is None
    assert pause.reason == "3 open questionnaires for a capacity of 10 (marks 30% / 10%)"
