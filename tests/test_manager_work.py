"""A manager's work on its questionnaires: the list, the transitions, ownership, overdue."""

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.locks import lock_managers
from dialer.base.models import Desk, Questionnaire, Role, User
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import list_questionnaires
from tests.builders import Actor, actor
from tests.builders_managers import floor, warm


async def mpk(client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]) -> Actor:
    return await actor(client, sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)


async def test_a_manager_lists_its_own_oldest_first_and_a_supervisor_sees_all(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    anna = await mpk(client, sessionmaker)
    where = await floor(sessionmaker)
    start = utcnow()
    mine = [await warm(sessionmaker, where, now=start + timedelta(seconds=i)) for i in range(2)]
    oleg = await mpk(client, sessionmaker)
    theirs = await warm(
        sessionmaker, where, company="ООО Ромашка", now=start + timedelta(seconds=2)
    )
    assert theirs.manager_id == oleg.id
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)

    listed = await client.get("/api/v1/questionnaires", headers=anna.headers)
    assert listed.status_code == 200
    assert [q["id"] for q in listed.json()] == [str(q.id) for q in mine]
    first = listed.json()[0]
    assert first["status"] == "new"
    assert first["overdue"] is False
    assert first["contact"]["phone"].startswith("+7495")
    everything = await client.get("/api/v1/questionnaires", headers=supervisor.headers)
    assert len(everything.json()) == 3
    assert everything.json()[2]["company"] == "ООО Ромашка"


async def test_the_list_filters_by_status(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    manager = await mpk(client, sessionmaker)
    where = await floor(sessionmaker)
    taken, left = await warm(sessionmaker, where), await warm(sessionmaker, where)
    await client.post(
        f"/api/v1/questionnaires/{taken.id}/status",
        json={"status": "in_progress"},
        headers=manager.headers,
    )
    working = await client.get(
        "/api/v1/questionnaires", params={"status": "in_progress"}, headers=manager.headers
    )
    assert [q["id"] for q in working.json()] == [str(taken.id)]
    both = await client.get(
        "/api/v1/questionnaires",
        params=[("status", "in_progress"), ("status", "new")],
        headers=manager.headers,
    )
    assert {q["id"] for q in both.json()} == {str(taken.id), str(left.id)}
    bad = await client.get(
        "/api/v1/questionnaires", params={"status": "won"}, headers=manager.headers
    )
    assert bad.status_code == 422


async def test_new_then_in_progress_then_lost_with_a_reason(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    manager = await mpk(client, sessionmaker)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/status"
    too_early = await client.post(
        url, json={"status": "lost", "reason": "no"}, headers=manager.headers
    )
    assert too_early.status_code == 409
    assert too_early.json()["error"] == "invalid_transition"
    started = await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    no_reason = await client.post(url, json={"status": "lost"}, headers=manager.headers)
    assert no_reason.status_code == 422
    assert no_reason.json()["fields"][0]["loc"] == ["body", "reason"]
    lost = await client.post(
        url, json={"status": "lost", "reason": "went to a rival"}, headers=manager.headers
    )
    assert lost.status_code == 200
    assert lost.json()["reason"] == "went to a rival"
    again = await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_transition"


async def test_a_first_order_needs_a_positive_amount(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    manager = await mpk(client, sessionmaker)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/status"
    await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    for body in ({"status": "first_order"}, {"status": "first_order", "amount": 0}):
        refused = await client.post(url, json=body, headers=manager.headers)
        assert refused.status_code == 422
        assert refused.json()["error"] == "invalid_input"
    stray = await client.post(
        url, json={"status": "first_order", "amount": 10, "reason": "x"}, headers=manager.headers
    )
    assert stray.status_code == 422
    done = await client.post(
        url, json={"status": "first_order", "amount": "12500.50"}, headers=manager.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["amount"] == "12500.50"
    assert done.json()["account_id"] is not None


async def test_a_manager_cannot_touch_another_managers_questionnaire(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = await mpk(client, sessionmaker)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    assert filed.manager_id == owner.id
    other = await actor(client, sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=0)
    mrk = await actor(client, sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=5)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    url = f"/api/v1/questionnaires/{filed.id}/status"
    for stranger in (other, mrk):
        answer = await client.post(url, json={"status": "in_progress"}, headers=stranger.headers)
        assert answer.status_code == 403
        assert answer.json()["error"] == "forbidden"
        seen = await client.get(f"/api/v1/questionnaires/{filed.id}", headers=stranger.headers)
        assert seen.status_code == 403
        assert (await client.get("/api/v1/questionnaires", headers=stranger.headers)).json() == []
    assert (await client.get("/api/v1/questionnaires", headers=operator.headers)).status_code == 403
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    answer = await client.post(url, json={"status": "in_progress"}, headers=supervisor.headers)
    assert answer.status_code == 200


async def test_a_waiting_questionnaire_cannot_be_worked(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    assert filed.manager_id is None
    answer = await client.post(
        f"/api/v1/questionnaires/{filed.id}/status",
        json={"status": "in_progress"},
        headers=supervisor.headers,
    )
    assert answer.status_code == 409
    assert answer.json()["error"] == "invalid_transition"


async def test_untouched_questionnaires_turn_overdue(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    manager = await mpk(client, sessionmaker)
    where = await floor(sessionmaker)
    filed_at = utcnow()
    stale = await warm(sessionmaker, where, now=filed_at)
    fresh = await warm(sessionmaker, where, now=filed_at)
    policy = Policy(overdue_after=timedelta(hours=24))
    later = filed_at + timedelta(hours=24)
    async with sessionmaker() as session:
        user = await session.get(User, manager.id)
        assert user is not None
        at_edge = await list_questionnaires(session, user, [], later, policy)
        just_before = await list_questionnaires(
            session, user, [], later - timedelta(seconds=1), policy
        )
    assert [v.overdue for v in at_edge] == [True, True]
    assert [v.overdue for v in just_before] == [False, False]

    async with sessionmaker.begin() as session:
        await session.execute(
            update(Questionnaire)
            .where(Questionnaire.id == stale.id)
            .values(updated_at=utcnow() - timedelta(hours=25))
        )
    listed = await client.get("/api/v1/questionnaires", headers=manager.headers)
    assert {q["id"]: q["overdue"] for q in listed.json()} == {
        str(stale.id): True,
        str(fresh.id): False,
    }
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    overdue = await client.get(
        "/api/v1/questionnaires", params={"overdue": "true"}, headers=supervisor.headers
    )
    assert [q["id"] for q in overdue.json()] == [str(stale.id)]


async def test_taking_one_up_does_not_wait_for_the_managers_lock(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Only a change that frees a place weighs the managers' loads under their lock."""
    manager = await mpk(client, sessionmaker)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/status"
    async with sessionmaker() as holder:
        # On PostgreSQL, another transaction holds the lock throughout; SQLite has no such
        # lock (every transaction takes the database's write lock instead).
        if holder.bind.dialect.name == "postgresql":
            await lock_managers(holder)
        started = await asyncio.wait_for(
            client.post(url, json={"status": "in_progress"}, headers=manager.headers), 10
        )
        assert started.status_code == 200, started.text
        await holder.rollback()
    lost = await client.post(url, json={"status": "lost", "reason": "no"}, headers=manager.headers)
    assert lost.status_code == 200
