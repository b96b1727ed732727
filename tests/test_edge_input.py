"""Edge input the fuzzers and attackers send: each a 422 in the contract's shape, never a 500."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Attempt, Campaign, Role, SoftphoneEvent
from tests.builders import Actor, actor, campaign
from tests.softphone_builders import lease

Maker = async_sessionmaker[AsyncSession]
PHONE = "+74951234567"


def refused(answer: httpx.Response) -> dict[str, Any]:
    """The body of a 422 in the contract's shape."""
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()
    assert body["error"] == "invalid_input", body
    assert body["detail"]
    assert body["fields"], body
    return body


async def _staff(client: httpx.AsyncClient, sessionmaker: Maker) -> Actor:
    return await actor(client, sessionmaker, Role.SUPERVISOR)


@pytest.mark.parametrize("zone", ["America", "Etc", "Europe/", "../etc/passwd", "Mars/Olympus"])
async def test_a_time_zone_must_name_a_zone_not_a_folder(
    client: httpx.AsyncClient, sessionmaker: Maker, zone: str
) -> None:
    staff = await _staff(client, sessionmaker)
    campaigns = "/api/v1/campaigns"
    refused(
        await client.post(campaigns, json={"name": "x", "timezone": zone}, headers=staff.headers)
    )
    template = {"name": "t", "start": "10:00", "end": "14:00", "timezone": zone}
    refused(await client.post("/api/v1/shift-templates", json=template, headers=staff.headers))
    period = {"from": "2026-12-01", "to": "2026-12-01", "tz": zone}
    refused(await client.get("/api/v1/reports/funnel", params=period, headers=staff.headers))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/api/v1/reports/timesheet", {}), ("/api/v1/reports/funnel", {}), ("/api/v1/shifts", {})],
)
@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
    ],
)
async def test_days_at_the_ends_of_the_calendar_are_refused(
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    path: str,
    extra: dict[str, str],
    period: dict[str, str],
) -> None:
    staff = await _staff(client, sessionmaker)
    refused(await client.get(path, params=period | extra, headers=staff.headers))


async def test_an_offset_past_64_bits_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    staff = await _staff(client, sessionmaker)
    lists = [
        "/api/v1/dnc",
        "/api/v1/users",
        "/api/v1/campaigns",
        "/api/v1/contacts",
        "/api/v1/audit",
    ]
    for path in lists:
        for offset in (2**63, 2**64 + 5, -1):
            refused(await client.get(path, params={"offset": offset}, headers=staff.headers))
        last = await client.get(path, params={"offset": 2**63 - 1}, headers=staff.headers)
        assert (last.status_code, last.json()) == (200, []), path


@pytest.mark.parametrize(
    "period",
    [{"to": "9999-12-31"}, {"from": "9999-12-31T23:59:59-23:59"}, {"to": "2026-12-01T10:00"}],
)
async def test_the_audit_refuses_instants_past_the_calendar(
    client: httpx.AsyncClient, sessionmaker: Maker, period: dict[str, str]
) -> None:
    staff = await _staff(client, sessionmaker)
    refused(await client.get("/api/v1/audit", params=period, headers=staff.headers))


@pytest.mark.parametrize(
    "window",
    [{"start": "00:00:00Z"}, {"start": "09:00+03:00", "end": "20:00+03:00"}, {"end": "20:00Z"}],
)
async def test_a_calling_window_with_an_offset_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker, window: dict[str, str]
) -> None:
    staff = await _staff(client, sessionmaker)
    body = {"name": "x", "calling_window": window}
    answer = refused(await client.post("/api/v1/campaigns", json=body, headers=staff.headers))
    assert answer["fields"][0]["loc"][:2] == ["body", "calling_window"]


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
async def test_an_instant_past_the_calendar_in_utc_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker, at: str
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    body = {"event": "ringing", "number": PHONE, "at": at}
    answer = await client.post("/api/v1/softphone/events", json=body, headers=operator.headers)
    assert refused(answer)["fields"][0]["loc"] == ["body", "at"]


async def test_text_with_a_nul_is_refused_everywhere(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    staff = await _staff(client, sessionmaker)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    nul = "a\u0000b"
    refused(await client.post("/api/v1/campaigns", json={"name": nul}, headers=staff.headers))
    objections = [{"code": "busy", "answer": nul}]
    body = {"name": "x", "objections": objections}
    refused(await client.post("/api/v1/campaigns", json=body, headers=staff.headers))
    event = {"event": "hangup", "number": PHONE, "reason": nul, "call_id": nul}
    refused(await client.post("/api/v1/softphone/events", json=event, headers=operator.headers))
    for form in ({"username": nul, "password": "x"}, {"username": "x", "password": nul}):
        refused(await client.post("/api/v1/auth/token", data=form))
    for path, params in (
        ("/api/v1/contacts", {"q": nul}),
        ("/api/v1/dnc", {"q": nul}),
        ("/api/v1/audit", {"action": nul}),
    ):
        refused(await client.get(path, params=params, headers=staff.headers))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
        assert await session.scalar(select(func.count()).select_from(SoftphoneEvent)) == 0


async def test_a_nul_in_a_hook_url_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    issued = await client.post("/api/v1/me/hook-token", headers=operator.headers)
    hook = issued.json()["hook_url"].replace("http://cascade.test", "")
    for params in ({"call_id": "c\u00001"}, {"reason": "\u0000"}, {"number": "+7\u0000"}):
        refused(await client.get(f"{hook}hangup", params=params))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SoftphoneEvent)) == 0


async def _warm_campaign(client: httpx.AsyncClient, staff: Actor) -> dict[str, Any]:
    fields = [{"name": "budget", "label": "Budget", "type": "number", "required": True}]
    return await campaign(client, staff, questionnaire_fields=fields)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_answers_that_are_not_finite_numbers_are_refused(
    client: httpx.AsyncClient, sessionmaker: Maker, value: str
) -> None:
    staff = await _staff(client, sessionmaker)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    made = await _warm_campaign(client, staff)
    held = await lease(sessionmaker, operator.id, made["id"], PHONE)
    body = '{"disposition": "warm", "questionnaire": {"budget": VALUE}}'.replace("VALUE", value)
    headers = operator.headers | {"content-type": "application/json"}
    answer = await client.post(f"/api/v1/leases/{held}/outcome", content=body, headers=headers)
    refused(answer)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Attempt)) == 0


async def test_a_callback_is_bounded_by_the_campaign(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    staff = await _staff(client, sessionmaker)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    made = await campaign(client, staff, calling_window={"start": "00:00", "end": "23:59"})
    assert made["callback_max_days"] == 90
    held = await lease(sessionmaker, operator.id, made["id"], PHONE)
    outcome = f"/api/v1/leases/{held}/outcome"
    for at in ("9999-12-30T12:00:00+03:00", (utcnow() + timedelta(days=91)).isoformat()):
        body = {"disposition": "callback", "callback_at": at}
        answer = refused(await client.post(outcome, json=body, headers=operator.headers))
        assert answer["fields"][0]["loc"][-1] == "callback_at"
    soon = (utcnow() + timedelta(days=89)).replace(hour=12, minute=0).isoformat()
    body = {"disposition": "callback", "callback_at": soon}
    answer = await client.post(outcome, json=body, headers=operator.headers)
    assert answer.status_code == 200, answer.text


async def test_callback_max_days_is_a_campaign_setting(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    staff = await _staff(client, sessionmaker)
    made = await campaign(client, staff, callback_max_days=7)
    assert made["callback_max_days"] == 7
    got = await client.get(f"/api/v1/campaigns/{made['id']}", headers=staff.headers)
    assert got.json()["callback_max_days"] == 7
    for days in (0, 10**20):
        body = {"name": "x", "callback_max_days": days}
        refused(await client.post("/api/v1/campaigns", json=body, headers=staff.headers))
