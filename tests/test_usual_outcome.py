"""An outcome's usual case, two statements on PostgreSQL, records what the full path records."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Attempt, ContactState, IdempotencyRecord, Lease, LeaseEnd, User
from dialer.queue.outcomes import lease_key
from tests.builders import campaign
from tests.floor import Floor, make_floor
from tests.test_next_call import statements_of


async def written(floor: Floor, lease_id: str) -> dict[str, Any]:
    """What an outcome left behind for its lease."""
    async with floor.sessionmaker() as session:
        lease = await session.get_one(Lease, uuid.UUID(lease_id))
        attempts = list(await session.scalars(select(Attempt).where(Attempt.lease_id == lease.id)))
        kept = await session.get(IdempotencyRecord, (lease.operator_id, lease_key(lease.id)))
    contact = await floor.contact_row(lease.contact_id)
    return {
        "end_reason": lease.end_reason,
        "attempts": [(a.disposition, a.attempt_no, a.notes, a.created_at) for a in attempts],
        "contact": (contact.state, contact.attempts, contact.next_call_at, contact.last_attempt_at),
        "kept": None if kept is None else (kept.status_code, kept.body),
    }


async def test_the_usual_case_records_what_the_full_path_records(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    await floor.add()
    await floor.add()
    leases = [(await floor.lease(anna))["lease_id"], (await floor.lease(boris))["lease_id"]]
    sent = statements_of(app)
    usual = await floor.outcome(anna, leases[0], disposition="busy", notes="Line busy")
    through_sqlalchemy = list(sent)
    # An Idempotency-Key takes the full path.
    full = await floor.outcome(boris, leases[1], key="k-1", disposition="busy", notes="Line busy")

    assert usual.status_code == full.status_code == 200
    assert usual.headers["content-type"] == full.headers["content-type"]
    assert usual.json().keys() == full.json().keys()
    assert usual.json()["contact_state"] == full.json()["contact_state"] == "ready"
    assert usual.json()["next_call_at"] == full.json()["next_call_at"]
    ours, theirs = await written(floor, leases[0]), await written(floor, leases[1])
    assert {**ours, "kept": None} == {**theirs, "kept": None}
    assert ours["end_reason"] is LeaseEnd.OUTCOME
    assert ours["attempts"] == [("busy", 1, "Line busy", floor.clock.now)]
    assert ours["contact"][:2] == (ContactState.READY, 1)
    assert ours["kept"] == (200, usual.json())
    assert theirs["kept"] == (200, full.json())
    if app.state.engine.dialect.name == "postgresql":
        assert through_sqlalchemy == []
    else:
        assert through_sqlalchemy


async def test_a_repeat_gets_the_first_answer_and_another_outcome_is_refused(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    lease_id = (await floor.lease(operator))["lease_id"]
    first = await floor.outcome(operator, lease_id, disposition="no_answer")
    again = await floor.outcome(operator, lease_id, disposition="no_answer")
    other = await floor.outcome(operator, lease_id, disposition="busy")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert other.status_code == 409
    assert other.json()["error"] == "lease_closed"
    assert len((await written(floor, lease_id))["attempts"]) == 1


async def test_refusals_are_the_full_paths_and_write_nothing(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=3)
    anna, boris, vera = floor.operators
    for _ in range(3):
        await floor.add()
    annas, boriss, veras = [(await floor.lease(o))["lease_id"] for o in floor.operators]

    not_hers = await floor.outcome(boris, annas, disposition="busy")
    assert not_hers.status_code == 403
    too_long = await floor.outcome(anna, annas, disposition="busy", notes="x" * 4001)
    assert too_long.status_code == 422
    unknown = await floor.outcome(anna, annas, disposition="busy", mood="cheerful")
    assert unknown.status_code == 422
    # A retry carries no objection, not even an empty one: the full path's 422.
    objection = await floor.outcome(anna, annas, disposition="busy", objection="")
    assert objection.status_code == 422
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == vera.id).values(active=False))
    revoked = await floor.outcome(vera, veras, disposition="busy")
    assert revoked.status_code == 401
    floor.clock.advance(minutes=11)  # past the campaign's 10-minute lease
    expired = await floor.outcome(boris, boriss, disposition="busy")
    assert expired.status_code == 409
    assert expired.json()["error"] == "lease_expired"

    for lease_id in (annas, boriss, veras):
        left = await written(floor, lease_id)
        assert left["attempts"] == []
        assert left["kept"] is None
        assert left["contact"][:2] == (ContactState.LEASED, 0)


async def test_a_number_at_its_daily_cap_holds_back_its_other_contacts(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The cap moves the number's other contacts too: that case takes the full path."""
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    other = await campaign(client, floor.supervisor, name="Second")
    number = "+74951234567"
    contact_id = await floor.add(number=number)
    later = floor.clock.now + timedelta(hours=2)
    sibling = await floor.add(number=number, campaign_id=other["id"], due=later)
    for _ in range(3):  # the default cap: three calls per number in 24 hours
        lease = await floor.lease(operator)
        assert lease["contact"]["id"] == str(contact_id)
        done = await floor.outcome(operator, lease["lease_id"], disposition="busy")
        assert done.status_code == 200, done.text
        floor.clock.advance(minutes=16)
    capped = (await floor.contact_row(sibling)).next_call_at
    assert capped == (await floor.contact_row(contact_id)).next_call_at
    assert capped > floor.clock.now + timedelta(hours=23)
