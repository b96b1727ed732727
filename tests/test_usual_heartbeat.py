"""A heartbeat's usual case, one statement on PostgreSQL, answers and refuses as the full path."""

import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Lease, User
from tests.builders import Actor
from tests.floor import Floor, make_floor
from tests.test_next_call import statements_of

# The full route answers a heartbeat sent with this header; the usual case never sees it.
FULL = {"Idempotency-Key": "take-the-full-route"}


async def beat(floor: Floor, operator: Actor, lease_id: str, *, full: bool) -> httpx.Response:
    headers = {**operator.headers, **(FULL if full else {})}
    return await floor.client.post(f"/api/v1/leases/{lease_id}/heartbeat", headers=headers)


async def expiry(floor: Floor, lease_id: str) -> datetime:
    async with floor.sessionmaker() as session:
        return (await session.get_one(Lease, uuid.UUID(lease_id))).expires_at


async def test_the_usual_heartbeat_extends_as_the_full_path_does(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2, lease_minutes=5)
    await floor.add()
    await floor.add()
    leases = [(await floor.lease(o))["lease_id"] for o in floor.operators]
    floor.clock.advance(minutes=4, seconds=59, microseconds=123)
    sent = statements_of(app)
    usual = await beat(floor, floor.operators[0], leases[0], full=False)
    through_sqlalchemy = list(sent)
    full = await beat(floor, floor.operators[1], leases[1], full=True)
    assert usual.status_code == full.status_code == 200
    assert usual.content == full.content
    assert usual.headers["content-type"] == full.headers["content-type"]
    expected = floor.clock.now + timedelta(minutes=5)
    assert datetime.fromisoformat(usual.json()["expires_at"]) == expected
    assert await expiry(floor, leases[0]) == await expiry(floor, leases[1]) == expected
    if app.state.engine.dialect.name == "postgresql":
        assert through_sqlalchemy == []
    else:
        assert through_sqlalchemy


async def test_the_usual_heartbeat_refuses_what_the_full_path_refuses(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Another's lease, an unknown one, an ended one, an expired one, a revoked token: the same
    answer by either path, and the lease's expiry unchanged."""
    floor = await make_floor(app, client, sessionmaker, operators=4)
    anna, boris, vera, gleb = floor.operators
    for _ in floor.operators:
        await floor.add()
    annas, boriss, veras, glebs = [(await floor.lease(o))["lease_id"] for o in floor.operators]
    done = await floor.outcome(boris, boriss, disposition="busy")
    assert done.status_code == 200
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == vera.id).values(active=False))
    floor.clock.advance(minutes=1)
    cases = [
        (boris, annas, 403, "forbidden"),
        (anna, str(uuid.uuid4()), 404, "not_found"),
        (boris, boriss, 409, "lease_closed"),
        (vera, veras, 401, "unauthenticated"),
    ]
    before = [await expiry(floor, lease) for lease in (annas, boriss, veras)]
    for operator, lease_id, status, error in cases:
        usual = await beat(floor, operator, lease_id, full=False)
        full = await beat(floor, operator, lease_id, full=True)
        assert usual.status_code == full.status_code == status, (usual.text, full.text)
        assert usual.json()["error"] == full.json()["error"] == error
    assert [await expiry(floor, lease) for lease in (annas, boriss, veras)] == before
    floor.clock.advance(minutes=10)  # past the campaign's 10-minute lease
    for full in (False, True):
        late = await beat(floor, gleb, glebs, full=full)
        assert late.status_code == 409
        assert late.json()["error"] == "lease_expired"
