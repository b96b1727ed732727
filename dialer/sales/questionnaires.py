"""Warm questionnaires: filed from a warm outcome, routed to an MPK, worked to an order.

One open questionnaire per company (folded as accounts fold it): a warm call from another
number of a company whose questionnaire is still open is added to that questionnaire.
A manager moves its questionnaire new → in_progress → first_order (with the amount)
or lost (with the reason). Once a close has committed and its answer is sent, the place it
freed is handed out and saturation weighed again, under the managers' lock (`weigh_after`).
"""

import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, ScalarResult, Select, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.dialects import once_per_dialect
from dialer.base.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from dialer.base.folds import company_key
from dialer.base.locks import lock_managers
from dialer.base.models import (
    Account,
    Attempt,
    Campaign,
    Contact,
    Questionnaire,
    QuestionnaireAddition,
    QuestionnaireStatus,
    Role,
    User,
)
from dialer.contacts.history import Past, last_attempts, pasts
from dialer.sales.accounts import open_account
from dialer.sales.policy import Policy, policy_of
from dialer.sales.routing import rebalance, route_new, routing_read
from dialer.sales.saturation import OPEN_STATUSES, nothing_to_weigh

log = logging.getLogger(__name__)

Status = QuestionnaireStatus

# A warm call added to a questionnaire, with the number it was made to.
Added = tuple[QuestionnaireAddition, str | None]

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.FIRST_ORDER, Status.LOST}),
    Status.FIRST_ORDER: frozenset(),
    Status.LOST: frozenset(),
}


class WarmCall(Protocol):
    """The warm call a questionnaire is filed from: its `Attempt`, or the values written."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def contact_id(self) -> uuid.UUID: ...
    @property
    def campaign_id(self) -> uuid.UUID: ...
    @property
    def operator_id(self) -> uuid.UUID: ...
    @property
    def notes(self) -> str | None: ...


async def file_questionnaire(
    session: AsyncSession,
    attempt: WarmCall,
    answers: dict[str, Any],
    company: str | None,
    now: datetime,
) -> Questionnaire:
    """Record the warm questionnaire an attempt produced and route it to an MPK.

    When the company already has an open questionnaire, the call is added to that one
    instead (its MPK sees it there), and that questionnaire is returned.
    """
    # The lock before the rows, as every holder of it that changes questionnaires takes it.
    # It also makes "is one open for this company?" and the insert one step, so two
    # operators filing warm for one company at once file one questionnaire.
    await lock_managers(session)
    read = await routing_read(session, company_key(company))
    if read.held is not None:
        held = await session.get_one(Questionnaire, read.held)
        session.add(
            QuestionnaireAddition(
                questionnaire_id=held.id,
                attempt_id=attempt.id,
                contact_id=attempt.contact_id,
                operator_id=attempt.operator_id,
                answers=answers,
                notes=attempt.notes,
                at=now,
            )
        )
        await session.flush()
        return held
    questionnaire = Questionnaire(
        attempt_id=attempt.id,
        contact_id=attempt.contact_id,
        campaign_id=attempt.campaign_id,
        operator_id=attempt.operator_id,
        status=QuestionnaireStatus.NEW,
        answers=answers,
        company=company,
        created_at=now,
        updated_at=now,
    )
    await route_new(session, questionnaire, now, policy_of(session).marks, read)
    return questionnaire


async def additions_of(
    session: AsyncSession, questionnaire_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Added]]:
    """The calls added to each questionnaire, with the number called, first first."""
    found: dict[uuid.UUID, list[Added]] = {}
    if not questionnaire_ids:
        return found
    rows = await session.execute(
        select(QuestionnaireAddition, Contact.phone)
        .join(Contact, Contact.id == QuestionnaireAddition.contact_id)
        .where(QuestionnaireAddition.questionnaire_id.in_(questionnaire_ids))
        .order_by(QuestionnaireAddition.at, QuestionnaireAddition.id)
    )
    for addition, phone in rows:
        found.setdefault(addition.questionnaire_id, []).append((addition, phone))
    return found


def is_overdue(questionnaire: Questionnaire, now: datetime, policy: Policy) -> bool:
    """An assigned open questionnaire its manager has not touched for too long."""
    return (
        questionnaire.manager_id is not None
        and questionnaire.status in OPEN_STATUSES
        and now - questionnaire.updated_at >= policy.overdue_after
    )


def check_transition(current: Status, target: Status) -> None:
    """Refuse a change the questionnaire's life does not allow."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A questionnaire cannot go from {current.value} to {target.value}.",
            current=current.value,
        )


@dataclass(frozen=True)
class StatusChange:
    status: Status
    amount: Decimal | None = None
    reason: str | None = None

    @property
    def written_reason(self) -> str | None:
        """The reason as the questionnaire keeps it."""
        return self.reason.strip() if self.reason else None


def _refuse(field: str, message: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, fields=[{"loc": ["body", field], "msg": message}])


def check_change(change: StatusChange) -> None:
    """An amount goes with first_order only, a reason with lost only."""
    if change.status is Status.FIRST_ORDER and (change.amount is None or change.amount <= 0):
        raise _refuse("amount", "required, above 0", "A first order needs its amount.")
    if change.status is not Status.FIRST_ORDER and change.amount is not None:
        raise _refuse("amount", "only with first_order", "Only a first order has an amount.")
    if change.status is Status.LOST and not (change.reason or "").strip():
        raise _refuse("reason", "required", "Say why the questionnaire was lost.")
    if change.status is not Status.LOST and change.reason is not None:
        raise _refuse("reason", "only with lost", "Only a lost questionnaire has a reason.")


def can_act(actor: User, questionnaire: Questionnaire) -> bool:
    """Supervisors and admins act on every questionnaire, a manager on its own."""
    if actor.role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    return actor.role is Role.MANAGER and questionnaire.manager_id == actor.id


def _may_act(actor: User, questionnaire: Questionnaire | None) -> Questionnaire:
    """The questionnaire, if there is one and the actor may act on it."""
    if questionnaire is None:
        raise NotFound("There is no such questionnaire.")
    if not can_act(actor, questionnaire):
        raise Forbidden("This questionnaire is assigned to another manager.")
    return questionnaire


async def change_status(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    change: StatusChange,
    actor: User,
    now: datetime,
    policy: Policy,
    seen: Questionnaire | None = None,
) -> tuple[Questionnaire, Account | None]:
    """Move a questionnaire on; a first order opens the client's account (returned).

    Only its own row is locked: no change of status needs the managers' lock. Taking one
    up (`in_progress`) changes no manager's load; closing one frees a place, which is
    handed out, and saturation weighed, once the close has committed (`after_change`,
    `weigh_after`).
    Held to the end of the close, that lock made every warm outcome wait for first orders,
    and those for each other's accounts. A first order's account is routed across the
    MRK's desk under the clients' lock, which only other accounts' changes wait for
    (`dialer.base.locks`).

    `seen`, the questionnaire as this transaction read it a moment ago, makes the usual
    change one conditional update (`_change_as_seen`).
    """
    questionnaire = None
    if seen is not None:
        questionnaire = await _change_as_seen(session, seen, change, actor, now)
    if questionnaire is None:
        questionnaire = await _change_locked(session, questionnaire_id, change, actor, now)
    account = None
    if change.status is Status.FIRST_ORDER:
        account = await open_account(session, questionnaire, actor.id, now, policy)
    return questionnaire, account


async def _change_locked(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    change: StatusChange,
    actor: User,
    now: datetime,
) -> Questionnaire:
    """The change checked against the row read afresh under its lock."""
    locked = await session.get(
        Questionnaire, questionnaire_id, with_for_update=True, populate_existing=True
    )
    checked_change(actor, locked, change)
    return (await _write(session, change, now, Questionnaire.id == questionnaire_id)).one()


async def _change_as_seen(
    session: AsyncSession, seen: Questionnaire, change: StatusChange, actor: User, now: datetime
) -> Questionnaire | None:
    """The change in one statement, if the row still has the status and manager `seen` had:
    every check of a change reads those two alone (`checked_change`), so here they pass as they
    would under the row's lock. The update waits for a writer of the row in flight and then
    reads its committed row: otherwise (None) the change is checked under the lock, and
    refused there as it must be (`_change_locked`)."""
    try:
        checked_change(actor, seen, change)
    except (Forbidden, InvalidTransition):
        return None  # refused under the lock, if the row there says so too
    written = await _write(
        session,
        change,
        now,
        Questionnaire.id == seen.id,
        Questionnaire.status == seen.status,
        Questionnaire.manager_id == seen.manager_id,
    )
    return written.one_or_none()


def checked_change(actor: User, found: Questionnaire | None, change: StatusChange) -> Questionnaire:
    """The questionnaire, if the actor may make this change of it: every check of a change,
    which reads the questionnaire's manager and status alone."""
    questionnaire = _may_act(actor, found)
    if questionnaire.manager_id is None:
        raise InvalidTransition("The questionnaire is still waiting for a manager.")
    check_transition(questionnaire.status, change.status)
    check_change(change)
    return questionnaire


async def _write(
    session: AsyncSession, change: StatusChange, now: datetime, *where: ColumnElement[bool]
) -> ScalarResult[Questionnaire]:
    """The change written where these hold, and the questionnaire as written (the session's
    own object, refreshed)."""
    return await session.scalars(
        update(Questionnaire)
        .where(*where)
        .values(
            status=change.status,
            amount=change.amount,
            reason=change.written_reason,
            updated_at=now,
        )
        .returning(Questionnaire),
        execution_options={"populate_existing": True},
    )


async def after_change(
    session: AsyncSession, change: StatusChange, now: datetime, policy: Policy
) -> bool:
    """Once a status change has committed, in short transactions of its own, each committed
    here: the place a close freed handed out and saturation weighed, when either is due
    (`nothing_to_weigh`). Whether they were."""
    if change.status in OPEN_STATUSES:
        return False
    quiet = await nothing_to_weigh(session, policy.marks)
    # It wrote nothing: its commit gives the shared lock back, for the exclusive one that
    # weighing takes.
    await session.commit()
    if quiet:
        return False
    await rebalance(session, now, policy.marks)
    await session.commit()
    return True


async def weigh_after(
    sessionmaker: async_sessionmaker[AsyncSession],
    change: StatusChange,
    now: datetime,
    policy: Policy,
) -> bool:
    """`after_change` in a session of its own, run once the change's answer is sent: the
    manager does not wait for it (nor for a warm outcome's routing in flight, which its
    shared lock waits for). Should it fail, or the process stop first, the clock's
    re-check hands out what the close freed (`dialer.sales.managers.recheck`)."""
    try:
        async with sessionmaker() as session:
            return await after_change(session, change, now, policy)
    except Exception:
        log.exception("what a close freed could not be weighed; the clock's re-check will")
        return False


async def change_and_view(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    change: StatusChange,
    actor: User,
    now: datetime,
    policy: Policy,
) -> tuple["QuestionnaireView", Account | None]:
    """`change_status`, and the questionnaire as its manager sees it after the change.

    What a manager reads beside the questionnaire (its contact, fields' labels, the
    operator's notes, the contact's history) does not move with its status, so it is read
    before the change takes its locks, which are then held for the change alone.
    """
    before = await read_view(session, questionnaire_id, actor, now, policy)
    changed, account = await change_status(
        session, questionnaire_id, change, actor, now, policy, seen=before.questionnaire
    )
    return replace(before, questionnaire=changed, overdue=is_overdue(changed, now, policy)), account


@dataclass(frozen=True)
class QuestionnaireView:
    questionnaire: Questionnaire
    contact_name: str | None
    contact_phone: str | None
    overdue: bool
    # Warm calls from the company's other numbers, with the number called.
    additions: list[Added] = field(default_factory=list)
    # The campaign's label of each answer's field, the operator's notes on the warm call,
    # and the contact's last attempts: what a manager reads before calling back.
    labels: dict[str, str] = field(default_factory=dict)
    notes: str | None = None
    history: tuple[Past, ...] = ()


async def list_questionnaires(
    session: AsyncSession,
    actor: User,
    statuses: Collection[Status],
    now: datetime,
    policy: Policy,
    *,
    overdue_only: bool = False,
) -> list[QuestionnaireView]:
    """The actor's questionnaires (a supervisor: all), oldest first."""
    query = viewed(session).order_by(Questionnaire.created_at, Questionnaire.id)
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        query = query.where(Questionnaire.manager_id == actor.id)
    if statuses:
        query = query.where(Questionnaire.status.in_(statuses))
    if overdue_only:
        query = query.where(
            Questionnaire.manager_id.is_not(None),
            Questionnaire.status.in_(OPEN_STATUSES),
            Questionnaire.updated_at <= now - policy.overdue_after,
        )
    return await views_of(session, (await session.execute(query)).all(), now, policy)


async def read_view(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    actor: User,
    now: datetime,
    policy: Policy,
) -> QuestionnaireView:
    """A questionnaire the actor may act on, as its manager sees it."""
    seen = viewed(session).where(Questionnaire.id == questionnaire_id)
    found = (await session.execute(seen)).all()
    _may_act(actor, found[0][0] if found else None)
    [view] = await views_of(session, found, now, policy)
    return view


# A questionnaire, its contact's name and number, its campaign's fields, the operator's
# notes, whether calls were added to it, and its contact's last attempts (`pasts`).
Seen = tuple[
    Questionnaire, str | None, str | None, list[Any] | None, str | None, bool, list[Any] | None
]


@once_per_dialect
def viewed(session: AsyncSession) -> Select[*Seen]:
    """Questionnaires with what a manager reads beside each (`Seen`), in one statement; built
    once, as every manager's read and change starts from it."""
    added = exists().where(QuestionnaireAddition.questionnaire_id == Questionnaire.id)
    return (
        select(
            Questionnaire,
            Contact.name,
            Contact.phone,
            Campaign.questionnaire_fields,
            Attempt.notes,
            added,
            last_attempts(session, Questionnaire.contact_id),
        )
        .outerjoin(Contact, Contact.id == Questionnaire.contact_id)
        .outerjoin(Campaign, Campaign.id == Questionnaire.campaign_id)
        .outerjoin(Attempt, Attempt.id == Questionnaire.attempt_id)
    )


async def views_of(
    session: AsyncSession, rows: Sequence[Seen], now: datetime, policy: Policy
) -> list[QuestionnaireView]:
    """The views of `viewed`'s rows, with the calls added to them: a statement besides when
    any has some."""
    if not rows:
        return []
    added = await additions_of(session, [row[0].id for row in rows if row[5]])
    return [
        QuestionnaireView(
            q,
            name,
            phone,
            is_overdue(q, now, policy),
            added.get(q.id, []),
            labels={f["name"]: f.get("label") or f["name"] for f in fields or []},
            notes=notes,
            history=pasts(last),
        )
        for q, name, phone, fields, notes, _, last in rows
    ]
