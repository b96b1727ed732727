"""The gate, the dialer's pause and status, operators' pauses and the live floor."""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import DialerPaused, NoOpenShift, NotClockedIn, OperatorPaused, ShiftPaused
from dialer.base.models import Disposition, Lease, Pause, PauseReason, PauseScope, Role
from dialer.shifts.gate import DIALER_TARGET, Permit, may_dial
from tests.builders import Actor, actor, campaign, contact
from tests.builders_shifts import call, clock_at, day_shifts, msk, run_scheduler


async def gate(
    sessionmaker: async_sessionmaker[AsyncSession], operator_id: uuid.UUID, now: datetime
) -> Permit:
    async with sessionmaker() as session:
        return await may_dial(session, operator_id, now)


async def floor_with_one_operator(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[Actor, Actor, uuid.UUID, uuid.UUID]:
    """A supervisor and an operator rostered on both of Monday's shifts, the morning open."""
    morning, afternoon = await day_shifts(sessionmaker)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    for shift in (morning, afternoon):
        answer = await client.put(
            f"/api/v1/shifts/{shift}/roster",
            json={"operator_ids": [str(operator.id)]},
            headers=supervisor.headers,
        )
        assert answer.status_code == 200
    await run_scheduler(sessionmaker, msk(10))
    return supervisor, operator, morning, afternoon


async def test_the_gate_says_why_in_order(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(9)) as clock:
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        with pytest.raises(NoOpenShift):
            await gate(sessionmaker, operator.id, msk(9))
        supervisor, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
        clock.now = msk(10, 1)
        with pytest.raises(NotClockedIn):
            await gate(sessionmaker, operator.id, msk(10, 1))
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        assert await gate(sessionmaker, operator.id, msk(10, 2)) == Permit(shift_id=morning)
        paused = await client.post(
            f"/api/v1/shifts/{morning}/pause",
            json={"reason": "briefing"},
            headers=supervisor.headers,
        )
        assert paused.status_code == 200
        with pytest.raises(ShiftPaused):
            await gate(sessionmaker, operator.id, msk(10, 2))
        await client.post(f"/api/v1/shifts/{morning}/resume", headers=supervisor.headers)
        await client.post(
            f"/api/v1/operators/{operator.id}/pause",
            json={"reason": "coaching"},
            headers=supervisor.headers,
        )
        with pytest.raises(OperatorPaused):
            await gate(sessionmaker, operator.id, msk(10, 2))
    # The shift ends: the operator is clocked out and there is nothing open to dial in.
    await run_scheduler(sessionmaker, msk(18, 30))
    with pytest.raises(NoOpenShift):
        await gate(sessionmaker, operator.id, msk(18, 30))


async def test_the_gate_answers_a_permit_in_one_query(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10)):
        _, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
    statements: list[str] = []

    def count(
        _conn: object, _cursor: object, statement: str, _p: object, context: Any, *_: object
    ) -> None:
        # The live floor's own work (its presence writes) runs beside: not the gate's doing.
        background = context is not None and context.execution_options.get("cascade_background")
        if statement.lstrip().upper().startswith("SELECT") and not background:
            statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await gate(sessionmaker, operator.id, msk(11)) == Permit(shift_id=morning)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


async def test_a_supervisors_dialer_pause_shows_in_status_and_the_gate_across_shifts(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10)) as clock:
        supervisor, operator, _, afternoon = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        clock.now = msk(13)
        paused = await client.post(
            "/api/v1/dialer/pause",
            json={"reason": "enough new clients for now"},
            headers=supervisor.headers,
        )
        assert paused.status_code == 200
        assert paused.json()["state"] == "paused"
        assert paused.json()["reasons"] == [
            {
                "scope": "dialer",
                "code": "supervisor",
                "reason": "enough new clients for now",
                "break_code": None,
                "by": {"id": str(supervisor.id), "name": supervisor.login},
                "since": "2026-11-30T10:00:00Z",
            }
        ]
        with pytest.raises(DialerPaused) as refused:
            await gate(sessionmaker, operator.id, msk(13, 1))
        assert refused.value.extra == {"reason": "supervisor"}
        # The pause holds into the afternoon shift.
        await run_scheduler(sessionmaker, msk(14))
        clock.now = msk(14, 2)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        status = await client.get("/api/v1/dialer/status", headers=supervisor.headers)
        assert status.json()["state"] == "paused"
        assert status.json()["shift"]["id"] == str(afternoon)
        with pytest.raises(DialerPaused):
            await gate(sessionmaker, operator.id, msk(14, 3))
        resumed = await client.post("/api/v1/dialer/resume", headers=supervisor.headers)
        assert (resumed.json()["state"], resumed.json()["reasons"]) == ("running", [])
    assert await gate(sessionmaker, operator.id, msk(14, 3)) == Permit(shift_id=afternoon)


async def test_of_two_open_shifts_the_status_shows_the_one_the_floor_works(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A night shift still open at 10:05 started first, with nobody on it: the status named
    it, and a supervisor pausing "the shift" paused an empty one while the floor dialed."""
    with clock_at(app, msk(10, 5)):
        supervisor, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        night = await client.post(
            "/api/v1/shift-templates",
            json={"name": "Night", "start": "18:00", "end": "10:30",
                  "weekdays": [1, 2, 3, 4, 5, 6, 7], "timezone": "Europe/Moscow"},
            headers=supervisor.headers,
        )  # fmt: skip
        assert night.status_code == 201, night.text
        await run_scheduler(sessionmaker, msk(10, 5))
        shifts = await client.get(
            "/api/v1/shifts?from=2026-11-29&to=2026-11-30", headers=supervisor.headers
        )
        open_now = [s for s in shifts.json() if s["state"] == "open"]
        assert {s["name"] for s in open_now} == {"Night", "Утренняя смена"}, open_now
        night_shift = next(s["id"] for s in open_now if s["name"] == "Night")
        status = await client.get("/api/v1/dialer/status", headers=supervisor.headers)
        assert status.json()["shift"]["id"] == str(morning)
        # Pausing the empty night shift stops nobody: the floor's shift runs on.
        paused = await client.post(
            f"/api/v1/shifts/{night_shift}/pause", json={"reason": "x"}, headers=supervisor.headers
        )
        assert paused.status_code == 200
        status = await client.get("/api/v1/dialer/status", headers=supervisor.headers)
        assert (status.json()["state"], status.json()["shift"]["id"]) == ("running", str(morning))
    assert await gate(sessionmaker, operator.id, msk(10, 6)) == Permit(shift_id=morning)


async def test_resuming_the_dialer_leaves_a_saturation_pause_alone(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(11)):
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        async with sessionmaker.begin() as session:
            session.add(
                Pause(
                    scope=PauseScope.DIALER,
                    target_id=DIALER_TARGET,
                    reason_code=PauseReason.MANAGERS_SATURATED,
                    reason="12 open questionnaires for a capacity of 10",
                    started_at=msk(10, 30),
                )
            )
        await client.post(
            "/api/v1/dialer/pause", json={"reason": "lunch"}, headers=supervisor.headers
        )
        with pytest.raises(DialerPaused) as both:
            await gate(sessionmaker, operator.id, msk(11))
        assert both.value.extra == {"reason": "supervisor"}
        resumed = await client.post("/api/v1/dialer/resume", headers=supervisor.headers)
    assert resumed.json()["state"] == "paused"
    assert [r["code"] for r in resumed.json()["reasons"]] == ["managers_saturated"]
    assert resumed.json()["reasons"][0]["by"] is None
    with pytest.raises(DialerPaused) as saturated:
        await gate(sessionmaker, operator.id, msk(11))
    assert saturated.value.extra == {"reason": "managers_saturated"}


async def test_the_status_counts_the_queue(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(11)):
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        operator = await actor(client, sessionmaker, Role.OPERATOR)
        created = await campaign(client, supervisor)
        for i in range(3):
            await contact(sessionmaker, created["id"], f"+7495000000{i}", next_call_at=msk(9))
        await contact(sessionmaker, created["id"], "+74950000009", next_call_at=msk(23))
        leased = await contact(sessionmaker, created["id"], "+74950000008", next_call_at=msk(9))
        lease = Lease(
            contact_id=leased,
            operator_id=operator.id,
            campaign_id=uuid.UUID(created["id"]),
            attempt_no=1,
            created_at=msk(10, 59),
            expires_at=msk(11, 9),
        )
        async with sessionmaker.begin() as session:
            session.add(lease)
        status = await client.get("/api/v1/dialer/status", headers=supervisor.headers)
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
    assert me["lease_id"] == str(lease.id)
    assert status.status_code == 200
    body = status.json()
    assert body["queue"] == {
        "ready": 4,
        "leased": 1,
        "callbacks_due": 0,
        "waiting": {"outside_calling_window": 0, "retry_not_due": 1, "callback_not_due": 0},
    }
    assert (body["state"], body["shift"]) == ("running", None)
    assert {"open", "capacity"} <= set(body["managers"])


async def test_the_live_floor_shows_each_operator(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10)) as clock:
        supervisor, working, morning, _ = await floor_with_one_operator(client, sessionmaker)
        resting = await actor(client, sessionmaker, Role.OPERATOR, login_name="b-resting")
        absent = await actor(client, sessionmaker, Role.OPERATOR, login_name="c-absent")
        await client.post(
            f"/api/v1/shifts/{morning}/walk-ins",
            json={"operator_id": str(resting.id)},
            headers=supervisor.headers,
        )
        clock.now = msk(10, 5)
        for operator in (working, resting):
            await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        created = await campaign(client, supervisor)
        await call(
            sessionmaker, working.id, morning, created["id"], Disposition.NO_ANSWER, msk(10, 10)
        )
        await call(sessionmaker, working.id, morning, created["id"], Disposition.WARM, msk(10, 20))
        own_break = await client.post("/api/v1/me/pause", json={}, headers=resting.headers)
        assert own_break.status_code == 200
        assert own_break.json()["state"] == "break"
        clock.now = msk(10, 30)
        me = (await client.get("/api/v1/me", headers=working.headers)).json()
        live = await client.get("/api/v1/operators/live", headers=supervisor.headers)
    by_login = {o["login"]: o for o in live.json()}
    assert by_login[working.login]["state"] == "idle"
    assert (by_login[working.login]["calls"], by_login[working.login]["warm_questionnaires"]) == (
        2,
        1,
    )
    # The resting operator made no request since its break 25 minutes ago: offline.
    assert by_login[resting.login]["state"] == "offline"
    assert by_login[absent.login]["state"] == "off"
    assert me["clocked_in"] is True


async def test_next_call_tells_an_operators_own_break_from_a_supervisors_pause(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """On its own lunch break the console was told "A supervisor has paused you."."""
    with clock_at(app, msk(10, 1)):
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        admin = await actor(client, sessionmaker, Role.ADMIN)
        lunch = {"code": "lunch", "label": "Обед", "paid": False}
        assert (
            await client.post("/api/v1/break-codes", json=lunch, headers=admin.headers)
        ).is_success
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)

        async def refusal() -> dict[str, Any]:
            answer = await client.post("/api/v1/dialer/next", headers=operator.headers)
            assert answer.status_code == 409
            return dict(answer.json())

        await client.post("/api/v1/me/pause", json={"code": "lunch"}, headers=operator.headers)
        on_lunch = await refusal()
        assert (on_lunch["error"], on_lunch["reason"], on_lunch["break_code"]) == (
            "operator_paused",
            "self",
            "lunch",
        )
        assert on_lunch["detail"] == "You are on a break: come back from it first."
        # Paused by a supervisor as well: the break is named first, as the floor shows it.
        await client.post(
            f"/api/v1/operators/{operator.id}/pause",
            json={"reason": "coaching"},
            headers=supervisor.headers,
        )
        assert (await refusal())["reason"] == "self"
        await client.post("/api/v1/me/resume", headers=operator.headers)
        held = await refusal()
        assert (held["error"], held["reason"]) == ("operator_paused", "supervisor")
        assert held["detail"] == "A supervisor has paused you."
        assert "break_code" not in held


async def test_an_operator_cannot_pause_the_dialer_or_read_the_floor(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    paused = await client.post(
        "/api/v1/dialer/pause", json={"reason": "x"}, headers=operator.headers
    )
    live = await client.get("/api/v1/operators/live", headers=operator.headers)
    assert paused.status_code == live.status_code == 403


async def test_an_operator_pause_holds_until_a_supervisor_resumes_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)):
        supervisor, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        paused = await client.post(
            f"/api/v1/operators/{operator.id}/pause",
            json={"reason": "coaching"},
            headers=supervisor.headers,
        )
        assert (paused.status_code, paused.json()["state"]) == (200, "paused")
        # The operator's own resume ends only its own break.
        await client.post("/api/v1/me/resume", headers=operator.headers)
        with pytest.raises(OperatorPaused):
            await gate(sessionmaker, operator.id, msk(10, 2))
        resumed = await client.post(
            f"/api/v1/operators/{operator.id}/resume", headers=supervisor.headers
        )
        assert resumed.json()["state"] == "idle"
        unknown = await client.post(
            f"/api/v1/operators/{supervisor.id}/pause",
            json={"reason": "x"},
            headers=supervisor.headers,
        )
        assert unknown.status_code == 404
    assert await gate(sessionmaker, operator.id, msk(10, 2)) == Permit(shift_id=morning)
