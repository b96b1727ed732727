"""Idempotency records: the first answer to an unsafe request, kept for its key.

Keys are per user. A record is written in the same transaction as the effect
it answers for, so either both exist or neither does.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from dialer.base.dialects import insert as on_conflict_insert
from dialer.base.dialects import once_per_dialect
from dialer.base.errors import IdempotencyKeyReused
from dialer.base.models import IdempotencyRecord

record = cast(Table, IdempotencyRecord.__table__)

# The status of a record whose request is still running in its transaction.
PENDING = 0

# Every keyed write runs these: built once and sent in Core, on the session's connection, where
# building each anew and sending it through the ORM cost 2.0 ms of the worker's CPU a request
# (0.6 now). No parameter is named as a column: an UPDATE or INSERT given a parameter of a
# column's name writes that column too.
_COMPLETE = (
    update(record)
    .where(record.c.user_id == bindparam("by_user"), record.c.key == bindparam("the_key"))
    .values(status_code=bindparam("new_status"), body=bindparam("new_body"))
)
# A record's own columns, as a new one is written (`_keyed` gives their values).
_NEW: dict[str, Any] = {
    "user_id": bindparam("by_user"),
    "key": bindparam("the_key"),
    "request_hash": bindparam("the_hash"),
    "created_at": bindparam("at_now"),
}
_SAVE = insert(record).values(
    **_NEW, status_code=bindparam("new_status"), body=bindparam("new_body")
)


def _keyed(user_id: uuid.UUID, key: str, request_hash: str, now: datetime) -> dict[str, Any]:
    return {"by_user": user_id, "the_key": key, "the_hash": request_hash, "at_now": now}


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any


def fingerprint(*parts: Any) -> str:
    """A stable hash of a request's method, path and body."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def reserve(
    session: AsyncSession, user_id: uuid.UUID, key: str, request_hash: str, now: datetime
) -> Answer | None:
    """Take the key for this request (None), or return the first answer given for it.

    On PostgreSQL a concurrent request with the same key waits on the insert
    until the first one commits, then sees its answer; on rollback it goes on.
    """
    connection = await session.connection()
    values = _keyed(user_id, key, request_hash, now)
    taken = (await connection.execute(_reserve(session), values)).scalar()
    if taken is not None:
        return None
    return await recall(session, user_id, key, request_hash)


@once_per_dialect
def _reserve(session: AsyncSession) -> ReturningInsert[tuple[str]]:
    """The key taken as pending, unless someone has it: its key, or no row."""
    return (
        on_conflict_insert(session, record)
        .values(**_NEW, status_code=PENDING, body={})
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(record.c.key)
    )


async def recall(
    session: AsyncSession, user_id: uuid.UUID, key: str, request_hash: str
) -> Answer | None:
    """The answer stored for the key; IdempotencyKeyReused when the request differs."""
    record = await session.get(IdempotencyRecord, (user_id, key), populate_existing=True)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return Answer(record.status_code, record.body)


async def complete(
    session: AsyncSession, user_id: uuid.UUID, key: str, status_code: int, body: Any
) -> None:
    """Store the answer of a reserved key."""
    # Flushed first, as the ORM would before its own statement: what the request wrote is
    # sent (and refused, if it is) before its answer is kept.
    await session.flush()
    connection = await session.connection()
    values = {"by_user": user_id, "the_key": key, "new_status": status_code, "new_body": body}
    await connection.execute(_COMPLETE, values)


async def save(
    session: AsyncSession,
    user_id: uuid.UUID,
    key: str,
    request_hash: str,
    answer: Answer,
    now: datetime,
) -> None:
    """Store an answer under a key no one else can have taken (the caller holds a lock)."""
    connection = await session.connection()
    answered = {"new_status": answer.status_code, "new_body": answer.body}
    await connection.execute(_SAVE, _keyed(user_id, key, request_hash, now) | answered)
