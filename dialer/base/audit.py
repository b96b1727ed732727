"""The audit log: every change a person makes through the API, in the change's transaction."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import AuditEntry, User

ERASED = "[erased]"
SUMMARY_LENGTH = 500


async def record(
    session: AsyncSession,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    summary: str,
    now: datetime,
) -> AuditEntry:
    """Write one entry; flushed with the change it describes, committed or rolled back with it."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        summary=summary[:SUMMARY_LENGTH],
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[AuditEntry, str], f: AuditFilter) -> Select[AuditEntry, str]:
    if f.actor_id is not None:
        query = query.where(AuditEntry.actor_id == f.actor_id)
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.target_id:
        query = query.where(AuditEntry.target_id == f.target_id)
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    return query


async def entries(
    session: AsyncSession, f: AuditFilter, limit: int, offset: int
) -> tuple[list[tuple[AuditEntry, str | None]], int]:
    """A page of entries, newest first, each with its actor's login; and how many match."""
    query = _filtered(
        select(AuditEntry, User.login).outerjoin(User, User.id == AuditEntry.actor_id), f
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = await session.execute(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return [(entry, login) for entry, login in page.all()], int(total or 0)


async def forget_number(session: AsyncSession, phones: set[str]) -> None:
    """Take erased numbers out of every summary, in the erasure's transaction."""
    for phone in phones:
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.summary.contains(phone, autoescape=True))
            .values(summary=func.replace(AuditEntry.summary, phone, ERASED))
        )
