"""The floor's bare endpoint: Cascade's own statements for each request of the floor's mix.

`bench/bare.py` is the machine's ceiling for one claim; this is the ceiling for what the
service does. Each route runs the statements Cascade's route runs (the usual case's on a
driver connection, the domain's functions in a session where Cascade needs one) on
Cascade's own engine and pool, without FastAPI's dependencies, pydantic, the claim lanes
or the middleware. Run as `uvicorn bench.bare_floor:app` with CASCADE_DATABASE_URL and
CASCADE_SECRET_KEY set; it answers the service's own paths, so the same load generator
drives either, and Cascade ÷ bare says what the service adds to the same statements.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.clock import utcnow
from dialer.base.db import (
    autocommit_session,
    create_engine,
    create_sessionmaker,
    driver_connection,
)
from dialer.base.models import CallbackScope, Disposition, QuestionnaireStatus, User
from dialer.base.settings import Settings
from dialer.base.users import TokenClaims, read_token
from dialer.calls.calls import CallEvent
from dialer.calls.events import IncomingEvent
from dialer.calls.usual_event import keep_usual
from dialer.queue.catalog import Catalog
from dialer.queue.claims import claim_batch
from dialer.queue.leases import permitted_slots
from dialer.queue.outcomes import Outcome, record_outcome
from dialer.queue.usual_heartbeat import extend_usual
from dialer.queue.usual_outcome import record_usual
from dialer.reports.floor import dialer_status
from dialer.reports.live import live_operators
from dialer.sales.policy import bind_policy, policy_from
from dialer.sales.questionnaires import (
    QuestionnaireView,
    StatusChange,
    after_change,
    change_and_view,
    list_questionnaires,
)
from dialer.sales.usual_change import change_usual

state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    settings = Settings()
    size = int(os.environ.get("CASCADE_DB_POOL_SIZE", "8"))
    engine = create_engine(settings.database_url, pool_size=size, max_overflow=0)
    maker = create_sessionmaker(engine)
    bind_policy(maker, policy_from(settings))
    state.update(
        engine=engine, maker=maker, catalog=Catalog(), settings=settings,
        policy=policy_from(settings),
    )  # fmt: skip
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(lifespan=lifespan)


def _now() -> datetime:
    return utcnow()


def _token(request: Request, now: datetime) -> TokenClaims:
    bearer = request.headers["authorization"].removeprefix("Bearer ")
    return read_token(state["settings"].secret_key, bearer, now)


def _refused() -> JSONResponse:
    return JSONResponse({"error": "refused"}, status_code=409)


@app.post("/api/v1/dialer/next")
async def floor_next(request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    slots = await permitted_slots(state["maker"], state["catalog"], now)
    async with driver_connection(state["engine"]) as driver:
        claimed = await claim_batch(driver, slots, [token], now)
    got = claimed.get(token.user_id)
    if got is None:
        return _refused()
    return {"lease_id": str(got.lease_id), "contact": {"phone": got.contact["phone"]}}


def _outcome(body: dict[str, Any]) -> Any:
    at = body.get("callback_at")
    return Outcome(
        Disposition(body["disposition"]),
        body.get("objection"),
        datetime.fromisoformat(at) if at else None,
        CallbackScope(body.get("callback_scope", "personal")),
        body.get("notes"),
        body.get("questionnaire"),
    )


@app.post("/api/v1/leases/{lease_id}/outcome")
async def floor_outcome(lease_id: str, request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    reported = _outcome(await request.json())
    lease = uuid.UUID(lease_id)
    async with driver_connection(state["engine"]) as driver:
        answer = await record_usual(driver, state["catalog"], lease, token, reported, now)
    if answer is not None:
        return answer
    # What Cascade runs on its full path (a warm call): the same statements in a session.
    async with state["maker"].begin() as session:
        catalog = state["catalog"]
        return await record_outcome(session, catalog, lease, token.user_id, reported, now)


@app.post("/api/v1/leases/{lease_id}/heartbeat")
async def floor_heartbeat(lease_id: str, request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    async with driver_connection(state["engine"]) as driver:
        expires_at = await extend_usual(driver, uuid.UUID(lease_id), token, now)
    return _refused() if expires_at is None else {"expires_at": expires_at.isoformat()}


@app.post("/api/v1/softphone/events", status_code=202)
async def floor_event(request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    body = await request.json()
    at = datetime.fromisoformat(body["at"]) if body.get("at") else now
    incoming = IncomingEvent(
        CallEvent(body["event"]), at, body.get("call_id"), body.get("number"), body.get("reason")
    )
    region = state["settings"].default_region
    async with driver_connection(state["engine"]) as driver:
        kept = await keep_usual(driver, token, incoming, region, now)
    if kept is None:
        return _refused()
    return {"event_id": str(kept[0]), "lease_id": str(kept[1]), "matched": True}


async def _user(session: AsyncSession, token: TokenClaims) -> User:
    return await session.get_one(User, token.user_id)


@app.get("/api/v1/questionnaires")
async def floor_questionnaires(request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    statuses = [QuestionnaireStatus(s) for s in request.query_params.getlist("status")]
    async with state["maker"].begin() as session:
        user = await _user(session, token)
        found = await list_questionnaires(session, user, statuses, now, state["policy"])
        return [{"id": str(v.questionnaire.id)} for v in found]


@app.post("/api/v1/questionnaires/{questionnaire_id}/status")
async def floor_status_change(questionnaire_id: str, request: Request) -> Any:
    now = _now()
    token = _token(request, now)
    body = await request.json()
    amount = Decimal(str(body["amount"])) if body.get("amount") is not None else None
    change = StatusChange(QuestionnaireStatus(body["status"]), amount, body.get("reason"))
    policy = state["policy"]
    changed = uuid.UUID(questionnaire_id)

    def answer_of(seen: QuestionnaireView) -> dict[str, Any]:
        return {"id": str(seen.questionnaire.id), "status": seen.questionnaire.status.value}

    async with autocommit_session(state["engine"]) as session:
        answer = await change_usual(session, changed, token, change, now, policy, answer_of)
    if answer is None:
        # What Cascade runs on its full path (a first order): the same statements in a session.
        async with state["maker"].begin() as session:
            user = await _user(session, token)
            seen, _ = await change_and_view(session, changed, change, user, now, policy)
        answer = answer_of(seen)
    async with state["maker"]() as session:
        await after_change(session, change, now, policy)
    return answer


@app.get("/api/v1/dialer/status")
async def floor_dialer_status(request: Request) -> Any:
    now = _now()
    _token(request, now)
    async with state["maker"].begin() as session:
        status = await dialer_status(session, now)
        return {"state": status.state, "managers": status.managers}


@app.get("/api/v1/operators/live")
async def floor_operators_live(request: Request) -> Any:
    now = _now()
    _token(request, now)
    async with state["maker"].begin() as session:
        return [{"id": str(o.id)} for o in await live_operators(session, now)]
