"""The do-not-call list: numbers that are never imported or handed out again."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.dialects import insert
from dialer.base.errors import ErasedNumber, InvalidInput, NotFound
from dialer.base.models import Contact, ContactState, DncEntry
from dialer.contacts.phones import normalise, phone_hash


class DncSource(StrEnum):
    MANUAL = "manual"
    FILE = "file"
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
    await session.execute(insert(session, DncEntry).values(values).on_conflict_do_nothing())
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


SUPPRESS_CHUNK = 500


async def suppress_many(
    session: AsyncSession, key: str, numbers: list[str], actor_id: uuid.UUID | None, now: datetime
) -> tuple[list[str], int]:
    """Put many numbers on the list at once: the numbers added, and how many already were."""
    added: list[str] = []
    already = 0
    for start in range(0, len(numbers), SUPPRESS_CHUNK):
        by_hash = {phone_hash(key, n): n for n in numbers[start : start + SUPPRESS_CHUNK]}
        known = set(
            await session.scalars(
                select(DncEntry.phone_hash).where(DncEntry.phone_hash.in_(list(by_hash)))
            )
        )
        already += len(known)
        new = [(h, n) for h, n in by_hash.items() if h not in known]
        if not new:
            continue
        values = [
            {
                "phone_hash": h,
                "phone": n,
                "source": DncSource.FILE,
                "created_by": actor_id,
                "created_at": now,
            }
            for h, n in new
        ]
        await session.execute(insert(session, DncEntry).values(values).on_conflict_do_nothing())
        await session.execute(
            update(Contact)
            .where(
                Contact.phone_hash.in_([h for h, _ in new]),
                Contact.state.not_in((ContactState.ERASED, ContactState.DO_NOT_CALL)),
            )
            .values(state=ContactState.DO_NOT_CALL)
        )
        added.extend(n for _, n in new)
    return added, already


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


async def list_entries(
    session: AsyncSession, key: str, region: str, q: str | None, limit: int | None, offset: int
) -> tuple[list[DncEntry], int]:
    """A page of the list, newest first, and how many match: `q` a number in any spelling
    (found by its keyed hash, erased ones too) or a part of one."""
    query = select(DncEntry)
    q = (q or "").strip()
    if q:
        e164 = normalise(q, region)
        if e164 is not None:
            query = query.where(DncEntry.phone_hash == phone_hash(key, e164))
        else:
            digits = "".join(c for c in q if c.isdigit())
            query = query.where(DncEntry.phone.contains(digits or q, autoescape=True))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(DncEntry.created_at.desc(), DncEntry.phone_hash).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query)), int(total or 0)


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
