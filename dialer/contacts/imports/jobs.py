"""Imports as the request side sees them: their reports, and those a dead process left.

An import runs in the process that started it. When that process dies, the import's row
would say "running" for ever; these functions tell such an import from a live one and
mark it failed. On PostgreSQL a live import holds an advisory lock (`import_run.lock_key`)
that ends with its connection, so any instance can tell; the embedded SQLite database
serves one process, for which every import started before it is dead.
"""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import NotFound
from dialer.base.models import ContactImport, ImportStatus
from dialer.contacts.imports.run import lock_key

ABANDONED = (
    "The service stopped during the import; the contacts counted here were imported, "
    "the rest of the file was not."
)


async def get_import(
    session: AsyncSession, import_id: uuid.UUID, started_at: datetime, now: datetime
) -> ContactImport:
    """The import and its report, marked failed first if its process died."""
    found = await session.get(ContactImport, import_id)
    if found is None:
        raise NotFound("There is no such import.")
    if found.status is ImportStatus.RUNNING and await _abandoned(session, found, started_at):
        await _mark_abandoned(session, found, now)
    return found


async def fail_abandoned_imports(session: AsyncSession, started_at: datetime, now: datetime) -> int:
    """Mark failed every running import whose process is gone; how many there were."""
    running = await session.scalars(
        select(ContactImport).where(ContactImport.status == ImportStatus.RUNNING)
    )
    failed = 0
    for found in list(running):
        if await _abandoned(session, found, started_at):
            await _mark_abandoned(session, found, now)
            failed += 1
    return failed


async def _abandoned(session: AsyncSession, found: ContactImport, started_at: datetime) -> bool:
    if session.get_bind().dialect.name == "sqlite":
        return found.created_at < started_at
    # Free lock, dead runner; the transaction-level lock goes with this transaction.
    free = await session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(found.id))))
    return bool(free)


async def _mark_abandoned(session: AsyncSession, found: ContactImport, now: datetime) -> None:
    errors = [{"line": None, "reason": ABANDONED}, *found.errors]
    await session.execute(
        update(ContactImport)
        .where(ContactImport.id == found.id, ContactImport.status == ImportStatus.RUNNING)
        .values(status=ImportStatus.FAILED, finished_at=now, errors=errors)
    )
    await session.refresh(found)


async def campaign_imports(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    started_at: datetime,
    now: datetime,
    limit: int,
    offset: int,
) -> tuple[list[ContactImport], int]:
    """A campaign's imports, newest first, running ones checked as `get_import` does."""
    where = ContactImport.campaign_id == campaign_id
    total = await session.scalar(select(func.count()).where(where))
    query = (
        select(ContactImport)
        .where(where)
        .order_by(ContactImport.created_at.desc(), ContactImport.id)
        .limit(limit)
        .offset(offset)
    )
    found = list(await session.scalars(query))
    for one in found:
        if one.status is ImportStatus.RUNNING and await _abandoned(session, one, started_at):
            await _mark_abandoned(session, one, now)
    return found, int(total or 0)
