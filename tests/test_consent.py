"""Consent said on a call: kept with the attempt, the contact's evidence, campaigns that need it."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Attempt, Lease
from tests.builders import campaign
from tests.builders_recordings import upload, wav
from tests.floor import Floor, make_floor

Maker = async_sessionmaker[AsyncSession]
ANSWERS = {"contact_person": "Ivan", "need": "paper"}
WARM = {"disposition": "warm", "questionnaire": ANSWERS}


async def call(floor: Floor, **body: Any) -> httpx.Response:
    lease = await floor.lease(floor.operators[0])
    floor.clock.advance(minutes=1)
    return await floor.outcome(floor.operators[0], lease["lease_id"], **body)


async def evidence(floor: Floor, contact_id: uuid.UUID) -> dict[str, Any]:
    answer = await floor.client.get(
        f"/api/v1/contacts/{contact_id}/consent", headers=floor.supervisor.headers
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_consent_said_on_a_call_is_the_numbers_evidence_with_its_recording(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    contact_id = await floor.add()
    assert (await evidence(floor, contact_id))["given"] is None
    refused = await call(
        floor,
        disposition="callback",
        callback_at=floor.clock.now.replace(hour=12).isoformat(),
        consent={"given": False, "scope": "offers"},
    )
    assert refused.status_code == 200, refused.text
    attempt_id = refused.json()["attempt_id"]
    sent = await upload(client, uuid.UUID(attempt_id), floor.operators[0], wav(0.2))
    assert sent.status_code == 201
    found = await evidence(floor, contact_id)
    assert (found["given"], found["scope"]) == (False, "offers")
    [said] = found["evidence"]
    assert said["attempt_id"] == attempt_id
    assert said["operator"]["id"] == str(floor.operators[0].id)
    assert said["disposition"] == "callback"
    played = await client.get(said["recording"]["url"])
    assert (played.status_code, played.content) == (200, wav(0.2))

    floor.clock.advance(hours=2)
    given = await call(floor, **WARM, consent={"given": True, "scope": "offers"})
    assert given.status_code == 200, given.text
    found = await evidence(floor, contact_id)
    assert (found["given"], len(found["evidence"])) == (True, 2)
    assert found["evidence"][0]["attempt_id"] == given.json()["attempt_id"]


async def test_a_campaign_that_requires_consent_files_no_warm_questionnaire_without_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker, consent_required=True)
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    operator = floor.operators[0]
    for consent in (None, {"given": False, "scope": "offers"}):
        body = {**WARM, **({"consent": consent} if consent else {})}
        refused = await floor.outcome(operator, lease["lease_id"], **body)
        assert refused.status_code == 422
        assert refused.json()["error"] == "consent_required"
        assert refused.json()["fields"] == [
            {"loc": ["body", "consent"], "msg": "consent is required"}
        ]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Attempt)) == 0
        live = await session.get(Lease, uuid.UUID(lease["lease_id"]))
        assert live is not None
        assert live.ended_at is None
    filed = await floor.outcome(
        operator, lease["lease_id"], **WARM, consent={"given": True, "scope": "offers"}
    )
    assert filed.status_code == 200, filed.text
    assert filed.json()["questionnaire_id"] is not None


async def test_an_outcome_with_consent_takes_the_full_path_even_when_it_looks_usual(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    """A plain retry is what the usual case takes; with consent it must reach the rules."""
    floor = await make_floor(app, client, sessionmaker)
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    # At once, as the usual case wants it (the campaign fresh in the catalog, no events).
    consent = {"given": True, "scope": "offers"}
    answer = await floor.outcome(
        floor.operators[0], lease["lease_id"], disposition="no_answer", consent=consent
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["loc"] == ["body", "consent"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Attempt)) == 0


async def test_the_recording_notice_opens_the_script_of_every_lease(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    notice = "Предупреждаю: разговор записывается."
    floor = await make_floor(
        app, client, sessionmaker, script="Добрый день!", recording_notice=notice
    )
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    assert lease["campaign"]["script"] == f"{notice}\n\nДобрый день!"
    plain = await campaign(client, floor.supervisor)
    assert (plain["recording_notice"], plain["consent_required"]) == ("", False)
