"""A contact's last attempts, newest first: the operator's card and the manager's page."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ScalarSelect, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from dialer.base.dialects import json_rows
from dialer.base.models import Attempt, Disposition

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
    rows = await session.execute(_newest(contact_id))
    return tuple(Past(at, str(d), o, n) for at, d, o, n in rows)


def _newest(contact_id: Any) -> Select[datetime, Disposition, str | None, str | None]:
    """The contact's last attempts, newest first, as a `Past` holds them."""
    return (
        select(attempt.c.created_at, attempt.c.disposition, attempt.c.objection, attempt.c.notes)
        .where(attempt.c.contact_id == contact_id)
        .order_by(attempt.c.created_at.desc())
        .limit(HISTORY_SIZE)
    )


def last_attempts(
    session: AsyncSession, contact_id: QueryableAttribute[uuid.UUID]
) -> ScalarSelect[Any]:
    """The contact's last attempts as one JSON column of another statement's row (`pasts`
    reads it): a manager's page reads them with its questionnaire, not in a statement of
    their own."""
    last = _newest(contact_id).correlate_except(attempt).subquery()
    return select(json_rows(session, *last.c)).scalar_subquery()


def pasts(rows: list[list[Any]] | None) -> tuple[Past, ...]:
    """`last_attempts`' column as its attempts, newest first (PostgreSQL has none as null)."""
    found = [Past(_instant(at), d, objection, notes) for at, d, objection, notes in rows or ()]
    return tuple(sorted(found, key=lambda past: past.at, reverse=True))


def _instant(text: str) -> datetime:
    # PostgreSQL writes the instant with its offset; SQLite keeps UTC without one.
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
