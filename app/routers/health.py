"""Liveness, readiness and Prometheus metrics, for load balancers and monitoring."""

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.deps import Now, Session
from dialer.base.models import Attempt, Contact, ContactState, Lease, Pause, SchedulerBeat

router = APIRouter(tags=["operations"])

# The scheduler reconciles every 30 s; two missed beats and a margin mean it is gone.
SCHEDULER_STALE_AFTER = timedelta(seconds=90)

QUEUE_READY = Gauge("cascade_queue_ready", "Contacts ready and due now.")
LEASES_ACTIVE = Gauge("cascade_leases_active", "Leases held by operators now.")
DIALER_PAUSED = Gauge(
    "cascade_dialer_paused", "1 while the dialer is paused, by reason.", ["reason"]
)
OUTCOMES_LAST_HOUR = Gauge(
    "cascade_outcomes_last_hour",
    "Outcomes recorded in the last hour, by disposition.",
    ["disposition"],
)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


async def _migrations_at_head(session: AsyncSession, head: str | None) -> bool:
    current = await session.scalar(text("SELECT version_num FROM alembic_version"))
    return bool(current == head)


async def _scheduler_fresh(session: AsyncSession, now: datetime) -> bool:
    last = await session.scalar(select(func.max(SchedulerBeat.beat_at)))
    return last is not None and now - last < SCHEDULER_STALE_AFTER


async def _sqlite_writable(session: AsyncSession) -> bool:
    """On SQLite, that a write reaches the disk: reads go on when the disk is full, the file
    read-only or past a size limit, while every outcome and lease would fail. A row is
    rewritten as it is and committed, so the write-ahead log takes one frame."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    await session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    await session.commit()
    return True


class Readiness(BaseModel):
    status: str
    checks: dict[str, bool]


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request, session: Session, now: Now) -> JSONResponse:
    """Ready when the database answers (and takes writes), its schema is at head and a
    scheduler beats."""
    checks = dict.fromkeys(("database", "database_writable", "migrations", "scheduler"), False)
    try:
        await session.execute(text("SELECT 1"))
        checks["database"] = True
        checks["migrations"] = await _migrations_at_head(session, request.app.state.schema_head)
        checks["scheduler"] = await _scheduler_fresh(session, now)
        checks["database_writable"] = await _sqlite_writable(session)
    except Exception:  # noqa: BLE001 - any failure to answer means "not ready", never a 500
        await session.rollback()
    ready = all(checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


async def _refresh_gauges(session: AsyncSession, now: datetime) -> None:
    ready = select(func.count()).where(
        Contact.state == ContactState.READY, Contact.next_call_at <= now
    )
    QUEUE_READY.set(await session.scalar(ready) or 0)
    LEASES_ACTIVE.set(
        await session.scalar(select(func.count()).where(Lease.ended_at.is_(None))) or 0
    )
    DIALER_PAUSED.clear()
    paused = select(Pause.reason_code).where(Pause.ended_at.is_(None), Pause.scope == "dialer")
    for reason in await session.scalars(paused):
        DIALER_PAUSED.labels(reason.value).set(1)
    OUTCOMES_LAST_HOUR.clear()
    recent = (
        select(Attempt.disposition, func.count())
        .where(Attempt.created_at >= now - timedelta(hours=1))
        .group_by(Attempt.disposition)
    )
    for disposition, count in await session.execute(recent):
        OUTCOMES_LAST_HOUR.labels(disposition.value).set(count)


@router.get("/metrics")
async def metrics(session: Session, now: Now) -> Response:
    """Prometheus metrics: request latency, queue depth, leases, pauses, outcomes."""
    await _refresh_gauges(session, now)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
