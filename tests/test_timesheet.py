"""Timesheets: a day with pauses adds up, as JSON and as CSV, for supervisors only."""

import csv
import io
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Disposition, Role, User
from dialer.reports.timesheet import count_time
from tests.builders import actor, campaign
from tests.builders_shifts import call, clock_at, day_shifts, msk, run_scheduler

DAY = {"from": "2026-11-30", "to": "2026-11-30"}


def test_an_imposed_pause_is_paid_even_over_an_own_break() -> None:
    minutes = count_time(
        clocked=[(msk(9, 50), msk(13, 50))],
        bounds=(msk(10), msk(14)),
        imposed=[(msk(11), msk(11, 30))],
        own=[(msk(11, 20), msk(11, 40))],
        own_paid=False,
    )
    assert minutes.clocked == timedelta(minutes=230)
    assert minutes.paused == timedelta(minutes=40)
    assert minutes.unpaid == timedelta(minutes=10)
    assert minutes.paid == timedelta(minutes=220)


async def a_day_with_pauses(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[dict[str, str], str, str]:
    """One operator works the morning with pauses of every kind; another never comes."""
    morning, _ = await day_shifts(sessionmaker)
    with clock_at(app, msk(9)) as clock:
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        worker = await actor(
            client, sessionmaker, Role.OPERATOR, login_name="a-worker", hourly_rate=300
        )
        absent = await actor(client, sessionmaker, Role.OPERATOR, login_name="b-absent")
        ids = [str(worker.id), str(absent.id)]
        await client.put(
            f"/api/v1/shifts/{morning}/roster",
            json={"operator_ids": ids},
            headers=supervisor.headers,
        )
        await run_scheduler(sessionmaker, msk(10))
        steps = [
            (msk(10, 5), "/api/v1/shifts/current/clock-in", worker, None),
            (msk(11), "/api/v1/dialer/pause", supervisor, {"reason": "enough for now"}),
            (msk(11, 30), "/api/v1/dialer/resume", supervisor, None),
            (msk(12), "/api/v1/me/pause", worker, {"reason": "tea"}),
            (msk(12, 5), f"/api/v1/shifts/{morning}/pause", supervisor, {"reason": "briefing"}),
            (msk(12, 10), "/api/v1/me/resume", worker, None),
            (msk(12, 20), f"/api/v1/shifts/{morning}/resume", supervisor, None),
            (msk(13, 50), "/api/v1/shifts/current/clock-out", worker, None),
        ]
        for at, path, who, body in steps:
            clock.now = at
            answer = await client.post(path, json=body, headers=who.headers)
            assert answer.status_code == 200, (path, answer.text)
        made = await campaign(client, supervisor)
        for minute, disposition, talk in (
            (10, Disposition.NO_ANSWER, 0),
            (20, Disposition.WARM, 4),
            (40, Disposition.NOT_INTERESTED, 2),
        ):
            await call(
                sessionmaker,
                worker.id,
                morning,
                made["id"],
                disposition,
                msk(10, minute),
                timedelta(minutes=talk),
            )
    await run_scheduler(sessionmaker, msk(14, 1))
    return supervisor.headers, worker.login, absent.login


async def test_the_timesheet_of_a_day_with_pauses_adds_up(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers, worker, absent = await a_day_with_pauses(app, client, sessionmaker)
    with clock_at(app, msk(19)):
        answer = await client.get("/api/v1/reports/timesheet", params=DAY, headers=headers)
    assert answer.status_code == 200, answer.text
    rows = {r["login"]: r for r in answer.json()}
    day = rows[worker]
    # 10:05–13:50 clocked; paused 11:00–11:30 (dialer) and 12:00–12:20 (own break, then the
    # shift); only 12:00–12:05 was the operator's own choice.
    assert day["minutes_clocked"] == 225
    assert day["minutes_paused"] == 50
    assert day["minutes_unpaid"] == 5
    assert day["minutes_paid"] == day["minutes_clocked"] - day["minutes_unpaid"] == 220
    assert (day["calls"], day["talk_minutes"], day["warm_questionnaires"]) == (3, 6, 1)
    assert (day["hours_paid"], day["hourly_rate"], day["pay"]) == ("3.67", "300.00", "1100.00")
    assert day["starts_at"] == "2026-11-30T10:00:00+03:00"
    nobody = rows[absent]
    assert (nobody["minutes_clocked"], nobody["calls"], nobody["pay"]) == (0, 0, None)


async def test_an_own_break_is_paid_when_configured(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers, worker, _ = await a_day_with_pauses(app, client, sessionmaker)
    app.state.settings = app.state.settings.model_copy(update={"self_pause_paid": True})
    with clock_at(app, msk(19)):
        answer = await client.get("/api/v1/reports/timesheet", params=DAY, headers=headers)
    day = next(r for r in answer.json() if r["login"] == worker)
    assert (day["minutes_paid"], day["pay"]) == (225, "1125.00")


async def test_the_timesheet_as_csv(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers, worker, absent = await a_day_with_pauses(app, client, sessionmaker)
    with clock_at(app, msk(19)):
        answer = await client.get(
            "/api/v1/reports/timesheet", params=DAY | {"format": "csv"}, headers=headers
        )
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["login"] for r in rows] == [worker, absent]
    assert (rows[0]["minutes_paid"], rows[0]["pay"], rows[1]["pay"]) == ("220.0", "1100.00", "")


async def test_operators_do_not_read_timesheets(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await client.get("/api/v1/reports/timesheet", params=DAY, headers=operator.headers)
    assert answer.status_code == 403


async def test_the_timesheet_csv_writes_formulas_as_text(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers, worker, absent = await a_day_with_pauses(app, client, sessionmaker)
    names = {worker: '=HYPERLINK("http://evil.example","pay")', absent: "@SUM(1+1)"}
    async with sessionmaker.begin() as session:
        for login, name in names.items():
            await session.execute(update(User).where(User.login == login).values(name=name))
    with clock_at(app, msk(19)):
        answer = await client.get(
            "/api/v1/reports/timesheet", params=DAY | {"format": "csv"}, headers=headers
        )
    rows = {r["login"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows[worker]["name"] == "'" + names[worker]
    assert rows[absent]["name"] == "'" + names[absent]
    assert (rows[worker]["minutes_paid"], rows[worker]["pay"]) == ("220.0", "1100.00")
