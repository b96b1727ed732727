"""Templates, dated shifts and a supervisor's shift controls, over the API at fixed instants."""

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role, ShiftEvent
from tests.builders import actor
from tests.builders_shifts import MONDAY, clock_at, day_shifts, msk, run_scheduler

DAY = {"from": "2026-11-30", "to": "2026-11-30"}


async def test_the_default_templates_are_seeded(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    answer = await client.get("/api/v1/shift-templates", headers=supervisor.headers)
    assert answer.status_code == 200
    assert [(t["start"], t["end"], t["weekdays"], t["timezone"]) for t in answer.json()] == [
        ("10:00", "14:00", [1, 2, 3, 4, 5], "Europe/Moscow"),
        ("14:00", "18:00", [1, 2, 3, 4, 5], "Europe/Moscow"),
    ]
    assert set(answer.json()[0]) == {"id", "name", "start", "end", "weekdays", "timezone"}


async def test_a_new_template_whose_window_contains_now_opens_now(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(12)):
        admin = await actor(client, sessionmaker, Role.ADMIN)
        body = {
            "name": "Late",
            "start": "11:00",
            "end": "15:00",
            "weekdays": [1],
            "timezone": "Europe/Moscow",
        }
        created = await client.post("/api/v1/shift-templates", json=body, headers=admin.headers)
        assert created.status_code == 201, created.text
        assert created.json()["start"] == "11:00"
        listed = await client.get("/api/v1/shifts", params=DAY, headers=admin.headers)
    late = [s for s in listed.json() if s["template_id"] == created.json()["id"]]
    assert late == [
        {
            "id": late[0]["id"],
            "template_id": created.json()["id"],
            "name": "Late",
            "starts_at": "2026-11-30T11:00:00+03:00",
            "ends_at": "2026-11-30T15:00:00+03:00",
            "state": "open",
            "roster": [],
        }
    ]
    # The other templates' shifts are left to the scheduler.
    assert [s["name"] for s in listed.json()] == ["Late"]
    async with sessionmaker() as session:
        event = await session.scalar(select(ShiftEvent))
    assert event is not None
    assert (event.source, event.actor_id) == ("supervisor", admin.id)


async def test_templates_that_cannot_make_shifts_are_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    good = {
        "name": "x",
        "start": "10:00",
        "end": "14:00",
        "weekdays": [1],
        "timezone": "Europe/Moscow",
    }
    for bad in (
        {"start": "25:00"},
        {"end": "10:00"},
        {"weekdays": [0]},
        {"weekdays": []},
        {"timezone": "Mars/Olympus"},
    ):
        answer = await client.post(
            "/api/v1/shift-templates", json=good | bad, headers=admin.headers
        )
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"] == "invalid_input"
    listed = await client.get("/api/v1/shift-templates", headers=admin.headers)
    assert len(listed.json()) == 2


async def test_a_changed_template_moves_its_planned_shifts_and_keeps_their_roster(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, _ = await day_shifts(sessionmaker)
    with clock_at(app, msk(8)):
        admin = await actor(client, sessionmaker, Role.ADMIN)
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        await client.put(
            f"/api/v1/shifts/{morning}/roster",
            json={"operator_ids": [str(operator.id)]},
            headers=admin.headers,
        )
        templates = (await client.get("/api/v1/shift-templates", headers=admin.headers)).json()
        body = {"name": "Morning", "start": "09:00", "end": "13:00", "weekdays": [1, 2, 3]}
        changed = await client.put(
            f"/api/v1/shift-templates/{templates[0]['id']}", json=body, headers=admin.headers
        )
        assert changed.status_code == 200, changed.text
        week = {"from": "2026-11-30", "to": "2026-12-06"}
        listed = (await client.get("/api/v1/shifts", params=week, headers=admin.headers)).json()
    mornings = [s for s in listed if s["template_id"] == templates[0]["id"]]
    assert [s["starts_at"][:16] for s in mornings] == [
        "2026-11-30T09:00",
        "2026-12-01T09:00",
        "2026-12-02T09:00",
    ]
    assert mornings[0]["id"] == str(morning)
    assert mornings[0]["roster"] == [str(operator.id)]


async def test_a_removed_template_takes_its_planned_shifts_with_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await day_shifts(sessionmaker)
    with clock_at(app, msk(12)):
        await run_scheduler(sessionmaker, msk(12))
        admin = await actor(client, sessionmaker, Role.ADMIN)
        templates = (await client.get("/api/v1/shift-templates", headers=admin.headers)).json()
        for template in templates:
            gone = await client.delete(
                f"/api/v1/shift-templates/{template['id']}", headers=admin.headers
            )
            assert gone.status_code == 204
        listed = await client.get(
            "/api/v1/shifts",
            params={"from": "2026-11-30", "to": "2026-12-06"},
            headers=admin.headers,
        )
        again = await client.delete(
            f"/api/v1/shift-templates/{templates[0]['id']}", headers=admin.headers
        )
    # The running morning shift ends at its boundary; everything planned is gone.
    assert [(s["name"], s["state"]) for s in listed.json()] == [("Утренняя смена", "open")]
    assert again.status_code == 404


async def test_shifts_are_listed_by_their_own_local_date(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await day_shifts(sessionmaker)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    monday = await client.get("/api/v1/shifts", params=DAY, headers=supervisor.headers)
    assert [s["starts_at"] for s in monday.json()] == [
        "2026-11-30T10:00:00+03:00",
        "2026-11-30T14:00:00+03:00",
    ]
    weekend = await client.get(
        "/api/v1/shifts",
        params={"from": "2026-12-05", "to": "2026-12-06"},
        headers=supervisor.headers,
    )
    assert weekend.json() == []
    inverted = await client.get(
        "/api/v1/shifts",
        params={"from": "2026-12-06", "to": "2026-12-05"},
        headers=supervisor.headers,
    )
    assert inverted.status_code == 422


async def test_a_supervisor_pauses_resumes_and_closes_a_shift(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, afternoon = await day_shifts(sessionmaker)
    await run_scheduler(sessionmaker, msk(10))
    with clock_at(app, msk(11)) as clock:
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        base = f"/api/v1/shifts/{morning}"
        paused = await client.post(
            f"{base}/pause", json={"reason": "fire drill"}, headers=supervisor.headers
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["state"] == "paused"
        twice = await client.post(
            f"{base}/pause", json={"reason": "again"}, headers=supervisor.headers
        )
        assert twice.status_code == 409
        assert twice.json()["error"] == "invalid_transition"
        clock.now = msk(11, 20)
        resumed = await client.post(f"{base}/resume", headers=supervisor.headers)
        assert resumed.json()["state"] == "open"
        closed = await client.post(f"{base}/close", headers=supervisor.headers)
        assert closed.json()["state"] == "closed"
        reopened = await client.post(f"{base}/resume", headers=supervisor.headers)
        assert reopened.status_code == 409
        planned = await client.post(f"/api/v1/shifts/{afternoon}/close", headers=supervisor.headers)
        assert planned.status_code == 409
        assert planned.json()["error"] == "invalid_transition"
    # The scheduler never reopens a shift a supervisor closed.
    await run_scheduler(sessionmaker, msk(12))
    async with sessionmaker() as session:
        events = list(
            await session.scalars(
                select(ShiftEvent).where(ShiftEvent.shift_id == morning).order_by(ShiftEvent.at)
            )
        )
    assert [(e.from_state.value, e.to_state.value, e.source, e.reason) for e in events] == [
        ("planned", "open", "scheduler", "the shift's start"),
        ("open", "paused", "supervisor", "fire drill"),
        ("paused", "open", "supervisor", None),
        ("open", "closed", "supervisor", "closed early"),
    ]
    assert events[1].actor_id == supervisor.id


async def test_an_operator_cannot_pause_a_shift(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    morning, _ = await day_shifts(sessionmaker)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await client.post(
        f"/api/v1/shifts/{morning}/pause", json={"reason": "tired"}, headers=operator.headers
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"


async def test_a_missing_shift_is_not_found(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    answer = await client.post(
        f"/api/v1/shifts/{MONDAY.isoformat()}/close", headers=supervisor.headers
    )
    assert answer.status_code == 422
    unknown = await client.post(
        "/api/v1/shifts/00000000-0000-4000-8000-000000000001/close", headers=supervisor.headers
    )
    assert unknown.status_code == 404


async def test_a_running_shift_takes_a_changed_end_and_its_day_gets_no_second_shift(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await day_shifts(sessionmaker)
    await run_scheduler(sessionmaker, msk(10))
    with clock_at(app, msk(11)):
        admin = await actor(client, sessionmaker, Role.ADMIN)
        templates = (await client.get("/api/v1/shift-templates", headers=admin.headers)).json()
        body = {"name": "Morning", "start": "12:00", "end": "15:00"}
        changed = await client.put(
            f"/api/v1/shift-templates/{templates[0]['id']}", json=body, headers=admin.headers
        )
        assert changed.status_code == 200
        listed = await client.get("/api/v1/shifts", params=DAY, headers=admin.headers)
    mornings = [s for s in listed.json() if s["template_id"] == templates[0]["id"]]
    assert [(s["starts_at"], s["ends_at"], s["state"]) for s in mornings] == [
        ("2026-11-30T10:00:00+03:00", "2026-11-30T15:00:00+03:00", "open")
    ]
