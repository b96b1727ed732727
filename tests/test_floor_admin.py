"""Running the floor over the API: users, campaigns and their stats, imports' refused lines,
contacts and review, the do-not-call file and export, and the audit log of every change."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import AuditEntry, Contact, ContactState, Lease, Role
from tests.builders import PASSWORD, actor, login
from tests.floor import make_floor, quick_actor
from tests.test_imports import upload

API = "/api/v1"


async def audit_actions(
    client: httpx.AsyncClient, headers: dict[str, str], **query: str
) -> list[str]:
    answer = await client.get(f"{API}/audit", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return [e["action"] for e in answer.json()]


async def test_users_are_listed_by_role_with_a_total(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    for _ in range(3):
        await quick_actor(sessionmaker, Role.OPERATOR, admin_now())
    answer = await client.get(
        f"{API}/users", params={"role": "operator", "limit": 2}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Total-Count"] == "3"
    assert len(answer.json()) == 2
    assert {u["role"] for u in answer.json()} == {"operator"}
    assert set(answer.json()[0]) >= {"id", "login", "name", "role", "desk", "capacity", "active"}
    too_many = await client.get(f"{API}/users", params={"limit": 1001}, headers=admin.headers)
    assert too_many.status_code == 422


def admin_now() -> Any:
    from dialer.base.clock import utcnow

    return utcnow()


async def test_an_admin_changes_a_user_and_the_log_says_so(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await client.patch(
        f"{API}/users/{operator.id}",
        json={"name": "Ольга", "hourly_rate": "350.00"},
        headers=admin.headers,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["hourly_rate"]) == ("Ольга", "350.00")
    bad = await client.patch(
        f"{API}/users/{operator.id}", json={"desk": "acquisition"}, headers=admin.headers
    )
    assert bad.status_code == 422
    assert bad.json()["fields"] == [{"loc": ["desk"], "msg": "managers only"}]
    log = await client.get(
        f"{API}/audit", params={"target_id": str(operator.id)}, headers=admin.headers
    )
    assert [(e["action"], e["actor"]) for e in log.json()] == [("user.update", admin.login)]
    assert "Ольга" in log.json()[0]["summary"]


async def test_deactivating_an_operator_ends_its_lease_and_reactivating_lets_it_back(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    admin = await quick_actor(sessionmaker, Role.ADMIN, floor.clock.now)
    contact_id = await floor.add()
    operator = floor.operators[0]
    await floor.lease(operator)
    off = await client.patch(
        f"{API}/users/{operator.id}", json={"active": False}, headers=admin.headers
    )
    assert off.json()["active"] is False
    assert (await floor.contact_row(contact_id)).state is ContactState.READY
    async with sessionmaker() as session:
        open_leases = await session.scalars(select(Lease).where(Lease.ended_at.is_(None)))
        assert list(open_leases) == []
    assert (await client.get(f"{API}/me", headers=operator.headers)).status_code == 401
    on = await client.patch(
        f"{API}/users/{operator.id}", json={"active": True}, headers=admin.headers
    )
    assert on.json()["active"] is True
    listed = await client.get(f"{API}/users", params={"active": "true"}, headers=admin.headers)
    assert str(operator.id) in {u["id"] for u in listed.json()}


async def test_a_new_capacity_lifts_the_saturation_pause_at_once(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    admin = await quick_actor(sessionmaker, Role.ADMIN, floor.clock.now)
    manager = await quick_actor(
        sessionmaker, Role.MANAGER, floor.clock.now, desk="acquisition", capacity=1
    )
    await floor.add()
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    warm = {
        "disposition": "warm",
        "questionnaire": {"contact_person": "Иван", "need": "бумага"},
    }
    filed = await floor.outcome(floor.operators[0], lease["lease_id"], **warm)
    assert filed.status_code == 200, filed.text
    refused = await floor.next(floor.operators[0])
    assert refused.json()["error"] == "dialer_paused", refused.text
    raised = await client.patch(
        f"{API}/users/{manager.id}", json={"capacity": 5}, headers=admin.headers
    )
    assert raised.status_code == 200, raised.text
    assert (await floor.next(floor.operators[0])).status_code == 200


async def test_a_new_password_ends_the_old_tokens(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    short = await client.post(
        f"{API}/users/{operator.id}/password", json={"password": "short"}, headers=admin.headers
    )
    assert short.status_code == 422
    assert (await client.get(f"{API}/me", headers=operator.headers)).status_code == 200
    reset = await client.post(
        f"{API}/users/{operator.id}/password",
        json={"password": "a-new-password"},
        headers=admin.headers,
    )
    assert reset.status_code == 204
    assert (await client.get(f"{API}/me", headers=operator.headers)).status_code == 401
    token = await login(client, operator.login, "a-new-password")
    headers = {"Authorization": f"Bearer {token}"}
    wrong = await client.post(
        f"{API}/me/password", json={"current": PASSWORD, "new": "another-one"}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["fields"][0]["loc"] == ["body", "current"]
    mine = await client.post(
        f"{API}/me/password",
        json={"current": "a-new-password", "new": "another-one"},
        headers=headers,
    )
    assert mine.status_code == 204
    await login(client, operator.login, "another-one")
    assert await audit_actions(client, admin.headers, action="user.password") == [
        "user.password",
        "user.password",
    ]


async def test_a_changed_calling_window_holds_for_the_next_claim(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await floor.add()
    operator = floor.operators[0]
    # A claim fills this process's catalog with the campaign as it is: 09:00–20:00.
    first = await floor.lease(operator)
    await client.post(f"{API}/leases/{first['lease_id']}/release", headers=operator.headers)
    # 14:00 in Moscow: a window of 09:00–12:00 is closed.
    floor.clock.advance(seconds=1)
    window = {"calling_window": {"start": "09:00", "end": "12:00"}, "script": "Новый скрипт"}
    changed = await client.patch(
        f"{API}/campaigns/{floor.campaign_id}", json=window, headers=floor.supervisor.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["calling_window"] == {"start": "09:00", "end": "12:00"}
    assert changed.json()["objections"] == floor.campaign["objections"]
    refused = await floor.next(operator)
    assert refused.status_code == 409
    assert refused.json()["why"]["outside_calling_window"] == 1
    floor.clock.advance(seconds=1)
    reopened = await client.patch(
        f"{API}/campaigns/{floor.campaign_id}",
        json={"calling_window": {"start": "09:00", "end": "20:00"}},
        headers=floor.supervisor.headers,
    )
    assert reopened.status_code == 200
    lease = await floor.lease(operator)
    assert lease["campaign"]["script"] == "Новый скрипт"
    backwards = await client.patch(
        f"{API}/campaigns/{floor.campaign_id}",
        json={"calling_window": {"start": "20:00", "end": "09:00"}},
        headers=floor.supervisor.headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["fields"][0]["loc"] == ["calling_window"]
    got = await client.get(f"{API}/campaigns/{floor.campaign_id}", headers=floor.supervisor.headers)
    assert got.json()["calling_window"]["end"] == "20:00"
    listed = await client.get(f"{API}/campaigns", headers=floor.supervisor.headers)
    assert listed.headers["X-Total-Count"] == "1"
    assert await audit_actions(
        client, floor.supervisor.headers, target_id=str(floor.campaign_id)
    ) == ["campaign.update", "campaign.update", "campaign.create"]


async def test_a_campaigns_stats_count_what_waits_and_why(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    await floor.add()
    await floor.add()
    await floor.add("Asia/Vladivostok")  # 21:00 there: outside 09:00–20:00
    await floor.add(due=now + timedelta(hours=2))
    await floor.add(callback_at=now + timedelta(days=1))
    review = await floor.add()
    # Another campaign's contacts, in each of the two indexes the stats read: none counted.
    other = await client.post(
        f"{API}/campaigns", json={"name": "Other"}, headers=floor.supervisor.headers
    )
    elsewhere = other.json()["id"]
    await floor.add(campaign_id=elsewhere, due=now + timedelta(days=2))
    await floor.add(campaign_id=elsewhere, callback_at=now + timedelta(days=1))
    closed_elsewhere = await floor.add(campaign_id=elsewhere)
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Contact).where(Contact.id == review).values(state=ContactState.REVIEW)
        )
        await session.execute(
            update(Contact).where(Contact.id == closed_elsewhere).values(state=ContactState.CLOSED)
        )
    lease = await floor.lease(floor.operators[0])
    await floor.outcome(floor.operators[0], lease["lease_id"], disposition="wrong_number")
    lease = await floor.lease(floor.operators[0])
    stats = await client.get(
        f"{API}/campaigns/{floor.campaign_id}/stats", headers=floor.supervisor.headers
    )
    assert stats.status_code == 200, stats.text
    assert stats.json() == {
        "contacts": 6,
        "callable_now": 0,
        "leased": 1,
        "review": 1,
        "waiting": {"outside_calling_window": 1, "retry_not_due": 1, "callback_not_due": 1},
        "done": {"wrong_number": 1},
    }


async def test_refused_lines_download_as_they_were_in_the_file(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    content = "Телефон;ФИО\r\n8 (495) 765-43-21;Иван\r\n12345;Пётр Кривой\r\n;Без номера\r\n"
    started = await upload(client, staff, str(floor.campaign_id), content.encode("cp1251"))
    assert started.status_code == 202, started.text
    await app.state.imports.drain()
    listed = await client.get(f"{API}/campaigns/{floor.campaign_id}/imports", headers=staff.headers)
    assert listed.headers["X-Total-Count"] == "1"
    (one,) = listed.json()
    assert (one["status"], one["imported"], one["invalid"]) == ("done", 1, 2)
    assert "errors" not in one
    errors = await client.get(
        f"{API}/imports/{one['id']}/errors", params={"format": "csv"}, headers=staff.headers
    )
    assert errors.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(errors.text)))
    assert rows == [
        ["line", "reason", "raw"],
        ["3", "not a valid phone number: '12345'", "12345;Пётр Кривой"],
        ["4", "no phone number", ";Без номера"],
    ]
    assert await audit_actions(client, staff.headers, action="import.start") == ["import.start"]


async def test_a_number_in_any_spelling_finds_its_contact_and_its_card(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    found_id = await floor.add(number="+74951234567")
    other_id = await floor.add(number="+74957654321", priority=1)
    async with sessionmaker.begin() as session:
        for contact_id, name, company in (
            (found_id, "Пётр Иванов", "ООО «Ромашка» и Ёлка"),
            (other_id, "Семен Орлов", "ЗАО Орел"),
        ):
            await session.execute(
                update(Contact).where(Contact.id == contact_id).values(name=name, company=company)
            )
    # ё and е are one letter to a search, either way round: most people type е.
    for q, expected in (
        ("8 (495) 123-45-67", found_id), ("+7 495 1234567", found_id), ("ромашка", found_id),
        ("ПЁТР", found_id), ("Петр Иванов", found_id), ("елка", found_id),
        ("Семён", other_id), ("орёл", other_id),
    ):  # fmt: skip
        answer = await client.get(f"{API}/contacts", params={"q": q}, headers=staff.headers)
        assert answer.status_code == 200, answer.text
        assert [c["id"] for c in answer.json()] == [str(expected)], q
        assert answer.headers["X-Total-Count"] == "1"
    lease = await floor.lease(floor.operators[0])
    assert lease["contact"]["id"] == str(found_id)
    await floor.outcome(
        floor.operators[0], lease["lease_id"], disposition="no_answer", notes="не берут"
    )
    card = await client.get(f"{API}/contacts/{found_id}", headers=staff.headers)
    assert card.status_code == 200, card.text
    (attempt,) = card.json()["attempts"]
    assert (attempt["disposition"], attempt["notes"]) == ("no_answer", "не берут")
    assert attempt["operator"]["id"] == str(floor.operators[0].id)
    assert set(attempt) >= {"at", "objection", "ring_seconds", "talk_seconds", "recording"}
    missing = await client.get(f"{API}/contacts/{uuid.uuid4()}", headers=staff.headers)
    assert missing.status_code == 404


async def test_a_campaigns_contacts_are_listed_whatever_their_state_and_only_its_own(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The ready ones (not callbacks) and the rest are found through two partial indexes.
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    other = await client.post(f"{API}/campaigns", json={"name": "Other"}, headers=staff.headers)
    assert other.status_code == 201, other.text
    await floor.add(campaign_id=other.json()["id"])
    ready = await floor.add()
    callback = await floor.add(callback_at=floor.clock.now + timedelta(hours=2))
    closed, review = await floor.add(), await floor.add()
    async with sessionmaker.begin() as session:
        for contact_id, state in ((closed, ContactState.CLOSED), (review, ContactState.REVIEW)):
            await session.execute(
                update(Contact).where(Contact.id == contact_id).values(state=state)
            )
    expected = {
        None: {ready, callback, closed, review},
        "ready": {ready, callback},
        "closed": {closed},
        "review": {review},
        "leased": set(),
    }
    for state, ids in expected.items():
        params = {"campaign_id": str(floor.campaign_id), "limit": 100}
        answer = await client.get(
            f"{API}/contacts", params=params | ({"state": state} if state else {}),
            headers=staff.headers,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert {uuid.UUID(c["id"]) for c in answer.json()} == ids, state
        assert answer.headers["X-Total-Count"] == str(len(ids)), state


async def test_a_contact_in_review_is_released_or_closed_once(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    first, second = await floor.add(), await floor.add()
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Contact)
            .where(Contact.id.in_([first, second]))
            .values(state=ContactState.REVIEW, expired_streak=3)
        )
    listed = await client.get(f"{API}/contacts", params={"state": "review"}, headers=staff.headers)
    assert listed.headers["X-Total-Count"] == "2"
    # Why each is there, as its row records it: three leases in a row ran out.
    why = {"why": "leases_expired", "in_a_row": 3}
    assert [c["review_reason"] for c in listed.json()] == [why, why]
    card = await client.get(f"{API}/contacts/{first}", headers=staff.headers)
    assert card.json()["review_reason"] == why
    released = await client.post(f"{API}/contacts/{first}/release", headers=staff.headers)
    assert (released.json()["state"], released.json()["review_reason"]) == ("ready", None)
    assert (await floor.contact_row(first)).expired_streak == 0
    closed = await client.post(f"{API}/contacts/{second}/close", headers=staff.headers)
    assert closed.json()["state"] == "closed"
    again = await client.post(f"{API}/contacts/{first}/close", headers=staff.headers)
    assert (again.status_code, again.json()["error"]) == (409, "invalid_transition")
    assert (await floor.contact_row(first)).state is ContactState.READY
    assert (await floor.lease(floor.operators[0]))["contact"]["id"] == str(first)
    assert await audit_actions(client, staff.headers, target_id=str(first)) == ["contact.release"]


async def test_a_file_of_numbers_goes_on_the_list_and_comes_back_as_csv(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    listed_id = await floor.add(number="+74951112233")
    floor.clock.advance(seconds=1)
    await client.post(f"{API}/dnc", json={"phone": "+74959998877"}, headers=staff.headers)
    floor.clock.advance(seconds=1)
    # Typed again: already listed, so nothing is added, nor logged as added.
    again = await client.post(
        f"{API}/dnc", json={"phone": "8 495 999-88-77"}, headers=staff.headers
    )
    assert again.json()["phone"] == "+74959998877"
    floor.clock.advance(seconds=1)
    content = "Телефон,Причина\r\n8 495 111-22-33,просил\r\n+7 (495) 999-88-77,\r\nчепуха,\r\n"
    content += "84951112233,повтор\r\n"
    files = {"file": ("dnc.csv", content.encode("cp1251"), "text/csv")}
    answer = await client.post(f"{API}/dnc/imports", files=files, headers=staff.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "added": 1,
        "already": 2,
        "invalid": 1,
        "errors": [{"line": 4, "reason": "not a valid phone number: 'чепуха'"}],
    }
    assert (await floor.contact_row(listed_id)).state is ContactState.DO_NOT_CALL
    bad = await client.post(
        f"{API}/dnc/imports",
        files={"file": ("x.csv", b"name\r\nnobody\r\n", "text/csv")},
        headers=staff.headers,
    )
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_file")
    found = await client.get(f"{API}/dnc", params={"q": "8 (495) 111-22-33"}, headers=staff.headers)
    assert [e["phone"] for e in found.json()] == ["+74951112233"]
    # Said to have come from a file, not typed by hand (the one typed earlier stays so).
    assert [e["source"] for e in found.json()] == ["file"]
    by_hand = await client.get(f"{API}/dnc", params={"q": "+74959998877"}, headers=staff.headers)
    assert [e["source"] for e in by_hand.json()] == ["manual"]
    assert found.headers["X-Total-Count"] == "1"
    export = await client.get(f"{API}/dnc", params={"format": "csv"}, headers=staff.headers)
    phones = [row[0] for row in csv.reader(io.StringIO(export.text))][1:]
    assert sorted(phones) == ["+74951112233", "+74959998877"]
    assert await audit_actions(client, staff.headers) == [
        "dnc.import",
        "dnc.add",
        "campaign.create",
    ]


async def test_erasure_takes_the_number_out_of_the_log(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    admin = await quick_actor(sessionmaker, Role.ADMIN, floor.clock.now)
    contact_id = await floor.add(number="+74953334455")
    await client.post(f"{API}/dnc", json={"phone": "+74953334455"}, headers=admin.headers)
    floor.clock.advance(seconds=1)
    await client.delete(f"{API}/dnc/+74953334455", headers=admin.headers)
    floor.clock.advance(seconds=1)
    erased = await client.delete(f"{API}/contacts/{contact_id}", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    async with sessionmaker() as session:
        summaries = list(await session.scalars(select(AuditEntry.summary)))
    assert len(summaries) == 4
    assert not any("3334455" in s for s in summaries)
    assert await audit_actions(client, admin.headers, actor_id=str(admin.id)) == [
        "contact.erase",
        "dnc.remove",
        "dnc.add",
    ]


async def test_the_audit_log_filters_by_time(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    staff = floor.supervisor
    floor.clock.advance(days=1)
    await client.post(f"{API}/dialer/pause", json={"reason": "обед"}, headers=staff.headers)
    day = floor.clock.now.date().isoformat()
    assert await audit_actions(client, staff.headers, **{"from": day}) == ["dialer.pause"]
    assert await audit_actions(client, staff.headers, to=day) == ["dialer.pause", "campaign.create"]
    naive = await client.get(
        f"{API}/audit", params={"from": "2026-12-01T10:00"}, headers=staff.headers
    )
    assert naive.status_code == 422
    assert naive.json()["fields"] == [
        {"loc": ["query", "from"], "msg": "a date or an instant with its offset"}
    ]


async def test_a_forgotten_clock_out_is_corrected_and_the_timesheet_counts_it(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The shift runs 10:00–14:00 UTC; the operator clocked in and never out.
    floor = await make_floor(app, client, sessionmaker, operators=2)
    staff = floor.supervisor
    floor.clock.advance(hours=1)
    records = await client.get(f"{API}/shifts/{floor.shift_id}/attendance", headers=staff.headers)
    assert {r["operator_id"] for r in records.json()} == {str(o.id) for o in floor.operators}
    first = next(r for r in records.json() if r["operator_id"] == str(floor.operators[0].id))
    late = {"clock_in_at": "2026-12-01T10:30:00+00:00", "clock_out_at": "2026-12-01T15:00:00Z"}
    refused = await client.put(f"{API}/attendance/{first['id']}", json=late, headers=staff.headers)
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["loc"] == ["body", "clock_out_at"]
    fixed = {"clock_in_at": "2026-12-01T10:30:00+00:00", "clock_out_at": "2026-12-01T11:30:00Z"}
    answer = await client.put(f"{API}/attendance/{first['id']}", json=fixed, headers=staff.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["minutes"] == 60
    overlapping = {
        "operator_id": str(floor.operators[0].id),
        "clock_in_at": "2026-12-01T11:00:00+00:00",
        "clock_out_at": "2026-12-01T11:45:00+00:00",
    }
    clash = await client.post(
        f"{API}/shifts/{floor.shift_id}/attendance-records", json=overlapping, headers=staff.headers
    )
    assert clash.status_code == 422
    later = overlapping | {"clock_in_at": "2026-12-01T11:40:00+00:00"}
    added = await client.post(
        f"{API}/shifts/{floor.shift_id}/attendance-records", json=later, headers=staff.headers
    )
    assert added.status_code == 201, added.text
    sheet = await client.get(
        f"{API}/reports/timesheet",
        params={"from": "2026-12-01", "to": "2026-12-01"},
        headers=staff.headers,
    )
    minutes = {line["operator_id"]: line["minutes_clocked"] for line in sheet.json()}
    assert minutes[str(floor.operators[0].id)] == 65
    assert await audit_actions(client, staff.headers, action="attendance.correct") == [
        "attendance.correct",
        "attendance.correct",
    ]
