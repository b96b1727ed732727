"""The demo floor has shifts to work: its operators are rostered on the first day ahead."""

from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import demo
from dialer.base.models import RosterEntry, Shift
from dialer.base.settings import Settings
from dialer.shifts.breaks import break_codes
from tests.builders_shifts import msk


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (msk(9), date(2026, 11, 30)),
        (msk(15), date(2026, 11, 30)),
        (msk(19), date(2026, 12, 1)),
        (msk(12, day=date(2026, 12, 5)), date(2026, 12, 7)),
    ],
    ids=["monday-morning", "monday-afternoon", "monday-evening", "saturday"],
)
async def test_the_demo_rosters_its_operators_on_the_next_shifts(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime, day: date
) -> None:
    async with sessionmaker.begin() as session:
        assert await demo.seed(session, settings, now) is not None
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Shift.starts_at, RosterEntry.operator_id)
            .join(RosterEntry, RosterEntry.shift_id == Shift.id)
            .order_by(Shift.starts_at)
        )
        rostered = [(starts_at, operator) for starts_at, operator in rows]
    starts = sorted({s for s, _ in rostered})
    expected = [msk(10, day=day), msk(14, day=day)]
    # Late in the afternoon only the afternoon shift is still ahead.
    assert starts == ([expected[1]] if now == msk(15) else expected)
    assert len(rostered) == 4 * len(starts)


async def test_the_demo_offers_its_operators_breaks(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessionmaker.begin() as session:
        assert await demo.seed(session, settings, msk(9)) is not None
    async with sessionmaker() as session:
        offered = await break_codes(session, active_only=True)
    assert [(b.code, b.paid) for b in offered] == [("lunch", False), ("rest", True), ("tech", True)]
