"""Call events over the API: matched to the operator's lease, kept when they match nothing."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Disposition, Role
from tests.builders import Actor, actor, campaign
from tests.softphone_builders import attempt_of, end_with_attempt, lease

PHONE = "+74951234567"
OTHER_PHONE = "+74957654321"


async def post(client: httpx.AsyncClient, who: Actor, event: str, **fields: Any) -> httpx.Response:
    body = {"event": event, "at": utcnow().isoformat(), **fields}
    return await client.post("/api/v1/softphone/events", json=body, headers=who.headers)


async def test_events_find_the_active_lease_by_number_in_any_format(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    for raw in (
        PHONE,
        "8 (495) 123-45-67",
        "sip:+74951234567@pbx.example;user=phone",
        "tel:84951234567",
    ):
        answer = await post(client, operator, "ringing", number=raw, call_id="abc")
        assert answer.status_code == 202, answer.text
        assert answer.json()["lease_id"] == str(held)
        assert answer.json()["matched"] is True


async def test_a_time_without_an_offset_is_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await post(client, operator, "ringing", number=PHONE, at="2026-11-27T10:00:00")
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"
    assert answer.json()["fields"][0]["loc"] == ["body", "at"]
    unknown = await post(client, operator, "exploded", number=PHONE)
    assert unknown.status_code == 422
    listed = await client.get("/api/v1/softphone/events", headers=operator.headers)
    assert listed.json() == []


async def test_only_operators_post_events(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    answer = await post(client, supervisor, "ringing", number=PHONE)
    assert answer.status_code == 403
    assert (await post_anonymous(client)).status_code == 401


async def post_anonymous(client: httpx.AsyncClient) -> httpx.Response:
    body = {"event": "ringing", "number": PHONE}
    return await client.post("/api/v1/softphone/events", json=body)


async def test_events_that_match_no_lease_are_kept_and_reported_to_supervisors(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    other = await actor(client, sessionmaker, Role.OPERATOR)
    await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    stray = await post(client, operator, "hangup", number=OTHER_PHONE, reason="486 Busy Here")
    nonsense = await post(client, operator, "dialing", number="not a number")
    assert stray.status_code == nonsense.status_code == 202
    assert stray.json()["matched"] is False
    assert stray.json()["lease_id"] is None
    matched = await post(client, operator, "ringing", number=PHONE, call_id="c1")
    assert matched.json()["matched"] is True

    report = await client.get(
        "/api/v1/softphone/events", params={"unmatched": "true"}, headers=supervisor.headers
    )
    assert report.status_code == 200
    assert [(e["event"], e["number"]) for e in report.json()] == [
        ("dialing", "not a number"),
        ("hangup", OTHER_PHONE),
    ]
    assert {e["operator_id"] for e in report.json()} == {str(operator.id)}
    everything = await client.get("/api/v1/softphone/events", headers=supervisor.headers)
    assert len(everything.json()) == 3
    peeking = await client.get(
        "/api/v1/softphone/events", params={"operator_id": str(operator.id)}, headers=other.headers
    )
    assert peeking.status_code == 403
    own = await client.get("/api/v1/softphone/events", headers=other.headers)
    assert own.json() == []


async def test_the_lease_call_shows_times_and_the_suggestion(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    other = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    t0 = utcnow().replace(microsecond=0)
    for event, seconds, reason in (
        ("dialing", 0, None),
        ("ringing", 1, None),
        ("hangup", 4, "486 Rejected"),
    ):
        at = (t0 + timedelta(seconds=seconds)).isoformat()
        await post(client, operator, event, number=PHONE, call_id="c9", at=at, reason=reason)

    call = await client.get(f"/api/v1/leases/{held}/call", headers=operator.headers)
    assert call.status_code == 200
    body = call.json()
    assert body["call_id"] == "c9"
    assert body["hangup_reason"] == "486 Rejected"
    assert body["ring_seconds"] == 4.0
    assert body["talk_seconds"] is None
    assert body["answered_at"] is None
    assert body["suggested_disposition"] == "busy"
    assert [e["event"] for e in body["events"]] == ["dialing", "ringing", "hangup"]
    seen = await client.get(f"/api/v1/leases/{held}/call", headers=supervisor.headers)
    assert seen.json() == body
    refused = await client.get(f"/api/v1/leases/{held}/call", headers=other.headers)
    assert refused.status_code == 403


async def test_a_repeated_event_is_kept_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    at = utcnow().isoformat()
    first = await post(client, operator, "ringing", number=PHONE, call_id="c1", at=at)
    again = await post(client, operator, "ringing", number=PHONE, call_id="c1", at=at)
    assert first.json()["event_id"] == again.json()["event_id"]
    listed = await client.get("/api/v1/softphone/events", headers=operator.headers)
    assert len(listed.json()) == 1


async def test_the_attempt_takes_the_call_times_and_a_late_hangup_updates_it(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    t0 = utcnow().replace(microsecond=0)
    await post(client, operator, "dialing", number=PHONE, call_id="k", at=t0.isoformat())
    answered = t0 + timedelta(seconds=3)
    await post(client, operator, "answered", number=PHONE, call_id="k", at=answered.isoformat())

    await end_with_attempt(sessionmaker, held, Disposition.NOT_INTERESTED)
    attempt = await attempt_of(sessionmaker, held)
    assert attempt is not None
    assert (attempt.call_id, attempt.dialed_at, attempt.answered_at) == ("k", t0, answered)
    assert attempt.hangup_at is None

    hangup = t0 + timedelta(seconds=95)
    late = await post(
        client,
        operator,
        "hangup",
        call_id="k",
        at=hangup.isoformat(),
        reason="Connection reset by peer",
    )
    assert late.json()["lease_id"] == str(held)
    attempt = await attempt_of(sessionmaker, held)
    assert attempt is not None
    assert attempt.hangup_at == hangup
    assert attempt.hangup_reason == "Connection reset by peer"
    assert attempt.disposition is Disposition.NOT_INTERESTED


async def test_a_late_hangup_without_call_id_finds_the_lease_that_just_ended(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    await post(client, operator, "answered", number=PHONE)
    await end_with_attempt(sessionmaker, held, Disposition.CALLBACK)
    redial = await post(client, operator, "dialing", number=PHONE)
    assert redial.json()["matched"] is False
    late = await post(client, operator, "hangup", number=PHONE, reason="Connection reset by user")
    assert late.json()["lease_id"] == str(held)
    attempt = await attempt_of(sessionmaker, held)
    assert attempt is not None
    assert attempt.hangup_reason == "Connection reset by user"
