"""The saturation pause: set at the high mark, lifted at the low mark, logged, seen by the gate."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.errors import DialerPaused
from dialer.base.models import Desk, Pause, PauseReason, Role, User
from dialer.base.models import QuestionnaireStatus as Status
from dialer.base.users import deactivate_user
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import StatusChange, after_change, change_status
from dialer.sales.saturation import evaluate_saturation, managers_status
from dialer.shifts.gate import may_dial
from tests.builders import on_shift
from tests.builders_managers import Floor, floor, user_row, warm

Maker = async_sessionmaker[AsyncSession]


async def close(sessionmaker: Maker, questionnaire_id: uuid.UUID, now: datetime) -> None:
    """A supervisor takes a questionnaire through to lost, each change committed and then
    weighed, as the API does."""
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    for change in (StatusChange(Status.IN_PROGRESS), StatusChange(Status.LOST, reason="no")):
        async with sessionmaker.begin() as session:
            supervisor = await session.get(User, supervisor_id)
            assert supervisor is not None
            await change_status(session, questionnaire_id, change, supervisor, now, Policy())
        async with sessionmaker() as session:
            await after_change(session, change, now, Policy())


async def saturation_pauses(sessionmaker: Maker) -> list[Pause]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(Pause)
                .where(Pause.reason_code == PauseReason.MANAGERS_SATURATED)
                .order_by(Pause.started_at)
            )
        )


async def fill(sessionmaker: Maker, where: Floor, count: int, start: datetime) -> list[uuid.UUID]:
    filed = []
    for i in range(count):
        filed.append((await warm(sessionmaker, where, now=start + timedelta(seconds=i))).id)
    return filed


async def test_dialing_pauses_at_capacity_and_resumes_at_eighty_percent(
    sessionmaker: Maker,
) -> None:
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=4)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=6)
    where = await floor(sessionmaker)
    start = utcnow()
    filed = await fill(sessionmaker, where, 9, start)
    assert await saturation_pauses(sessionmaker) == []  # 90 %
    filed += await fill(sessionmaker, where, 1, start + timedelta(minutes=1))  # 100 %
    [pause] = await saturation_pauses(sessionmaker)
    assert pause.ended_at is None
    assert pause.reason == "10 open questionnaires for a capacity of 10 (marks 100% / 80%)"

    await close(sessionmaker, filed[0], start + timedelta(minutes=2))  # 90 %: stays
    await close(sessionmaker, filed[1], start + timedelta(minutes=3))  # 80 %: resumes
    [pause] = await saturation_pauses(sessionmaker)
    assert pause.ended_at == start + timedelta(minutes=3)


async def test_between_the_marks_the_dialer_does_not_flap(sessionmaker: Maker) -> None:
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    where = await floor(sessionmaker)
    start = utcnow()
    filed = await fill(sessionmaker, where, 10, start)
    for i, questionnaire_id in enumerate(filed[:2]):
        await close(sessionmaker, questionnaire_id, start + timedelta(minutes=i + 1))
    await fill(sessionmaker, where, 1, start + timedelta(minutes=5))  # back to 90 %
    pauses = await saturation_pauses(sessionmaker)
    assert len(pauses) == 1
    assert pauses[0].ended_at is not None
    await fill(sessionmaker, where, 1, start + timedelta(minutes=6))  # 100 % again
    pauses = await saturation_pauses(sessionmaker)
    assert [p.ended_at is None for p in pauses] == [False, True]


async def test_the_gate_refuses_new_calls_while_saturated_and_keeps_what_calls_produce(
    sessionmaker: Maker,
) -> None:
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=1)
    where = await floor(sessionmaker)
    await on_shift(sessionmaker, [where.operator_id])
    async with sessionmaker() as session:
        await may_dial(session, where.operator_id, utcnow())
    await warm(sessionmaker, where)
    async with sessionmaker() as session:
        with pytest.raises(DialerPaused) as refused:
            await may_dial(session, where.operator_id, utcnow())
    assert refused.value.extra == {"reason": "managers_saturated"}
    # A call that was already under way still files its questionnaire: it waits.
    late = await warm(sessionmaker, where)
    assert late.manager_id is None
    assert len(await saturation_pauses(sessionmaker)) == 1


async def test_losing_a_manager_can_saturate_the_rest(sessionmaker: Maker) -> None:
    leaving = await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
    where = await floor(sessionmaker)
    await fill(sessionmaker, where, 6, utcnow())
    assert await saturation_pauses(sessionmaker) == []
    async with sessionmaker.begin() as session:
        await deactivate_user(session, leaving)
        await evaluate_saturation(session, utcnow(), Policy().marks)
    assert len(await saturation_pauses(sessionmaker)) == 1


async def test_the_status_shows_marks_numbers_and_when_dialing_resumes(
    sessionmaker: Maker,
) -> None:
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    where = await floor(sessionmaker)
    start = utcnow()
    filed = await fill(sessionmaker, where, 12, start)  # 10 assigned, 2 waiting
    await close(sessionmaker, filed[0], start + timedelta(hours=1))
    await close(sessionmaker, filed[1], start + timedelta(hours=2))
    now = start + timedelta(hours=3)
    async with sessionmaker() as session:
        status = await managers_status(session, now, Policy())
    shown = status.as_dict()
    assert shown["open"] == 10
    assert shown["capacity"] == 10
    assert shown["waiting"] == 0  # the two closed made room for the two waiting
    assert shown["load_percent"] == 100.0
    assert (shown["high_mark_percent"], shown["low_mark_percent"]) == (100, 80)
    assert shown["resume_at_open"] == 8
    assert shown["saturated"] is True
    assert shown["closed_recently"] == 2
    # Two more to close at two a day: a day from now.
    assert status.resume_estimate == now + timedelta(hours=24)
