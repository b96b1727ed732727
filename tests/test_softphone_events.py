"""Call events over the API: matched to the operator's lease, kept when they match nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Disposition, Lease, Role
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


async def test_events_after_the_outcome_are_kept_aside_and_change_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    t0 = utcnow().replace(microsecond=0)
    await post(client, operator, "dialing", number=PHONE, call_id="k", at=t0.isoformat())
    hangup = t0 + timedelta(seconds=30)
    await post(client, operator, "hangup", number=PHONE, call_id="k", at=hangup.isoformat())
    await end_with_attempt(sessionmaker, held, Disposition.NO_ANSWER)
    before = await attempt_of(sessionmaker, held)
    assert before is not None
    assert (before.call_id, before.dialed_at, before.answered_at) == ("k", t0, None)

    for event, at, fields in (
        ("answered", t0 + timedelta(seconds=3), {"call_id": "k"}),
        ("ringing", t0 + timedelta(seconds=1), {"call_id": "k"}),
        ("hangup", datetime(9999, 12, 31, tzinfo=UTC), {"number": PHONE, "call_id": "k2"}),
        ("hangup", datetime(1, 1, 1, tzinfo=UTC), {"number": PHONE, "reason": "late"}),
    ):
        late = await post(client, operator, event, at=at.isoformat(), **fields)
        assert late.status_code == 202, late.text
        assert late.json()["kept_aside"] == "outcome_recorded", (event, late.json())
        assert (late.json()["matched"], late.json()["lease_id"]) == (False, None)
    after = await attempt_of(sessionmaker, held)
    assert after is not None
    times = ("answered_at", "hangup_at", "hangup_reason", "dialed_at", "ringing_at", "disposition")
    assert [getattr(after, t) for t in times] == [getattr(before, t) for t in times]
    call = await client.get(f"/api/v1/leases/{held}/call", headers=operator.headers)
    assert call.json()["talk_seconds"] is None
    assert call.json()["ring_seconds"] == 30.0


async def test_events_outside_the_leases_life_are_kept_aside(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    async with sessionmaker() as session:
        found = await session.get(Lease, held)
        assert found is not None
        leased_at = found.created_at
    now = utcnow()
    for at in (
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        leased_at - timedelta(minutes=2),
        now + timedelta(minutes=5),
    ):
        answer = await post(client, operator, "answered", number=PHONE, at=at.isoformat())
        assert answer.status_code == 202, answer.text
        assert answer.json()["kept_aside"] == "outside_lease", at
        assert answer.json()["matched"] is False
    skewed = leased_at - timedelta(seconds=50)
    inside = await post(client, operator, "ringing", number=PHONE, at=skewed.isoformat())
    assert (inside.json()["matched"], inside.json()["kept_aside"]) == (True, None)
    call = await client.get(f"/api/v1/leases/{held}/call", headers=operator.headers)
    assert [e["event"] for e in call.json()["events"]] == ["ringing"]
    assert call.json()["answered_at"] is None


async def test_an_answered_after_a_no_answer_outcome_does_not_make_it_reached(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    held = await lease(sessionmaker, operator.id, (await campaign(client, supervisor))["id"], PHONE)
    await post(client, operator, "dialing", number=PHONE, call_id="n1")
    recorded = await client.post(
        f"/api/v1/leases/{held}/outcome",
        json={"disposition": "no_answer"},
        headers=operator.headers,
    )
    assert recorded.status_code == 200, recorded.text
    late = await post(client, operator, "answered", number=PHONE, call_id="n1")
    assert late.json()["kept_aside"] == "outcome_recorded"
    late = await post(client, operator, "hangup", number=PHONE, call_id="n1")
    assert late.json()["kept_aside"] == "outcome_recorded"
    attempt = await attempt_of(sessionmaker, held)
    assert attempt is not None
    assert (attempt.answered_at, attempt.hangup_at) == (None, None)
    today = utcnow().date()
    period = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    funnel = await client.get("/api/v1/reports/funnel", params=period, headers=supervisor.headers)
    assert (funnel.json()["total"]["attempts"], funnel.json()["total"]["reached"]) == (1, 0)
