"""The sales side's two locks: the managers' (questionnaires and the MPK) and the clients'
(accounts and the desks after the MPK). One writer at a time weighs each; what a committed
close leaves to weigh is read under the first, shared.

Whoever takes both takes the managers' lock first, so two transactions never wait for each
other in a circle. A status change locks its questionnaire's row without the managers'
lock, then (a first order) takes the clients' lock: no holder of the clients' lock waits for
another questionnaire's row, so that order closes no circle either. Nor for the new account a
first order writes before taking it: uncommitted, no other transaction sees that row, and only
another first order of the same company, which holds neither lock yet, waits for its key. A
lock already held by the transaction is not asked for again.
"""

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

# Any fixed 64-bit numbers unique to these locks among the service's advisory locks.
MANAGERS_LOCK_KEY = 0x4341_5343_4D47_5253
CLIENTS_LOCK_KEY = 0x4341_5343_434C_4E54

# (transaction, key) of the locks this session's transactions hold.
_HELD = "cascade.locks_held"


def _transactions(session: AsyncSession) -> Iterator[SessionTransaction]:
    """The session's open transactions, innermost (a savepoint) first."""
    inner = session.sync_session.get_nested_transaction() or session.sync_session.get_transaction()
    while inner is not None:
        yield inner
        inner = inner.parent


async def _take(session: AsyncSession, key: int) -> None:
    """Hold the exclusive advisory lock until the transaction ends (PostgreSQL only).

    A savepoint rolled back gives back the locks taken inside it, so a lock counts as held
    only while the transaction, or savepoint, that took it is still open.
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    open_now = list(_transactions(session))
    held = [
        (transaction, taken)
        for transaction, taken in session.info.get(_HELD, ())
        if any(transaction is t for t in open_now)
    ]
    if any(taken == key for _, taken in held):
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    session.info[_HELD] = [*held, (open_now[0], key)]


async def lock_managers(session: AsyncSession) -> None:
    """Hold the managers' lock until the transaction ends.

    Choosing an MPK depends on every MPK's load, and the saturation pause on the
    total: a row lock on the chosen manager alone would let two warm outcomes
    read the same loads and both pick one MPK with one place left. So routing,
    status changes and the saturation check serialize on one transaction-scoped
    advisory lock on PostgreSQL; on SQLite every transaction already begins
    IMMEDIATE and holds the write lock. Take it before touching questionnaire rows,
    so that lock order is always the same.
    """
    await _take(session, MANAGERS_LOCK_KEY)


async def lock_clients(session: AsyncSession) -> None:
    """Hold the clients' lock until the transaction ends.

    Routing an account weighs every manager of its desk, and the MRK's pause their total:
    first orders, orders, plans and hand-offs serialize on this lock, apart from the
    questionnaires' routing, which never touches an account. Take it after the managers'
    lock when both are needed, and before touching account rows. Nothing on SQLite.
    """
    await _take(session, CLIENTS_LOCK_KEY)


async def share_managers(session: AsyncSession) -> None:
    """Hold the managers' lock shared with other such holders until the transaction ends.

    A committed close only lowered its manager's load. While nobody waits for a manager
    and dialing is not paused for them, it leaves nothing to weigh: reading that shares
    the lock with other such reads, and only routing and weighing (the exclusive holders)
    wait for them, and they for it (`dialer.sales.saturation.nothing_to_weigh`).
    Nothing on SQLite, as above.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": MANAGERS_LOCK_KEY}
        )
