"""The sales side's locks: asked for once a transaction, again once a savepoint that took one
is rolled back (PostgreSQL gives it back then); SQLite has none to ask for."""

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.locks import CLIENTS_LOCK_KEY, MANAGERS_LOCK_KEY, lock_clients, lock_managers


def asked(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    """The advisory locks asked for through the sessionmaker's engine, from now on."""
    seen: list[str] = []

    def spy(*args: Any) -> None:
        statement: str = args[2]
        if "pg_advisory_xact_lock" in statement:
            seen.append(statement)

    engine = sessionmaker.kw["bind"]
    event.listen(engine.sync_engine, "before_cursor_execute", spy)
    return seen


async def free(sessionmaker: async_sessionmaker[AsyncSession], key: int) -> bool:
    """Whether another transaction could take the lock now."""
    async with sessionmaker() as other:
        taken = await other.scalar(select(func.pg_try_advisory_xact_lock(key)))
        await other.rollback()
        return bool(taken)


async def test_each_lock_is_asked_for_once_a_transaction_or_savepoint_kept(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seen = asked(sessionmaker)
    async with sessionmaker() as session:
        postgres = session.bind.dialect.name == "postgresql"
        for _ in range(2):
            await lock_managers(session)
            await lock_clients(session)
        async with session.begin_nested():
            await lock_managers(session)  # held by the transaction around the savepoint
        assert len(seen) == (2 if postgres else 0)
        if postgres:
            assert not await free(sessionmaker, MANAGERS_LOCK_KEY)
            assert not await free(sessionmaker, CLIENTS_LOCK_KEY)
        await session.commit()

        # A new transaction holds nothing yet.
        await lock_managers(session)
        assert len(seen) == (3 if postgres else 0)
        await session.rollback()
        if postgres:
            assert await free(sessionmaker, MANAGERS_LOCK_KEY)

        # A savepoint rolled back gives back what it took: asked for again after it.
        savepoint = await session.begin_nested()
        await lock_clients(session)
        await savepoint.rollback()
        if postgres:
            assert await free(sessionmaker, CLIENTS_LOCK_KEY)
        await lock_clients(session)
        assert len(seen) == (5 if postgres else 0)
        if postgres:
            assert not await free(sessionmaker, CLIENTS_LOCK_KEY)
        await session.rollback()
