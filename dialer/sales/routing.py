"""Routing: each warm questionnaire to the MPK with the lowest load, ties taken in turn.

Load is open questionnaires ÷ capacity. Among equal loads the MPK assigned least
recently goes first (one never assigned before all), which makes a round robin of
equals. When no MPK has room the questionnaire waits unassigned; waiting ones are
assigned oldest first whenever room frees.
"""

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dialer.base.errors import InvalidInput, InvalidTransition, NoManagerRoom, NotFound
from dialer.base.folds import company_key_sql
from dialer.base.locks import lock_managers
from dialer.base.models import Desk, Questionnaire, QuestionnaireStatus, User
from dialer.sales.policy import Marks
from dialer.sales.saturation import (
    OPEN_STATUSES,
    Backlog,
    at_desk,
    backlog_of,
    backlog_read,
    evaluate_saturation,
    weigh_saturation,
)

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Load:
    """One manager's share of work: what it holds against what it can hold."""

    manager_id: uuid.UUID
    open: int
    capacity: int
    last_assigned_at: datetime | None
    # Order of assignment within one batch, where every assignment has the same instant.
    turn: int = 0

    @property
    def has_room(self) -> bool:
        return self.open < self.capacity

    def ratio(self) -> Fraction:
        # A manager without a capacity counts as holding one: it still gets its turn.
        return Fraction(self.open, max(self.capacity, 1))

    def plus_one(self, now: datetime, turn: int) -> "Load":
        """The load after one more assignment at now."""
        return replace(self, open=self.open + 1, last_assigned_at=now, turn=turn)


def _order(load: Load) -> tuple[Fraction, datetime, int, str]:
    return (load.ratio(), load.last_assigned_at or _NEVER, load.turn, str(load.manager_id))


def choose(loads: Iterable[Load], *, need_room: bool = True) -> Load | None:
    """The manager whose turn it is: lowest load, then assigned least recently."""
    candidates = [load for load in loads if load.has_room or not need_room]
    return min(candidates, key=_order, default=None)


def _load_columns() -> tuple[Any, ...]:
    """An MPK's id, capacity, open questionnaires and last assignment: of the `User` read."""
    mine = Questionnaire.manager_id == User.id
    open_count = (
        select(func.count()).where(mine, Questionnaire.status.in_(OPEN_STATUSES)).scalar_subquery()
    )
    last = select(func.max(Questionnaire.assigned_at)).where(mine).scalar_subquery()
    return User.id, User.capacity, open_count, last


def _load(row: Sequence[Any]) -> Load:
    return Load(row[0], row[2], row[1] or 0, row[3])


async def acquisition_loads(
    session: AsyncSession, exclude: Collection[uuid.UUID] = ()
) -> list[Load]:
    """The load of every active MPK but the excluded."""
    rows = await session.execute(
        select(*_load_columns()).where(*at_desk(Desk.ACQUISITION), User.id.not_in(exclude))
    )
    return [_load(row) for row in rows]


@dataclass(frozen=True)
class Beside:
    """`totals`' one row and, in the same statement, columns of each active manager of a desk
    (`beside`): the statement, and how many of its columns are the totals'."""

    statement: Select[tuple[Any, ...]]
    width: int


def beside(totals: Select[tuple[Any, ...]], desk: Desk, columns: tuple[Any, ...]) -> Beside:
    """`totals`' one row and `columns` of each active manager of the desk (the columns of
    `User`), as `read_beside` reads them."""
    row = totals.subquery()
    statement = select(row, *columns).select_from(row).outerjoin(User, and_(*at_desk(desk)))
    return Beside(statement, len(row.columns))


async def read_beside(
    session: AsyncSession, read: Beside, **values: Any
) -> tuple[Sequence[Any], list[Sequence[Any]]]:
    """The totals, and a row per manager, of a `beside` statement."""
    rows = (await session.execute(read.statement, values)).all()
    width = read.width
    # Without any manager the outer join leaves one row with none.
    return rows[0][:width], [row[width:] for row in rows if row[width] is not None]


@dataclass(frozen=True)
class Routing:
    """What routing a warm questionnaire weighs, read under the managers' lock at once."""

    backlog: Backlog
    loads: list[Load]
    # The company's open questionnaire (new or in progress, the oldest if ever several),
    # which a warm call of that company joins rather than filing another.
    held: uuid.UUID | None


@cache
def _routing(keyed: bool) -> Beside:
    """`routing_read`'s statement, built once: constructing it cost more of the worker's CPU
    than running it, under the managers' lock. Keyed: the company's key a parameter."""
    other = aliased(Questionnaire)
    held = (
        select(other.id)
        .where(other.status.in_(OPEN_STATUSES), company_key_sql(other.company) == bindparam("key"))
        .order_by(other.created_at, other.id)
        .limit(1)
        .scalar_subquery()
    )
    totals = backlog_read().add_columns(held if keyed else null())
    return beside(totals, Desk.ACQUISITION, _load_columns())


async def routing_read(session: AsyncSession, key: str | None) -> Routing:
    """The backlog, the MPK's loads and the company's open questionnaire (`key`, the company
    folded; None: none), in one statement."""
    values = {} if key is None else {"key": key}
    counts, managers = await read_beside(session, _routing(key is not None), **values)
    return Routing(backlog_of(counts[:-1]), [_load(row) for row in managers], counts[-1])


def _assign(questionnaire: Questionnaire, manager_id: uuid.UUID, now: datetime) -> None:
    # A questionnaire given to a manager starts anew with it, whatever the last one did.
    questionnaire.manager_id = manager_id
    questionnaire.status = QuestionnaireStatus.NEW
    questionnaire.assigned_at = now
    questionnaire.updated_at = now


async def assign_waiting(session: AsyncSession, now: datetime) -> int:
    """Give waiting questionnaires, oldest first, to MPK with room; how many were given."""
    await lock_managers(session)
    loads = await acquisition_loads(session)
    room = sum(max(load.capacity - load.open, 0) for load in loads)
    if room == 0:
        return 0
    waiting = await session.scalars(
        select(Questionnaire)
        .where(Questionnaire.manager_id.is_(None), Questionnaire.status.in_(OPEN_STATUSES))
        .order_by(Questionnaire.created_at, Questionnaire.id)
        .limit(room)
    )
    given = 0
    for questionnaire in waiting:
        chosen = choose(loads)
        if chosen is None:
            break
        _assign(questionnaire, chosen.manager_id, now)
        given += 1
        loads = [load.plus_one(now, given) if load is chosen else load for load in loads]
    await session.flush()
    return given


async def route_new(
    session: AsyncSession, questionnaire: Questionnaire, now: datetime, marks: Marks, read: Routing
) -> None:
    """Write a new questionnaire, given to the MPK whose turn it is, and weigh saturation,
    on what was `read` under the managers' lock (held).

    While none waits it is written already with its MPK, and saturation is weighed on the
    backlog read plus itself: two statements under the exclusive lock every warm outcome
    takes after the read, where handing it out through the waiting line took five. When some
    wait, it joins their line, which is handed out oldest first (`rebalance`).
    """
    state = read.backlog
    chosen = None if state.waiting else choose(read.loads)
    if chosen is not None:
        _assign(questionnaire, chosen.manager_id, now)
    session.add(questionnaire)
    await session.flush()
    if state.waiting:
        await rebalance(session, now, marks)
    else:
        after = replace(state, open=state.open + 1, waiting=0 if chosen else 1)
        await weigh_saturation(session, after, now, marks)


async def rebalance(session: AsyncSession, now: datetime, marks: Marks) -> None:
    """After any change: hand out waiting questionnaires, then weigh saturation."""
    await assign_waiting(session, now)
    await evaluate_saturation(session, now, marks)


async def release_manager(
    session: AsyncSession, manager_id: uuid.UUID, now: datetime, marks: Marks
) -> None:
    """Route again the open questionnaires of a manager who left (deactivated)."""
    await lock_managers(session)
    await session.execute(
        update(Questionnaire)
        .where(Questionnaire.manager_id == manager_id, Questionnaire.status.in_(OPEN_STATUSES))
        .values(manager_id=None, assigned_at=None, status=QuestionnaireStatus.NEW, updated_at=now)
    )
    await rebalance(session, now, marks)


async def _acquisition_manager(session: AsyncSession, manager_id: uuid.UUID) -> User:
    manager = await session.get(User, manager_id)
    if manager is None or not manager.active or manager.desk is not Desk.ACQUISITION:
        raise InvalidInput(
            "Questionnaires go only to an active acquisition manager (MPK).",
            fields=[{"loc": ["body", "manager_id"], "msg": "not an active MPK"}],
        )
    return manager


async def reassign(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    manager_id: uuid.UUID | None,
    now: datetime,
    marks: Marks,
) -> Questionnaire:
    """A supervisor's reassignment: to the MPK named, or by the rule to another (None)."""
    await lock_managers(session)
    questionnaire = await session.get(Questionnaire, questionnaire_id, with_for_update=True)
    if questionnaire is None:
        raise NotFound("There is no such questionnaire.")
    if questionnaire.status not in OPEN_STATUSES:
        raise InvalidTransition("Only an open questionnaire can be reassigned.")
    if manager_id is None:
        current = [questionnaire.manager_id] if questionnaire.manager_id else []
        chosen = choose(await acquisition_loads(session, exclude=current))
        if chosen is None:
            raise NoManagerRoom()
        manager_id = chosen.manager_id
    else:
        # A supervisor who names the manager may fill it past its capacity.
        await _acquisition_manager(session, manager_id)
    _assign(questionnaire, manager_id, now)
    await rebalance(session, now, marks)
    return questionnaire
