"""Outcomes: each disposition's effect, the refusals, and repeats answered once."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import (
    Attempt,
    Contact,
    ContactState,
    DncEntry,
    Lease,
    LeaseEnd,
    Questionnaire,
)
from tests.floor import Floor, make_floor


async def leased(floor: Floor, operator_index: int = 0, **add: Any) -> tuple[str, uuid.UUID]:
    """A new contact leased to the operator: (lease id, contact id)."""
    contact_id = await floor.add(**add)
    lease = await floor.lease(floor.operators[operator_index])
    assert lease["contact"]["id"] == str(contact_id)
    return lease["lease_id"], contact_id


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_busy_comes_back_after_its_delay(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    lease_id, contact_id = await leased(floor)
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="busy", notes="beep")
    assert answer.status_code == 200
    body = answer.json()
    assert body["contact_state"] == "ready"
    assert body["questionnaire_id"] is None
    assert body["next_call_at"] == (floor.clock.now + timedelta(minutes=15)).isoformat()
    row = await floor.contact_row(contact_id)
    assert (row.attempts, row.last_attempt_at) == (1, floor.clock.now)
    async with sessionmaker() as session:
        attempt = await session.scalar(select(Attempt))
        held = await session.get(Lease, uuid.UUID(lease_id))
    assert attempt is not None
    assert held is not None
    assert str(attempt.id) == body["attempt_id"]
    assert (attempt.lease_id, attempt.disposition.value, attempt.notes) == (held.id, "busy", "beep")
    assert (held.end_reason, held.ended_at) == (LeaseEnd.OUTCOME, floor.clock.now)


async def test_no_answer_waits_for_the_end_of_the_shift(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    lease_id, _ = await leased(floor)
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="no_answer")
    # The shift runs 10:00-14:00 UTC; two hours from 11:00 would still be inside it.
    assert answer.json()["next_call_at"] == (floor.clock.now + timedelta(hours=3)).isoformat()


async def test_the_last_allowed_busy_closes_the_contact_as_exhausted(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(
        app, client, sessionmaker, retry={"busy": {"delay_minutes": 1, "max_attempts": 2}}
    )
    operator = floor.operators[0]
    lease_id, contact_id = await leased(floor)
    await floor.outcome(operator, lease_id, disposition="busy")
    floor.clock.advance(minutes=2)
    second = await floor.lease(operator)
    assert second["attempt_no"] == 2
    answer = await floor.outcome(operator, second["lease_id"], disposition="busy")
    assert answer.json()["contact_state"] == "closed"
    assert answer.json()["next_call_at"] is None
    assert (await floor.next(operator)).json()["why"]["exhausted"] == 1


async def test_the_rolling_cap_holds_a_number_across_campaigns(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(
        app,
        client,
        sessionmaker,
        retry={"calls_per_day": 2, "busy": {"delay_minutes": 1, "max_attempts": 5}},
    )
    operator = floor.operators[0]
    other = await client.post(
        "/api/v1/campaigns",
        json={"name": "Other", "active": False},
        headers=floor.supervisor.headers,
    )
    number = "+74950000042"
    sibling = await floor.add(number=number, campaign_id=other.json()["id"])
    lease_id, _ = await leased(floor, number=number)
    first_call = floor.clock.now
    await floor.outcome(operator, lease_id, disposition="busy")
    floor.clock.advance(minutes=2)
    second = await floor.lease(operator)
    answer = await floor.outcome(operator, second["lease_id"], disposition="busy")
    until = first_call + timedelta(hours=24)
    assert answer.json()["next_call_at"] == until.isoformat()
    assert (await floor.contact_row(sibling)).next_call_at == until


async def test_a_personal_callback_comes_back_to_its_operator_at_its_time(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, contact_id = await leased(floor)
    answer = await floor.outcome(
        operator,
        lease_id,
        disposition="callback",
        callback_at="2026-12-01T15:30:00+03:00",
        callback_scope="personal",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_call_at"] == "2026-12-01T12:30:00+00:00"
    assert (await floor.next(operator)).json()["why"]["callback_not_due"] == 1
    floor.clock.advance(hours=1, minutes=30)
    lease = await floor.lease(operator)
    assert lease["contact"]["id"] == str(contact_id)
    assert lease["callback"] == {
        "at": "2026-12-01T12:30:00+00:00",
        "scope": "personal",
        "operator_id": str(operator.id),
    }


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"callback_at": "2026-12-01T15:30:00"}, "callback_at"),  # naive
        ({"callback_at": "2026-12-01T13:30:00+03:00"}, "callback_at"),  # past
        ({"callback_at": "2026-12-01T21:30:00+03:00"}, "callback_at"),  # outside the window
        ({}, "callback_at"),
        ({"callback_at": "2026-12-01T15:30:00+03:00", "callback_scope": "team"}, "callback_scope"),
    ],
)
async def test_bad_callback_times_are_refused_and_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, str],
    loc: str,
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    lease_id, contact_id = await leased(floor)
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="callback", **body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"
    assert answer.json()["fields"][0]["loc"][-1] == loc
    assert (await floor.contact_row(contact_id)).state is ContactState.LEASED
    assert await count(sessionmaker, Attempt) == 0


async def test_not_interested_needs_an_objection_of_the_campaign(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, contact_id = await leased(floor)
    missing = await floor.outcome(operator, lease_id, disposition="not_interested")
    unknown = await floor.outcome(
        operator, lease_id, disposition="not_interested", objection="too_expensive"
    )
    stray = await floor.outcome(operator, lease_id, disposition="busy", objection="need_nothing")
    assert missing.status_code == unknown.status_code == stray.status_code == 422
    answer = await floor.outcome(
        operator, lease_id, disposition="not_interested", objection="need_nothing"
    )
    assert answer.json()["contact_state"] == "closed"
    async with sessionmaker() as session:
        assert await session.scalar(select(Attempt.objection)) == "need_nothing"


async def test_warm_files_a_questionnaire_with_checked_answers(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, contact_id = await leased(floor)
    bad = await floor.outcome(
        operator, lease_id, disposition="warm", questionnaire={"need": "boxes", "volume": "many"}
    )
    assert bad.status_code == 422
    assert {tuple(f["loc"]) for f in bad.json()["fields"]} == {
        ("questionnaire", "contact_person"),
        ("questionnaire", "volume"),
    }
    assert await count(sessionmaker, Questionnaire) == 0
    answers = {"contact_person": "Anna", "need": "boxes", "volume": 300}
    good = await floor.outcome(operator, lease_id, disposition="warm", questionnaire=answers)
    assert good.status_code == 200, good.text
    assert good.json()["contact_state"] == "closed"
    async with sessionmaker() as session:
        filed = await session.scalar(select(Questionnaire))
    assert filed is not None
    assert str(filed.id) == good.json()["questionnaire_id"]
    company = (await floor.contact_row(contact_id)).company
    assert (filed.answers, filed.company, filed.operator_id) == (answers, company, operator.id)


async def test_wrong_number_closes_the_contact(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    lease_id, contact_id = await leased(floor)
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="wrong_number")
    assert answer.json()["contact_state"] == "closed"
    assert (await floor.contact_row(contact_id)).state is ContactState.CLOSED


async def test_do_not_call_suppresses_the_number_everywhere_at_once(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    other = await client.post(
        "/api/v1/campaigns", json={"name": "Other"}, headers=floor.supervisor.headers
    )
    number = "+74950000077"
    lease_id, contact_id = await leased(
        floor, number=number, due=floor.clock.now - timedelta(days=1)
    )
    elsewhere = await floor.add(number=number, campaign_id=other.json()["id"])
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="do_not_call")
    assert answer.json()["contact_state"] == "do_not_call"
    assert answer.json()["next_call_at"] is None
    assert (await floor.contact_row(contact_id)).state is ContactState.DO_NOT_CALL
    assert (await floor.contact_row(elsewhere)).state is ContactState.DO_NOT_CALL
    async with sessionmaker() as session:
        entry = await session.scalar(select(DncEntry))
    assert entry is not None
    assert entry.phone == number


async def test_a_contact_suppressed_during_the_call_stays_suppressed(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    lease_id, contact_id = await leased(floor)
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Contact).where(Contact.id == contact_id).values(state=ContactState.DO_NOT_CALL)
        )
    answer = await floor.outcome(floor.operators[0], lease_id, disposition="no_answer")
    assert answer.status_code == 200
    assert answer.json()["contact_state"] == "do_not_call"
    assert (await floor.contact_row(contact_id)).state is ContactState.DO_NOT_CALL
    assert await count(sessionmaker, Attempt) == 1


async def test_another_operators_lease_is_forbidden_and_an_unknown_one_missing(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    lease_id, _ = await leased(floor)
    stolen = await floor.outcome(floor.operators[1], lease_id, disposition="busy")
    assert stolen.status_code == 403
    assert stolen.json()["error"] == "forbidden"
    missing = await floor.outcome(floor.operators[0], str(uuid.uuid4()), disposition="busy")
    assert missing.status_code == 404
    assert await count(sessionmaker, Attempt) == 0


async def test_an_expired_lease_is_refused_and_one_passed_on_is_closed(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    lease_id, _ = await leased(floor)
    floor.clock.advance(minutes=10)
    expired = await floor.outcome(anna, lease_id, disposition="busy")
    assert expired.status_code == 409
    assert expired.json()["error"] == "lease_expired"
    await floor.lease(boris)
    passed_on = await floor.outcome(anna, lease_id, disposition="busy")
    assert passed_on.status_code == 409
    assert passed_on.json()["error"] == "lease_closed"
    assert await count(sessionmaker, Attempt) == 0


async def test_a_released_lease_takes_no_outcome(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, _ = await leased(floor)
    await client.post(f"/api/v1/leases/{lease_id}/release", headers=operator.headers)
    answer = await floor.outcome(operator, lease_id, disposition="busy")
    assert answer.json()["error"] == "lease_closed"


async def test_a_repeated_outcome_gets_the_first_answer_and_makes_no_second_attempt(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, _ = await leased(floor)
    answers = {"contact_person": "Anna", "need": "boxes"}
    first = await floor.outcome(operator, lease_id, disposition="warm", questionnaire=answers)
    floor.clock.advance(seconds=3)
    again = await floor.outcome(operator, lease_id, disposition="warm", questionnaire=answers)
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await floor.outcome(operator, lease_id, disposition="busy")
    assert other.status_code == 409
    assert other.json()["error"] == "lease_closed"
    assert await count(sessionmaker, Attempt) == 1
    assert await count(sessionmaker, Questionnaire) == 1


async def test_an_idempotency_key_replays_the_outcome_and_refuses_another_body(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    lease_id, _ = await leased(floor)
    first = await floor.outcome(operator, lease_id, key="k1", disposition="busy")
    again = await floor.outcome(operator, lease_id, key="k1", disposition="busy")
    assert again.json() == first.json()
    reused = await floor.outcome(operator, lease_id, key="k1", disposition="no_answer")
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"
    assert await count(sessionmaker, Attempt) == 1


async def test_the_softphones_call_times_reach_the_attempt(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    lease = await floor.lease(operator)
    start = floor.clock.now
    for offset, event in enumerate(("dialing", "ringing", "answered", "hangup")):
        sent = await client.post(
            "/api/v1/softphone/events",
            json={
                "event": event,
                "call_id": "call-1",
                "number": lease["contact"]["phone"],
                "at": (start + timedelta(seconds=10 * offset)).isoformat(),
            },
            headers=operator.headers,
        )
        assert sent.status_code == 202, sent.text
    done = await floor.outcome(
        operator, lease["lease_id"], disposition="not_interested", objection="busy"
    )
    assert done.status_code == 200
    async with sessionmaker() as session:
        attempt = await session.scalar(select(Attempt))
    assert attempt is not None
    assert (attempt.call_id, attempt.answered_at) == ("call-1", start + timedelta(seconds=20))
