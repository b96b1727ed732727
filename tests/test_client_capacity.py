"""Plans per account, and the MRK's capacity pushing back on the floor."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from tests.builders import Actor
from tests.builders_managers import floor as managers_floor
from tests.builders_managers import warm
from tests.floor import Floor, make_floor, quick_actor

Maker = async_sessionmaker[AsyncSession]


async def won(floor: Floor, mpk: Actor, company: str, amount: str = "1000") -> dict[str, Any]:
    """A warm questionnaire of the company closed to a first order; the answer."""
    where = await managers_floor(floor.sessionmaker)
    filed = await warm(floor.sessionmaker, where, company=company, now=floor.clock.now)
    url = f"/api/v1/questionnaires/{filed.id}/status"
    await floor.client.post(url, json={"status": "in_progress"}, headers=mpk.headers)
    done = await floor.client.post(
        url, json={"status": "first_order", "amount": amount}, headers=mpk.headers
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


async def account(floor: Floor, account_id: str) -> dict[str, Any]:
    shown = await floor.client.get(
        f"/api/v1/accounts/{account_id}", headers=floor.supervisor.headers
    )
    assert shown.status_code == 200, shown.text
    body: dict[str, Any] = shown.json()
    return body


async def order(floor: Floor, manager: Actor, account_id: str, amount: str) -> dict[str, Any]:
    made = await floor.client.post(
        f"/api/v1/accounts/{account_id}/orders", json={"amount": amount}, headers=manager.headers
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()["account"]
    return body


async def test_an_account_passes_to_the_regular_desk_at_its_own_plan(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    mpk = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=5)
    both = [
        await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.DEVELOPMENT, capacity=5)
        for _ in range(2)
    ]
    await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.REGULAR, capacity=5)
    account_id = (await won(floor, mpk, "Вектор", "100000"))["account_id"]
    holder = (await account(floor, account_id))["manager_id"]
    [mrk] = [m for m in both if str(m.id) == holder]
    [other] = [m for m in both if m is not mrk]
    url = f"/api/v1/accounts/{account_id}"

    refused = await client.patch(url, json={"plan_volume": "1"}, headers=other.headers)
    assert refused.status_code == 403
    for bad in ({"plan_volume": "0"}, {"plan_volume": "-5"}, {"plan_volume": "many"}, {}):
        answer = await client.patch(url, json=bad, headers=mrk.headers)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"] == "invalid_input"
    planned = await client.patch(url, json={"plan_volume": "150000"}, headers=mrk.headers)
    assert planned.status_code == 200, planned.text
    assert (planned.json()["plan_volume"], planned.json()["plan"]) == ("150000.00", "150000.00")
    assert planned.json()["stage"] == "working"

    # 160,000 is under the setting's plan (300,000) but over the account's own.
    passed = await order(floor, mrk, account_id, "60000")
    assert passed["stage"] == "regular"
    assert passed["handoffs"][-1]["reason"] == "turnover 160000.00 reached the plan 150000.00"


async def test_a_plan_lowered_below_the_turnover_passes_the_account_at_once(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    mpk = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=5)
    await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.DEVELOPMENT, capacity=5)
    account_id = (await won(floor, mpk, "Lower", "50000"))["account_id"]
    url = f"/api/v1/accounts/{account_id}"
    planned = await client.patch(
        url, json={"plan_volume": "40000"}, headers=floor.supervisor.headers
    )
    assert planned.status_code == 200, planned.text
    assert planned.json()["stage"] == "regular"
    back = await client.patch(url, json={"plan_volume": None}, headers=floor.supervisor.headers)
    assert (back.json()["plan_volume"], back.json()["plan"]) == (None, "300000.00")


async def dial(floor: Floor) -> httpx.Response:
    await floor.add()
    return await floor.next(floor.operators[0])


async def test_full_mrk_make_new_clients_wait_and_pause_the_floor_until_room_frees(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    mpk = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=50)
    small = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.DEVELOPMENT, capacity=1)
    large = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.DEVELOPMENT, capacity=2)
    await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.REGULAR, capacity=50)

    ids = [(await won(floor, mpk, f"Client {n}"))["account_id"] for n in range(3)]
    owners = [(await account(floor, i))["manager_id"] for i in ids]
    # The lowest load first: each takes one, then the one with room left takes the third.
    assert sorted(owners) == sorted([str(small.id), str(large.id), str(large.id)])
    # Three working accounts of a capacity of three: the high mark (100 %) is reached.
    refused = await dial(floor)
    assert refused.status_code == 409
    assert refused.json() | {"detail": ""} == {
        "error": "dialer_paused",
        "reason": "clients_saturated",
        "detail": "",
    }
    # A fourth client won meanwhile waits without an MRK; nobody is filled past capacity.
    waiting_id = (await won(floor, mpk, "Client 3"))["account_id"]
    waiting = await account(floor, waiting_id)
    assert waiting["manager_id"] is None
    assert waiting["handoffs"][0]["reason"].endswith("every MRK is full, waiting")
    status = (await client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)).json()
    assert [r["code"] for r in status["reasons"]] == ["clients_saturated"]
    assert {k: status["clients"][k] for k in ("working", "waiting", "capacity", "saturated")} == {
        "working": 4,
        "waiting": 1,
        "capacity": 3,
        "saturated": True,
    }

    # The small MRK's client reaches its plan: the waiting one takes its place at once.
    first_small = ids[owners.index(str(small.id))]
    await order(floor, small, first_small, "300000")
    assert (await account(floor, waiting_id))["manager_id"] == str(small.id)
    # Three working again, above the low mark (80 % of 3): still paused, no flapping.
    assert (await dial(floor)).json()["reason"] == "clients_saturated"
    first_large = ids[owners.index(str(large.id))]
    await order(floor, large, first_large, "300000")
    # Two working: at or under the low mark, dialing resumes.
    resumed = await dial(floor)
    assert resumed.status_code == 200, resumed.text
    status = (await client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)).json()
    assert status["state"] == "running"
    assert status["clients"]["developed_recently"] == 2


async def test_mrk_without_a_capacity_never_pause_the_floor(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    mpk = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=50)
    mrk = await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.DEVELOPMENT)
    for n in range(3):
        assert (await account(floor, (await won(floor, mpk, f"C{n}"))["account_id"]))[
            "manager_id"
        ] == str(mrk.id)
    assert (await dial(floor)).status_code == 200
