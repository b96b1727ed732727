"""The floor's live streams: `GET /me/stream` (an operator) and `GET /floor/stream` (staff).

Server-Sent Events through sse-starlette: an event whenever the answer of `GET /me`
(`event: me`), or of `GET /dialer/status` with `GET /operators/live` (`event: floor`),
differs from the last one sent, and a comment every `PING_SECONDS` to keep proxies from
closing a quiet stream. Every stream of a process reads the hub's one shared snapshot and
is woken only by one that concerns it (`app.live.Watch`); the floor's answer is written once a
snapshot for all the floor's streams.
"""

import json
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.deps import Operator, Staff, Token
from app.live import Hub
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
STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}
}


# The floor's answer, made once a snapshot for all its streams and dropped with it.
_floor_bodies: WeakKeyDictionary[Snapshot, str] = WeakKeyDictionary()
# Each operator's row as last written, by its value: most of a floor stands still from one
# snapshot to the next, and writing a thousand rows each second stalled the stream's worker.
_rows: dict[OperatorLive, str] = {}


def floor_body(snap: Snapshot) -> str:
    """`GET /dialer/status` and `GET /operators/live` together, as the floor stream sends
    them: `{"status": …, "operators": […]}`, each operator's row written only when it moved."""
    if snap not in _floor_bodies:
        assert snap.status is not None
        rows = {
            o: _rows.get(o) or OperatorOut.of(o).model_dump_json() for o in snap.operators.values()
        }
        _rows.clear()
        _rows.update(rows)
        status = StatusOut.of(snap.status).model_dump_json()
        _floor_bodies[snap] = f'{{"status":{status},"operators":[{",".join(rows.values())}]}}'
    return _floor_bodies[snap]


async def _events(
    hub: Hub, token: TokenClaims, name: str, user: User | None
) -> AsyncIterator[ServerSentEvent]:
    sent: str | None = None
    opened = hub.now()
    # sse-starlette cancels this when the client goes: the stream is then counted closed.
    async with hub.stream(user.id if user else None) as watch:
        while True:
            snap = await watch.next(within=token.expires - hub.now().timestamp())
            if snap is None:
                return  # the token expired
            if user is not None and user.id not in snap.operators:
                if snap.at >= opened:
                    return  # the operator is no longer an active one
                continue  # made before an operator just made active: wait for the next one
            body = json.dumps(me_answer(user, snap)) if user else floor_body(snap)
            if body != sent:
                sent = body
                yield ServerSentEvent(data=body, event=name)


def _response(events: AsyncIterator[ServerSentEvent]) -> EventSourceResponse:
    return EventSourceResponse(events, ping=PING_SECONDS, headers={"Cache-Control": "no-store"})


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
    return _response(_events(state.hub, token, "me", user))


# The operator's stream's router alone, so that its route class concerns no other route.
me_router = APIRouter(tags=["floor"], route_class=usual_case_route(usual_me_stream))


@me_router.get("/me/stream", response_class=EventSourceResponse, responses=STREAM)
async def me_stream(request: Request, operator: Operator, token: Token) -> EventSourceResponse:
    """The operator's `GET /me`, again each time it changes (`event: me`)."""
    return _response(_events(request.app.state.hub, token, "me", operator))


@router.get("/floor/stream", response_class=EventSourceResponse, responses=STREAM)
async def floor_stream(request: Request, _staff: Staff, token: Token) -> EventSourceResponse:
    """`GET /dialer/status` and `GET /operators/live`, again each time they change
    (`event: floor`, data `{"status": …, "operators": […]}`)."""
    return _response(_events(request.app.state.hub, token, "floor", None))
