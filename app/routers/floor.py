"""The floor: the dialer's status and pause, operators' pauses and what each is doing now."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.deps import Now, Operator, Session, Staff
from app.routers.shifts import ReasonIn, ShiftFields, ShiftOut
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.models import PauseReason
from dialer.reports.floor import DialerStatus, OperatorLive, Reason, dialer_status, live_operators
from dialer.shifts.attendance import get_operator
from dialer.shifts.dated import ShiftView
from dialer.shifts.pauses import pause_dialer, pause_operator, resume_dialer, resume_operator

router = APIRouter(tags=["floor"])


class ReasonOut(BaseModel):
    scope: str
    code: str
    reason: str | None
    by: dict[str, Any] | None
    since: datetime

    @classmethod
    def of(cls, r: Reason) -> "ReasonOut":
        by = {"id": r.by_id, "name": r.by_name} if r.by_id else None
        return cls(scope=r.scope.value, code=r.code, reason=r.reason, by=by, since=r.since)


class LiveShiftOut(ShiftFields):
    """The live shift in the dialer's status: its roster's size, not its ids."""

    rostered: int

    @classmethod
    def of(cls, v: ShiftView, rostered: int) -> "LiveShiftOut":
        return cls(**ShiftOut.of(v).model_dump(exclude={"roster"}), rostered=rostered)


class StatusOut(BaseModel):
    state: str
    reasons: list[ReasonOut]
    queue: dict[str, int]
    managers: dict[str, Any]
    shift: LiveShiftOut | None

    @classmethod
    def of(cls, s: DialerStatus) -> "StatusOut":
        return cls(
            state=s.state,
            reasons=[ReasonOut.of(r) for r in s.reasons],
            queue={
                "ready": s.queue.ready,
                "leased": s.queue.leased,
                "callbacks_due": s.queue.callbacks_due,
            },
            managers=s.managers,
            shift=LiveShiftOut.of(s.shift, s.rostered) if s.shift else None,
        )


class LeaseBrief(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    since: datetime
    expires_at: datetime


class OperatorOut(BaseModel):
    id: uuid.UUID
    login: str
    name: str
    state: str = Field(description="off, idle, on_lease or paused")
    paused: bool = Field(description="The operator itself is paused (by a supervisor or a break).")
    shift_id: uuid.UUID | None
    lease: LeaseBrief | None
    calls: int
    warm_questionnaires: int

    @classmethod
    def of(cls, o: OperatorLive) -> "OperatorOut":
        lease = o.lease
        brief = (
            LeaseBrief(
                id=lease.id,
                contact_id=lease.contact_id,
                since=lease.created_at,
                expires_at=lease.expires_at,
            )
            if lease
            else None
        )
        return cls(
            id=o.id,
            login=o.login,
            name=o.name,
            state=o.state,
            paused=o.paused,
            shift_id=o.shift_id,
            lease=brief,
            calls=o.calls,
            warm_questionnaires=o.warm,
        )


class BreakIn(Model):
    reason: str | None = Field(default=None, max_length=500)


async def _one(session: Session, operator_id: uuid.UUID, now: datetime) -> OperatorOut:
    return OperatorOut.of((await live_operators(session, now, [operator_id]))[0])


@router.get("/dialer/status")
async def status(session: Session, now: Now, _staff: Staff) -> StatusOut:
    """Running or paused, every active reason, the queue, the managers and the live shift."""
    return StatusOut.of(await dialer_status(session, now))


@router.post("/dialer/pause")
async def pause(body: ReasonIn, session: Session, now: Now, staff: Staff) -> StatusOut:
    """Pause all dialing, with a reason; it holds across shifts until resumed."""
    await pause_dialer(session, body.reason, staff.id, now)
    await record(session, staff, "dialer.pause", "dialer", None, body.reason, now)
    return StatusOut.of(await dialer_status(session, now))


@router.post("/dialer/resume")
async def resume(session: Session, now: Now, staff: Staff) -> StatusOut:
    """End a supervisor's pause of the dialer (a saturation pause lifts by itself)."""
    await resume_dialer(session, staff.id, now)
    await record(session, staff, "dialer.resume", "dialer", None, "resumed", now)
    return StatusOut.of(await dialer_status(session, now))


@router.get("/operators/live")
async def operators_live(session: Session, now: Now, _staff: Staff) -> list[OperatorOut]:
    """Each operator: off, idle, on_lease or paused, its lease, its calls this shift."""
    return [OperatorOut.of(o) for o in await live_operators(session, now)]


@router.post("/operators/{operator_id}/pause")
async def pause_one(
    operator_id: uuid.UUID, body: ReasonIn, session: Session, now: Now, staff: Staff
) -> OperatorOut:
    """Pause one operator, with a reason; it holds until resumed."""
    await get_operator(session, operator_id)
    await pause_operator(session, operator_id, PauseReason.SUPERVISOR, body.reason, staff.id, now)
    await record(session, staff, "operator.pause", "user", operator_id, body.reason, now)
    return await _one(session, operator_id, now)


@router.post("/operators/{operator_id}/resume")
async def resume_one(
    operator_id: uuid.UUID, session: Session, now: Now, staff: Staff
) -> OperatorOut:
    """Resume one operator: ends a supervisor's pause and the operator's own break."""
    await get_operator(session, operator_id)
    codes = (PauseReason.SUPERVISOR, PauseReason.SELF)
    await resume_operator(session, operator_id, codes, staff.id, now)
    await record(session, staff, "operator.resume", "user", operator_id, "resumed", now)
    return await _one(session, operator_id, now)


@router.post("/me/pause")
async def take_break(
    session: Session, now: Now, operator: Operator, body: Annotated[BreakIn | None, Body()] = None
) -> OperatorOut:
    """An operator's own break: no numbers until it resumes (unpaid unless configured)."""
    reason = body.reason if body else None
    await pause_operator(session, operator.id, PauseReason.SELF, reason, operator.id, now)
    await record(session, operator, "operator.break", "user", operator.id, reason or "break", now)
    return await _one(session, operator.id, now)


@router.post("/me/resume")
async def end_break(session: Session, now: Now, operator: Operator) -> OperatorOut:
    """End the operator's own break; a supervisor's pause stays."""
    await resume_operator(session, operator.id, (PauseReason.SELF,), operator.id, now)
    await record(session, operator, "operator.back", "user", operator.id, "back from break", now)
    return await _one(session, operator.id, now)
