"""Leadership: on PostgreSQL one scheduler process leads, holding an advisory lock.

The lock is taken with `pg_try_advisory_lock` on a connection of its own (no pool, autocommit),
held for as long as the process lives; PostgreSQL frees it when that connection ends, so a
crashed leader's place is taken at a follower's next tick. Transitions are idempotent anyway:
the lock saves duplicate work, it does not guard correctness. SQLite has one host and no such
lock, so every scheduler on it leads.
"""

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from dialer.base.db import async_url, is_sqlite

# "cascade" in ASCII, folded into a bigint: the key every Cascade scheduler competes for.
LOCK_KEY = int.from_bytes(b"cascade", "big")

log = logging.getLogger(__name__)


class Leadership:
    """Whether this process leads; `held()` re-checks and tries to take the lead."""

    def __init__(self, database_url: str) -> None:
        self._always = is_sqlite(database_url)
        self._engine = (
            None
            if self._always
            else create_async_engine(async_url(database_url), poolclass=NullPool)
        )
        self._connection: AsyncConnection | None = None
        self._leads: bool | None = None

    async def held(self) -> bool:
        """True when this process leads now."""
        if self._always:
            return True
        leads = (
            self._connection is not None and await self._alive(self._connection)
        ) or await self._try_take()
        if leads != self._leads:
            log.info("this scheduler %s", "leads" if leads else "follows another that leads")
            self._leads = leads
        return leads

    async def _alive(self, connection: AsyncConnection) -> bool:
        try:
            await connection.execute(text("SELECT 1"))
        except DBAPIError:
            log.warning("lost the scheduler lock's connection")
            await self._forget()
            return False
        return True

    async def _try_take(self) -> bool:
        assert self._engine is not None
        try:
            connection = await self._engine.connect()
        except (DBAPIError, OSError):
            log.warning("cannot reach the database to take the scheduler lock")
            return False
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
        except (DBAPIError, OSError):
            log.warning("lost the connection while taking the scheduler lock")
            taken = False
        if taken:
            self._connection = connection
            return True
        await _close(connection)
        return False

    async def _forget(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close(connection)

    async def release(self) -> None:
        """Give up the lead (closing the connection frees the lock) and the engine."""
        await self._forget()
        if self._engine is not None:
            await self._engine.dispose()


async def _close(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except (DBAPIError, OSError):
        log.debug("the lock's connection was already gone")
