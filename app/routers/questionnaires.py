"""Questionnaires: managers work their own, supervisors see and reassign all."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.background import BackgroundTask

from app.deps import MANAGER_ROLES, Maker, Manager, ManagersPolicy, Now, Session, Staff
from app.idempotency import IdempotencyKey, idempotent
from app.live import floor_changed
from app.routers.usual import usual_case_route, usual_token, usual_write
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.db import autocommit_session
from dialer.base.errors import Unauthenticated
from dialer.base.models import QuestionnaireStatus
from dialer.base.users import user_for_token
from dialer.sales.questionnaires import (
    QuestionnaireView,
    StatusChange,
    change_and_view,
    list_questionnaires,
    read_view,
    weigh_after,
)
from dialer.sales.routing import reassign
from dialer.sales.usual_change import change_usual

router = APIRouter(tags=["questionnaires"])


class ContactOut(BaseModel):
    name: str | None
    phone: str | None


class AdditionOut(BaseModel):
    """A warm call from another number of the company, added to its open questionnaire."""

    attempt_id: uuid.UUID
    contact_id: uuid.UUID
    phone: str | None
    operator_id: uuid.UUID
    answers: dict[str, Any]
    notes: str | None
    at: datetime


class QuestionnaireOut(BaseModel):
    id: uuid.UUID
    status: QuestionnaireStatus
    manager_id: uuid.UUID | None
    operator_id: uuid.UUID
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    contact: ContactOut
    company: str | None
    answers: dict[str, Any]
    amount: Decimal | None
    reason: str | None
    created_at: datetime
    assigned_at: datetime | None
    updated_at: datetime
    overdue: bool
    additions: list[AdditionOut] = []
    account_id: uuid.UUID | None = None
    labels: dict[str, str] = Field(description="The campaign's label of each answer's field.")
    notes: str | None = Field(description="The operator's notes on the warm call.")
    history: list[dict[str, Any]] = Field(description="The contact's last attempts, newest first.")

    @classmethod
    def of(cls, seen: QuestionnaireView, account_id: uuid.UUID | None = None) -> "QuestionnaireOut":
        q = seen.questionnaire
        return cls(
            id=q.id,
            status=q.status,
            manager_id=q.manager_id,
            operator_id=q.operator_id,
            campaign_id=q.campaign_id,
            contact_id=q.contact_id,
            contact=ContactOut(name=seen.contact_name, phone=seen.contact_phone),
            company=q.company,
            answers=q.answers,
            amount=q.amount,
            reason=q.reason,
            created_at=q.created_at,
            assigned_at=q.assigned_at,
            updated_at=q.updated_at,
            overdue=seen.overdue,
            additions=[
                AdditionOut(
                    attempt_id=a.attempt_id,
                    contact_id=a.contact_id,
                    phone=phone,
                    operator_id=a.operator_id,
                    answers=a.answers,
                    notes=a.notes,
                    at=a.at,
                )
                for a, phone in seen.additions
            ],
            account_id=account_id,
            labels=seen.labels,
            notes=seen.notes,
            history=[past.as_json() for past in seen.history],
        )


class StatusIn(Model):
    status: QuestionnaireStatus
    amount: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    reason: str | None = Field(default=None, max_length=2000)


class AssignIn(Model):
    # null: route again by the rule, to an MPK other than the current one.
    manager_id: uuid.UUID | None


async def usual_questionnaires(request: Request) -> Response | None:
    """The list's usual case, a manager's poll for its questionnaires: on PostgreSQL, with a
    bearer token of good signature and no query but statuses, the caller and the list read as
    `questionnaires` reads them, in two statements each its own transaction
    (`autocommit_session`: no BEGIN, no COMMIT), no dependency solved. Anything else, and a
    caller the full route refuses, is None: `questionnaires` then answers."""
    state = request.app.state
    now: datetime = state.clock()
    token = await usual_token(request, now)
    query = request.query_params
    if token is None or any(name != "status" for name in query):
        return None
    try:
        statuses = [QuestionnaireStatus(status) for status in query.getlist("status")]
    except ValueError:
        return None
    async with autocommit_session(state.engine) as session:
        try:
            user = await user_for_token(session, token)
        except Unauthenticated:
            return None
        if user.role not in MANAGER_ROLES:
            return None
        seen = await list_questionnaires(session, user, statuses, now, state.policy)
    return JSONResponse([QuestionnaireOut.of(s).model_dump(mode="json") for s in seen])


# The router of the list alone, so that its route class concerns no other route.
list_router = APIRouter(tags=["questionnaires"], route_class=usual_case_route(usual_questionnaires))


@list_router.get("/questionnaires")
async def questionnaires(
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    user: Manager,
    status: Annotated[list[QuestionnaireStatus] | None, Query()] = None,
    overdue: bool = False,
) -> list[QuestionnaireOut]:
    """The caller's questionnaires, oldest first (a supervisor sees all)."""
    seen = await list_questionnaires(session, user, status or [], now, policy, overdue_only=overdue)
    return [QuestionnaireOut.of(s) for s in seen]


@router.get("/questionnaires/{questionnaire_id}")
async def questionnaire(
    questionnaire_id: uuid.UUID, session: Session, now: Now, policy: ManagersPolicy, user: Manager
) -> QuestionnaireOut:
    """One questionnaire the caller may act on."""
    return QuestionnaireOut.of(await read_view(session, questionnaire_id, user, now, policy))


def _weigh_once_sent(app: Any, maker: Maker, change: StatusChange, now: datetime) -> BackgroundTask:
    """What a close freed, weighed once the answer is sent (`weigh_after`)."""

    async def weigh() -> None:
        if await weigh_after(maker, change, now, app.state.policy):
            floor_changed(app)  # a place handed out, dialing paused or resumed

    return BackgroundTask(weigh)


async def usual_status(request: Request) -> Response | None:
    """A status change's usual case (`dialer.sales.usual_change`): the answer, or None.

    On PostgreSQL, with a bearer token of good signature, a JSON body the full route would
    accept and an Idempotency-Key or none. Everything else, and everything it refuses, is
    None: `set_status` then answers as it always has.
    """
    state = request.app.state
    now: datetime = state.clock()
    write = await usual_write(request, now, "questionnaire_id")
    if write is None:
        return None
    try:
        body = StatusIn.model_validate_json(await request.body())
    except ValidationError:
        return None
    change = StatusChange(body.status, body.amount, body.reason)
    questionnaire_id = write.target
    kept = write.kept(f"/questionnaires/{questionnaire_id}/status", body)

    def answer_of(seen: QuestionnaireView) -> dict[str, Any]:
        return QuestionnaireOut.of(seen).model_dump(mode="json")

    async with autocommit_session(state.engine) as session:
        answer = await change_usual(
            session, questionnaire_id, write.token, change, now, state.policy, answer_of, kept
        )
    if answer is None:
        return None
    return JSONResponse(
        answer, background=_weigh_once_sent(request.app, state.sessionmaker, change, now)
    )


# The router of the status change alone, so that its route class concerns no other route.
status_router = APIRouter(tags=["questionnaires"], route_class=usual_case_route(usual_status))


@status_router.post("/questionnaires/{questionnaire_id}/status", response_model=QuestionnaireOut)
async def set_status(
    questionnaire_id: uuid.UUID,
    body: StatusIn,
    asked: Request,
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    user: Manager,
    maker: Maker,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Move the questionnaire on; `first_order` opens the account and hands it to an MRK."""
    change = StatusChange(body.status, body.amount, body.reason)

    async def work() -> dict[str, Any]:
        seen, account = await change_and_view(session, questionnaire_id, change, user, now, policy)
        shown = QuestionnaireOut.of(seen, account.id if account is not None else None)
        return shown.model_dump(mode="json")

    path = f"/questionnaires/{questionnaire_id}/status"
    request = ("POST", path, body.model_dump(mode="json"))
    answer = await idempotent(session, user.id, key, request, now, work)
    # The change is committed before the answer (`Session`); what a close freed is weighed
    # once the answer is sent.
    answer.background = _weigh_once_sent(asked.app, maker, change, now)
    return answer


@router.post("/questionnaires/{questionnaire_id}/assign", response_model=QuestionnaireOut)
async def assign(
    questionnaire_id: uuid.UUID,
    body: AssignIn,
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    staff: Staff,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Give an open questionnaire to the MPK named, or (null) to another by the rule."""

    async def work() -> dict[str, Any]:
        moved = await reassign(session, questionnaire_id, body.manager_id, now, policy.marks)
        summary = f"to manager {moved.manager_id}" if moved.manager_id else "waiting for room"
        await record(
            session, staff, "questionnaire.reassign", "questionnaire", moved.id, summary, now
        )
        seen = await read_view(session, moved.id, staff, now, policy)
        return QuestionnaireOut.of(seen).model_dump(mode="json")

    path = f"/questionnaires/{questionnaire_id}/assign"
    request = ("POST", path, body.model_dump(mode="json"))
    return await idempotent(session, staff.id, key, request, now, work)
