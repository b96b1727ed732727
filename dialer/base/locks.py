"""The managers' lock: one writer at a time routes, changes or weighs questionnaires."""

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
