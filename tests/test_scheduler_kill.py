"""Kill -9 the scheduler across shift boundaries: after restart each transition happens once."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Shift, ShiftEvent, ShiftState, ShiftTemplate
from tests.live import STARTUP_TIMEOUT, read_lines, wait_for_line

EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
# APScheduler's line once CascadeScheduler.start() has reconciled and started its jobs.
STARTED = "Scheduler started"


@contextmanager
def scheduler_process(database_url: str, announces: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m scheduler` until it logs `announces`; killed by pid afterwards."""
    environment = {**os.environ, "CASCADE_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler"],
        env=environment,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_line(read_lines(process), announces, timeout=STARTUP_TIMEOUT)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def _zone_at_noon(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so no window here crosses midnight."""
    offset = 12 - now.hour
    if offset == 0:
        return "Etc/GMT"
    # The Etc zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def _templates_around_now(database_url: str) -> tuple[str, str]:
    """A morning shift open since before the kill, an afternoon one whose start passed since."""
    engine = create_engine(database_url)
    now = utcnow().replace(second=0, microsecond=0)
    zone = _zone_at_noon(now)
    local = now.astimezone(ZoneInfo(zone))
    boundary = local.time()
    morning_start = (local - timedelta(hours=1)).time()
    afternoon_end = (local + timedelta(hours=1)).time()
    try:
        async with create_sessionmaker(engine).begin() as session:
            morning = _template("Morning", morning_start, boundary, zone, now)
            afternoon = _template("Afternoon", boundary, afternoon_end, zone, now)
            session.add_all([morning, afternoon])
            await session.flush()
            # The morning shift was opened before the scheduler died; the afternoon one
            # was never generated: the boundary between them passed while it was down.
            session.add(
                Shift(
                    template_id=morning.id,
                    name=morning.name,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now,
                    state=ShiftState.OPEN,
                    created_at=now,
                )
            )
            return str(morning.id), str(afternoon.id)
    finally:
        await engine.dispose()


def _template(name: str, start: time, end: time, zone: str, now: datetime) -> ShiftTemplate:
    return ShiftTemplate(
        name=name, start=start, end=end, weekdays=EVERY_DAY, timezone=zone, active=True,
        created_at=now,
    )  # fmt: skip


async def _transitions(
    database_url: str, template_ids: tuple[str, str]
) -> list[tuple[str, ShiftState, ShiftState]]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Shift.name, ShiftEvent.from_state, ShiftEvent.to_state)
                .join(Shift, Shift.id == ShiftEvent.shift_id)
                .where(Shift.template_id.in_([uuid.UUID(i) for i in template_ids]))
                .order_by(ShiftEvent.at, Shift.name)
            )
            return [(name, before, after) for name, before, after in rows]
    finally:
        await engine.dispose()


def test_a_killed_scheduler_applies_each_missed_transition_once(database_url: str) -> None:
    with scheduler_process(database_url, STARTED) as first:
        first.send_signal(signal.SIGKILL)
    ours = asyncio.run(_templates_around_now(database_url))

    # Two come back at once, as after a redeploy. Each announces its start once its start-up
    # reconciliation has run (or been left to the one that leads).
    with scheduler_process(database_url, STARTED), scheduler_process(database_url, STARTED):
        after_restart = asyncio.run(_transitions(database_url, ours))
    with scheduler_process(database_url, STARTED):
        after_another_restart = asyncio.run(_transitions(database_url, ours))

    assert sorted(after_restart) == [
        ("Afternoon", ShiftState.PLANNED, ShiftState.OPEN),
        ("Morning", ShiftState.OPEN, ShiftState.CLOSED),
    ]
    assert after_another_restart == after_restart
