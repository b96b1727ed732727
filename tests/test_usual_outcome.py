"""An outcome's usual case, two statements on PostgreSQL, records what the full path records."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import (
    Attempt,
    Contact,
    ContactState,
    DncEntry,
    IdempotencyRecord,
    Lease,
    LeaseEnd,
    User,
)
from dialer.queue.outcomes import lease_key
from tests.builders import Actor, campaign
from tests.floor import Floor, make_floor, phone
from tests.test_next_call import statements_of


@contextmanager
def full_path(app: FastAPI) -> Iterator[None]:
    """Every request takes its full route meanwhile."""
    app.state.usual_cases = False
    try:
        yield
    finally:
        app.state.usual_cases = True


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
    with full_path(app):
        full = await floor.outcome(boris, leases[1], disposition="busy", notes="Line busy")

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


def _call(attempt: Attempt) -> tuple[Any, ...]:
    return (
        attempt.call_id is not None,
        attempt.dialed_at,
        attempt.ringing_at,
        attempt.answered_at,
        attempt.hangup_at,
        attempt.hangup_reason,
    )


async def everything_written(floor: Floor, lease_id: str, sibling: uuid.UUID) -> dict[str, Any]:
    """What an outcome left behind: its rows, the number's other contact, the list's entry."""
    async with floor.sessionmaker() as session:
        lease = await session.get_one(Lease, uuid.UUID(lease_id))
        attempts = list(await session.scalars(select(Attempt).where(Attempt.lease_id == lease.id)))
        contact = await session.get_one(Contact, lease.contact_id)
        listed = await session.get(DncEntry, contact.phone_hash)
        kept = await session.get(IdempotencyRecord, (lease.operator_id, lease_key(lease.id)))
        other = await session.get_one(Contact, sibling)
    return {
        "end_reason": lease.end_reason,
        "ended_at": lease.ended_at,
        "attempts": [
            (a.disposition, a.attempt_no, a.objection, a.notes, a.callback_at, a.created_at)
            + _call(a)
            for a in attempts
        ],
        "contact": (
            contact.state,
            contact.attempts,
            contact.next_call_at,
            contact.last_attempt_at,
            contact.callback_at,
            contact.callback_scope,
            contact.callback_operator_id == lease.operator_id,
            contact.callback_operator_id is None,
        ),
        "sibling": (other.state, other.next_call_at),
        "listed": None if listed is None else (listed.phone is not None, listed.source),
        "listed_by_caller": listed is not None and listed.created_by == lease.operator_id,
        "kept_status": None if kept is None else kept.status_code,
    }


async def _call_heard(floor: Floor, operator: Actor, number: str) -> None:
    """The softphone's events of an unanswered call: dialled, rang, hung up with a 486."""
    call_id = f"call-{uuid.uuid4().hex}"
    for event, seconds, reason in (("dialing", 1, None), ("ringing", 3, None)) + (
        ("hangup", 20, "486 Busy Here"),
    ):
        at = (floor.clock.now - timedelta(seconds=30 - seconds)).isoformat()
        body = {"event": event, "call_id": call_id, "number": number, "at": at, "reason": reason}
        sent = await floor.client.post(
            "/api/v1/softphone/events", json=body, headers=operator.headers
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["matched"]


_IN_TWO_HOURS = "2026-12-01T16:00:00+03:00"  # 16:00 in Moscow, inside the 09:00–20:00 window

USUAL_OUTCOMES = [
    {"disposition": "no_answer"},
    {"disposition": "voicemail", "notes": "Left a message"},
    {"disposition": "wrong_number"},
    {"disposition": "not_interested", "objection": "need_nothing", "notes": "Has a supplier"},
    {"disposition": "callback", "callback_at": _IN_TWO_HOURS},
    {"disposition": "callback", "callback_at": _IN_TWO_HOURS, "callback_scope": "anyone"},
    {"disposition": "do_not_call", "notes": "Asked never to be called"},
]


@pytest.mark.parametrize("heard", [False, True], ids=["silent", "heard"])
@pytest.mark.parametrize("body", USUAL_OUTCOMES, ids=lambda b: "-".join(map(str, b.values())))
async def test_every_usual_outcome_writes_what_the_full_path_writes(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
    heard: bool,
) -> None:
    """Each disposition but warm, with and without the softphone's events: the usual case
    and the full path leave the same rows and give the same answer."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    other = await campaign(client, floor.supervisor, name="Second")
    later = floor.clock.now + timedelta(hours=3)
    siblings = []
    for _ in floor.operators:
        number = phone()
        await floor.add(number=number)
        siblings.append(await floor.add(number=number, campaign_id=other["id"], due=later))
    leases = []
    for operator in floor.operators:
        lease = await floor.lease(operator)
        if heard:
            await _call_heard(floor, operator, lease["contact"]["phone"])
        leases.append(lease["lease_id"])
    floor.clock.advance(seconds=5)
    sent = statements_of(app)
    usual = await floor.outcome(floor.operators[0], leases[0], **body)
    through_sqlalchemy = list(sent)
    with full_path(app):
        full = await floor.outcome(floor.operators[1], leases[1], **body)

    assert usual.status_code == full.status_code == 200, (usual.text, full.text)
    usual_answer, full_answer = usual.json(), full.json()
    assert usual_answer.keys() == full_answer.keys()
    for name in ("contact_state", "next_call_at", "questionnaire_id"):
        assert usual_answer[name] == full_answer[name]
    ours = await everything_written(floor, leases[0], siblings[0])
    theirs = await everything_written(floor, leases[1], siblings[1])
    assert ours == theirs
    assert ours["end_reason"] is LeaseEnd.OUTCOME
    assert len(ours["attempts"]) == 1
    assert ours["attempts"][0][6] is heard  # the call's Call-ID, with its times
    if heard:
        assert ours["attempts"][0][10:] == (
            floor.clock.now - timedelta(seconds=15),
            "486 Busy Here",
        )
    if body["disposition"] == "do_not_call":
        assert ours["contact"][0] is ContactState.DO_NOT_CALL
        assert ours["sibling"][0] is ContactState.DO_NOT_CALL
        assert ours["listed"] == (True, "outcome")
        assert ours["listed_by_caller"]
    else:
        assert ours["sibling"] == (ContactState.READY, later)
        assert ours["listed"] is None
    repeat = await floor.outcome(floor.operators[0], leases[0], **body)
    assert repeat.status_code == 200
    assert repeat.content == usual.content
    if app.state.engine.dialect.name == "postgresql":
        assert through_sqlalchemy == []


REFUSED_OUTCOMES = [
    ({"disposition": "not_interested"}, "objection"),
    ({"disposition": "not_interested", "objection": "sleepy"}, "objection"),
    ({"disposition": "wrong_number", "objection": "need_nothing"}, "objection"),
    ({"disposition": "callback"}, "callback_at"),
    ({"disposition": "callback", "callback_at": "2026-12-01T13:00:00+03:00"}, "callback_at"),
    ({"disposition": "callback", "callback_at": "2026-12-01T22:00:00+03:00"}, "callback_at"),
    ({"disposition": "do_not_call", "callback_at": _IN_TWO_HOURS}, "callback_at"),
    ({"disposition": "no_answer", "questionnaire": {}}, "questionnaire"),
]


@pytest.mark.parametrize(("body", "field"), REFUSED_OUTCOMES)
async def test_what_the_full_path_refuses_the_usual_case_refuses(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
    field: str,
) -> None:
    """A body that does not go with its disposition: the same 422 by either path, and
    nothing written."""
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    lease_id = (await floor.lease(operator))["lease_id"]
    usual = await floor.outcome(operator, lease_id, **body)
    with full_path(app):
        full = await floor.outcome(operator, lease_id, **body)
    assert usual.status_code == full.status_code == 422
    assert usual.json() == full.json()
    assert usual.json()["fields"][0]["loc"] == ["body", field]
    left = await written(floor, lease_id)
    assert left["attempts"] == []
    assert left["kept"] is None


async def test_a_keyed_outcome_is_kept_under_its_key_as_the_full_path_keeps_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The console sends an Idempotency-Key with every outcome: the usual case keeps it, so
    a repeat gets the first answer and the key on another request is refused, either path."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    for _ in range(3):
        await floor.add()
    annas = (await floor.lease(anna))["lease_id"]
    boriss = (await floor.lease(boris))["lease_id"]
    sent = statements_of(app)
    usual = await floor.outcome(anna, annas, key="call-1", disposition="busy")
    through_sqlalchemy = list(sent)
    with full_path(app):
        full = await floor.outcome(boris, boriss, key="call-1", disposition="busy")
    assert usual.status_code == full.status_code == 200
    ours, theirs = await written(floor, annas), await written(floor, boriss)
    assert {**ours, "kept": None} == {**theirs, "kept": None}
    for operator, lease_id, first in ((anna, annas, usual), (boris, boriss, full)):
        async with sessionmaker() as session:
            record = await session.get(IdempotencyRecord, (operator.id, "call-1"))
        assert record is not None
        assert (record.status_code, record.body) == (200, first.json())
        again = await floor.outcome(operator, lease_id, key="call-1", disposition="busy")
        assert again.content == first.content
    # The key again on the next lease: the full path's 409, and nothing written.
    next_one = (await floor.lease(anna))["lease_id"]
    reused = await floor.outcome(anna, next_one, key="call-1", disposition="busy")
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"
    assert (await written(floor, next_one))["attempts"] == []
    if app.state.engine.dialect.name == "postgresql":
        assert through_sqlalchemy == []
