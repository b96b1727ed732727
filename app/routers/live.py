"""The floor's live streams: `GET /me/stream` (an operator) and `GET /floor/stream` (staff).

Server-Sent Events: an event whenever the answer of `GET /me` (`event: me`), or of
`GET /dialer/status` with `GET /operators/live` (`event: floor`), differs from the last one
sent, and a comment every `PING_SECONDS` to keep proxies from closing a quiet stream. Every
stream of a process reads the hub's one shared snapshot and is woken only by one that concerns
it (`app.live.Watch`); the floor's answer is written once a snapshot for all the floor's
streams.

A floor logs in by the thousand, each console opening its stream, so a stream is made as lean
as it can be: one task beside it (waiting for the client to go), the comment timed by the
stream's own wait, no task group. Under a general SSE response (four tasks a stream) opening
one cost 2.0 ms of the worker's CPU; 1.4 ms so (DEVELOPERS.md, "The floor, live").
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Request, Response
from starlette.types import Receive, Scope, Send

from app.deps import Operator, Staff, Token
from app.live import Hub, Watch
from app.routers.floor import OperatorOut, StatusOut
from app.routers.users import me_answer
from app.routers.usual import usual_case_route, usual_token
from dialer.base.db import driver_connection
from dialer.base.models import Role, User
from dialer.base.users import TokenClaims, usual_user
from dialer.reports.live import OperatorLive
from dialer.reports.snapshot import Snapshot

router = APIRouter(tags=["floor"])

PING_SECONDS = 15
# Each event as a client reads it: its name, and its data, one JSON document.
EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["me", "floor"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}
STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"itemSchema": EVENT}},
        "description": "Server-Sent Events.",
    }
}


# The floor's answer, made once a snapshot for all its streams and dropped with it.
_floor_bodies: WeakKeyDictionary[Snapshot, str] = WeakKeyDictionary()
# Each operator's row as last written, with the value it was written from: most of a floor
# stands still from one snapshot to the next, and writing a thousand rows each second stalled
# the stream's worker. A row that did not move is the very value of the snapshot before
# (`app.apart.Delta.onto`), so it is known by identity: hashing each value, as this did,
# cost 6 ms a snapshot at 3,000 operators.
_rows: dict[UUID, tuple[OperatorLive, str]] = {}


def floor_body(snap: Snapshot) -> str:
    """`GET /dialer/status` and `GET /operators/live` together, as the floor stream sends
    them: `{"status": …, "operators": […]}`, each operator's row written only when it moved."""
    if snap not in _floor_bodies:
        assert snap.status is not None
        rows = {i: _row(o) for i, o in snap.operators.items()}
        _rows.clear()
        _rows.update(rows)
        status = StatusOut.of(snap.status).model_dump_json()
        written = ",".join(row for _, row in rows.values())
        _floor_bodies[snap] = f'{{"status":{status},"operators":[{written}]}}'
    return _floor_bodies[snap]


def _row(o: OperatorLive) -> tuple[OperatorLive, str]:
    kept = _rows.get(o.id)
    if kept is not None and (kept[0] is o or kept[0] == o):
        return kept
    return o, OperatorOut.of(o).model_dump_json()


class EventStream(Response):
    """`text/event-stream`: the events of a user's (or the floor's) watch on the hub, until
    the token expires or stops working (revoked, its user no longer active in its role), the
    client goes or the process stops."""

    media_type = "text/event-stream"

    def __init__(self, hub: Hub, token: TokenClaims, name: str, user: User | None) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self._hub, self._token, self._name, self._user = hub, token, name, user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async with self._hub.stream(self._user.id if self._user else None) as watch:
            gone = asyncio.create_task(_until_disconnected(receive))
            # The client's going closes the watch: the stream then ends and is counted closed.
            gone.add_done_callback(lambda _: watch.close())
            try:
                async for chunk in self._events(watch):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                gone.cancel()

    async def _events(self, watch: Watch) -> AsyncIterator[bytes]:
        hub, user = self._hub, self._user
        sent: str | None = None
        opened = hub.now()
        # The loop's own clock, as the wait's: uvloop's lags the system's by up to a turn.
        loop = asyncio.get_running_loop()
        ping_at = loop.time() + PING_SECONDS
        while True:
            left = self._token.expires - hub.now().timestamp()
            until_ping = ping_at - loop.time()
            snap = await watch.next(within=min(left, until_ping))
            if watch.closed:
                return
            if snap is None:
                if left <= until_ping:
                    return  # the token expired
                ping_at += PING_SECONDS
                yield b": ping\n\n"
                continue
            if not _still_good(snap, self._token, user):
                if snap.at >= opened:
                    return  # revoked: logged out, its password changed, no longer active
                continue  # made before the stream opened: wait for the next one
            body = json.dumps(me_answer(user, snap)) if user else floor_body(snap)
            if body != sent:
                sent = body
                # One data line: JSON as written here holds no newline.
                yield f"event: {self._name}\ndata: {body}\n\n".encode()


def _still_good(snap: Snapshot, token: TokenClaims, user: User | None) -> bool:
    """Whether the token a stream opened with still works as of `snap`: an operator's
    stream's, for an active operator; the floor's, for active staff (`Snapshot.staff`)."""
    if user is None:
        return snap.staff.get(token.user_id) == token.token_version
    live = snap.operators.get(user.id)
    return live is not None and live.token_version == token.token_version


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def usual_me_stream(request: Request) -> Response | None:
    """An operator's stream opened without solving dependencies: the token's user read in
    one statement (`usual_user`). A floor logging in opens thousands at once, and the full
    route's dependencies and session cost more than the stream's first event. Anything but
    an active operator with a good token is None: the full route then answers."""
    state = request.app.state
    token = await usual_token(request, state.clock())
    if token is None:
        return None
    async with driver_connection(state.engine) as driver:
        user = await usual_user(driver, token)
    if user is None or user.role is not Role.OPERATOR:
        return None
    return EventStream(state.hub, token, "me", user)


# The operator's stream's router alone, so that its route class concerns no other route.
me_router = APIRouter(tags=["floor"], route_class=usual_case_route(usual_me_stream))


@me_router.get("/me/stream", response_class=EventStream, status_code=200, responses=STREAM)
async def me_stream(request: Request, operator: Operator, token: Token) -> EventStream:
    """The operator's `GET /me`, again each time it changes (`event: me`)."""
    return EventStream(request.app.state.hub, token, "me", operator)


@router.get("/floor/stream", response_class=EventStream, status_code=200, responses=STREAM)
async def floor_stream(request: Request, _staff: Staff, token: Token) -> EventStream:
    """`GET /dialer/status` and `GET /operators/live`, again each time they change
    (`event: floor`, data `{"status": …, "operators": […]}`)."""
    return EventStream(request.app.state.hub, token, "floor", None)
