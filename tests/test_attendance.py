"""Rosters and attendance: clocking in and out, walk-ins, and what an operator sees of itself."""

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Attendance, Role
from tests.builders import actor
from tests.builders_shifts import clock_at, day_shifts, msk, run_scheduler
from tests.floor import make_floor

CLOCK_IN = "/api/v1/shifts/current/clock-in"
CLOCK_OUT = "/api/v1/shifts/current/clock-out"


async def test_an_operator_clocks_in_and_out_of_the_shift_it_is_rostered_on(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, _ = await day_shifts(sessionmaker)
    with clock_at(app, msk(9, 30)) as clock:
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        rostered = await client.put(
            f"/api/v1/shifts/{morning}/roster",
            json={"operator_ids": [str(operator.id)]},
            headers=supervisor.headers,
        )
        assert rostered.json()["roster"] == [str(operator.id)]
        early = await client.post(CLOCK_IN, headers=operator.headers)
        assert early.status_code == 409
        assert early.json()["error"] == "no_open_shift"
        await run_scheduler(sessionmaker, msk(10))
        clock.now = msk(10, 5)
        first = await client.post(CLOCK_IN, headers=operator.headers)
        again = await client.post(CLOCK_IN, headers=operator.headers)
        assert first.status_code == again.status_code == 200, first.text
        assert first.json() == again.json()
        assert first.json()["clock_in_at"] == "2026-11-30T07:05:00Z"
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
        assert (me["shift"]["id"], me["clocked_in"], me["lease_id"]) == (str(morning), True, None)
        clock.now = msk(12, 35)
        out = await client.post(CLOCK_OUT, headers=operator.headers)
        assert out.status_code == 200
        assert out.json()["minutes"] == 150
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
        assert me["clocked_in"] is False
        out_again = await client.post(CLOCK_OUT, headers=operator.headers)
        assert out_again.json()["error"] == "not_clocked_in"


async def test_an_operator_off_the_roster_cannot_clock_in(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await day_shifts(sessionmaker)
    await run_scheduler(sessionmaker, msk(10))
    with clock_at(app, msk(10, 5)):
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        answer = await client.post(CLOCK_IN, headers=operator.headers)
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
    assert answer.status_code == 403
    assert answer.json()["error"] == "not_rostered"
    assert (me["shift"], me["clocked_in"], me["lease_id"]) == (None, False, None)


async def test_a_supervisor_clocks_in_only_the_rostered_and_adds_walk_ins(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, _ = await day_shifts(sessionmaker)
    await run_scheduler(sessionmaker, msk(10))
    with clock_at(app, msk(10, 15)):
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        walker = await actor(client, sessionmaker, Role.OPERATOR)
        attendance = f"/api/v1/shifts/{morning}/attendance"
        refused = await client.post(
            attendance, json={"operator_id": str(walker.id)}, headers=supervisor.headers
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "not_rostered"
        walked_in = await client.post(
            f"/api/v1/shifts/{morning}/walk-ins",
            json={"operator_id": str(walker.id)},
            headers=supervisor.headers,
        )
        assert walked_in.json()["roster"] == [str(walker.id)]
        clocked = await client.post(
            attendance, json={"operator_id": str(walker.id)}, headers=supervisor.headers
        )
        assert clocked.status_code == 200, clocked.text
        assert clocked.json()["operator_id"] == str(walker.id)
        not_an_operator = await client.put(
            f"/api/v1/shifts/{morning}/roster",
            json={"operator_ids": [str(supervisor.id)]},
            headers=supervisor.headers,
        )
        assert not_an_operator.status_code == 422


async def test_closing_a_shift_clocks_everyone_out_at_its_end(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, afternoon = await day_shifts(sessionmaker)
    with clock_at(app, msk(9)) as clock:
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        early = await actor(client, sessionmaker, Role.OPERATOR)
        late = await actor(client, sessionmaker, Role.OPERATOR)
        ids = {"operator_ids": [str(early.id), str(late.id)]}
        for shift in (morning, afternoon):
            await client.put(f"/api/v1/shifts/{shift}/roster", json=ids, headers=supervisor.headers)
        await run_scheduler(sessionmaker, msk(10))
        clock.now = msk(10, 1)
        await client.post(CLOCK_IN, headers=early.headers)
        # Down at 14:00, the scheduler closes the morning at 14:07 — at its 14:00 boundary.
        await run_scheduler(sessionmaker, msk(14, 7))
        clock.now = msk(14, 10)
        await client.post(CLOCK_IN, headers=late.headers)
        clock.now = msk(15, 30)
        closed = await client.post(f"/api/v1/shifts/{afternoon}/close", headers=supervisor.headers)
        assert closed.status_code == 200
    async with sessionmaker() as session:
        records = list(await session.scalars(select(Attendance).order_by(Attendance.clock_in_at)))
    assert [(r.shift_id, r.clock_out_at) for r in records] == [
        (morning, msk(14)),
        (afternoon, msk(15, 30)),
    ]


async def test_a_closed_shift_roster_does_not_change(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, _ = await day_shifts(sessionmaker)
    await run_scheduler(sessionmaker, msk(15))
    with clock_at(app, msk(15)):
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        answer = await client.put(
            f"/api/v1/shifts/{morning}/roster",
            json={"operator_ids": [str(operator.id)]},
            headers=supervisor.headers,
        )
    assert answer.status_code == 409
    assert answer.json()["error"] == "shift_closed"


async def test_an_operator_sees_itself_alone_on_its_shifts_roster(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=3)
    me = (await client.get("/api/v1/me", headers=floor.operators[0].headers)).json()
    assert me["shift"]["id"] == str(floor.shift_id)
    assert me["shift"]["roster"] == [str(floor.operators[0].id)]
    day = floor.clock.now.date().isoformat()
    shifts = await client.get(
        f"/api/v1/shifts?from={day}&to={day}", headers=floor.supervisor.headers
    )
    (seen,) = [s for s in shifts.json() if s["id"] == str(floor.shift_id)]
    assert set(seen["roster"]) == {str(o.id) for o in floor.operators}
