"""The connector against the real thing: the service, two baresip softphones on loopback.

The operator's baresip is driven by `cascade softphone` over ctrl_tcp; the customer's
answers by itself, or in manual mode is driven by the test (reject, let it ring,
answer and hang up). Every process is started here and stopped here, by pid.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Attempt, Contact, Lease, Role, SoftphoneEvent
from dialer.base.users import NewUser, create_user, issue_token
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from tests.baresip_live import Baresip, Connector, Control, free_ports
from tests.builders import PASSWORD, TEST_SECRET, contact, on_shift
from tests.floorsetup import ALL_DAY
from tests.live import LiveServer, start_server

T = TypeVar("T")

PHONES = ["+74951110001", "+74951110002"]
OBJECTION = "need_nothing"


@dataclass(frozen=True)
class Floor:
    operator: str
    supervisor_token: str


def seed(database_url: str, phones: list[str]) -> Floor:
    """An operator on an open shift (not clocked in), a supervisor, contacts due in order."""

    async def run() -> Floor:
        engine = create_engine(database_url)
        maker = create_sessionmaker(engine)
        now = utcnow()
        login = f"op-{uuid.uuid4().hex[:6]}"
        try:
            async with maker.begin() as session:
                spec = CampaignSpec(
                    name="Softphone", window_start=ALL_DAY[0], window_end=ALL_DAY[1]
                )
                campaign = await create_campaign(session, spec, now)
                operator = await create_user(
                    session, NewUser(login, PASSWORD, "Operator", Role.OPERATOR), now
                )
                supervisor = await create_user(
                    session, NewUser(f"sv-{login}", PASSWORD, "Supervisor", Role.SUPERVISOR), now
                )
                token = issue_token(TEST_SECRET, supervisor, now + timedelta(hours=2))
            for n, phone in enumerate(phones):
                due = now - timedelta(minutes=len(phones) - n)
                await contact(maker, campaign.id, phone, next_call_at=due)
            await on_shift(maker, [operator.id], clocked_in=False)
            return Floor(login, token)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@dataclass(frozen=True)
class Made:
    """An attempt as supervisors and payroll see it."""

    lease_id: uuid.UUID
    phone: str
    disposition: str
    call_id: str | None
    dialed_at: datetime | None
    ringing_at: datetime | None
    answered_at: datetime | None
    hangup_at: datetime | None
    hangup_reason: str | None


def read(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """What work reads from the test's database, in a session of its own."""

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def attempts(database_url: str) -> list[Made]:
    async def work(session: AsyncSession) -> list[Made]:
        rows = await session.execute(
            select(Attempt, Contact.phone)
            .join(Contact, Contact.id == Attempt.contact_id)
            .order_by(Attempt.created_at)
        )
        return [_made(attempt, phone) for attempt, phone in rows.all()]

    return read(database_url, work)


def _made(row: Attempt, phone: str) -> Made:
    return Made(
        row.lease_id,
        phone,
        row.disposition.value,
        row.call_id,
        row.dialed_at,
        row.ringing_at,
        row.answered_at,
        row.hangup_at,
        row.hangup_reason,
    )


def unmatched_events(database_url: str) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        query = select(SoftphoneEvent.event).where(SoftphoneEvent.lease_id.is_(None))
        return list(await session.scalars(query))

    return read(database_url, work)


def lease_extended(database_url: str, lease_id: uuid.UUID) -> bool:
    """Whether a heartbeat moved the lease's end past the one it was created with."""

    async def work(session: AsyncSession) -> bool:
        lease = await session.get(Lease, lease_id)
        assert lease is not None
        return lease.expires_at > lease.created_at + timedelta(minutes=10)

    return read(database_url, work)


def suggestion(server: LiveServer, floor: Floor, lease_id: uuid.UUID) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {floor.supervisor_token}"}
    answer = httpx.get(f"{server.url}/api/v1/leases/{lease_id}/call", headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def in_order(made: Made, start: datetime, end: datetime) -> None:
    """The call's instants follow each other, all inside the test."""
    instants = [made.dialed_at, made.ringing_at, made.answered_at, made.hangup_at]
    present = [i for i in instants if i is not None]
    assert present == sorted(present), made
    assert start <= present[0], (start, made)
    assert present[-1] <= end, (made, end)


@pytest.fixture
def stop_later() -> Iterator[Callable[[Any], Any]]:
    """Register anything with stop(): stopped (by pid) after the test, last first."""
    started: list[Any] = []
    yield lambda thing: started.append(thing) or thing
    for thing in reversed(started):
        thing.stop()


def operator_phone(tmp_path: Path, sip: int, ctrl: int, http: int) -> Baresip:
    return Baresip.prepare("operator", tmp_path / "operator", ["operator"], sip, ctrl, http)


def connector(
    floor: Floor, server: LiveServer, ctrl: int, tmp_path: Path, *extra: str
) -> Connector:
    return Connector(
        [
            "--service", server.url, "--login", floor.operator, "--password", PASSWORD,
            "--ctrl-tcp", f"127.0.0.1:{ctrl}", "--clock-in", "--retry", "0.1",
            "--spool", str(tmp_path / "spool"), *extra,
        ]
    )  # fmt: skip


def test_an_answered_call_the_operator_hangs_up_after_the_dialer_resumes(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    floor = seed(database_url, PHONES[:1])
    sip_a, sip_b, ctrl, http = free_ports(2, 2, 1, 1)
    customer = stop_later(Baresip.prepare("customer", tmp_path / "customer", PHONES[:1], sip_b))
    customer.start()
    stop_later(operator_phone(tmp_path, sip_a, ctrl, http)).start()
    server = stop_later(start_server(database_url))
    supervisor = {"Authorization": f"Bearer {floor.supervisor_token}"}
    paused = httpx.post(
        f"{server.url}/api/v1/dialer/pause", json={"reason": "briefing"}, headers=supervisor
    )
    assert paused.status_code == 200, paused.text
    start = utcnow()

    phone = stop_later(
        connector(
            floor, server, ctrl, tmp_path,
            "--dial-uri", f"sip:{{number}}@127.0.0.1:{sip_b}", "--heartbeat", "0.2",
            "--disposition", "suggested", "--otherwise", "wrong_number", "--calls", "1",
        )
    )  # fmt: skip
    phone.expect("clocked in")
    phone.expect("waiting: dialer_paused (supervisor)")
    resumed = httpx.post(f"{server.url}/api/v1/dialer/resume", headers=supervisor)
    assert resumed.status_code == 200, resumed.text
    phone.expect(f"dialing sip:{PHONES[0]}@127.0.0.1:{sip_b}")
    phone.expect("answered")
    phone.expect("lease extended")
    phone.type()  # Enter: the operator hangs up
    phone.expect("hangup: Connection reset by user")
    phone.expect("suggested: none")
    phone.expect("outcome: wrong_number")
    assert phone.exit_code() == 0
    end = utcnow()

    [made] = attempts(database_url)
    assert (made.phone, made.disposition) == (PHONES[0], "wrong_number")
    assert made.answered_at is not None
    assert made.hangup_reason == "Connection reset by user"
    assert made.call_id is not None
    assert made.ringing_at is not None
    in_order(made, start, end)
    call = suggestion(server, floor, made.lease_id)
    assert call["suggested_disposition"] is None
    assert [e["event"] for e in call["events"]] == ["dialing", "ringing", "answered", "hangup"]
    assert {e["call_id"] for e in call["events"]} == {made.call_id}
    assert lease_extended(database_url, made.lease_id)
    assert unmatched_events(database_url) == []


def test_a_rejected_call_is_busy_and_the_operator_confirms_the_suggestion(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    floor = seed(database_url, PHONES[:1])
    sip_a, sip_b, ctrl_a, ctrl_b, http = free_ports(2, 2, 1, 1, 1)
    folder = tmp_path / "customer"
    stop_later(Baresip.prepare("customer_manual", folder, PHONES[:1], sip_b, ctrl_b)).start()
    customer = stop_later(Control(ctrl_b))
    stop_later(operator_phone(tmp_path, sip_a, ctrl_a, http)).start()
    # No --dial-uri: the lease's own sip: link, at the domain the service is given.
    server = stop_later(
        start_server(database_url, env={"CASCADE_SIP_DOMAIN": f"127.0.0.1:{sip_b}"})
    )
    start = utcnow()

    phone = stop_later(connector(floor, server, ctrl_a, tmp_path, "--calls", "1"))
    phone.expect(f"dialing sip:{PHONES[0]}@127.0.0.1:{sip_b}")
    incoming = customer.wait_event("CALL_INCOMING")
    customer.send("hangup")  # the customer declines: 486
    phone.expect("hangup: 486 Rejected")
    phone.expect("suggested: busy")
    phone.type()  # Enter takes the suggestion
    phone.expect("outcome: busy")
    assert phone.exit_code() == 0
    end = utcnow()

    [made] = attempts(database_url)
    assert (made.disposition, made.hangup_reason) == ("busy", "486 Rejected")
    assert made.call_id == incoming["id"]  # the SIP Call-ID, the same on both ends
    assert made.ringing_at is not None
    assert made.answered_at is None
    in_order(made, start, end)
    assert suggestion(server, floor, made.lease_id)["suggested_disposition"] == "busy"


def test_a_call_nobody_answers_is_hung_up_after_the_ring_timeout_as_no_answer(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    floor = seed(database_url, PHONES[:1])
    sip_a, sip_b, ctrl_a, ctrl_b, http = free_ports(2, 2, 1, 1, 1)
    folder = tmp_path / "customer"
    stop_later(Baresip.prepare("customer_manual", folder, PHONES[:1], sip_b, ctrl_b)).start()
    customer = stop_later(Control(ctrl_b))
    stop_later(operator_phone(tmp_path, sip_a, ctrl_a, http)).start()
    server = stop_later(start_server(database_url))
    start = utcnow()

    phone = stop_later(
        connector(
            floor, server, ctrl_a, tmp_path,
            "--dial-uri", f"sip:{{number}}@127.0.0.1:{sip_b}", "--ring-timeout", "0.5",
            "--disposition", "suggested", "--calls", "1",
        )
    )  # fmt: skip
    incoming = customer.wait_event("CALL_INCOMING")  # and the customer lets it ring
    phone.expect("no answer in 0.5 s: hanging up")
    phone.expect("hangup: Connection reset by user")
    assert customer.wait_event("CALL_CLOSED")["id"] == incoming["id"]
    phone.expect("suggested: no_answer")
    phone.expect("outcome: no_answer")
    assert phone.exit_code() == 0
    end = utcnow()

    [made] = attempts(database_url)
    assert (made.disposition, made.hangup_reason) == ("no_answer", "Connection reset by user")
    assert made.call_id == incoming["id"]
    assert made.answered_at is None
    assert made.ringing_at is not None
    assert made.dialed_at is not None
    assert made.hangup_at is not None
    assert made.hangup_at - made.dialed_at >= timedelta(seconds=0.5)
    in_order(made, start, end)


def outbox(tmp_path: Path) -> list[dict[str, Any]]:
    [path] = (tmp_path / "spool").glob("outbox-*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_events_of_a_call_made_while_the_service_is_down_arrive_once_it_is_back(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    floor = seed(database_url, PHONES[:1])
    sip_a, sip_b, ctrl_a, ctrl_b, http = free_ports(2, 2, 1, 1, 1)
    folder = tmp_path / "customer"
    stop_later(Baresip.prepare("customer_manual", folder, PHONES[:1], sip_b, ctrl_b)).start()
    customer = stop_later(Control(ctrl_b))
    stop_later(operator_phone(tmp_path, sip_a, ctrl_a, http)).start()
    server = stop_later(start_server(database_url))

    phone = stop_later(
        connector(
            floor, server, ctrl_a, tmp_path,
            "--dial-uri", f"sip:{{number}}@127.0.0.1:{sip_b}", "--disposition", "suggested",
            "--otherwise", "not_interested", "--objection", OBJECTION, "--calls", "1",
        )
    )  # fmt: skip
    incoming = customer.wait_event("CALL_INCOMING")
    phone.expect("ringing")
    server.stop()  # the service goes away in the middle of the call
    customer.send("accept")
    phone.expect("answered")
    customer.send("hangup")  # the customer hangs up
    phone.expect("hangup: Connection reset by peer")
    phone.expect("waiting for the service to take")
    # The complaint comes from the request that failed, the wait from the outbox: either
    # may be said first.
    if "service: unreachable" not in "".join(phone.said):
        phone.expect("service: unreachable")

    # What happened after the service went away is on disk, in order, and nowhere else yet.
    spooled = outbox(tmp_path)
    kinds = [record["event"] for record in spooled]
    assert kinds[-2:] == ["answered", "hangup"]
    assert kinds == ["dialing", "ringing", "answered", "hangup"][-len(kinds) :]
    assert {record["call_id"] for record in spooled} == {incoming["id"]}
    assert spooled[-1]["reason"] == "Connection reset by peer"

    server = stop_later(start_server(database_url, port=server.port))
    phone.expect("suggested: none")
    phone.expect("outcome: not_interested")
    assert phone.exit_code() == 0

    assert outbox(tmp_path) == []
    [made] = attempts(database_url)
    assert made.disposition == "not_interested"
    assert made.hangup_reason == "Connection reset by peer"
    assert made.call_id == incoming["id"]
    assert made.answered_at is not None
    assert made.answered_at < made.hangup_at
    call = suggestion(server, floor, made.lease_id)
    assert [e["event"] for e in call["events"]] == ["dialing", "ringing", "answered", "hangup"]
    assert unmatched_events(database_url) == []


def test_the_connector_survives_baresip_killed_mid_call_and_restarted(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    floor = seed(database_url, PHONES)
    sip_a, sip_b, ctrl, http = free_ports(2, 2, 1, 1)
    stop_later(Baresip.prepare("customer", tmp_path / "customer", PHONES, sip_b)).start()
    operator = stop_later(operator_phone(tmp_path, sip_a, ctrl, http)).start()
    server = stop_later(start_server(database_url))

    phone = stop_later(
        connector(
            floor, server, ctrl, tmp_path,
            "--dial-uri", f"sip:{{number}}@127.0.0.1:{sip_b}",
            "--disposition", "suggested", "--otherwise", "wrong_number", "--calls", "2",
        )
    )  # fmt: skip
    phone.expect(f"dialing sip:{PHONES[0]}")
    phone.expect("answered")
    operator.kill()  # the softphone crashes with the call up
    phone.expect("hangup: softphone lost")
    phone.expect("outcome: wrong_number")
    phone.expect("waiting for baresip")
    operator.start()
    phone.expect("baresip: connected")
    phone.expect(f"dialing sip:{PHONES[1]}")
    phone.expect("answered")
    phone.type()
    phone.expect("hangup: Connection reset by user")
    phone.expect("outcome: wrong_number")
    assert phone.exit_code() == 0

    first, second = attempts(database_url)
    assert (first.phone, second.phone) == (PHONES[0], PHONES[1])
    assert first.answered_at is not None
    assert first.hangup_reason is not None
    assert first.hangup_reason.startswith("softphone lost")
    assert second.answered_at is not None
    assert second.hangup_reason == "Connection reset by user"
    assert None not in (first.call_id, second.call_id)
    assert first.call_id != second.call_id
    assert unmatched_events(database_url) == []
