"""The managers' lock: one writer at a time routes or weighs questionnaires; closes share it."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Any fixed 64-bit number unique to this lock among the service's advisory locks.
MANAGERS_LOCK_KEY = 0x4341_5343_4D47_5253


async def lock_managers(session: AsyncSession) -> None:
    """Hold the managers' lock until the transaction ends.

    Choosing an MPK depends on every MPK's load, and the saturation pause on the
    total: a row lock on the chosen manager alone would let two warm outcomes
    read the same loads and both pick one MPK with one place left. So routing,
    status changes and the saturation check serialize on one transaction-scoped
    advisory lock on PostgreSQL (a few such writes a minute on a busy floor); on
    SQLite every transaction already begins IMMEDIATE and holds the write lock.
    Take it before touching questionnaire rows, so that lock order is always the same.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MANAGERS_LOCK_KEY}
        )


async def share_managers(session: AsyncSession) -> None:
    """Hold the managers' lock shared with other closes until the transaction ends.

    Closing a questionnaire only lowers its manager's load. While nobody waits for a
    manager and dialing is not paused for them, such a close needs nothing weighed, so
    closes share the lock among themselves and only routing and weighing (the exclusive
    holders) wait for them, and they for it (`dialer.sales.saturation.lock_for_closing`).
    Nothing on SQLite, as above.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": MANAGERS_LOCK_KEY}
        )
