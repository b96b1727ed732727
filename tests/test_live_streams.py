"""The live streams over real servers: a change made through one instance reaches a stream
served by another (PostgreSQL `LISTEN/NOTIFY`; on SQLite, one instance in process)."""

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, closing, contextmanager, nullcontext
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.locks import MANAGERS_LOCK_KEY
from dialer.base.models import Desk, Role
from tests.builders import PASSWORD, Actor
from tests.builders_managers import floor, warm
from tests.floor import quick_actor
from tests.floorsetup import add_staff, build_floor
from tests.live import LiveServer, live_server

# The floor's promise: a supervisor's pause shows on an idle console within two seconds.
WITHIN = 2.0


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """The stream's events as (name, data), comments skipped."""
    name, data = "message", []
    for line in lines:
        if line.startswith(":"):
            continue
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data.append(line.partition(":")[2].strip())


def two_instances(database_url: str, stack: ExitStack) -> tuple[LiveServer, LiveServer]:
    """Two servers on one PostgreSQL database; on SQLite, one serving both parts."""
    first = stack.enter_context(live_server(database_url))
    if database_url.startswith("sqlite"):
        return first, first
    return first, stack.enter_context(live_server(database_url))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def stream_events(
    server: LiveServer, token: str, path: str = "/api/v1/floor/stream"
) -> Iterator[Iterator[tuple[str, Any]]]:
    """A stream as its page reads it, the floor's unless said: no byte for the promised time
    fails the read."""
    timeout = httpx.Timeout(10.0, read=WITHIN)
    with httpx.stream(
        "GET", f"{server.url}{path}", headers=bearer(token), timeout=timeout
    ) as stream:
        yield events(stream.iter_lines())


def test_a_supervisors_pause_reaches_an_idle_console_served_by_another_instance(
    database_url: str,
) -> None:
    floor = build_floor(database_url, operators=1, contacts=0)
    operator = floor.operator_tokens[0]
    _, supervisor = add_staff(database_url)
    with ExitStack() as stack:
        pausing, serving = two_instances(database_url, stack)
        me = httpx.get(f"{serving.url}/api/v1/me", headers=bearer(operator)).json()
        operator_id = me["user"]["id"]
        # No byte for the promised time fails the read itself.
        timeout = httpx.Timeout(10.0, read=WITHIN)
        with httpx.stream(
            "GET", f"{serving.url}/api/v1/me/stream", headers=bearer(operator), timeout=timeout
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            received = events(stream.iter_lines())
            name, first = next(received)
            assert (name, first["live"]["state"], first) == (
                "me",
                "idle",
                me | {"live": first["live"]},
            )
            paused = httpx.post(
                f"{pausing.url}/api/v1/operators/{operator_id}/pause",
                json={"reason": "coaching at desk 4"},
                headers=bearer(supervisor),
            )
            assert paused.status_code == 200
            asked = time.monotonic()
            for _, body in received:
                if body["live"]["state"] == "paused":
                    break
            waited = time.monotonic() - asked
    assert waited < WITHIN
    assert [r["reason"] for r in body["live"]["reasons"]] == ["coaching at desk 4"]


def test_the_floor_stream_shows_an_operators_break_to_staff(database_url: str) -> None:
    floor = build_floor(database_url, operators=2, contacts=0)
    _, supervisor = add_staff(database_url)
    operator = floor.operator_tokens[1]
    with ExitStack() as stack:
        acting, serving = two_instances(database_url, stack)
        refused = httpx.get(f"{serving.url}/api/v1/floor/stream", headers=bearer(operator))
        assert refused.status_code == 403
        with stream_events(serving, supervisor) as received:
            name, first = next(received)
            assert name == "floor"
            assert {"status", "operators"} == set(first)
            assert first["status"]["state"] == "running"
            assert len(first["operators"]) == 2
            taken = httpx.post(f"{acting.url}/api/v1/me/pause", json={}, headers=bearer(operator))
            assert taken.status_code == 200
            mine = taken.json()["id"]
            for _, body in received:
                states = {o["id"]: o["state"] for o in body["operators"]}
                if states[mine] == "break":
                    break
    assert states[mine] == "break"


def saturated(database_url: str) -> tuple[Actor, str]:
    """One MPK with one place, and a questionnaire filling it: dialing paused for the MPK."""

    async def run() -> tuple[Actor, str]:
        engine = create_engine(database_url)
        try:
            maker = create_sessionmaker(engine)
            now = utcnow()
            manager = await quick_actor(maker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=1)
            filed = await warm(maker, await floor(maker), now=now)
            return manager, str(filed.id)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def managers_lock(database_url: str) -> AbstractContextManager[object]:
    """The managers' lock held, as a warm outcome's routing holds it, on PostgreSQL; on SQLite,
    which has no such lock (a writer there holds the whole file), nothing."""
    if not database_url.startswith("postgresql"):
        return nullcontext()
    plain = make_url(database_url).set(drivername="postgresql")
    connection = psycopg.connect(plain.render_as_string(hide_password=False))
    connection.execute("SELECT pg_advisory_xact_lock(%s)", (MANAGERS_LOCK_KEY,))
    return closing(connection)  # closed, its transaction ends and the lock is given back


def test_a_close_that_frees_the_managers_shows_on_the_floor_stream(database_url: str) -> None:
    """A close is answered before what it freed is weighed, which waits for a warm outcome's
    routing; once weighed, the floor's stream shows dialing resumed for the managers within
    the floor's promise, the close's own event having come and gone before."""
    manager, questionnaire_id = saturated(database_url)
    _, supervisor = add_staff(database_url)
    url = f"/api/v1/questionnaires/{questionnaire_id}/status"
    with live_server(database_url) as server, stream_events(server, supervisor) as received:
        _, first = next(received)
        assert first["status"]["managers"]["saturated"] is True
        with managers_lock(database_url):
            for change in ({"status": "in_progress"}, {"status": "lost", "reason": "no"}):
                changed = httpx.post(f"{server.url}{url}", json=change, headers=manager.headers)
                assert changed.status_code == 200, changed.text
            if database_url.startswith("postgresql"):
                # The close shows, and the pause stays while the weighing waits.
                for _, body in received:
                    if body["status"]["managers"]["open"] == 0:
                        break
                assert body["status"]["managers"]["saturated"] is True
        weighed = time.monotonic()
        for _, body in received:
            if not body["status"]["managers"]["saturated"]:
                break
        waited = time.monotonic() - weighed
    assert waited < WITHIN
    assert body["status"]["managers"]["open"] == 0


def test_a_stream_ends_once_its_token_stops_working(database_url: str) -> None:
    """Logging out and deactivating revoke a user's tokens at once (API.md): a stream opened
    with one ends too, served by another instance as well, within the floor's promise; the
    streams of tokens that still work go on. A stream opened with a new token after the
    revocation is not taken for a revoked one."""
    floor = build_floor(database_url, operators=2, contacts=0)
    leaving_id, leaving = add_staff(database_url)
    _, staying = add_staff(database_url)
    _, admin = add_staff(database_url, Role.ADMIN)
    operator, other = floor.operator_tokens
    with ExitStack() as stack:
        acting, serving = two_instances(database_url, stack)
        mine = stack.enter_context(stream_events(serving, operator, "/api/v1/me/stream"))
        gone = stack.enter_context(stream_events(serving, leaving))
        kept = stack.enter_context(stream_events(serving, staying))
        assert [next(received)[0] for received in (mine, gone, kept)] == ["me", "floor", "floor"]
        out = httpx.post(f"{acting.url}/api/v1/auth/logout", headers=bearer(operator))
        assert out.status_code == 204
        deactivated = httpx.post(
            f"{acting.url}/api/v1/users/{leaving_id}/deactivate", headers=bearer(admin)
        )
        assert deactivated.status_code == 200, deactivated.text
        revoked = time.monotonic()
        # Each ends: a stream left open would fail its read after the promised time.
        for received in (mine, gone):
            for _ in received:
                pass
        waited = time.monotonic() - revoked
        login = floor.operator_logins[0]
        again = httpx.post(
            f"{serving.url}/api/v1/auth/token", data={"username": login, "password": PASSWORD}
        )
        assert again.status_code == 200, again.text
        renewed = stack.enter_context(
            stream_events(serving, again.json()["access_token"], "/api/v1/me/stream")
        )
        name, first = next(renewed)
        assert name == "me"
        taken = httpx.post(f"{acting.url}/api/v1/me/pause", json={}, headers=bearer(other))
        assert taken.status_code == 200
        on_break = taken.json()["id"]
        for _, body in kept:
            if {o["id"]: o["state"] for o in body["operators"]}[on_break] == "break":
                break
        else:
            raise AssertionError("the floor's stream of a working token ended")
        paused = httpx.post(
            f"{acting.url}/api/v1/operators/{first['user']['id']}/pause",
            json={"reason": "coaching"},
            headers=bearer(staying),
        )
        assert paused.status_code == 200, paused.text
        for _, body in renewed:
            if body["live"]["state"] == "paused":
                break
        else:
            raise AssertionError("the stream of a token issued after the logout ended")
    assert waited < WITHIN
