"""The scheduler: boundaries fired by the real APScheduler, restarts, two instances at once."""

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.main import create_app
from dialer.base.beats import last_beat
from dialer.base.db import create_engine, create_sessionmaker, is_sqlite
from dialer.base.models import Shift, ShiftEvent, ShiftTemplate
from dialer.base.settings import SchedulerMode, Settings
from dialer.shifts.calendar import Schedule
from dialer.shifts.dated import reconcile
from scheduler.jobs import RECONCILE_SHIFTS, PeriodicJob
from scheduler.leader import Leadership
from scheduler.service import CascadeScheduler, boundary_id, boundary_triggers

# Monday 30 November 2026, in UTC; Moscow is UTC+3 all year.
NOON_MSK = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
JUST_BEFORE_TWO_MSK = datetime(2026, 11, 30, 10, 59, 59, tzinfo=UTC)
TWO_MSK = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
FIVE_PAST_TWO_MSK = datetime(2026, 11, 30, 11, 5, tzinfo=UTC)

Transitions = list[tuple[str, str, str, str]]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

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


async def transitions_on(maker: async_sessionmaker[AsyncSession], day: date) -> Transitions:
    """Every logged transition of the day's shifts: (shift name, from, to, source)."""
    async with maker() as session:
        rows = await session.execute(
            select(Shift.name, ShiftEvent.from_state, ShiftEvent.to_state, ShiftEvent.source)
            .join(Shift, Shift.id == ShiftEvent.shift_id)
            .where(Shift.starts_at >= datetime.combine(day, time(), UTC))
            .order_by(Shift.starts_at, ShiftEvent.at)
        )
        return [(n, f.value, t.value, s) for n, f, t, s in rows]


async def template_ids(maker: async_sessionmaker[AsyncSession]) -> list[str]:
    """The seeded templates' ids, morning first."""
    async with maker() as session:
        return [str(i) for i in await session.scalars(select(ShiftTemplate.id).order_by("start"))]


MORNING_OPENED = ("Утренняя смена", "planned", "open", "scheduler")
MORNING_CLOSED = ("Утренняя смена", "open", "closed", "scheduler")
AFTERNOON_OPENED = ("Дневная смена", "planned", "open", "scheduler")


def test_boundary_triggers_fire_at_the_wall_clock_of_their_zone() -> None:
    moscow = boundary_triggers(Schedule(time(10), time(14), {1, 2, 3, 4, 5}, "Europe/Moscow"))
    friday_evening = datetime(2026, 11, 27, 16, tzinfo=UTC)
    assert moscow["start"].get_next_fire_time(None, friday_evening) == datetime(
        2026, 11, 30, 7, tzinfo=UTC
    )
    berlin = boundary_triggers(Schedule(time(10), time(14), {1, 2, 3, 4, 5}, "Europe/Berlin"))
    # Across the spring-forward weekend 10:00 Berlin moves from 09:00 to 08:00 UTC.
    before_change = datetime(2026, 3, 27, 12, tzinfo=UTC)
    assert berlin["start"].get_next_fire_time(None, before_change) == datetime(
        2026, 3, 30, 8, tzinfo=UTC
    )


def test_a_night_shift_ends_on_the_next_day() -> None:
    night = boundary_triggers(Schedule(time(22), time(6), {5}, "Europe/Moscow"))
    friday = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert night["end"].get_next_fire_time(None, friday) == datetime(2026, 11, 28, 3, tzinfo=UTC)


async def test_the_real_apscheduler_fires_the_boundary(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    clock = Clock(JUST_BEFORE_TWO_MSK)
    service = CascadeScheduler(engine, database_url, clock=clock)
    ran = asyncio.Event()
    morning, _ = await template_ids(maker)
    end_of_morning = boundary_id(morning, "end")

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == end_of_morning:
            ran.set()

    service.apscheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    await service.start()
    try:
        assert await transitions_on(maker, NOON_MSK.date()) == [MORNING_OPENED]
        job = service.apscheduler.get_job(end_of_morning)
        assert job.next_run_time.astimezone(UTC).time() == time(11, 0)
        # The boundary is due: move the clock there and the job's run time to the present.
        clock.now = TWO_MSK
        job.modify(next_run_time=datetime.now(UTC))
        await asyncio.wait_for(ran.wait(), timeout=30)
    finally:
        await service.stop()
    assert await transitions_on(maker, NOON_MSK.date()) == [
        MORNING_OPENED,
        MORNING_CLOSED,
        AFTERNOON_OPENED,
    ]


async def test_a_restart_across_the_boundary_applies_it_exactly_once(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    before = CascadeScheduler(engine, database_url, clock=Clock(NOON_MSK))
    await before.start()
    await before.stop()
    # Down at 14:00, up again at 14:05.
    after = CascadeScheduler(engine, database_url, clock=Clock(FIVE_PAST_TWO_MSK))
    await after.start()
    try:
        assert await after.run(RECONCILE_SHIFTS)
        assert await after.run(RECONCILE_SHIFTS)
    finally:
        await after.stop()
    assert await transitions_on(maker, NOON_MSK.date()) == [
        MORNING_OPENED,
        MORNING_CLOSED,
        AFTERNOON_OPENED,
    ]
    async with maker() as session:
        assert await last_beat(session, RECONCILE_SHIFTS.name) == FIVE_PAST_TWO_MSK


async def test_one_scheduler_leads_and_another_takes_over(database_url: str) -> None:
    first, second = Leadership(database_url), Leadership(database_url)
    try:
        assert await first.held()
        # On PostgreSQL the advisory lock lets one lead; on SQLite every scheduler leads.
        assert await second.held() is is_sqlite(database_url)
        await first.release()
        assert await second.held()
    finally:
        await first.release()
        await second.release()


def run_instance(
    database_url: str, now: datetime, together: threading.Barrier, results: list[object]
) -> None:
    """One scheduler process's work, on its own thread, loop, engine and connections."""

    async def work() -> None:
        engine = create_engine(database_url)
        service = CascadeScheduler(engine, database_url, clock=Clock(now))
        maker = create_sessionmaker(engine)
        together.wait()
        try:
            await service.start()
            results.append(await service.leadership.held())
            # Both ask who leads before either stops and lets the other take over.
            together.wait()
            # Leadership aside, the conditional updates alone keep each transition single.
            for _ in range(3):
                async with maker.begin() as session:
                    await reconcile(session, now)
        finally:
            await service.stop()
            await engine.dispose()

    try:
        asyncio.run(work())
    except Exception as error:
        together.abort()
        results.append(error)


async def test_two_schedulers_apply_each_transition_once(
    maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with maker.begin() as session:
        await reconcile(session, NOON_MSK)
    barrier = threading.Barrier(2)
    leaders: list[object] = []
    threads = [
        threading.Thread(target=run_instance, args=(database_url, TWO_MSK, barrier, leaders))
        for _ in range(2)
    ]
    await asyncio.to_thread(_run_all, threads)
    assert len(leaders) == 2
    assert all(isinstance(leader, bool) for leader in leaders), leaders
    assert leaders.count(True) == (2 if is_sqlite(database_url) else 1)
    assert await transitions_on(maker, NOON_MSK.date()) == [
        MORNING_OPENED,
        MORNING_CLOSED,
        AFTERNOON_OPENED,
    ]


def _run_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()


async def test_the_app_runs_the_scheduler_only_when_embedded(
    settings: Settings, maker: async_sessionmaker[AsyncSession]
) -> None:
    for mode in (SchedulerMode.OFF, SchedulerMode.EMBEDDED):
        application = create_app(settings.model_copy(update={"scheduler": mode}))
        async with application.router.lifespan_context(application):
            async with maker() as session:
                beat = await last_beat(session, RECONCILE_SHIFTS.name)
            assert (beat is not None) is (mode is SchedulerMode.EMBEDDED)


async def test_stopping_cuts_a_run_short_without_calling_it_a_failure(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """A job still running at stop (a long VACUUM) is cancelled and rolled back, not failed."""
    started = asyncio.Event()

    async def long_job(session: AsyncSession, _now: datetime) -> None:
        started.set()
        await asyncio.Event().wait()  # holds until cancelled

    slow = PeriodicJob("slow", timedelta(hours=1), long_job)
    service = CascadeScheduler(engine, database_url, jobs=[])
    await service.start()
    running = asyncio.create_task(service.run(slow))
    await asyncio.wait_for(started.wait(), timeout=30)
    await service.stop()
    running.cancel()
    assert await running is False  # APScheduler logs a raising job as an error
    async with maker() as session:
        assert await last_beat(session, slow.name) is None

    # Cancelled while not stopping, the run is cancelled as any task is.
    started.clear()
    other = CascadeScheduler(engine, database_url, jobs=[])
    cut = asyncio.create_task(other.run(slow))
    await asyncio.wait_for(started.wait(), timeout=30)
    cut.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cut
    await other.stop()
