"""End to end through the API: warm calls saturate the MPK, dialing pauses, closing resumes it."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from tests.builders import Actor
from tests.floor import Floor, make_floor, quick_actor

ANSWERS = {"contact_person": "Pyotr", "need": "office paper"}


async def warm_call(floor: Floor, operator: Actor) -> dict[str, Any]:
    lease = await floor.lease(operator)
    floor.clock.advance(minutes=2)
    answer = await floor.outcome(
        operator, lease["lease_id"], disposition="warm", questionnaire=ANSWERS
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def work(client: httpx.AsyncClient, manager: Actor, questionnaire_id: str) -> None:
    """A manager takes a questionnaire up and loses it."""
    url = f"/api/v1/questionnaires/{questionnaire_id}/status"
    for body in ({"status": "in_progress"}, {"status": "lost", "reason": "no budget"}):
        answer = await client.post(url, json=body, headers=manager.headers)
        assert answer.status_code == 200, answer.text


async def test_the_floor_pauses_for_saturated_managers_and_resumes_by_itself(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    now = floor.clock.now
    managers = [
        await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=2)
        for _ in range(2)
    ]
    for _ in range(10):
        await floor.add()
    first, second = floor.operators

    # Three warm calls: 75 % of the managers' capacity of 4.
    for _ in range(3):
        await warm_call(floor, first)
    # The second operator is mid-call when the fourth questionnaire saturates the managers.
    under_way = await floor.lease(second)
    await warm_call(floor, first)
    refused = await floor.next(first)
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["reason"]) == (
        "dialer_paused",
        "managers_saturated",
    )
    # The call under way finishes and its questionnaire is kept: it waits for a manager.
    kept = await floor.outcome(
        second, under_way["lease_id"], disposition="warm", questionnaire=ANSWERS
    )
    assert kept.status_code == 200, kept.text
    assert (await floor.next(second)).status_code == 409

    status = await client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)
    body = status.json()
    assert body["state"] == "paused"
    assert [r["code"] for r in body["reasons"]] == ["managers_saturated"]
    shown = body["managers"]
    assert (shown["open"], shown["capacity"], shown["waiting"]) == (5, 4, 1)
    assert (shown["saturated"], shown["resume_at_open"]) == (True, 3)

    # The managers close: 5 → 4 open (the waiting one is handed out), still above 80 %.
    mine = await client.get("/api/v1/questionnaires", headers=managers[0].headers)
    await work(client, managers[0], mine.json()[0]["id"])
    assert (await floor.next(first)).status_code == 409
    # 4 → 3 open: at or below 80 % of 4, dialing resumes with no one pressing resume.
    theirs = await client.get("/api/v1/questionnaires", headers=managers[1].headers)
    await work(client, managers[1], theirs.json()[0]["id"])
    resumed = await floor.next(first)
    assert resumed.status_code == 200, resumed.text
    status = await client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)
    assert status.json()["state"] == "running"
    assert status.json()["managers"]["open"] == 3
