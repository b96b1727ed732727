"""The client cascade: first order → MRK (working) → regular desk / KAM (key account).

One account per company. Every step down the cascade is an `account_handoff` row
saying who made it and why. Stages only move forward. An account passes to the regular
desk when its turnover reaches its own plan (`plan_volume`, else the setting). A working
account goes to the MRK with the lowest load that has room; when every MRK is full it
waits unowned, and dialing pauses for the MRK (`dialer.sales.clients`), until one has
room again.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, Update, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from dialer.base.dialects import insert, once_per_dialect
from dialer.base.errors import Forbidden, InvalidInput, NotFound
from dialer.base.folds import company_key
from dialer.base.locks import lock_clients
from dialer.base.models import (
    Account,
    AccountHandoff,
    AccountOrder,
    AccountStage,
    Contact,
    ContactState,
    Desk,
    Questionnaire,
    Role,
    User,
)
from dialer.sales.clients import Clients, clients_of, clients_read, evaluate_clients, weigh_clients
from dialer.sales.policy import Policy
from dialer.sales.routing import Beside, Load, beside, choose, read_beside
from dialer.sales.saturation import at_desk

DESK_OF_STAGE = {
    AccountStage.WORKING: Desk.DEVELOPMENT,
    AccountStage.REGULAR: Desk.REGULAR,
    AccountStage.KEY_ACCOUNT: Desk.KEY_ACCOUNT,
}
_ORDER = cast(Table, AccountOrder.__table__)
UNLIMITED = 2**31 - 1
CENT = Decimal("0.01")
# Contacts that could still be called: waiting, held for review, or mid-call.
OPEN_STATES = (ContactState.READY, ContactState.REVIEW, ContactState.LEASED)


def promotion(
    stage: AccountStage,
    turnover: Decimal,
    strategic: bool,
    policy: Policy,
    plan: Decimal | None = None,
) -> tuple[AccountStage, str] | None:
    """The next stage of an account and why, or None where it stays; plan None: the policy's."""
    plan = policy.plan_volume if plan is None else plan
    if stage is AccountStage.KEY_ACCOUNT:
        return None
    if strategic:
        return AccountStage.KEY_ACCOUNT, "marked strategic by a supervisor"
    if turnover >= policy.strategic_threshold:
        return (
            AccountStage.KEY_ACCOUNT,
            f"turnover {turnover} reached the strategic threshold {policy.strategic_threshold}",
        )
    if stage is AccountStage.WORKING and turnover >= plan:
        return AccountStage.REGULAR, f"turnover {turnover} reached the plan {plan}"
    return None


def can_see(actor: User, account: Account) -> bool:
    """Supervisors and admins see every account; a manager those it holds."""
    if actor.role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    return actor.role is Role.MANAGER and account.manager_id == actor.id


def _load_columns(desk: Desk) -> tuple[Any, ...]:
    """A manager's id, capacity, accounts held of the desk's stage and last hand-off to it:
    of the `User` the statement reads."""
    stage = next(s for s, d in DESK_OF_STAGE.items() if d is desk)
    mine = Account.manager_id == User.id
    held = select(func.count()).where(mine, Account.stage == stage).scalar_subquery()
    last = (
        select(func.max(AccountHandoff.at))
        .where(AccountHandoff.to_manager_id == User.id)
        .scalar_subquery()
    )
    return User.id, User.capacity, held, last


def _load(desk: Desk, row: Sequence[Any]) -> Load:
    # An MRK without a capacity holds without limit (see dialer.sales.clients).
    unset = UNLIMITED if desk is Desk.DEVELOPMENT else 0
    return Load(row[0], row[2], unset if row[1] is None else row[1], row[3])


@cache
def _loads(desk: Desk) -> Select[tuple[Any, ...]]:
    """`desk_loads`' statement, built once (as every statement read under the clients' lock)."""
    return select(*_load_columns(desk)).where(*at_desk(desk))


async def desk_loads(session: AsyncSession, desk: Desk) -> list[Load]:
    """The load of every active manager of a desk in accounts of the desk's stage."""
    return [_load(desk, row) for row in await session.execute(_loads(desk))]


@cache
def _development() -> Beside:
    """`development_desk`'s statement, built once."""
    return beside(clients_read(), Desk.DEVELOPMENT, _load_columns(Desk.DEVELOPMENT))


async def development_desk(session: AsyncSession) -> tuple[list[Load], Clients]:
    """The MRK's loads and the desk's clients (`dialer.sales.clients.clients`), in one
    statement."""
    counts, managers = await read_beside(session, _development())
    return [_load(Desk.DEVELOPMENT, row) for row in managers], clients_of(counts)


def _choose(desk: Desk, loads: list[Load]) -> uuid.UUID | None:
    """The manager of the desk whose turn it is, or None when the account must wait.

    The MRK hold only what they have room for: a full development desk leaves new
    clients waiting. The regular desk and the KAM take their clients whatever their load.
    """
    chosen = choose(loads)
    if chosen is None and desk is not Desk.DEVELOPMENT:
        chosen = choose(loads, need_room=False)
    return chosen.manager_id if chosen is not None else None


async def _pick(session: AsyncSession, desk: Desk) -> uuid.UUID | None:
    return _choose(desk, await desk_loads(session, desk))


async def hand_off(
    session: AsyncSession,
    account: Account,
    to_stage: AccountStage,
    actor_id: uuid.UUID | None,
    reason: str,
    now: datetime,
    *,
    opening: bool = False,
    loads: list[Load] | None = None,
) -> AccountHandoff:
    """Move the account to a stage and the least-loaded manager of its desk; logged.

    Opening, the account is new: this is its first step. `loads`, the desk's as just read
    under the clients' lock, else read here.
    """
    desk = DESK_OF_STAGE[to_stage]
    if loads is None:
        loads = await desk_loads(session, desk)
    chosen = _choose(desk, loads)
    if chosen is None:
        reason += "; every MRK is full, waiting" if loads else "; no active manager at the desk yet"
    handoff = AccountHandoff(
        account_id=account.id,
        from_stage=None if opening else account.stage,
        to_stage=to_stage,
        from_manager_id=account.manager_id,
        to_manager_id=chosen,
        actor_id=actor_id,
        reason=reason,
        at=now,
    )
    account.stage = to_stage
    account.manager_id = handoff.to_manager_id
    session.add_all([account, handoff])
    await session.flush()
    return handoff


async def turnover(session: AsyncSession, account_id: uuid.UUID, since: datetime) -> Decimal:
    """The sum of the account's orders since an instant."""
    total = await session.scalar(
        select(func.coalesce(func.sum(AccountOrder.amount), 0)).where(
            AccountOrder.account_id == account_id, AccountOrder.at >= since
        )
    )
    return Decimal(total or 0)


async def review(
    session: AsyncSession,
    account: Account,
    actor_id: uuid.UUID | None,
    now: datetime,
    policy: Policy,
    amount: Decimal | None = None,
) -> AccountHandoff | None:
    """Pass the account down the cascade when its turnover (read unless given) or flag says so."""
    if amount is None:
        amount = await turnover(session, account.id, now - policy.plan_period)
    step = promotion(account.stage, amount, account.strategic, policy, account.plan_volume)
    if step is None:
        return None
    return await hand_off(session, account, step[0], actor_id, step[1], now)


async def desks_changed(session: AsyncSession, now: datetime, policy: Policy) -> None:
    """After the MRK's load changed: waiting clients out to room, the MRK's pause weighed."""
    await assign_unowned(session, now, "an MRK has room")
    await evaluate_clients(session, now, policy.marks)


def _check_amount(amount: Decimal) -> None:
    if amount <= 0:
        raise InvalidInput(
            "An order needs a positive amount.",
            fields=[{"loc": ["body", "amount"], "msg": "must be greater than 0"}],
        )


async def _add_order(
    session: AsyncSession, account: Account, amount: Decimal, actor_id: uuid.UUID, now: datetime
) -> AccountOrder:
    _check_amount(amount)
    order = AccountOrder(account_id=account.id, amount=amount, recorded_by=actor_id, at=now)
    session.add(order)
    await session.flush()
    return order


async def open_account(
    session: AsyncSession,
    questionnaire: Questionnaire,
    actor_id: uuid.UUID,
    now: datetime,
    policy: Policy,
) -> Account:
    """The first order of a questionnaire: the company's account, handed to an MRK.

    Under the clients' lock, which every other first order waits for, only what weighs the
    desk: the MRK's loads, the hand-off, the desk's pause. The company's other numbers are
    closed before it, and a new client's account is written with its first order before it
    too, still without a manager (seen by no one until it commits, and kept to one per
    company by the unique company key: a company's second first order at once waits here
    for the first, then finds the account and only adds its order).
    """
    company = questionnaire.company
    if not company:
        company = await session.scalar(
            select(Contact.company).where(Contact.id == questionnaire.contact_id)
        )
    key = company_key(company)
    amount = questionnaire.amount or Decimal(0)
    _check_amount(amount)
    account = await _close_and_open(session, questionnaire, company, key, amount, actor_id, now)
    if account is None:
        # A company already a client only gains an order: it stays with whoever holds it.
        await lock_clients(session)
        account = await session.scalar(
            select(Account).where(Account.company_key == key).with_for_update()
        )
        assert account is not None  # the unique key refused the new one
        await _add_order(session, account, amount, actor_id, now)
        if await review(session, account, actor_id, now, policy) is not None:
            await desks_changed(session, now, policy)
        return account
    await lock_clients(session)
    # Read with the account already counted among the working ones, as after its hand-off.
    loads, desk = await development_desk(session)
    reason = f"first order {questionnaire.amount} from questionnaire {questionnaire.id}"
    stage = AccountStage.WORKING
    await hand_off(session, account, stage, actor_id, reason, now, opening=True, loads=loads)
    # Its only order is its turnover; passed on at once, it frees the MRK's place it took.
    if await review(session, account, actor_id, now, policy, amount) is not None:
        await desks_changed(session, now, policy)
    else:
        await weigh_clients(session, desk, now, policy.marks)
    return account


async def _close_and_open(
    session: AsyncSession,
    questionnaire: Questionnaire,
    company: str | None,
    key: str | None,
    amount: Decimal,
    actor_id: uuid.UUID,
    now: datetime,
) -> Account | None:
    """A new client's contacts closed (`close_contacts`) and its account written, working and
    not yet anyone's, with its first order; None, only the contacts closed, when the company
    already has an account. One statement on PostgreSQL, three on SQLite."""
    # No parameter is named as a column: an UPDATE or INSERT given a parameter of a column's
    # name writes that column too.
    values = {
        "new_account": uuid.uuid4(),
        "from_questionnaire": questionnaire.id,
        "new_company": company,
        "new_key": key,
        "at_now": now,
        "called_contact": questionnaire.contact_id,
    }
    if session.get_bind().dialect.name == "postgresql":
        order = {"new_order": uuid.uuid4(), "order_amount": amount, "by_actor": actor_id}
        both = _close_and_open_in_one(_opening(session), key is not None)
        opened = await session.scalars(both, values | order)
        return opened.one_or_none()
    await session.execute(close_contacts(key is not None), values)
    account = (await session.scalars(_opening(session), values)).one_or_none()
    if account is not None:
        await _add_order(session, account, amount, actor_id, now)
    return account


@once_per_dialect
def _opening(session: AsyncSession) -> ReturningInsert[Account]:
    """The new client's account, working and not yet anyone's, unless the company has one;
    built once for each dialect, as the statements below, with its values parameters."""
    return (
        insert(session, Account)
        .values(
            id=bindparam("new_account"),
            questionnaire_id=bindparam("from_questionnaire"),
            company=bindparam("new_company"),
            company_key=bindparam("new_key"),
            stage=AccountStage.WORKING,
            manager_id=None,
            strategic=False,
            created_at=bindparam("at_now"),
        )
        .on_conflict_do_nothing(index_elements=["company_key"])
        .returning(Account)
    )


@cache
def _close_and_open_in_one(opening: ReturningInsert[Account], keyed: bool) -> ExecutableReturnsRows:
    """`_close_and_open` on PostgreSQL, `opening` its account's insert: the contacts closed,
    the account and its first order written, in one statement of data-modifying CTEs."""
    opened = opening.cte("opened")
    order = {
        "id": bindparam("new_order", type_=_ORDER.c.id.type),
        "amount": bindparam("order_amount", type_=_ORDER.c.amount.type),
        "recorded_by": bindparam("by_actor", type_=_ORDER.c.recorded_by.type),
        "at": bindparam("at_now", type_=_ORDER.c.at.type),
    }
    ordered = postgresql.insert(AccountOrder).from_select(
        [*order, "account_id"], select(*order.values(), opened.c.id)
    )
    closing = close_contacts(keyed).cte("closed")
    both = select(opened).add_cte(closing, ordered.cte("ordered"))
    return select(Account).from_statement(both)


@cache
def close_contacts(keyed: bool) -> Update:
    """The statement that closes every contact of a new client still open: its company's
    (`new_key`, when keyed) and its number's (`called_contact`'s)."""
    called = aliased(Contact)
    number = select(called.phone_hash).where(called.id == bindparam("called_contact"))
    same: list[ColumnElement[bool]] = [Contact.phone_hash == number.scalar_subquery()]
    if keyed:
        same.append(Contact.company_key == bindparam("new_key"))
    # Mid-call ones too: an outcome leaves a contact closed during its call closed. One
    # whose outcome is being written right now is skipped, not waited for (that outcome
    # may be waiting for the managers' lock we hold); the claim never hands it out again.
    still_open = (
        select(Contact.id)
        .where(Contact.state.in_(OPEN_STATES), or_(*same))
        .with_for_update(skip_locked=True)
    )
    return (
        update(Contact)
        .where(Contact.id.in_(still_open.scalar_subquery()))
        .values(state=ContactState.CLOSED)
        .execution_options(synchronize_session=False)
    )


async def get_account(
    session: AsyncSession, account_id: uuid.UUID, actor: User, *, lock: bool = False
) -> Account:
    """An account the actor may see."""
    account = await session.get(Account, account_id, with_for_update=lock)
    if account is None:
        raise NotFound("There is no such account.")
    if not can_see(actor, account):
        raise Forbidden("This account is held by another manager.")
    return account


async def record_order(
    session: AsyncSession,
    account_id: uuid.UUID,
    amount: Decimal,
    actor: User,
    now: datetime,
    policy: Policy,
) -> tuple[Account, AccountOrder]:
    """An order of the account, by its manager or a supervisor; may pass it down the cascade."""
    # The clients' lock first, as every change of the desks' load takes it; then the
    # account, locked so that two orders at once cannot both promote it.
    await lock_clients(session)
    account = await get_account(session, account_id, actor, lock=True)
    order = await _add_order(session, account, amount, actor.id, now)
    if await review(session, account, actor.id, now, policy) is not None:
        await desks_changed(session, now, policy)
    return account, order


async def set_plan(
    session: AsyncSession,
    account_id: uuid.UUID,
    plan_volume: Decimal | None,
    actor: User,
    now: datetime,
    policy: Policy,
) -> Account:
    """The account's own plan (None: the setting's); reaching it passes the account on."""
    if plan_volume is not None and plan_volume <= 0:
        raise InvalidInput(
            "A plan needs a positive volume.",
            fields=[{"loc": ["body", "plan_volume"], "msg": "must be greater than 0"}],
        )
    await lock_clients(session)
    account = await get_account(session, account_id, actor, lock=True)
    # Kept to the cent, as the column keeps it.
    account.plan_volume = None if plan_volume is None else plan_volume.quantize(CENT)
    await session.flush()
    if await review(session, account, actor.id, now, policy) is not None:
        await desks_changed(session, now, policy)
    return account


async def mark_strategic(
    session: AsyncSession,
    account_id: uuid.UUID,
    actor: User,
    reason: str | None,
    now: datetime,
    policy: Policy,
) -> Account:
    """A supervisor marks the account strategic: it passes to a KAM."""
    await lock_clients(session)
    account = await session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise NotFound("There is no such account.")
    account.strategic = True
    if account.stage is not AccountStage.KEY_ACCOUNT:
        why = "marked strategic by a supervisor" + (f": {reason}" if reason else "")
        await hand_off(session, account, AccountStage.KEY_ACCOUNT, actor.id, why, now)
        await desks_changed(session, now, policy)
    return account


@dataclass(frozen=True)
class AccountView:
    account: Account
    turnover: Decimal
    orders: int


async def account_view(
    session: AsyncSession, account: Account, now: datetime, policy: Policy
) -> AccountView:
    """One account with its turnover over the plan period and its count of orders."""
    amount = await turnover(session, account.id, now - policy.plan_period)
    orders = await session.scalar(select(func.count()).where(AccountOrder.account_id == account.id))
    return AccountView(account, amount, int(orders or 0))


async def list_accounts(
    session: AsyncSession,
    actor: User,
    stage: AccountStage | None,
    now: datetime,
    policy: Policy,
) -> list[AccountView]:
    """The accounts the actor holds (a supervisor: all), oldest first, with turnover."""
    since = now - policy.plan_period
    in_period = func.coalesce(func.sum(AccountOrder.amount).filter(AccountOrder.at >= since), 0)
    query = (
        select(Account, in_period, func.count(AccountOrder.id))
        .outerjoin(AccountOrder, AccountOrder.account_id == Account.id)
        .group_by(Account.id)
        .order_by(Account.created_at, Account.id)
    )
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        query = query.where(Account.manager_id == actor.id)
    if stage is not None:
        query = query.where(Account.stage == stage)
    rows = await session.execute(query)
    return [AccountView(row[0], Decimal(row[1]), row[2]) for row in rows]


_RANK = {stage: rank for rank, stage in enumerate(AccountStage)}


def _step_order(handoff: AccountHandoff) -> tuple[datetime, int, int]:
    # Steps made in one request share their instant; the cascade only moves forward,
    # so the stages order them.
    start = -1 if handoff.from_stage is None else _RANK[handoff.from_stage]
    return handoff.at, start, _RANK[handoff.to_stage]


async def handoffs(session: AsyncSession, account_id: uuid.UUID) -> list[AccountHandoff]:
    """The account's steps down the cascade, first first."""
    steps = await session.scalars(
        select(AccountHandoff).where(AccountHandoff.account_id == account_id)
    )
    return sorted(steps, key=_step_order)


async def assign_unowned(session: AsyncSession, now: datetime, reason: str) -> int:
    """Give accounts left without a manager, oldest first, to one of their desk with room.

    Each waiting account is read only once its desk has room for it: behind a full or
    empty desk they may be many, and every new client weighs them again.
    """
    await lock_clients(session)
    unowned = select(Account).where(Account.manager_id.is_(None))
    # Usually none: then no desk's loads are read at all.
    stages = await session.scalars(unowned.with_only_columns(Account.stage).distinct())
    given = 0
    for stage in sorted(stages.all(), key=list(AccountStage).index):
        while await _pick(session, DESK_OF_STAGE[stage]) is not None:
            account = await session.scalar(
                unowned.where(Account.stage == stage)
                .order_by(Account.created_at, Account.id)
                .limit(1)
                .with_for_update()
            )
            if account is None:
                break
            await hand_off(session, account, stage, None, reason, now)
            given += 1
    return given


async def release_accounts(session: AsyncSession, manager_id: uuid.UUID, now: datetime) -> int:
    """Hand the accounts of a manager who left to others of the desk; how many."""
    await lock_clients(session)
    held = await session.scalars(
        select(Account).where(Account.manager_id == manager_id).with_for_update()
    )
    moved = 0
    for account in held:
        await hand_off(session, account, account.stage, None, "the manager was deactivated", now)
        moved += 1
    return moved
