"""Accounts: the clients down the cascade, for their managers and supervisors."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.deps import Manager, ManagersPolicy, Now, Session, Staff
from app.idempotency import IdempotencyKey, idempotent
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.models import Account, AccountHandoff, AccountStage
from dialer.sales.accounts import (
    AccountView,
    account_view,
    get_account,
    handoffs,
    list_accounts,
    mark_strategic,
    record_order,
)
from dialer.sales.policy import Policy

router = APIRouter(tags=["accounts"])


class HandoffOut(BaseModel):
    from_stage: AccountStage | None
    to_stage: AccountStage
    from_manager_id: uuid.UUID | None
    to_manager_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    reason: str
    at: datetime

    @classmethod
    def of(cls, handoff: AccountHandoff) -> "HandoffOut":
        return cls.model_validate(handoff, from_attributes=True)


class AccountOut(BaseModel):
    id: uuid.UUID
    company: str | None
    stage: AccountStage
    manager_id: uuid.UUID | None
    strategic: bool
    questionnaire_id: uuid.UUID
    created_at: datetime
    # The sum of orders over the plan period, the figure the cascade is decided on.
    turnover: Decimal
    orders: int
    handoffs: list[HandoffOut] | None = None

    @classmethod
    def of(cls, seen: AccountView, steps: list[AccountHandoff] | None = None) -> "AccountOut":
        a = seen.account
        return cls(
            id=a.id,
            company=a.company,
            stage=a.stage,
            manager_id=a.manager_id,
            strategic=a.strategic,
            questionnaire_id=a.questionnaire_id,
            created_at=a.created_at,
            turnover=seen.turnover,
            orders=seen.orders,
            handoffs=[HandoffOut.of(h) for h in steps] if steps is not None else None,
        )


class OrderIn(Model):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


class OrderOut(BaseModel):
    id: uuid.UUID
    amount: Decimal
    at: datetime
    account: AccountOut


class StrategicIn(Model):
    reason: str | None = Field(default=None, max_length=2000)


async def _out(
    session: Session, account: Account, now: datetime, policy: Policy, *, steps: bool = False
) -> AccountOut:
    seen = await account_view(session, account, now, policy)
    return AccountOut.of(seen, await handoffs(session, account.id) if steps else None)


@router.get("/accounts")
async def accounts(
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    user: Manager,
    stage: AccountStage | None = None,
) -> list[AccountOut]:
    """The caller's accounts, oldest first (a supervisor sees all), with turnover."""
    return [AccountOut.of(v) for v in await list_accounts(session, user, stage, now, policy)]


@router.get("/accounts/{account_id}")
async def account(
    account_id: uuid.UUID, session: Session, now: Now, policy: ManagersPolicy, user: Manager
) -> AccountOut:
    """One account with its steps down the cascade."""
    return await _out(
        session, await get_account(session, account_id, user), now, policy, steps=True
    )


@router.post("/accounts/{account_id}/orders", status_code=201, response_model=OrderOut)
async def add_order(
    account_id: uuid.UUID,
    body: OrderIn,
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    user: Manager,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record an order; reaching the plan or the strategic threshold passes the account on."""

    async def work() -> dict[str, Any]:
        held, order = await record_order(session, account_id, body.amount, user, now, policy)
        # Shown whoever holds it now: the order may just have passed it to another desk.
        shown = await _out(session, held, now, policy, steps=True)
        made = OrderOut(id=order.id, amount=order.amount, at=order.at, account=shown)
        return made.model_dump(mode="json")

    request = ("POST", f"/accounts/{account_id}/orders", body.model_dump(mode="json"))
    return await idempotent(session, user.id, key, request, now, work, status_code=201)


@router.post("/accounts/{account_id}/strategic", response_model=AccountOut)
async def strategic(
    account_id: uuid.UUID,
    body: StrategicIn,
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    user: Staff,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Mark the account strategic: it passes to a KAM."""

    async def work() -> dict[str, Any]:
        marked = await mark_strategic(session, account_id, user, body.reason, now, policy)
        summary = f"marked strategic: {body.reason}"
        await record(session, user, "account.strategic", "account", account_id, summary, now)
        return (await _out(session, marked, now, policy, steps=True)).model_dump(mode="json")

    request = ("POST", f"/accounts/{account_id}/strategic", body.model_dump(mode="json"))
    return await idempotent(session, user.id, key, request, now, work)
