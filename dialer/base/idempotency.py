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

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.dialects import insert as on_conflict_insert
from dialer.base.errors import IdempotencyKeyReused
from dialer.base.models import IdempotencyRecord

record = cast(Table, IdempotencyRecord.__table__)

# The status of a record whose request is still running in its transaction.
PENDING = 0


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
    taken = await session.scalar(
        on_conflict_insert(session, IdempotencyRecord)
        .values(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=PENDING,
            body={},
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyRecord.key)
    )
    if taken is not None:
        return None
    return await recall(session, user_id, key, request_hash)


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
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .values(status_code=status_code, body=body)
    )


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
    await connection.execute(
        insert(record).values(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=answer.status_code,
            body=answer.body,
            created_at=now,
        )
    )
