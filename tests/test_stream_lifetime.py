"""A live stream's life: its keep-alive comment, and its end when the client goes, when the
token expires and when the process is asked to stop."""

import asyncio
import time

import httpx
import pytest
import uvloop
from fastapi import FastAPI
from starlette.types import Message

from app.main import create_app
from app.routers import live as live_routes
from app.routers.live import EventStream
from dialer.base.clock import utcnow
from dialer.base.models import Role
from dialer.base.settings import Settings
from dialer.base.users import TokenClaims
from tests.floor import quick_actor
from tests.floorsetup import add_staff
from tests.live import live_server, wait_for_line

SOON = 30.0
PING = b": ping\n\n"


class StreamClient:
    """The ASGI side of one stream's client: what the stream sent, and a way to go away."""

    def __init__(self, stream: EventStream) -> None:
        self.sent: asyncio.Queue[Message] = asyncio.Queue()
        self._gone = asyncio.Event()
        self.served = asyncio.create_task(stream({"type": "http"}, self._receive, self.sent.put))

    async def _receive(self) -> Message:
        await self._gone.wait()
        return {"type": "http.disconnect"}

    def go(self) -> None:
        self._gone.set()

    async def body(self) -> bytes:
        """The next piece of the answer's body."""
        while True:
            message = await asyncio.wait_for(self.sent.get(), SOON)
            if message["type"] == "http.response.body":
                body: bytes = message["body"]
                return body

    async def ended(self) -> bool:
        """Whether the stream ended (its last message sent) within `SOON`."""
        await asyncio.wait_for(self.served, SOON)
        last = None
        while not self.sent.empty():
            last = self.sent.get_nowait()
        return last is not None and last.get("more_body") is False


async def floor_stream(app: FastAPI, expires: int | None = None) -> EventStream:
    """The floor's stream of a supervisor (a stream ends once its token's user is not staff)."""
    supervisor = await quick_actor(app.state.sessionmaker, Role.SUPERVISOR, utcnow())
    token = TokenClaims(supervisor.id, 0, expires or int(time.time()) + 3600)
    return EventStream(app.state.hub, token, "floor", None)


def test_a_quiet_stream_gets_a_comment_every_ping_period(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_routes, "PING_SECONDS", 0.05)

    async def quiet_floor() -> None:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            client = StreamClient(await floor_stream(app))
            first = await client.body()
            while first == PING:  # the first snapshot can take longer than a ping period
                first = await client.body()
            assert first.startswith(b"event: floor\ndata: {")
            # Nothing moves on an empty floor: what follows are comments, and it stays open.
            following = [await client.body() for _ in range(10)]
            assert following == [PING] * 10
            assert not client.served.done()
            client.go()
            assert await client.ended()

    # On uvicorn's loop: uvloop's clock lags the system's, and a stream times its comments.
    uvloop.run(quiet_floor())


async def test_a_stream_ends_when_its_client_goes(app: FastAPI) -> None:
    client = StreamClient(await floor_stream(app))
    assert (await client.body()).startswith(b"event: floor\n")
    client.go()
    # Without its client's going noticed, the stream would wait for the next change forever.
    assert await client.ended()


async def test_a_stream_ends_when_its_token_expires(app: FastAPI) -> None:
    expires = int(time.time()) + 2
    client = StreamClient(await floor_stream(app, expires))
    assert await client.ended()
    assert time.time() > expires - 0.1  # not before (the loop's clock and the wall's may differ)


async def test_stopping_the_process_ends_every_stream_and_refuses_new_ones(app: FastAPI) -> None:
    open_ones = [StreamClient(await floor_stream(app)) for _ in range(3)]
    for client in open_ones:
        assert (await client.body()).startswith(b"event: floor\n")
    app.state.hub.end_streams()
    assert [await client.ended() for client in open_ones] == [True] * 3
    late = StreamClient(await floor_stream(app))
    assert await late.ended()


def test_a_server_asked_to_stop_ends_its_open_streams_and_exits(database_url: str) -> None:
    """The server waits for every open answer before it stops: a console's stream must end
    when the server is asked to stop, or a restart would hang until killed."""
    _, supervisor = add_staff(database_url)
    headers = {"Authorization": f"Bearer {supervisor}"}
    with live_server(database_url) as server:
        with httpx.stream(
            "GET", f"{server.url}/api/v1/floor/stream", headers=headers, timeout=SOON
        ) as stream:
            lines = stream.iter_lines()
            assert next(lines) == "event: floor"
            server.process.terminate()
            # Left open, the stream would keep the server waiting for it past this.
            wait_for_line(server.log, "Application shutdown complete", SOON)
            rest = list(lines)
        assert rest[0].startswith("data: {")  # the first event's end, then the stream's
