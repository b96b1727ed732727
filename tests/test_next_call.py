"""Next-call's usual case, answered by one statement on PostgreSQL, says what the full path says."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, Lease, User
from dialer.base.users import issue_token
from tests.builders import TEST_SECRET
from tests.floor import Floor, make_floor


def statements_of(app: FastAPI) -> list[str]:
    """Every statement the app's engine sends from now on, as SQLAlchemy runs it."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        context = args[4]
        # The live floor's own refresh runs beside any request: not the request's doing.
        if context is None or not context.execution_options.get("cascade_background"):
            sent.append(args[2])

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    return sent


async def leases_of(floor: Floor, user_id: Any) -> list[str]:
    async with floor.sessionmaker() as session:
        found = await session.scalars(select(Lease.id).where(Lease.operator_id == user_id))
        return [str(lease_id) for lease_id in found]


async def test_a_new_lease_reads_as_the_held_one_does(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The claim's answer and the held lease's answer (the full path) are the same bytes."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    app.state.settings.sip_domain = "pbx.example"
    anna, boris = floor.operators
    await floor.add()
    await floor.add(callback_at=floor.clock.now - timedelta(minutes=5), callback_operator=boris)
    for operator in (anna, boris):
        first = await floor.next(operator)
        again = await floor.next(operator)
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        assert first.headers["content-type"] == again.headers["content-type"]
        assert set(first.headers) == set(again.headers)
    callback = (await floor.next(boris)).json()["callback"]
    assert callback["scope"] == "personal"
    assert callback["operator_id"] == str(boris.id)


async def test_the_usual_case_needs_no_session_on_postgresql(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    await floor.add()
    await floor.add()
    await floor.lease(floor.operators[0])  # the catalog is loaded and swept at this instant
    sent = statements_of(app)
    lease = await floor.lease(floor.operators[1])
    through_sqlalchemy = list(sent)
    assert await leases_of(floor, floor.operators[1].id) == [lease["lease_id"]]
    if app.state.engine.dialect.name == "postgresql":
        assert through_sqlalchemy == []
    else:
        assert through_sqlalchemy


async def test_a_deactivated_operator_is_refused_while_contacts_wait(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == operator.id).values(active=False))
    refused = await floor.next(operator)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert await leases_of(floor, operator.id) == []


async def test_a_forged_or_expired_token_is_refused(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    async with sessionmaker() as session:
        user = await session.get_one(User, operator.id)
    expired = issue_token(TEST_SECRET, user, floor.clock.now - timedelta(seconds=1))
    forged = issue_token("another-secret", user, floor.clock.now + timedelta(days=1))
    for token, detail in ((expired, "expired"), (forged, "")):
        refused = await client.post(
            "/api/v1/dialer/next", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
        assert detail in refused.json()["detail"]
    assert (await client.post("/api/v1/dialer/next")).status_code == 401
    assert await leases_of(floor, operator.id) == []


async def test_a_key_after_the_usual_case_gets_the_held_lease_and_keeps_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    await floor.add()
    first = await floor.lease(operator)
    keyed = await floor.next(operator, key="click-1")
    assert keyed.json() == first
    done = await floor.outcome(operator, first["lease_id"], disposition="wrong_number")
    assert done.status_code == 200
    repeated = await floor.next(operator, key="click-1")
    assert repeated.json() == first
    assert len(await leases_of(floor, operator.id)) == 1


async def test_a_lease_carries_the_contacts_last_attempts_newest_first(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """`contact.history` is in the usual case's answer and the held lease's, byte for byte."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    contact_id = await floor.add()
    notes = ["rang out", "the secretary hung up", "asked to call after lunch"]
    for round_no, note in enumerate(notes):
        caller = (anna, boris)[round_no % 2]
        first = await floor.next(caller)
        again = await floor.next(caller)
        assert first.content == again.content
        lease = first.json()
        assert [p["notes"] for p in lease["contact"]["history"]] == notes[:round_no][::-1]
        answered = await floor.outcome(caller, lease["lease_id"], disposition="busy", notes=note)
        assert answered.status_code == 200, answered.text
        floor.clock.advance(minutes=1)
        async with sessionmaker.begin() as session:
            await session.execute(
                update(Contact)
                .where(Contact.id == contact_id)
                .values(next_call_at=floor.clock.now - timedelta(seconds=1))
            )
    last = (await floor.next(anna)).json()["contact"]["history"]
    assert [p["notes"] for p in last] == notes[::-1]
    assert {p["disposition"] for p in last} == {"busy"}
    assert [p["at"] for p in last] == sorted((p["at"] for p in last), reverse=True)
