"""The floor as it is now: operators' states and since when, breaks with a code, callbacks,
what is callable against what waits, and the numbers of a shift kept after clock-out."""

import asyncio
import contextlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta
from itertools import cycle
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.live import REFRESH_AT_LEAST, REFRESH_AT_MOST, WAKE_AT_ONCE, Hub, Watch, refresh_every
from app.routers.live import EventStream, floor_body
from dialer.base.models import Desk, Disposition, Role, User
from dialer.base.users import TokenClaims
from dialer.reports import live
from dialer.reports.live import LARGE_FLOOR, SETTLED_AFTER, ShiftCounts, Tally, live_operators
from dialer.reports.snapshot import Snapshot, snapshot
from tests.builders import Actor, actor, campaign, contact
from tests.builders_managers import user_row
from tests.builders_shifts import call, clock_at, msk
from tests.test_floor import floor_with_one_operator
from tests.test_stream_lifetime import StreamClient


async def live_of(client: httpx.AsyncClient, supervisor: Actor, operator: Actor) -> dict[str, Any]:
    answer = await client.get("/api/v1/operators/live", headers=supervisor.headers)
    assert answer.status_code == 200
    found: dict[str, Any] = next(o for o in answer.json() if o["id"] == str(operator.id))
    return found


async def test_break_codes_are_the_admins_and_a_break_carries_one(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        admin = await actor(client, sessionmaker, Role.ADMIN)
        for code, label, paid in (("lunch", "Lunch", False), ("training", "Training", True)):
            added = await client.post(
                "/api/v1/break-codes",
                json={"code": code, "label": label, "paid": paid},
                headers=admin.headers,
            )
            assert added.status_code == 201, added.text
        again = await client.post(
            "/api/v1/break-codes", json={"code": "lunch", "label": "x"}, headers=admin.headers
        )
        assert (again.status_code, again.json()["error"]) == (409, "break_code_taken")
        retired = await client.patch(
            "/api/v1/break-codes/training", json={"active": False}, headers=admin.headers
        )
        assert retired.json() == {
            "code": "training",
            "label": "Training",
            "paid": True,
            "active": False,
        }
        codes = await client.get("/api/v1/break-codes", headers=operator.headers)
        assert [c["code"] for c in codes.json()] == ["lunch", "training"]

        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        refused = await client.post(
            "/api/v1/me/pause", json={"code": "training"}, headers=operator.headers
        )
        assert (refused.status_code, refused.json()["error"]) == (422, "invalid_input")
        assert (await live_of(client, supervisor, operator))["state"] == "idle"

        clock.now = msk(10, 5)
        lunch = await client.post(
            "/api/v1/me/pause", json={"code": "lunch"}, headers=operator.headers
        )
        assert lunch.status_code == 200
        assert (lunch.json()["state"], lunch.json()["break_code"]) == ("break", "lunch")
        assert datetime.fromisoformat(lunch.json()["since"]) == msk(10, 5)
        clock.now = msk(10, 6)
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
        assert (me["live"]["state"], me["live"]["break_code"]) == ("break", "lunch")
        resumed = await client.post("/api/v1/me/resume", headers=operator.headers)
        assert resumed.json()["state"] == "idle"


async def test_a_paid_break_is_paid_on_the_timesheet_and_an_unpaid_one_is_not(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        admin = await actor(client, sessionmaker, Role.ADMIN)
        for code, paid in (("lunch", False), ("training", True)):
            await client.post(
                "/api/v1/break-codes",
                json={"code": code, "label": code.title(), "paid": paid},
                headers=admin.headers,
            )
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        for start, code in ((msk(10, 30), "lunch"), (msk(11), "training")):
            clock.now = start
            await client.post("/api/v1/me/pause", json={"code": code}, headers=operator.headers)
            clock.now = start + timedelta(minutes=20)
            await client.post("/api/v1/me/resume", headers=operator.headers)
        clock.now = msk(12)
        sheet = await client.get(
            "/api/v1/reports/timesheet",
            params={"from": "2026-11-30", "to": "2026-11-30"},
            headers=supervisor.headers,
        )
    assert sheet.status_code == 200, sheet.text
    row = next(r for r in sheet.json() if r["operator_id"] == str(operator.id))
    # Two hours clocked, forty minutes on breaks, of which the twenty of lunch are unpaid.
    assert (row["minutes_clocked"], row["minutes_paused"]) == (120, 40)
    assert row["hours_paid"] == "1.67"


async def test_the_call_states_follow_the_softphone(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        await actor(client, sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        created = await campaign(client, supervisor)
        number = "+74950001122"
        await contact(sessionmaker, created["id"], number, next_call_at=msk(9))
        lease = await client.post("/api/v1/dialer/next", headers=operator.headers)
        assert lease.status_code == 200, lease.text
        states = [(await live_of(client, supervisor, operator))["state"]]
        for second, event in ((10, "dialing"), (15, "answered"), (75, "hangup")):
            clock.now = msk(10, 2) + timedelta(seconds=second)
            sent = await client.post(
                "/api/v1/softphone/events",
                json={
                    "event": event,
                    "call_id": "c1",
                    "number": number,
                    "at": clock.now.isoformat(),
                },
                headers=operator.headers,
            )
            assert sent.status_code == 202, sent.text
            live = await live_of(client, supervisor, operator)
            states.append(live["state"])
            assert live["since"] is not None
        assert states == ["on_lease", "ringing", "talking", "wrap_up"]
        outcome = await client.post(
            f"/api/v1/leases/{lease.json()['lease_id']}/outcome",
            json={
                "disposition": "warm",
                "questionnaire": {"contact_person": "Olga", "need": "printers"},
            },
            headers=operator.headers,
        )
        assert outcome.status_code == 200, outcome.text
        after = await live_of(client, supervisor, operator)
    assert after["state"] == "idle"
    assert (after["calls"], after["warm_questionnaires"], after["talk_seconds"]) == (1, 1, 60)
    assert after["conversion"] == 1.0


async def test_a_supervisors_pause_shows_with_its_reason_and_a_silent_operator_goes_offline(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        clock.now = msk(10, 2)
        await client.post(
            f"/api/v1/operators/{operator.id}/pause",
            json={"reason": "coaching at desk 4"},
            headers=supervisor.headers,
        )
        me = (await client.get("/api/v1/me", headers=operator.headers)).json()
        assert me["live"]["state"] == "paused"
        assert [(r["reason"], r["by"]["name"]) for r in me["live"]["reasons"]] == [
            ("coaching at desk 4", supervisor.login)
        ]
        clock.now = msk(10, 2) + timedelta(seconds=29)
        assert (await live_of(client, supervisor, operator))["state"] == "paused"
        clock.now = msk(10, 2) + timedelta(seconds=31)
        silent = await live_of(client, supervisor, operator)
    assert silent["state"] == "offline"
    assert datetime.fromisoformat(silent["since"]) == msk(10, 2) + timedelta(seconds=30)


async def clocked_in(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[Actor, Actor, uuid.UUID, dict[str, Any]]:
    """A supervisor, an operator clocked in to the morning shift, the shift, a campaign."""
    supervisor, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
    await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
    return supervisor, operator, morning, await campaign(client, supervisor)


async def test_the_shifts_numbers_stay_after_clock_out(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10)) as clock:
        supervisor, operator, morning, created = await clocked_in(client, sessionmaker)
        talk = timedelta(seconds=90)
        for minute, disposition in ((10, Disposition.NO_ANSWER), (20, Disposition.WARM)):
            await call(
                sessionmaker,
                operator.id,
                morning,
                created["id"],
                disposition,
                msk(10, minute),
                talk,
            )
        clock.now = msk(11)
        out = await client.post("/api/v1/shifts/current/clock-out", headers=operator.headers)
        assert out.status_code == 200
        live = await live_of(client, supervisor, operator)
    assert live["state"] == "off"
    assert (live["calls"], live["warm_questionnaires"], live["talk_seconds"]) == (2, 1, 180)
    assert live["conversion"] == 0.5


async def test_the_floors_kept_counts_agree_with_a_full_count_as_the_shift_goes_on(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The hub keeps the settled attempts' sums from one snapshot to the next and reads only
    # the last minutes' anew: raced against a full count at each step, as attempts settle
    # and when the clock goes back.
    with clock_at(app, msk(10)) as clock:
        _, operator, morning, created = await clocked_in(client, sessionmaker)
        tally = Tally()
        dispositions = cycle([Disposition.NO_ANSWER, Disposition.WARM, Disposition.BUSY])

        async def both() -> tuple[ShiftCounts, ShiftCounts]:
            async with sessionmaker() as session:
                kept = await live_operators(session, clock.now, tally=tally)
                full = await live_operators(session, clock.now)
            mine = [next(o.counts for o in seen if o.id == operator.id) for seen in (kept, full)]
            return mine[0], mine[1]

        for minute in range(1, 41, 3):
            clock.now = msk(10, minute)
            at = clock.now - timedelta(seconds=100)
            talk = timedelta(seconds=45)
            await call(
                sessionmaker, operator.id, morning, created["id"], next(dispositions), at, talk
            )
            kept, full = await both()
            assert kept == full
        # Every step settled the minutes before it: the tally did keep sums.
        assert tally.until == clock.now - SETTLED_AFTER
        assert (full.calls, full.warm, full.talk_seconds) == (14, 5, 14 * 45)
        clock.now = msk(10, 20)
        kept, full = await both()
        assert kept == full
        assert tally.until == msk(10, 20) - SETTLED_AFTER


async def test_a_large_floor_made_off_the_loop_is_the_floor_made_on_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From `LARGE_FLOOR` operators on, the floor's values are made in a worker thread. The
    # threshold is lowered here so that this floor is made both ways, on the loop and off
    # it, as its attempts settle: the two floors are the same.
    threads: list[int] = []
    made = live._made

    def spied(*args: Any) -> list[live.OperatorLive]:
        threads.append(threading.get_ident())
        return made(*args)

    monkeypatch.setattr(live, "_made", spied)
    with clock_at(app, msk(10)) as clock:
        _, operator, morning, created = await clocked_in(client, sessionmaker)
        await user_row(sessionmaker, Role.OPERATOR)
        on_loop, off_loop = Tally(), Tally()
        for calls, minute in enumerate((1, 4, 8, 15, 23), start=1):
            clock.now = msk(10, minute)
            at = clock.now - timedelta(seconds=100)
            await call(sessionmaker, operator.id, morning, created["id"], Disposition.WARM, at)
            monkeypatch.setattr(live, "LARGE_FLOOR", 10**6)
            async with sessionmaker() as session:
                here = await live_operators(session, clock.now, tally=on_loop)
            monkeypatch.setattr(live, "LARGE_FLOOR", 1)
            async with sessionmaker() as session:
                there = await live_operators(session, clock.now, tally=off_loop)
            assert there == here
            assert len(here) == 2
            assert next(o for o in there if o.id == operator.id).counts.warm == calls
    on_the_loop = threading.get_ident()
    assert threads[0::2] == [on_the_loop] * 5
    assert on_the_loop not in threads[1::2]
    assert off_loop.until == on_loop.until == msk(10, 23) - SETTLED_AFTER


async def test_an_operators_own_callbacks_come_due_first(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        other = await actor(client, sessionmaker, Role.OPERATOR, login_name="other-op")
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        created = await campaign(client, supervisor)
        for i in range(2):
            await contact(sessionmaker, created["id"], f"+7495000330{i}", next_call_at=msk(9))
        promised = []
        for hour in (15, 12):
            lease = (await client.post("/api/v1/dialer/next", headers=operator.headers)).json()
            done = await client.post(
                f"/api/v1/leases/{lease['lease_id']}/outcome",
                json={"disposition": "callback", "callback_at": msk(hour).isoformat()},
                headers=operator.headers,
            )
            assert done.status_code == 200, done.text
            promised.append(lease["contact"]["phone"])
        clock.now = msk(12, 30)
        mine = await client.get("/api/v1/me/callbacks", headers=operator.headers)
        theirs = await client.get("/api/v1/me/callbacks", headers=other.headers)
    assert [(c["phone"], c["due"]) for c in mine.json()] == [
        (promised[1], True),
        (promised[0], False),
    ]
    assert theirs.json() == []


async def test_the_status_tells_callable_from_waiting_per_campaign(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Contacts whose calling window is closed are not "ready": at 11:00 in Moscow it is
    18:00 in Vladivostok, past the window's end."""
    with clock_at(app, msk(11)):
        supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
        created = await campaign(
            client, supervisor, calling_window={"start": "09:00", "end": "17:00"}
        )
        for i in range(2):
            await contact(sessionmaker, created["id"], f"+749500044{i}0", next_call_at=msk(9))
        for i in range(3):
            await contact(
                sessionmaker,
                created["id"],
                f"+742320044{i}0",
                timezone="Asia/Vladivostok",
                next_call_at=msk(9),
            )
        await contact(sessionmaker, created["id"], "+74950004499", next_call_at=msk(12))
        status = (await client.get("/api/v1/dialer/status", headers=supervisor.headers)).json()
    waiting = {"outside_calling_window": 3, "retry_not_due": 1, "callback_not_due": 0}
    assert status["queue"]["ready"] == 2
    assert status["queue"]["waiting"] == waiting
    assert status["campaigns"] == [
        {"id": created["id"], "name": created["name"], "callable_now": 2, "waiting": waiting}
    ]


def test_a_large_floors_snapshot_is_rebuilt_as_seldom_as_it_is_dear() -> None:
    # A small floor's comes once a second after a change, however long its rebuild took.
    assert refresh_every(LARGE_FLOOR - 1, took=0.5) == REFRESH_AT_MOST == 1.0
    # A large one's takes at most a tenth of the process's time, within 1 to 3 seconds.
    assert refresh_every(LARGE_FLOOR, took=0.05) == 1.0
    assert refresh_every(3_000, took=0.2) == pytest.approx(2.0)
    assert refresh_every(5_000, took=0.9) == REFRESH_AT_LEAST == 3.0


async def test_a_new_snapshot_wakes_its_streams_a_few_at_a_time(app: FastAPI) -> None:
    """A request that comes while a snapshot wakes many streams waits for a few of them
    to write their events, not for all."""
    hub: Hub = app.state.hub
    loop = asyncio.get_running_loop()
    woken: list[int] = []
    came_after: list[int] = []

    async def console(watch: Watch) -> None:
        assert await watch.next(within=60) is not None
        woken.append(1)
        if len(woken) == 1:
            # As a request's bytes arriving once the first stream is writing.
            loop.call_soon(lambda: came_after.append(len(woken)))

    async with contextlib.AsyncExitStack() as streams:
        watches = [await streams.enter_async_context(hub.stream()) for _ in range(64)]
        for watch in watches:
            assert await watch.next(within=60) is not None
        hub.changed()
        await asyncio.gather(*(console(watch) for watch in watches))
    assert len(woken) == len(watches)
    assert came_after == [WAKE_AT_ONCE]


async def test_a_snapshot_names_the_operators_that_moved_and_all_when_a_shift_did(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The live streams wake only the consoles of the operators a new snapshot names.
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, morning, _ = await floor_with_one_operator(client, sessionmaker)
        other = await actor(client, sessionmaker, Role.OPERATOR)

        async def now() -> Snapshot:
            async with sessionmaker() as session:
                return await snapshot(session, clock.now)

        first = await now()
        assert first.moved_since(None) is None
        assert (await now()).moved_since(first) == set()
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)
        clocked = await now()
        assert other.id in clocked.operators
        assert clocked.moved_since(first) == {operator.id}
        paused = await client.post(
            f"/api/v1/shifts/{morning}/pause",
            json={"reason": "fire drill"},
            headers=supervisor.headers,
        )
        assert paused.status_code == 200, paused.text
        assert (await now()).moved_since(clocked) is None


async def test_the_floor_streams_event_is_what_the_two_requests_answer(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with clock_at(app, msk(10, 1)) as clock:
        supervisor, operator, _, _ = await floor_with_one_operator(client, sessionmaker)
        await actor(client, sessionmaker, Role.OPERATOR)
        await client.post("/api/v1/shifts/current/clock-in", headers=operator.headers)

        async def answered() -> tuple[dict[str, Any], dict[str, Any]]:
            status = await client.get("/api/v1/dialer/status", headers=supervisor.headers)
            live = await client.get("/api/v1/operators/live", headers=supervisor.headers)
            # As the hub builds it: with this process's sightings not yet written.
            seen = app.state.hub.sightings()
            async with sessionmaker() as session:
                sent = json.loads(floor_body(await snapshot(session, clock.now, seen=seen)))
            return sent, {"status": status.json(), "operators": live.json()}

        await client.post("/api/v1/me/pause", json={}, headers=operator.headers)
        on_break = await answered()
        # The next event rewrites the row that moved and keeps the other as it was.
        clock.now = msk(10, 3)
        await client.post("/api/v1/me/resume", headers=operator.headers)
        back = await answered()
    assert sorted(o["state"] for o in on_break[1]["operators"]) == ["break", "off"]
    assert sorted(o["state"] for o in back[1]["operators"]) == ["idle", "off"]
    assert on_break[0] == on_break[1]
    assert back[0] == back[1]


async def test_an_operator_made_active_a_moment_ago_keeps_its_stream(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A console that connects before the process's snapshot has caught up with its operator
    waits for the next snapshot, instead of ending as for an operator no longer active."""
    hub = app.state.hub
    operator_id = await user_row(sessionmaker, Role.OPERATOR)
    await set_active(sessionmaker, operator_id, False)
    async with hub.stream() as floor:  # the hub builds snapshots while a stream is open
        before = await floor.next(within=30)
        assert before is not None
        assert operator_id not in before.operators
        await set_active(sessionmaker, operator_id, True)
        async with sessionmaker() as session:
            user = await session.get(User, operator_id)
        assert user is not None
        token = TokenClaims(operator_id, user.token_version, int(time.time()) + 60)
        console = StreamClient(EventStream(hub, token, "me", user))
        event = await console.body()
        console.go()
        assert await console.ended()
    name, _, data = event.decode().partition("\n")
    assert name == "event: me"
    answer = json.loads(data.removeprefix("data: "))
    assert answer["user"]["id"] == str(operator_id)
    assert answer["live"] is not None  # made from a snapshot that knows the operator


async def set_active(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, active: bool
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == user_id).values(active=active))
