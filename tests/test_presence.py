"""Operators' signs of life: a batch keeps each operator's latest sighting, and no one else's."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import OperatorPresence, Role
from dialer.base.presence import record_seen
from tests.builders_managers import user_row


async def test_a_batch_keeps_each_operators_latest_sighting_and_skips_other_roles(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    operators = [await user_row(sessionmaker, Role.OPERATOR) for _ in range(3)]
    supervisor = await user_row(sessionmaker, Role.SUPERVISOR)
    async with sessionmaker.begin() as session:
        await record_seen(session, {operators[0]: now, operators[1]: now, supervisor: now})
    later, earlier = now + timedelta(seconds=5), now - timedelta(seconds=5)
    async with sessionmaker.begin() as session:
        # Another process's older sighting of the first does not win over the kept one.
        await record_seen(session, {operators[0]: earlier, operators[1]: later, operators[2]: now})
        await record_seen(session, {})
    async with sessionmaker() as session:
        kept = dict(
            (
                await session.execute(
                    select(OperatorPresence.operator_id, OperatorPresence.seen_at)
                )
            ).all()
        )
    assert kept == {operators[0]: now, operators[1]: later, operators[2]: now}
