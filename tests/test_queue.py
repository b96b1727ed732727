"""Next call: who gets which contact, when, and why not."""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, ContactState, Lease, LeaseEnd, Role, User
from scheduler.jobs import EXPIRE_LEASES, PERIODIC_JOBS
from tests.builders import actor
from tests.floor import MOSCOW_2PM, make_floor, status_once

Deps = tuple[FastAPI, httpx.AsyncClient, async_sessionmaker[AsyncSession]]


async def test_next_hands_out_a_lease_in_the_contracts_shape(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    contact_id = await floor.add("Europe/Moscow")
    lease = await floor.lease(floor.operators[0])
    assert set(lease) == {
        "lease_id", "expires_at", "attempt_no", "contact", "campaign", "callback", "dial",
    }  # fmt: skip
    assert lease["attempt_no"] == 1
    assert datetime.fromisoformat(lease["expires_at"]) == MOSCOW_2PM + timedelta(minutes=10)
    contact = lease["contact"]
    assert contact["id"] == str(contact_id)
    assert contact["timezone"] == "Europe/Moscow"
    assert contact["local_time"] == "2026-12-01T14:00:00+03:00"
    assert contact["fields"] == {"source": "test"}
    assert lease["campaign"]["id"] == floor.campaign["id"]
    assert {o["code"] for o in lease["campaign"]["objections"]} >= {"need_nothing"}
    assert lease["campaign"]["questionnaire_fields"][0]["name"] == "contact_person"
    # Where a callback may be booked, on the contact's clock: the campaign's own settings.
    assert lease["campaign"]["calling_window"] == floor.campaign["calling_window"]
    assert re.fullmatch(r"\d\d:\d\d", lease["campaign"]["calling_window"]["end"])
    assert lease["campaign"]["callback_max_days"] == floor.campaign["callback_max_days"]
    assert lease["callback"] is None
    assert lease["dial"] == {"tel": f"tel:{contact['phone']}"}
    assert (await floor.contact_row(contact_id)).state is ContactState.LEASED


async def test_a_sip_link_comes_with_a_sip_domain(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    app.state.settings.sip_domain = "pbx.example"
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    phone = lease["contact"]["phone"]
    assert lease["dial"] == {"tel": f"tel:{phone}", "sip": f"sip:{phone}@pbx.example"}


async def test_asking_again_returns_the_same_lease(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await floor.add()
    await floor.add()
    first = await floor.lease(floor.operators[0])
    floor.clock.advance(minutes=1)
    again = await floor.lease(floor.operators[0])
    assert again["lease_id"] == first["lease_id"]
    assert again["contact"]["id"] == first["contact"]["id"]


async def test_vladivostok_waits_at_two_pm_moscow_while_kaliningrad_is_called(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    await floor.add("Asia/Vladivostok", due=MOSCOW_2PM - timedelta(days=1))
    kaliningrad = await floor.add("Europe/Kaliningrad")
    lease = await floor.lease(floor.operators[0])
    assert lease["contact"]["id"] == str(kaliningrad)
    assert lease["contact"]["local_time"] == "2026-12-01T13:00:00+02:00"
    empty = await floor.next(floor.operators[1])
    assert empty.status_code == 409
    body = empty.json()
    assert body["error"] == "queue_empty"
    assert body["why"] == {
        "outside_calling_window": 1,
        "retry_not_due": 0,
        "callback_not_due": 0,
        "exhausted": 0,
        "do_not_call": 0,
    }
    # 09:00 in Vladivostok (UTC+10) is 23:00 UTC: twelve hours from now.
    assert body["retry_after"] == 12 * 3600


async def test_window_edges_over_http(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, at=datetime(2026, 12, 1, 5, 59, tzinfo=UTC))
    moscow = await floor.add("Europe/Moscow", due=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert (await floor.next(floor.operators[0])).json()["error"] == "queue_empty"  # 08:59
    floor.clock.now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 09:00
    assert (await floor.lease(floor.operators[0]))["contact"]["id"] == str(moscow)


async def test_order_is_own_callbacks_then_anyones_then_priority_then_oldest(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    now = floor.clock.now
    later_priority = await floor.add(priority=5, due=now - timedelta(hours=5))
    older = await floor.add(due=now - timedelta(hours=3))
    newer = await floor.add(due=now - timedelta(hours=2))
    anyones = await floor.add(callback_at=now - timedelta(minutes=20))
    annas = await floor.add(callback_at=now - timedelta(minutes=5), callback_operator=anna)
    # Anna gets her own callback before anyone's older one; Boris may not have it.
    assert (await floor.lease(anna))["contact"]["id"] == str(annas)
    boris_lease = await floor.lease(boris)
    assert boris_lease["contact"]["id"] == str(anyones)
    assert boris_lease["callback"]["scope"] == "anyone"
    await floor.outcome(boris, boris_lease["lease_id"], disposition="wrong_number")
    order = []
    for _ in range(3):
        lease = await floor.lease(boris)
        order.append(lease["contact"]["id"])
        answer = await floor.outcome(boris, lease["lease_id"], disposition="wrong_number")
        assert answer.json()["contact_state"] == "closed"
    assert order == [str(older), str(newer), str(later_priority)]


async def test_a_personal_callback_passes_to_anyone_once_its_owner_is_away_long_enough(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=1, off_shift=1)
    boris, absent = floor.operators
    held = await floor.add(
        callback_at=floor.clock.now - timedelta(minutes=10), callback_operator=absent
    )
    refused = await floor.next(boris)
    assert refused.json()["why"]["callback_not_due"] == 1
    # Handover is 30 minutes after it fell due: 20 more minutes.
    assert refused.json()["retry_after"] == 20 * 60
    floor.clock.advance(minutes=20)
    assert (await floor.lease(boris))["contact"]["id"] == str(held)


async def test_a_personal_callback_stays_with_its_owner_while_on_shift(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    held = await floor.add(callback_at=floor.clock.now - timedelta(hours=2), callback_operator=anna)
    assert (await floor.next(boris)).json()["why"]["callback_not_due"] == 1
    assert (await floor.lease(anna))["contact"]["id"] == str(held)


async def test_queue_empty_says_why_for_each_reason(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(
        app,
        client,
        sessionmaker,
        operators=1,
        retry={"busy": {"delay_minutes": 15, "max_attempts": 1}},
    )
    operator = floor.operators[0]
    now = floor.clock.now
    await floor.add("Asia/Vladivostok")
    await floor.add(due=now + timedelta(minutes=40))
    await floor.add(callback_at=now + timedelta(minutes=90))
    for disposition in ("busy", "do_not_call"):
        await floor.add()
        lease = await floor.lease(operator)
        answer = await floor.outcome(operator, lease["lease_id"], disposition=disposition)
        assert answer.status_code == 200, answer.text
    refused = await floor.next(operator)
    assert refused.status_code == 409
    assert refused.json()["why"] == {
        "outside_calling_window": 1,
        "retry_not_due": 1,
        "callback_not_due": 1,
        "exhausted": 1,
        "do_not_call": 1,
    }
    assert refused.json()["retry_after"] == 40 * 60


async def test_an_empty_base_has_nothing_to_wait_for(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    refused = await floor.next(floor.operators[0])
    assert refused.json()["error"] == "queue_empty"
    assert refused.json()["retry_after"] is None
    assert set(refused.json()["why"].values()) == {0}


async def test_the_gate_answers_before_the_queue(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=1, off_shift=1)
    await floor.add()
    refused = await floor.next(floor.operators[1])
    assert refused.status_code == 409
    assert refused.json()["error"] == "not_clocked_in"
    supervisor = await floor.client.post("/api/v1/dialer/next", headers=floor.supervisor.headers)
    assert supervisor.status_code == 403


async def test_every_refusal_holds_while_contacts_wait(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Next-call's one-statement path must refuse exactly what the gate refuses."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    for _ in range(3):
        await floor.add()
    operator, other = floor.operators
    supervisor = floor.supervisor.headers
    pauses = [
        (f"/api/v1/operators/{operator.id}", "operator_paused"),
        (f"/api/v1/shifts/{floor.shift_id}", "shift_paused"),
        ("/api/v1/dialer", "dialer_paused"),
    ]
    for target, refusal in pauses:
        paused = await client.post(f"{target}/pause", json={"reason": "r"}, headers=supervisor)
        assert paused.status_code == 200, paused.text
        refused = await floor.next(operator)
        assert (refused.status_code, refused.json()["error"]) == (409, refusal)
        resumed = await client.post(f"{target}/resume", headers=supervisor)
        assert resumed.status_code == 200, resumed.text
    # A clocked-in operator whose role changed, or whose tokens were revoked.
    async with sessionmaker.begin() as session:
        await session.execute(
            update(User).where(User.id == operator.id).values(role=Role.SUPERVISOR)
        )
    assert (await floor.next(operator)).status_code == 403
    async with sessionmaker.begin() as session:
        await session.execute(
            update(User)
            .where(User.id == operator.id)
            .values(role=Role.OPERATOR, token_version=User.token_version + 1)
        )
    assert (await floor.next(operator)).status_code == 401
    async with sessionmaker() as session:
        held = await session.scalar(select(Lease.id).where(Lease.operator_id == operator.id))
    assert held is None
    # Nothing above was left half-done: the other operator still gets a contact.
    assert (await floor.next(other)).status_code == 200


async def test_a_stopped_campaign_hands_out_nothing_at_once(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    await floor.add()
    await floor.add()
    await floor.lease(floor.operators[0])  # the catalog now knows the campaign as active
    stopped = await client.put(
        f"/api/v1/campaigns/{floor.campaign_id}/active",
        json={"active": False},
        headers=floor.supervisor.headers,
    )
    assert stopped.status_code == 200
    assert (await floor.next(floor.operators[1])).json()["error"] == "queue_empty"


async def test_a_new_zone_and_a_new_campaign_are_found_without_waiting(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    await floor.add("Europe/Moscow")
    await floor.lease(floor.operators[0])
    other = await client.post(
        "/api/v1/campaigns", json={"name": "Second"}, headers=floor.supervisor.headers
    )
    samara = await floor.add("Europe/Samara", campaign_id=other.json()["id"])
    assert (await floor.lease(floor.operators[1]))["contact"]["id"] == str(samara)


async def test_the_same_idempotency_key_gets_the_first_lease_again(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    await floor.add()
    first = await floor.next(operator, key="click-1")
    done = await floor.outcome(operator, first.json()["lease_id"], disposition="wrong_number")
    assert done.status_code == 200
    again = await floor.next(operator, key="click-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    reused = await client.post(
        f"/api/v1/leases/{first.json()['lease_id']}/release",
        headers={**operator.headers, "Idempotency-Key": "click-1"},
    )
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"
    fresh = await floor.next(operator, key="click-2")
    assert fresh.json()["lease_id"] != first.json()["lease_id"]
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(Lease.id)))) == 2


async def test_keys_are_per_user(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    await floor.add()
    await floor.add()
    anna = await floor.next(floor.operators[0], key="same")
    boris = await floor.next(floor.operators[1], key="same")
    assert anna.json()["lease_id"] != boris.json()["lease_id"]


async def test_a_heartbeat_extends_the_lease_until_it_runs_out(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    await floor.add()
    lease = await floor.lease(operator)
    path = f"/api/v1/leases/{lease['lease_id']}/heartbeat"
    floor.clock.advance(minutes=9)
    beat = await client.post(path, headers=operator.headers)
    assert beat.status_code == 200
    assert datetime.fromisoformat(beat.json()["expires_at"]) == floor.clock.now + timedelta(
        minutes=10
    )
    floor.clock.advance(minutes=10)
    late = await client.post(path, headers=operator.headers)
    assert late.status_code == 409
    assert late.json()["error"] == "lease_expired"


async def test_an_expired_lease_returns_its_contact_and_three_in_a_row_send_it_to_review(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    contact_id = await floor.add()
    for expiry in (1, 2):
        lease = await floor.lease(anna)
        assert lease["contact"]["id"] == str(contact_id)
        assert lease["attempt_no"] == 1
        floor.clock.advance(minutes=11)
        # Boris's claim returns the contact to the queue and gets it.
        taken = await floor.lease(boris)
        assert taken["contact"]["id"] == str(contact_id)
        assert (await floor.contact_row(contact_id)).expired_streak == expiry
        anna, boris = boris, anna
    floor.clock.advance(minutes=11)
    refused = await floor.next(boris)
    assert refused.json()["error"] == "queue_empty"
    row = await floor.contact_row(contact_id)
    assert row.state is ContactState.REVIEW
    async with sessionmaker() as session:
        ends = list(await session.scalars(select(Lease.end_reason).order_by(Lease.created_at)))
    assert ends == [LeaseEnd.EXPIRED] * 3


async def test_an_outcome_ends_an_expiry_streak(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    contact_id = await floor.add()
    await floor.lease(operator)
    floor.clock.advance(minutes=11)
    lease = await floor.lease(operator)  # its own overdue lease ends first
    assert lease["contact"]["id"] == str(contact_id)
    await floor.outcome(operator, lease["lease_id"], disposition="busy")
    assert (await floor.contact_row(contact_id)).expired_streak == 0


async def test_release_gives_the_contact_back_unchanged(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    anna, boris = floor.operators
    contact_id = await floor.add()
    before = await floor.contact_row(contact_id)
    lease = await floor.lease(anna)
    path = f"/api/v1/leases/{lease['lease_id']}/release"
    assert (await client.post(path, headers=boris.headers)).status_code == 403
    released = await client.post(path, headers=anna.headers)
    assert released.status_code == 200
    assert released.json()["end_reason"] == "released"
    after = await floor.contact_row(contact_id)
    assert after.state is ContactState.READY
    assert (after.next_call_at, after.attempts, after.priority) == (
        before.next_call_at,
        before.attempts,
        before.priority,
    )
    again = await client.post(path, headers=anna.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "lease_closed"
    missing = await client.post(
        "/api/v1/leases/00000000-0000-0000-0000-000000000001/release", headers=anna.headers
    )
    assert missing.status_code == 404


async def test_lease_endpoints_are_for_operators(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await floor.add()
    lease = await floor.lease(floor.operators[0])
    admin = await actor(client, sessionmaker, Role.ADMIN)
    for action in ("heartbeat", "release", "outcome"):
        answer = await client.post(
            f"/api/v1/leases/{lease['lease_id']}/{action}",
            json={"disposition": "busy"},
            headers=admin.headers,
        )
        assert answer.status_code == 403


async def test_a_contact_erased_while_leased_is_not_released_back(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    contact_id = await floor.add()
    lease = await floor.lease(operator)
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Contact).where(Contact.id == contact_id).values(state=ContactState.ERASED)
        )
    path = f"/api/v1/leases/{lease['lease_id']}/release"
    assert (await client.post(path, headers=operator.headers)).status_code == 200
    assert (await floor.contact_row(contact_id)).state is ContactState.ERASED


def test_the_fixed_instant_is_two_pm_in_moscow() -> None:
    assert MOSCOW_2PM.astimezone(UTC).hour == 11


async def test_the_scheduler_job_returns_orphaned_contacts(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    contact_id = await floor.add()
    lease = await floor.lease(floor.operators[0])
    assert EXPIRE_LEASES in PERIODIC_JOBS
    async with sessionmaker.begin() as session:
        await EXPIRE_LEASES.run(session, floor.clock.now + timedelta(minutes=9))
    assert (await floor.contact_row(contact_id)).state is ContactState.LEASED
    async with sessionmaker.begin() as session:
        await EXPIRE_LEASES.run(session, floor.clock.now + timedelta(minutes=10))
    row = await floor.contact_row(contact_id)
    assert (row.state, row.expired_streak) == (ContactState.READY, 1)
    async with sessionmaker() as session:
        ended = await session.get(Lease, uuid.UUID(lease["lease_id"]))
    assert ended is not None
    assert ended.end_reason is LeaseEnd.EXPIRED


async def test_a_double_click_gets_one_lease(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    operator = floor.operators[0]
    for _ in range(3):
        await floor.add()
    answers = await asyncio.gather(*(floor.next(operator) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["lease_id"] for a in answers}) == 1
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(Lease.id)))) == 1


async def test_the_status_counts_due_contacts_callbacks_and_leases(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    await floor.add()
    await floor.add()
    await floor.add(due=now + timedelta(hours=1))
    await floor.add(callback_at=now - timedelta(minutes=5))
    await floor.add(callback_at=now + timedelta(hours=1))
    await floor.lease(floor.operators[0])  # the due callback goes first
    status = await client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)
    waiting = {"outside_calling_window": 0, "retry_not_due": 1, "callback_not_due": 1}
    assert status.json()["queue"] == {
        "ready": 2,
        "leased": 1,
        "callbacks_due": 0,
        "waiting": waiting,
    }
    await floor.add(callback_at=now - timedelta(minutes=1))
    queue = {"ready": 3, "leased": 1, "callbacks_due": 1, "waiting": waiting}
    # The standings are shared by a process's readers and catch up within a second or two.
    body = await status_once(client, floor.supervisor.headers, lambda s: s["queue"] == queue)
    assert body["queue"] == queue
    # The live shift comes with its roster's size, not the ids of a whole floor.
    shift = body["shift"]
    assert (shift["id"], shift["rostered"], "roster" in shift) == (str(floor.shift_id), 1, False)
