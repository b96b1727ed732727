"""The do-not-call list: numbers that are never imported or handed out again."""

import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import ErasedNumber, InvalidInput, NotFound
from dialer.base.models import Contact, ContactState, DncEntry
from dialer.contacts.phones import normalise, phone_hash


class DncSource(StrEnum):
    MANUAL = "manual"
    OUTCOME = "outcome"
    ERASURE = "erasure"


def parse_phone(raw: str, region: str, loc: tuple[str, ...] = ("body", "phone")) -> str:
    """The number in E.164, or InvalidInput saying where."""
    e164 = normalise(raw, region)
    if e164 is None:
        raise InvalidInput(
            f"{raw!r} is not a valid phone number.",
            fields=[{"loc": list(loc), "msg": "not a valid phone number"}],
        )
    return e164


async def suppress(
    session: AsyncSession,
    key: str,
    e164: str,
    source: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> DncEntry:
    """Put the number on the list and stop every contact that has it, in this transaction."""
    phone = None if source == DncSource.ERASURE else e164
    return await suppress_hash(session, phone_hash(key, e164), phone, source, actor_id, now)


async def suppress_hash(
    session: AsyncSession,
    hashed: str,
    phone: str | None,
    source: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> DncEntry:
    """Suppress by keyed hash; an erasure forgets the number an earlier entry kept."""
    values = {
        "phone_hash": hashed,
        "phone": phone,
        "source": source,
        "created_by": actor_id,
        "created_at": now,
    }
    # Two requests suppressing one number at once must both succeed.
    await session.execute(_insert(session)(DncEntry).values(values).on_conflict_do_nothing())
    if source == DncSource.ERASURE:
        await session.execute(
            update(DncEntry)
            .where(DncEntry.phone_hash == hashed)
            .values(phone=None, source=DncSource.ERASURE)
        )
    await session.execute(
        update(Contact)
        .where(
            Contact.phone_hash == hashed,
            Contact.state.not_in((ContactState.ERASED, ContactState.DO_NOT_CALL)),
        )
        .values(state=ContactState.DO_NOT_CALL)
    )
    entry = await session.get(DncEntry, hashed, populate_existing=True)
    assert entry is not None
    return entry


async def unsuppress(session: AsyncSession, key: str, e164: str) -> None:
    """Take a number off the list; its stopped contacts become callable again."""
    hashed = phone_hash(key, e164)
    entry = await session.get(DncEntry, hashed, with_for_update=True)
    if entry is None:
        raise NotFound("That number is not on the do-not-call list.")
    if entry.source == DncSource.ERASURE:
        raise ErasedNumber()
    await session.delete(entry)
    await session.execute(
        update(Contact)
        .where(Contact.phone_hash == hashed, Contact.state == ContactState.DO_NOT_CALL)
        .values(state=ContactState.READY)
    )


async def list_entries(session: AsyncSession, limit: int, offset: int) -> list[DncEntry]:
    """The list, newest first."""
    query = (
        select(DncEntry)
        .order_by(DncEntry.created_at.desc(), DncEntry.phone_hash)
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(query))


def _insert(session: AsyncSession) -> Callable[..., Any]:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def hashed_with(session: AsyncSession, key: str) -> bool:
    """Whether the numbers already stored were hashed with `key` (true while there are none).

    The hash is how a number is found on the list and among a campaign's contacts: under
    another key, suppressed numbers would be handed out and imported again.
    """
    for table in (Contact, DncEntry):
        row = (
            await session.execute(
                select(table.phone, table.phone_hash).where(table.phone.is_not(None)).limit(1)
            )
        ).first()
        if row is not None:
            return bool(row.phone_hash == phone_hash(key, row.phone))
    return True
