"""A contact's last attempts, newest first: the operator's card and the manager's page."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Attempt

HISTORY_SIZE = 5
attempt = cast(Table, Attempt.__table__)


@dataclass(frozen=True)
class Past:
    """One earlier attempt as the operator sees it."""

    at: datetime
    disposition: str
    objection: str | None
    notes: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "disposition": self.disposition,
            "objection": self.objection,
            "notes": self.notes,
        }


async def history(session: AsyncSession, contact_id: uuid.UUID, attempts: int) -> tuple[Past, ...]:
    """The contact's last attempts, newest first (none read when it has had none)."""
    if attempts == 0:
        return ()
    rows = await session.execute(
        select(attempt.c.created_at, attempt.c.disposition, attempt.c.objection, attempt.c.notes)
        .where(attempt.c.contact_id == contact_id)
        .order_by(attempt.c.created_at.desc())
        .limit(HISTORY_SIZE)
    )
    return tuple(Past(at, str(d), o, n) for at, d, o, n in rows)


async def histories(
    session: AsyncSession, contact_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[Past, ...]]:
    """The last attempts of each of these contacts, newest first, in one query."""
    found: dict[uuid.UUID, list[Past]] = {}
    rows = await session.execute(
        select(
            attempt.c.contact_id,
            attempt.c.created_at,
            attempt.c.disposition,
            attempt.c.objection,
            attempt.c.notes,
        )
        .where(attempt.c.contact_id.in_(contact_ids))
        .order_by(attempt.c.contact_id, attempt.c.created_at.desc())
    )
    for contact_id, at, disposition, objection, notes in rows:
        pasts = found.setdefault(contact_id, [])
        if len(pasts) < HISTORY_SIZE:
            pasts.append(Past(at, str(disposition), objection, notes))
    return {contact_id: tuple(pasts) for contact_id, pasts in found.items()}
