"""A large floor's snapshot built in a process of its own (`app.apart`) says what one built
in the service process says, whole at first and then as the operators that moved."""

import asyncio
import multiprocessing
import os
import select
import signal
import subprocess
import sys

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.apart import NICER, Apart
from app.live import Hub, Watch
from app.routers.live import floor_body
from app.routers.users import me_answer
from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Role, User
from dialer.reports.live import LARGE_FLOOR
from dialer.reports.snapshot import Snapshot, snapshot
from tests.builders import Actor, actor
from tests.builders_shifts import clock_at, msk
from tests.floorsetup import build_floor
from tests.test_floor import floor_with_one_operator

WITHIN = 60.0


async def built_here(
    hub: Hub, sessionmaker: async_sessionmaker[AsyncSession], snap: Snapshot
) -> Snapshot:
    """The floor as the service process itself builds it, at the instant `snap` was made."""
    async with sessionmaker() as session:
        return await snapshot(session, snap.at, seen=hub.sightings())


async def next_snapshot(floor: Watch) -> Snapshot:
    snap = await floor.next(within=WITHIN)
    assert snap is not None, "no snapshot came"
    return snap


async def clocked_in(client: httpx.AsyncClient, operator: Actor, floor: Watch) -> Snapshot:
    """The first snapshot after the operator clocks in that shows it clocked in."""
    clocked = await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
    assert clocked.status_code == 200, clocked.text
    snap = await next_snapshot(floor)
    while not snap.operators[operator.id].clocked_in:
        snap = await next_snapshot(floor)
    return snap


async def assert_same_floor(
    hub: Hub, sessionmaker: async_sessionmaker[AsyncSession], snap: Snapshot, operator: User
) -> None:
    """What the floor's stream and the operator's console would be sent from each."""
    here = await built_here(hub, sessionmaker, snap)
    assert floor_body(snap) == floor_body(here)
    assert me_answer(operator, snap) == me_answer(operator, here)


async def one_operator(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[Actor, User]:
    """A floor of one operator rostered, the morning open, and the operator as its console's
    stream knows it."""
    _, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
    async with sessionmaker() as session:
        return operator, await session.get_one(User, operator.id)


async def apart(hub: Hub, database_url: str) -> Apart:
    """The hub's floor built in a process of its own (on SQLite too), once it has started."""
    hub.apart = Apart(database_url)
    await hub.apart.started()
    return hub.apart


async def test_a_floor_built_apart_is_the_floor_built_here(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    hub: Hub = app.state.hub
    builder = await apart(hub, database_url)
    with clock_at(app, msk(10, 1)) as clock:
        operator, console = await one_operator(client, sessionmaker)
        other = await actor(client, sessionmaker, Role.OPERATOR)
        async with hub.stream() as floor:
            first = await next_snapshot(floor)
            assert builder.holds is not None  # the child's
            assert set(first.operators) == {operator.id, other.id}
            await assert_same_floor(hub, sessionmaker, first, console)

            clock.now = msk(10, 2)
            second = await clocked_in(client, operator, floor)
            await assert_same_floor(hub, sessionmaker, second, console)
            # Only the operator that moved came from the child: the other is the value the
            # process already held.
            assert second.operators[other.id] is first.operators[other.id]
            assert second.operators[operator.id] != first.operators[operator.id]


async def test_the_floor_is_built_again_after_its_process_dies(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    hub: Hub = app.state.hub
    before = set(multiprocessing.active_children())
    builder = await apart(hub, database_url)
    with clock_at(app, msk(10, 1)) as clock:
        operator, console = await one_operator(client, sessionmaker)
        async with hub.stream() as floor:
            await next_snapshot(floor)
            [child] = set(multiprocessing.active_children()) - before
            # Below the service's priority: on a full machine its requests come first.
            mine = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, child.pid or 0) == min(mine + NICER, 19)
            os.kill(child.pid or 0, signal.SIGKILL)
            child.join(WITHIN)
            clock.now = msk(10, 2)
            # The build that met the dead child fails; the process builds its floor itself
            # while another child starts.
            snap = await clocked_in(client, operator, floor)
            await assert_same_floor(hub, sessionmaker, snap, console)
            assert not child.is_alive()
            await builder.started()
            [again] = set(multiprocessing.active_children()) - before
            # Once started, the new child builds the floor: whole, as nothing it sent is held.
            paused = await client.post("/api/v1/me/pause", json={}, headers=operator.headers)
            assert paused.status_code == 200, paused.text
            snap = await next_snapshot(floor)
            while snap.operators[operator.id].state != "break":
                snap = await next_snapshot(floor)
            assert builder.holds is not None
            await assert_same_floor(hub, sessionmaker, snap, console)
            assert again.is_alive()


@pytest.mark.parametrize("operators", [LARGE_FLOOR - 1, LARGE_FLOOR])
def test_a_large_floors_process_starts_with_the_service(database_url: str, operators: int) -> None:
    """A large floor logs in all at once: its process is started with the service, so that
    the service need not build the floor itself while it starts. A smaller floor's starts
    with its first stream."""
    build_floor(database_url, operators=operators, contacts=0)

    async def started() -> bool:
        engine = create_engine(database_url)
        hub = Hub(create_sessionmaker(engine), database_url, utcnow)
        hub.apart = hub.apart or Apart(database_url)  # on SQLite too
        before = set(multiprocessing.active_children())
        await hub.start()
        try:
            return bool(set(multiprocessing.active_children()) - before)
        finally:
            await hub.stop()
            await engine.dispose()

    assert asyncio.run(started()) is (operators >= LARGE_FLOOR)


# A service process that builds its floor once, says its child's pid, and waits.
SERVICE = """
import asyncio, multiprocessing, sys
from app.apart import Apart
from dialer.base.clock import utcnow

async def build() -> None:
    apart = Apart(sys.argv[1])
    await apart.started()
    await apart.build(None, utcnow(), {})
    [child] = multiprocessing.active_children()
    print(child.pid, flush=True)
    sys.stdin.read()

asyncio.run(build())
"""


def test_the_floors_process_ends_with_a_service_process_killed_outright(
    database_url: str,
) -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE, database_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert service.stdout is not None
        child = os.pidfd_open(int(service.stdout.readline()))
        try:
            assert not ended(child, within=0)
            service.kill()
            service.wait()
            assert ended(child, within=WITHIN)
        finally:
            os.close(child)
    finally:
        service.kill()
        service.wait()


def ended(pidfd: int, within: float) -> bool:
    """Whether the process has ended, waiting up to `within` seconds for it: its pidfd turns
    readable then, whoever its parent (reaped or not)."""
    readable, _, _ = select.select([pidfd], [], [], within)
    return bool(readable)
