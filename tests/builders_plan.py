"""Builders for the shift planner: a floor's history whose rates are known."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import (
    Attendance,
    Desk,
    Disposition,
    Questionnaire,
    QuestionnaireStatus,
    Role,
    RosterEntry,
    Shift,
)
from dialer.shifts.calendar import local_date
from dialer.shifts.dated import generate_shifts
from tests.builders_managers import Floor, add_contact, call, floor, user_row

Maker = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Known:
    """What the history was made with."""

    closes_per_manager_day: int
    managers: list[uuid.UUID]
    where: Floor


async def shifts_from(sessionmaker: Maker, start: datetime, end: datetime) -> list[Shift]:
    """The seeded templates' dated shifts starting in [start, end), generated as needed."""
    async with sessionmaker.begin() as session:
        at = start
        while at < end:
            await generate_shifts(session, at)
            at += timedelta(days=7)
        return list(
            await session.scalars(
                select(Shift)
                .where(Shift.starts_at >= start, Shift.starts_at < end)
                .order_by(Shift.starts_at)
            )
        )


async def known_history(
    sessionmaker: Maker,
    start: datetime,
    end: datetime,
    *,
    rate: Callable[[int, int], float] = lambda weekday, hour: 4,
    managers: int = 3,
    closes_per_day: int = 10,
    capacity: int = 20,
) -> Known:
    """Every shift of [start, end) worked by one operator for all but its last quarter hour.

    Each hour files `rate(weekday, hour)` questionnaires an operator-hour (carried over
    as fractions), the last three quarters of an hour three quarters of that; the MPK
    close `closes_per_day` each per floor day at the day's end, oldest first. With the
    default rate of 4: 30 filed and 30 closed a day, nothing left open.
    """
    mpk = [
        await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=capacity)
        for _ in range(managers)
    ]
    where = await floor(sessionmaker)
    shifts = await shifts_from(sessionmaker, start, end)
    by_day: dict[object, list[Shift]] = {}
    for shift in shifts:
        by_day.setdefault(shift.starts_at.date(), []).append(shift)
    waiting: list[uuid.UUID] = []
    for day_shifts in by_day.values():
        async with sessionmaker.begin() as session:
            for shift in day_shifts:
                worked = shift.ends_at - shift.starts_at - timedelta(minutes=15)
                session.add(
                    RosterEntry(
                        shift_id=shift.id, operator_id=where.operator_id, added_at=shift.starts_at
                    )
                )
                session.add(
                    Attendance(
                        shift_id=shift.id,
                        operator_id=where.operator_id,
                        clock_in_at=shift.starts_at,
                        clock_out_at=shift.starts_at + worked,
                    )
                )
                waiting += await _file_shift(session, where, shift, worked, rate)
            closing = day_shifts[-1].ends_at
            closed, waiting = (
                waiting[: managers * closes_per_day],
                waiting[managers * closes_per_day :],
            )
            for n, questionnaire_id in enumerate(closed):
                await session.execute(
                    update(Questionnaire)
                    .where(Questionnaire.id == questionnaire_id)
                    .values(
                        manager_id=mpk[n % managers],
                        assigned_at=Questionnaire.created_at,
                        status=QuestionnaireStatus.LOST,
                        reason="history",
                        updated_at=closing,
                    )
                )
    return Known(closes_per_day, mpk, where)


async def _file_shift(
    session: AsyncSession,
    where: Floor,
    shift: Shift,
    worked: timedelta,
    rate: Callable[[int, int], float],
) -> list[uuid.UUID]:
    """The questionnaires one operator files in a shift, at `rate` an hour."""
    weekday = local_date(shift.starts_at, "Europe/Moscow").isoweekday()
    filed, carried = [], 0.0
    hour = timedelta(hours=1)
    for n in range(int(-(-worked // hour))):
        top = shift.starts_at + n * hour
        spent = min(worked - n * hour, hour)
        carried += rate(weekday, n + 1) * (spent / hour)
        count = int(carried + 1e-9)
        carried -= count
        for k in range(count):
            made = await _questionnaire(session, where, shift, top + spent * k / count)
            filed.append(made.id)
    return filed


async def _questionnaire(
    session: AsyncSession, where: Floor, shift: Shift, at: datetime
) -> Questionnaire:
    contact = await add_contact(session, where.campaign_id, company=f"C{uuid.uuid4().hex}", now=at)
    attempt = await call(session, where, contact, Disposition.WARM, at, shift_id=shift.id)
    questionnaire = Questionnaire(
        attempt_id=attempt.id,
        contact_id=contact.id,
        campaign_id=where.campaign_id,
        operator_id=where.operator_id,
        status=QuestionnaireStatus.NEW,
        answers={},
        company=contact.company,
        created_at=at,
        updated_at=at,
    )
    session.add(questionnaire)
    await session.flush()
    return questionnaire
