"""Campaigns: defaults, validation, who may manage them."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.builders import actor, campaign


async def test_a_campaign_needs_only_a_name(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    created = await campaign(client, supervisor)
    assert created["timezone"] == "Europe/Moscow"
    assert created["calling_window"] == {"start": "09:00", "end": "20:00"}
    assert created["retry"]["busy"] == {"delay_minutes": 15, "max_attempts": 5}
    assert created["retry"]["calls_per_day"] == 3
    assert {o["code"] for o in created["objections"]} >= {"need_nothing", "busy", "dont_know"}
    assert created["lease_minutes"] == 10
    assert created["active"] is True
    fetched = await client.get(f"/api/v1/campaigns/{created['id']}", headers=supervisor.headers)
    assert fetched.json() == created


async def test_unknown_time_zone_and_inverted_window_are_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    zone = await client.post(
        "/api/v1/campaigns", json={"name": "x", "timezone": "Mars/Olympus"}, headers=admin.headers
    )
    assert zone.status_code == 422
    assert zone.json()["fields"] == [{"loc": ["timezone"], "msg": "unknown time zone"}]
    window = await client.post(
        "/api/v1/campaigns",
        json={"name": "x", "calling_window": {"start": "20:00", "end": "09:00"}},
        headers=admin.headers,
    )
    assert window.status_code == 422
    listed = await client.get("/api/v1/campaigns", headers=admin.headers)
    assert listed.json() == []


async def test_a_choice_field_without_choices_is_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Every answer to a choice with nothing to choose from would be refused."""
    admin = await actor(client, sessionmaker, Role.ADMIN)
    site = {"name": "site", "label": "Site", "type": "choice"}
    for choices in ({}, {"choices": []}):
        refused = await client.post(
            "/api/v1/campaigns",
            json={"name": "x", "questionnaire_fields": [{**site, **choices}]},
            headers=admin.headers,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["fields"] == [
            {"loc": ["questionnaire_fields"], "msg": "a choice field needs its choices"}
        ]
    made = await campaign(client, admin, questionnaire_fields=[{**site, "choices": ["a", "b"]}])
    changed = await client.patch(
        f"/api/v1/campaigns/{made['id']}",
        json={"questionnaire_fields": [site]},
        headers=admin.headers,
    )
    assert changed.status_code == 422, changed.text
    kept = await client.get(f"/api/v1/campaigns/{made['id']}", headers=admin.headers)
    assert kept.json()["questionnaire_fields"][0]["choices"] == ["a", "b"]


async def test_operators_cannot_manage_campaigns(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await client.post("/api/v1/campaigns", json={"name": "x"}, headers=operator.headers)
    assert answer.status_code == 403


async def test_a_campaign_can_be_stopped(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    answer = await client.put(
        f"/api/v1/campaigns/{created['id']}/active", json={"active": False}, headers=admin.headers
    )
    assert answer.status_code == 200
    assert answer.json()["active"] is False
