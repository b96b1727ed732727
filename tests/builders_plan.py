"""Builders for the shift planner: a floor's history whose rates are known."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
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
from dialer.shifts.dated import generate_shifts
from tests.builders_managers import Floor, add_contact, call, floor, user_row

Maker = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Known:
    """What the history was made with."""

    warm_per_operator_hour: int
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
    warm_per_hour: int = 4,
    managers: int = 3,
    closes_per_day: int = 10,
    capacity: int = 20,
) -> Known:
    """Every shift of [start, end) worked by one operator for all but its last quarter hour.

    Each full hour files `warm_per_hour` questionnaires and the last three quarters of an
    hour three quarters of that; the MPK close `closes_per_day` each per floor day, at
    17:00 UTC: with the defaults 30 filed and 30 closed a day, nothing left open.
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
    for day_shifts in by_day.values():
        async with sessionmaker.begin() as session:
            filed: list[Questionnaire] = []
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
                count = int(worked / timedelta(hours=1) * warm_per_hour)
                for n in range(count):
                    at = shift.starts_at + worked * n / count
                    filed.append(await _questionnaire(session, where, shift, at))
            closing = day_shifts[-1].ends_at
            for n, questionnaire in enumerate(filed[: managers * closes_per_day]):
                questionnaire.manager_id = mpk[n % managers]
                questionnaire.assigned_at = questionnaire.created_at
                questionnaire.status = QuestionnaireStatus.LOST
                questionnaire.reason = "history"
                questionnaire.updated_at = closing
    return Known(warm_per_hour, closes_per_day, mpk, where)


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
