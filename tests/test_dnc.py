"""The do-not-call list and erasure: what staff see and what contacts become."""

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Contact, ContactState, DncEntry, Role
from dialer.contacts.dnc import DncSource, suppress
from dialer.contacts.phones import phone_hash
from tests.builders import TEST_SECRET, actor, campaign, contact

MOSCOW = "+74951234567"


async def states(
    sessionmaker: async_sessionmaker[AsyncSession], *ids: uuid.UUID
) -> list[ContactState]:
    async with sessionmaker() as session:
        return [(await session.get_one(Contact, i)).state for i in ids]


async def test_a_listed_number_stops_its_contacts_in_every_campaign(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    first, second = await campaign(client, supervisor), await campaign(client, supervisor)
    ids = [await contact(sessionmaker, c["id"], MOSCOW) for c in (first, second)]
    other = await contact(sessionmaker, first["id"], "+74957654321")
    answer = await client.post(
        "/api/v1/dnc", json={"phone": "8 (495) 123-45-67"}, headers=supervisor.headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["phone"] == MOSCOW
    assert answer.json()["source"] == "manual"
    assert await states(sessionmaker, *ids, other) == [
        ContactState.DO_NOT_CALL,
        ContactState.DO_NOT_CALL,
        ContactState.READY,
    ]
    listed = await client.get("/api/v1/dnc", headers=supervisor.headers)
    assert [e["phone"] for e in listed.json()] == [MOSCOW]


async def test_an_invalid_number_is_refused_and_nothing_is_listed(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    answer = await client.post("/api/v1/dnc", json={"phone": "12345"}, headers=admin.headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"
    assert answer.json()["fields"] == [
        {"loc": ["body", "phone"], "msg": "not a valid phone number"}
    ]
    assert (await client.get("/api/v1/dnc", headers=admin.headers)).json() == []


async def test_taking_a_number_off_the_list_makes_its_contacts_callable(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    contact_id = await contact(sessionmaker, created["id"], MOSCOW)
    await client.post("/api/v1/dnc", json={"phone": MOSCOW}, headers=admin.headers)
    answer = await client.delete("/api/v1/dnc/+74951234567", headers=admin.headers)
    assert answer.status_code == 204
    assert await states(sessionmaker, contact_id) == [ContactState.READY]
    again = await client.delete("/api/v1/dnc/84951234567", headers=admin.headers)
    assert again.status_code == 404
    bad = await client.delete("/api/v1/dnc/nonsense", headers=admin.headers)
    assert bad.status_code == 422


async def test_erasure_keeps_only_a_hash_that_cannot_be_taken_off_the_list(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    first, second = await campaign(client, admin), await campaign(client, admin)
    contact_id = await contact(sessionmaker, first["id"], MOSCOW, company="ООО Ромашка")
    twin = await contact(sessionmaker, second["id"], MOSCOW)
    await client.post("/api/v1/dnc", json={"phone": MOSCOW}, headers=admin.headers)
    answer = await client.delete(f"/api/v1/contacts/{contact_id}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": str(contact_id), "state": "erased", "contacts_erased": 2}
    async with sessionmaker() as session:
        for erased in (
            await session.get_one(Contact, contact_id),
            await session.get_one(Contact, twin),
        ):
            personal = (
                erased.phone,
                erased.name,
                erased.company,
                erased.company_key,
                erased.region,
            )
            assert personal == (None,) * 5
            assert erased.fields == {}
            assert erased.state is ContactState.ERASED
        entries = list(await session.scalars(select(DncEntry)))
    assert [(e.phone_hash, e.phone, e.source) for e in entries] == [
        (phone_hash(TEST_SECRET, MOSCOW), None, "erasure")
    ]
    refused = await client.delete(f"/api/v1/dnc/{MOSCOW}", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["error"] == "erased_number"
    unknown = await client.delete(f"/api/v1/contacts/{uuid.uuid4()}", headers=admin.headers)
    assert unknown.status_code == 404


async def test_suppress_is_what_a_do_not_call_outcome_calls(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    contact_id = await contact(sessionmaker, (await campaign(client, admin))["id"], MOSCOW)
    now = utcnow()
    async with sessionmaker.begin() as session:
        entry = await suppress(session, TEST_SECRET, MOSCOW, DncSource.OUTCOME, admin.id, now)
        again = await suppress(session, TEST_SECRET, MOSCOW, DncSource.MANUAL, None, now)
        assert (entry.phone, entry.source, again.source) == (MOSCOW, "outcome", "outcome")
    assert await states(sessionmaker, contact_id) == [ContactState.DO_NOT_CALL]


async def test_only_staff_keep_the_list_and_only_admins_erase(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    contact_id = await contact(sessionmaker, (await campaign(client, admin))["id"], MOSCOW)
    for method, path in (
        ("POST", "/api/v1/dnc"),
        ("GET", "/api/v1/dnc"),
        ("DELETE", f"/api/v1/dnc/{MOSCOW}"),
    ):
        body = {"phone": MOSCOW} if method == "POST" else None
        answer = await client.request(method, path, json=body, headers=operator.headers)
        assert answer.status_code == 403, path
    for user in (operator, supervisor):
        answer = await client.delete(f"/api/v1/contacts/{contact_id}", headers=user.headers)
        assert answer.status_code == 403
    assert await states(sessionmaker, contact_id) == [ContactState.READY]
    assert (await client.get("/api/v1/dnc", headers=admin.headers)).json() == []
