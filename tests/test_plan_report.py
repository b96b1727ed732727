"""The shift planner over the API, on a generated history whose right answer is known."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role, RosterEntry, User
from tests.builders_plan import known_history, shifts_from
from tests.builders_shifts import clock_at
from tests.floor import quick_actor

Maker = async_sessionmaker[AsyncSession]
# Monday 7 December 2026, 09:00 in Moscow: the morning shift starts in an hour.
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


async def roster_everyone(sessionmaker: Maker, size: int) -> None:
    """`size` operators on every shift of the next two weeks."""
    operators = [await quick_actor(sessionmaker, Role.OPERATOR, NOW) for _ in range(size)]
    ahead = await shifts_from(sessionmaker, NOW, NOW + timedelta(days=14))
    async with sessionmaker.begin() as session:
        for shift in ahead:
            for operator in operators:
                session.add(RosterEntry(shift_id=shift.id, operator_id=operator.id, added_at=NOW))


async def planned(app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker) -> dict[str, Any]:
    with clock_at(app, NOW):
        supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, NOW)
        answer = await client.get("/api/v1/reports/plan", headers=supervisor.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_planner_measures_the_history_and_keeps_the_mpk_under_the_high_mark(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await known_history(sessionmaker, NOW - timedelta(days=28), NOW)
    await roster_everyone(sessionmaker, 6)
    plan = await planned(app, client, sessionmaker)

    measured = plan["measured"]
    assert measured["enough_history"] is True
    assert measured["floor_days"] == 20
    assert measured["warm_per_operator_hour"] == 4.0
    assert {h["warm_per_operator_hour"] for h in measured["by_weekday_and_hour"]} == {4.0}
    assert [m["closes_per_day"] for m in plan["managers"]] == [10.0, 10.0, 10.0]
    assert plan["desk"] | {"closes_per_day": 30.0} == {
        "capacity": 60,
        "closes_per_day": 30.0,
        "high_mark": 60.0,
        "low_mark": 48.0,
        "open_now": 0,
        "paused_now": False,
    }
    shifts = plan["shifts"]
    assert len(shifts) == 20  # ten weekdays, two shifts each
    first = shifts[0]
    # From nothing open: four operators bring 49 by 14:00 (five would pass 60).
    assert (first["recommended"], first["recommended_open_at_end"]) == (4, 49.0)
    assert (plan["operators"], first["wanted"]) == (7, 4)  # the six and the history's one
    for shift in shifts:
        assert shift["recommended_open_at_end"] <= 54  # the middle of the marks
        assert shift["recommended_idle_hours"] == 0
        assert shift["rostered"] == 6
    # Six on the roster saturate the MPK before the first shift is three hours old.
    pause = datetime.fromisoformat(first["pause_expected_at"])
    assert abs(pause - datetime(2026, 12, 7, 9, 57, 47, tzinfo=UTC)) <= timedelta(minutes=6)
    assert first["expected_warm"] < 6 * 4 * 4


async def test_with_too_little_history_the_planner_says_so_and_uses_the_campaigns_defaults(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    with clock_at(app, NOW):
        staff = await quick_actor(sessionmaker, Role.SUPERVISOR, NOW)
        planning = {"warm_per_operator_hour": 3, "closes_per_manager_day": 12}
        made = await client.post(
            "/api/v1/campaigns", json={"name": "New", "planning": planning}, headers=staff.headers
        )
        assert made.json()["planning"] == {
            "warm_per_operator_hour": 3.0,
            "closes_per_manager_day": 12.0,
        }
        bad = await client.post(
            "/api/v1/campaigns",
            json={"name": "Bad", "planning": {"warm_per_operator_hour": -1}},
            headers=staff.headers,
        )
        assert bad.status_code == 422
    await shifts_from(sessionmaker, NOW, NOW + timedelta(days=14))
    await quick_actor(sessionmaker, Role.MANAGER, NOW, desk=Desk.ACQUISITION, capacity=20)
    plan = await planned(app, client, sessionmaker)
    assert plan["measured"]["enough_history"] is False
    assert plan["measured"]["warm_per_operator_hour"] == 3.0
    assert [m["closes_per_day"] for m in plan["managers"]] == [12.0]
    assert plan["shifts"][0]["rostered"] == 0
    # No operator on the floor yet: none to recommend, though the MPK could take some.
    assert plan["operators"] == 0
    assert plan["shifts"][0]["recommended"] == 0
    assert plan["shifts"][0]["wanted"] > 0


async def test_the_planner_recommends_no_more_operators_than_the_floor_has(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await known_history(sessionmaker, NOW - timedelta(days=28), NOW)  # one operator
    await roster_everyone(sessionmaker, 2)
    gone = await quick_actor(sessionmaker, Role.OPERATOR, NOW)
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == gone.id).values(active=False))
    plan = await planned(app, client, sessionmaker)
    assert plan["operators"] == 3
    first = plan["shifts"][0]
    # Four would bring the MPK to 49 by 14:00: three are all the floor has.
    assert (first["wanted"], first["recommended"]) == (4, 3)
    assert first["recommended_open_at_end"] < 49
    assert all(s["recommended"] <= 3 for s in plan["shifts"])


async def test_the_plan_is_for_staff_and_a_sane_period(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    with clock_at(app, NOW):
        staff = await quick_actor(sessionmaker, Role.SUPERVISOR, NOW)
        operator = await quick_actor(sessionmaker, Role.OPERATOR, NOW)
        assert (
            await client.get("/api/v1/reports/plan", headers=operator.headers)
        ).status_code == 403
        for query in ({"from": "2026-12-09", "to": "2026-12-08"}, {"days": 0}, {"from": "x"}):
            answer = await client.get("/api/v1/reports/plan", params=query, headers=staff.headers)
            assert answer.status_code == 422, (query, answer.text)
            assert answer.json()["error"] == "invalid_input"
