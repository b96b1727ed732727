"""A month of shifts through the real service: the planner's rosters against a fixed one.

The floor is simulated on a clock the test moves (20 minutes a step, each step one
transaction, as one tick of the floor), not by sleeping:
shifts open and close by the scheduler's own reconcile, rostered operators clock in, and
each one, at the true rate of its weekday and hour of shift, asks the gate, takes a lease
and records a warm outcome, which files and routes a questionnaire and weighs the
saturation pause; each MPK takes its oldest questionnaire up and closes it at its true
pace. The truth varies as the planner's history showed it: students file most in the
first hour of a shift and least in the last, most on Mondays and least on Fridays.
"""

import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.errors import DialerPaused
from dialer.base.models import (
    Disposition,
    Pause,
    PauseReason,
    Questionnaire,
    QuestionnaireStatus,
    Role,
    Shift,
    User,
)
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from dialer.queue.catalog import Catalog
from dialer.queue.leases import next_lease
from dialer.queue.outcomes import Outcome, record_outcome
from dialer.reports.plan_data import plan_report
from dialer.sales.policy import Policy, bind_policy
from dialer.sales.questionnaires import StatusChange, change_status
from dialer.sales.saturation import OPEN_STATUSES
from dialer.shifts.attendance import clock_in, set_roster
from dialer.shifts.calendar import local_date
from dialer.shifts.dated import reconcile
from dialer.shifts.gate import may_dial
from tests.builders_managers import add_contact, user_row
from tests.builders_plan import known_history, shifts_from
from tests.databases import PostgresDatabases, SqliteDatabases

Maker = async_sessionmaker[AsyncSession]
log = logging.getLogger(__name__)
START = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday
DAYS = 28
STEP = timedelta(minutes=20)
HOURS = STEP / timedelta(hours=1)
BY_HOUR = {1: 5.0, 2: 4.0, 3: 3.0, 4: 2.0}
BY_WEEKDAY = {1: 1.5, 2: 1.25, 3: 1.0, 4: 0.75, 5: 0.5}
CLOSES_PER_DAY = 10
FLOOR_HOURS_A_DAY = 8
OPERATORS = 12
ANSWERS = {"contact_person": "Anna", "need": "paper"}


def truth(weekday: int, hour: int) -> float:
    """Warm questionnaires an operator files in an hour of a shift, on a weekday."""
    return BY_HOUR.get(hour, 0.0) * BY_WEEKDAY.get(weekday, 0.0)


@dataclass
class Result:
    rosters: list[int]
    pauses: int
    idle_hours: float
    warm: int


Roster = Callable[[AsyncSession, Shift, datetime], Awaitable[int]]
Built = TypeVar("Built")


def fixed(size: int) -> Roster:
    async def roster(session: AsyncSession, shift: Shift, now: datetime) -> int:
        return size

    return roster


async def planned(session: AsyncSession, shift: Shift, now: datetime) -> int:
    """What the planner recommends for the shift, asked an hour before it starts."""
    day = local_date(shift.starts_at, "Europe/Moscow")
    plan = await plan_report(session, day, day, 28, now, Policy())
    [mine] = [s for s in plan["shifts"] if s["id"] == str(shift.id)]
    assert plan["measured"]["enough_history"] is True
    return int(mine["recommended"])


@dataclass(frozen=True)
class People:
    operators: list[uuid.UUID]
    mpk: list[uuid.UUID]
    supervisor: uuid.UUID


async def build(maker: Maker) -> People:
    """The month's start: the planner's history, the people, a campaign's contacts."""
    known = await known_history(
        maker, START - timedelta(days=DAYS), START, rate=truth, closes_per_day=CLOSES_PER_DAY
    )
    operators = [await user_row(maker, Role.OPERATOR) for _ in range(OPERATORS)]
    async with maker.begin() as session:
        # History left over is worked off before the month starts.
        await session.execute(
            Questionnaire.__table__.update()
            .where(Questionnaire.status.in_(OPEN_STATUSES))
            .values(status=QuestionnaireStatus.LOST, reason="before the month")
        )
        campaign = await create_campaign(session, CampaignSpec(name="Month"), START)
        for _ in range(1500):
            await add_contact(session, campaign.id, company=f"Co {uuid.uuid4().hex}", now=START)
    return People(operators, known.managers, await user_row(maker, Role.SUPERVISOR))


class Floor:
    """The simulated floor on one database."""

    def __init__(self, maker: Maker, people: People) -> None:
        self.maker = maker
        self.catalog = Catalog()
        self.operators = people.operators
        self.mpk = people.mpk
        self.supervisor = people.supervisor
        self.owed: dict[uuid.UUID, float] = {}
        self.idle = 0.0
        self.warm = 0

    async def shift(self, shift: Shift, size: int) -> None:
        async with self.maker.begin() as session:
            await set_roster(session, shift.id, self.operators[:size], shift.starts_at)
            await reconcile(session, shift.starts_at)
            for operator_id in self.operators[:size]:
                await clock_in(session, operator_id, shift.starts_at)
        owed = dict.fromkeys(self.operators[:size], 0.0)
        weekday = local_date(shift.starts_at, "Europe/Moscow").isoweekday()
        at = shift.starts_at
        while at < shift.ends_at:
            hour = int((at - shift.starts_at) // timedelta(hours=1)) + 1
            async with self.maker.begin() as session:
                await self.managers_work(session, at)
                # A step's calls are recorded at its start, while the shift is surely live.
                for operator_id in owed:
                    owed[operator_id] += truth(weekday, hour) * HOURS
                    while owed[operator_id] >= 1:
                        owed[operator_id] -= 1
                        if not await self.warm_call(session, operator_id, at):
                            owed[operator_id] = 0.0
            at += STEP
        async with self.maker.begin() as session:
            await reconcile(session, shift.ends_at)

    async def warm_call(self, session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> bool:
        """One warm call, if the gate lets the operator dial."""
        try:
            permit = await may_dial(session, operator_id, now)
        except DialerPaused:
            return False
        lease = await next_lease(session, self.catalog, operator_id, permit.shift_id, now)
        outcome = Outcome(disposition=Disposition.WARM, questionnaire=ANSWERS)
        await record_outcome(session, self.catalog, lease.lease_id, operator_id, outcome, now)
        self.warm += 1
        return True

    async def managers_work(self, session: AsyncSession, now: datetime) -> None:
        """Each MPK, for one step: idle with nothing to close, else closing at its pace."""
        pace = CLOSES_PER_DAY / FLOOR_HOURS_A_DAY * HOURS
        supervisor = await session.get(User, self.supervisor)
        for manager_id in self.mpk:
            oldest = await session.scalar(
                select(Questionnaire.id)
                .where(
                    Questionnaire.manager_id == manager_id,
                    Questionnaire.status.in_(OPEN_STATUSES),
                )
                .order_by(Questionnaire.created_at)
                .limit(1)
            )
            if oldest is None:
                self.idle += HOURS
                self.owed[manager_id] = 0.0
                continue
            self.owed[manager_id] = self.owed.get(manager_id, 0.0) + pace
            if self.owed[manager_id] < 1:
                continue
            self.owed[manager_id] -= 1
            assert supervisor is not None
            for change in (
                StatusChange(QuestionnaireStatus.IN_PROGRESS),
                StatusChange(QuestionnaireStatus.LOST, reason="closed"),
            ):
                await change_status(session, oldest, change, supervisor, now, Policy())


async def simulate(maker: Maker, people: People, roster: Roster) -> Result:
    floor = Floor(maker, people)
    rosters = []
    for shift in await shifts_from(maker, START, START + timedelta(days=DAYS)):
        async with maker() as session:
            size = await roster(session, shift, shift.starts_at - timedelta(hours=1))
        rosters.append(size)
        await floor.shift(shift, size)
    async with maker() as session:
        pauses = await session.scalar(
            select(func.count()).where(Pause.reason_code == PauseReason.MANAGERS_SATURATED)
        )
    return Result(rosters, int(pauses or 0), floor.idle, floor.warm)


async def on(url: str, work: Callable[[Maker], Awaitable[Built]]) -> Built:
    engine = create_engine(url)
    try:
        maker = create_sessionmaker(engine)
        bind_policy(maker, Policy())
        return await work(maker)
    finally:
        await engine.dispose()


async def test_a_month_on_the_planners_rosters_pauses_less_and_idles_less(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    kind = "sqlite_databases" if database_url.startswith("sqlite") else "postgres_databases"
    databases: SqliteDatabases | PostgresDatabases = request.getfixturevalue(kind)
    # The month's start built once and copied for each roster: the three months then start
    # from the same history, and the build (a quarter of the test's time) is paid once.
    start = databases.fresh()
    try:
        people = await on(start, build)

        async def month(roster: Roster) -> Result:
            url = databases.fresh(start)
            try:
                return await on(url, lambda maker: simulate(maker, people, roster))
            finally:
                databases.drop(url)

        advised = await month(planned)
        # The same hours of work spread evenly, as a supervisor rosters without the
        # planner: rounded down the MPK idle, rounded up they saturate.
        mean = sum(advised.rosters) / len(advised.rosters)
        fewer = await month(fixed(math.floor(mean)))
        more = await month(fixed(math.ceil(mean)))
    finally:
        databases.drop(start)
    seen = f"planner {advised}, fixed {math.floor(mean)}: {fewer}, fixed {math.ceil(mean)}: {more}"
    # The month's figures, for the README: pytest -o log_cli=true --log-cli-level=INFO.
    log.info("%s", seen)
    assert advised.pauses < more.pauses, seen
    assert advised.pauses <= fewer.pauses, seen
    assert advised.idle_hours < fewer.idle_hours, seen
    assert advised.idle_hours <= more.idle_hours, seen
    # And the floor filed more than the cautious roster did.
    assert advised.warm > fewer.warm, seen
