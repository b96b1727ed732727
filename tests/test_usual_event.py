"""A softphone event's usual case, one statement on PostgreSQL, keeps what the full path keeps."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import SoftphoneEvent, User
from tests.builders import Actor
from tests.floor import Floor, make_floor, phone
from tests.test_next_call import statements_of

# The full route answers an event sent with this header; the usual case never sees it.
FULL = {"Idempotency-Key": "take-the-full-route"}


async def send(
    floor: Floor, operator: Actor, body: dict[str, Any], *, full: bool
) -> httpx.Response:
    headers = {**operator.headers, **(FULL if full else {})}
    return await floor.client.post("/api/v1/softphone/events", json=body, headers=headers)


async def kept(floor: Floor, operator: Actor) -> list[tuple[Any, ...]]:
    """The operator's events as stored, oldest first, its own ids and Call-IDs left out."""
    async with floor.sessionmaker() as session:
        rows = await session.scalars(
            select(SoftphoneEvent)
            .where(SoftphoneEvent.operator_id == operator.id)
            .order_by(SoftphoneEvent.received_at, SoftphoneEvent.at)
        )
        return [
            (r.lease_id is not None, r.event, r.number, r.reason, r.at, r.received_at) for r in rows
        ]


def call(number: str, at: Any) -> list[dict[str, Any]]:
    """A call as a softphone reports it: the number with the first event only."""
    call_id = f"{uuid.uuid4().hex}@pbx"
    return [
        {"event": "dialing", "call_id": call_id, "number": number, "at": at(0)},
        {"event": "ringing", "call_id": call_id, "at": at(2)},
        {"event": "ringing", "call_id": call_id, "at": at(2)},  # a retry after a lost answer
        {"event": "answered", "call_id": call_id, "at": at(9)},
    ]


async def test_the_usual_event_keeps_what_the_full_path_keeps(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    await floor.add()
    await floor.add()
    leases = [await floor.lease(o) for o in floor.operators]

    def at(seconds: int) -> str:
        return (floor.clock.now - timedelta(seconds=30 - seconds)).isoformat()

    answers: list[list[httpx.Response]] = [[], []]
    sent = statements_of(app)
    through_sqlalchemy = []
    for body in call(leases[0]["contact"]["phone"], at):
        answers[0].append(await send(floor, anna, body, full=False))
        through_sqlalchemy.append(len(sent))
        sent.clear()
    for body in call(leases[1]["contact"]["phone"], at):
        answers[1].append(await send(floor, boris, body, full=True))

    for ours, theirs in zip(answers[0], answers[1], strict=True):
        assert ours.status_code == theirs.status_code == 202
    for answer, lease in zip(answers, leases, strict=True):
        assert [a.json()["lease_id"] for a in answer] == [lease["lease_id"]] * 4
        assert all(a.json()["matched"] for a in answer)
        # The retried event is the one kept the first time.
        assert answer[2].json()["event_id"] == answer[1].json()["event_id"]
    assert answers[0][0].json().keys() == answers[1][0].json().keys()
    assert answers[0][0].json()["kept_aside"] is answers[1][0].json()["kept_aside"] is None
    ours, theirs = await kept(floor, anna), await kept(floor, boris)
    assert [(o[0], o[1], o[3], o[4], o[5]) for o in ours] == [
        (t[0], t[1], t[3], t[4], t[5]) for t in theirs
    ]
    assert len(ours) == 3
    assert ours[0][2] == leases[0]["contact"]["phone"]
    if app.state.engine.dialect.name == "postgresql":
        # Each in one statement outside SQLAlchemy but the repeat, which the full path
        # answers with the event kept the first time.
        assert [n == 0 for n in through_sqlalchemy] == [True, True, False, True]


async def test_what_the_usual_event_does_not_keep_the_full_path_answers(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An unknown number, a time before the lease, a hang-up after the outcome, a revoked
    token, a bad body, a supervisor: the same answer by either path."""
    floor = await make_floor(app, client, sessionmaker, operators=3)
    anna, boris, vera = floor.operators
    for _ in floor.operators:
        await floor.add()
    leases = [await floor.lease(o) for o in floor.operators]
    done = await floor.outcome(boris, leases[1]["lease_id"], disposition="no_answer")
    assert done.status_code == 200
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == vera.id).values(active=False))
    at = floor.clock.now.isoformat()
    before = (floor.clock.now - timedelta(minutes=5)).isoformat()  # before the lease began
    annas = leases[0]["contact"]["phone"]
    cases: list[tuple[Actor, dict[str, Any], int, tuple[bool, str | None] | None]] = [
        (anna, {"event": "dialing", "number": phone(), "at": at}, 202, (False, None)),
        (anna, {"event": "dialing", "number": annas, "at": before}, 202, (False, "outside_lease")),
        (
            boris,
            {"event": "hangup", "number": leases[1]["contact"]["phone"], "at": at},
            202,
            (False, "outcome_recorded"),
        ),
        (vera, {"event": "dialing", "number": leases[2]["contact"]["phone"]}, 401, None),
        (anna, {"event": "dialing", "number": annas, "at": "soon"}, 422, None),
        (floor.supervisor, {"event": "dialing", "number": phone()}, 403, None),
    ]
    for actor, body, status, answer in cases:
        usual = await send(floor, actor, body, full=False)
        full = await send(floor, actor, body, full=True)
        assert usual.status_code == full.status_code == status, (usual.text, full.text)
        if answer is None:
            assert usual.json()["error"] == full.json()["error"]
        else:
            for sent in (usual, full):
                assert (sent.json()["matched"], sent.json()["kept_aside"]) == answer
    assert len(await kept(floor, vera)) == 0
