"""`Idempotency-Key` for unsafe endpoints: the same key and body get the first answer again.

Usage in a handler::

    return await idempotent(session, user.id, key, ("POST", path, body), now, work)

where `work` is an async callable returning the JSON body of a success. The
key is per user; the record is written in the request's transaction, with the
effect, so a failed request leaves no record and may be retried with its key.
The same key with another body is refused with 409 `idempotency_key_reused`.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.idempotency import complete, fingerprint, reserve

MAX_KEY_LENGTH = 200

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Repeat an unsafe request safely: the same key and body get the first answer.",
    ),
]


async def idempotent(
    session: AsyncSession,
    user_id: uuid.UUID,
    key: str | None,
    request: tuple[Any, ...],
    now: datetime,
    work: Callable[[], Awaitable[Any]],
    status_code: int = 200,
) -> JSONResponse:
    """Run `work` once per key; answer a repeat with the stored first answer."""
    if key is None:
        return JSONResponse(await work(), status_code=status_code)
    first = await reserve(session, user_id, key, fingerprint(*request), now)
    if first is not None:
        return JSONResponse(first.body, status_code=first.status_code)
    body = await work()
    await complete(session, user_id, key, status_code, body)
    return JSONResponse(body, status_code=status_code)
