"""Routing warm questionnaires to the MPK: fairness, the waiting line, departures, reassigning."""

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Desk, Questionnaire, QuestionnaireStatus, Role, User
from dialer.sales.routing import assign_waiting
from tests.builders import Actor, actor
from tests.builders_managers import floor, user_row, warm, warm_in
from tests.floor import make_floor
from tests.test_next_call import statements_of


async def mpk(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], capacity: int
) -> Actor:
    return await actor(client, sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=capacity)


async def mpk_row(sessionmaker: async_sessionmaker[AsyncSession], capacity: int) -> uuid.UUID:
    return await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=capacity)


async def holdings(sessionmaker: async_sessionmaker[AsyncSession]) -> Counter[uuid.UUID | None]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Questionnaire.manager_id, func.count())
            .where(Questionnaire.status.in_(["new", "in_progress"]))
            .group_by(Questionnaire.manager_id)
        )
        return Counter({row[0]: row[1] for row in rows})


async def test_questionnaires_spread_in_proportion_to_capacity(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    managers = [await mpk_row(sessionmaker, c) for c in (10, 20, 30)]
    where = await floor(sessionmaker)
    start = utcnow()
    for i in range(30):
        await warm(sessionmaker, where, now=start + timedelta(seconds=i))
    held = await holdings(sessionmaker)
    assert [held[m] for m in managers] == [5, 10, 15]
    assert held[None] == 0


async def test_equal_managers_take_turns(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    managers = [await mpk_row(sessionmaker, 100) for _ in range(3)]
    where = await floor(sessionmaker)
    start = utcnow()
    order = []
    for i in range(12):
        filed = await warm(sessionmaker, where, now=start + timedelta(seconds=i))
        order.append(filed.manager_id)
    rounds = [set(order[i : i + 3]) for i in range(0, 12, 3)]
    assert all(r == set(managers) for r in rounds)


async def test_an_inactive_or_deskless_manager_gets_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    working = await mpk_row(sessionmaker, 10)
    gone = await mpk_row(sessionmaker, 10)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=50)
    answer = await client.post(f"/api/v1/users/{gone}/deactivate", headers=admin.headers)
    assert answer.status_code == 200
    where = await floor(sessionmaker)
    for _ in range(4):
        await warm(sessionmaker, where)
    assert await holdings(sessionmaker) == Counter({working: 4})


async def test_without_room_questionnaires_wait_and_go_oldest_first(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    manager = await mpk(client, sessionmaker, 1)
    where = await floor(sessionmaker)
    start = utcnow()
    first = await warm(sessionmaker, where, now=start)
    second = await warm(sessionmaker, where, now=start + timedelta(seconds=1))
    third = await warm(sessionmaker, where, now=start + timedelta(seconds=2))
    assert first.manager_id == manager.id
    assert second.manager_id is None
    assert third.manager_id is None
    for status in ("in_progress", "lost"):
        body = {"status": status, "reason": "no budget" if status == "lost" else None}
        answer = await client.post(
            f"/api/v1/questionnaires/{first.id}/status", json=body, headers=manager.headers
        )
        assert answer.status_code == 200, answer.text
    async with sessionmaker() as session:
        waiting = {q.id: q.manager_id for q in await session.scalars(select(Questionnaire))}
    assert waiting[second.id] == manager.id
    assert waiting[third.id] is None


async def test_a_new_questionnaire_never_takes_a_place_before_the_waiting_line(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # A place freed with nothing handed out since (a capacity raised in the database): the
    # next warm outcome hands it to the oldest waiting one, and the new one waits behind it.
    manager = await mpk_row(sessionmaker, 1)
    where = await floor(sessionmaker)
    start = utcnow()
    first = await warm(sessionmaker, where, now=start)
    waiting = await warm(sessionmaker, where, now=start + timedelta(seconds=1))
    assert (first.manager_id, waiting.manager_id) == (manager, None)
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == manager).values(capacity=2))
    new = await warm(sessionmaker, where, now=start + timedelta(seconds=2))
    async with sessionmaker() as session:
        held = {q.id: q.manager_id for q in await session.scalars(select(Questionnaire))}
    assert held == {first.id: manager, waiting.id: manager, new.id: None}


async def test_a_new_manager_takes_the_waiting_line_on_the_periodic_check(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    where = await floor(sessionmaker)
    for _ in range(3):
        await warm(sessionmaker, where)
    manager = await mpk_row(sessionmaker, 2)
    async with sessionmaker.begin() as session:
        assert await assign_waiting(session, utcnow()) == 2
    assert await holdings(sessionmaker) == Counter({manager: 2, None: 1})


async def test_a_deactivated_managers_questionnaires_go_to_the_others(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    leaving = await mpk(client, sessionmaker, 10)
    where = await floor(sessionmaker)
    filed = [await warm(sessionmaker, where) for _ in range(3)]
    await client.post(
        f"/api/v1/questionnaires/{filed[0].id}/status",
        json={"status": "in_progress"},
        headers=leaving.headers,
    )
    staying = await mpk_row(sessionmaker, 2)
    answer = await client.post(f"/api/v1/users/{leaving.id}/deactivate", headers=admin.headers)
    assert answer.status_code == 200
    assert await holdings(sessionmaker) == Counter({staying: 2, None: 1})
    async with sessionmaker() as session:
        moved = await session.get(Questionnaire, filed[0].id)
        assert moved is not None
        assert moved.manager_id == staying
        assert moved.status is QuestionnaireStatus.NEW


async def test_a_supervisor_reassigns_by_name_or_by_the_rule(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    first = await mpk(client, sessionmaker, 5)
    where = await floor(sessionmaker)
    filed = await warm(sessionmaker, where)
    assert filed.manager_id == first.id
    second = await mpk_row(sessionmaker, 5)
    url = f"/api/v1/questionnaires/{filed.id}/assign"
    by_rule = await client.post(url, json={"manager_id": None}, headers=supervisor.headers)
    assert by_rule.status_code == 200, by_rule.text
    assert by_rule.json()["manager_id"] == str(second)
    named = await client.post(url, json={"manager_id": str(first.id)}, headers=supervisor.headers)
    assert named.json()["manager_id"] == str(first.id)


async def test_reassigning_is_refused_where_it_makes_no_sense(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    only = await mpk(client, sessionmaker, 5)
    mrk = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=5)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/assign"
    nobody = await client.post(url, json={"manager_id": None}, headers=supervisor.headers)
    assert nobody.status_code == 409
    assert nobody.json()["error"] == "no_manager_room"
    wrong_desk = await client.post(url, json={"manager_id": str(mrk)}, headers=supervisor.headers)
    assert wrong_desk.status_code == 422
    as_manager = await client.post(url, json={"manager_id": None}, headers=only.headers)
    assert as_manager.status_code == 403
    missing = await client.post(
        f"/api/v1/questionnaires/{uuid.uuid4()}/assign",
        json={"manager_id": None},
        headers=supervisor.headers,
    )
    assert missing.status_code == 404


async def test_warm_outcomes_at_once_never_overfill_a_manager(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    managers = [await mpk_row(sessionmaker, 2) for _ in range(2)]
    where = await floor(sessionmaker)

    async def one(now_offset: int) -> None:
        # Each in its own session and connection, committed: real concurrent writers.
        async with sessionmaker.begin() as session:
            await warm_in(session, where, utcnow() + timedelta(milliseconds=now_offset))

    await asyncio.gather(*(one(i) for i in range(10)))
    held = await holdings(sessionmaker)
    assert held == Counter({managers[0]: 2, managers[1]: 2, None: 6})


async def test_a_warm_outcome_weighs_its_routing_on_one_read_under_the_managers_lock(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Every warm outcome waits for the managers' lock: under it, one statement reads the
    backlog, the MPK's loads and the company's open questionnaire, and the questionnaire is
    written with its MPK; the attempt it is filed from is not read back."""
    mpk = await mpk_row(sessionmaker, 2)
    calling = await make_floor(app, client, sessionmaker, operators=1)
    (operator,) = calling.operators
    await calling.add()
    lease = await calling.lease(operator)
    sent = statements_of(app)
    answers = {"contact_person": "Ivan", "need": "paper", "volume": 100}
    answer = await client.post(
        f"/api/v1/leases/{lease['lease_id']}/outcome",
        json={"disposition": "warm", "questionnaire": answers},
        headers=operator.headers | {"Idempotency-Key": "warm-1"},
    )
    assert answer.status_code == 200, answer.text
    async with sessionmaker() as session:
        filed = await session.get_one(Questionnaire, uuid.UUID(answer.json()["questionnaire_id"]))
        assert filed.manager_id == mpk
    said = [" ".join(s.split()).upper() for s in sent]
    assert not [s for s in said if s.startswith("SELECT ATTEMPT.ID, ATTEMPT.LEASE_ID")]
    written = next(i for i, s in enumerate(said) if s.startswith("INSERT INTO QUESTIONNAIRE "))
    if app.state.engine.dialect.name == "postgresql":
        locked = next(i for i, s in enumerate(said) if "PG_ADVISORY_XACT_LOCK(" in s)
        assert written == locked + 2
        assert said[locked + 1].startswith("SELECT")
    else:
        assert said[written - 1].startswith("SELECT")
        assert not said[written - 2].startswith("SELECT")
