"""Recordings: the operator's softphone sends a call's audio, staff (and the operator) hear it.

An upload is streamed to a spool file before anything is written to the database, so
that no transaction is open while the body arrives (on SQLite a transaction holds the
write lock): one short transaction checks the caller and the attempt, the body is
spooled and checked, and a second one stores and records it.
"""

import re
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from app.deps import (
    AppSettings,
    Maker,
    Now,
    Session,
    Store,
    Token,
    allowed,
    bearer_credentials,
    bearer_token,
)
from app.errors import error_response
from app.routers.softphone import HookLimits, hook_limits
from app.schemas import Instant
from dialer.base.audit import record
from dialer.base.errors import TruncatedAudio, Unauthenticated
from dialer.base.models import Attempt, Recording, Role, User
from dialer.base.recording_store import RecordingStore
from dialer.base.users import user_for_token
from dialer.calls.audio import Spooled, declared_type, spool
from dialer.calls.hooks import operator_for_hook_token
from dialer.calls.recordings import (
    attach,
    attempt_for_call,
    attempt_for_upload,
    listener,
    recording_for,
)
from dialer.contacts.dnc import parse_phone

router = APIRouter(tags=["recordings"])
hooks = APIRouter(tags=["recordings"])


class RecordingOut(BaseModel):
    attempt_id: uuid.UUID
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    url: str

    @classmethod
    def of(cls, row: Recording) -> "RecordingOut":
        return cls(
            attempt_id=row.attempt_id,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            created_at=row.created_at,
            url=f"/api/v1/attempts/{row.attempt_id}/recording",
        )


async def _receive(request: Request, store: RecordingStore) -> Spooled:
    """The request's body in a checked spool file."""
    declared = declared_type(request.headers.get("content-type"))
    length = request.headers.get("content-length")
    expected = int(length) if length and length.isdigit() else None
    try:
        return await spool(request.stream(), store.spool, declared, expected_size=expected)
    except ClientDisconnect as gone:
        raise TruncatedAudio("The connection closed before the whole body arrived.") from gone


async def _keep(
    maker: Maker, store: RecordingStore, attempt: Attempt, upload: Spooled, user: User, now: Now
) -> JSONResponse:
    try:
        async with maker.begin() as session:
            row, created = await attach(session, store, attempt, upload, user.id, now)
            if created:
                summary = f"{row.content_type}, {row.size_bytes} bytes"
                await record(session, user, "recording.upload", "attempt", attempt.id, summary, now)
            body = RecordingOut.of(row).model_dump(mode="json")
    finally:
        upload.discard()
    return JSONResponse(body, status_code=201 if created else 200)


AUDIO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("audio/wav", "audio/ogg", "audio/mpeg")
        },
    }
}


@router.put(
    "/attempts/{attempt_id}/recording",
    status_code=201,
    response_model=RecordingOut,
    openapi_extra=AUDIO_BODY,
)
async def upload(
    attempt_id: uuid.UUID, request: Request, maker: Maker, store: Store, token: Token, now: Now
) -> JSONResponse:
    """The call's audio, from the operator who made it; the same audio again is a 200."""
    async with maker.begin() as session:
        user = allowed(await user_for_token(session, token), Role.OPERATOR)
        attempt = await attempt_for_upload(session, attempt_id, user.id)
    received = await _receive(request, store)
    return await _keep(maker, store, attempt, received, user, now)


async def _hook_uploader(
    hook_token: str,
    request: Request,
    maker: Maker,
    settings: AppSettings,
    limits: Annotated[HookLimits, Depends(hook_limits)],
) -> User:
    """The hook token's operator, in a transaction of its own that ends before the body."""
    address = request.client.host if request.client else "unknown"
    limits.check(address, hook_token)
    async with maker.begin() as session:
        return await operator_for_hook_token(session, settings.secret_key, hook_token)


@hooks.put(
    "/hooks/softphone/{hook_token}/recording",
    status_code=201,
    response_model=RecordingOut,
    openapi_extra=AUDIO_BODY,
)
async def upload_by_hook(
    request: Request,
    maker: Maker,
    store: Store,
    settings: AppSettings,
    now: Now,
    operator: Annotated[User, Depends(_hook_uploader)],
    call_id: Annotated[str | None, Query(max_length=255)] = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[Instant | None, Query()] = None,
) -> JSONResponse:
    """A softphone's own recording of a call, found by Call-ID (or the number dialed)."""
    phone = parse_phone(number, settings.default_region, ("query", "number")) if number else None
    async with maker.begin() as session:
        attempt = await attempt_for_call(session, operator.id, call_id, phone, since)
    received = await _receive(request, store)
    return await _keep(maker, store, attempt, received, operator, now)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first..last byte a Range header asks for; None for the whole; ValueError if none fit.

    Several ranges at once are answered with the whole file, as RFC 9110 allows.
    """
    if not header or "," in header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match[1] == match[2] == "":
        raise ValueError(header)
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        start, end = max(0, size - int(match[2])), size - 1
    if start >= size or start > end:
        raise ValueError(header)
    return start, end


async def listening_user(
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_credentials)],
    # Not bounded here: a bad link is a 401 like a bad token, never a 422 before it.
    access: str | None = None,
) -> User:
    """Who plays: the bearer token's user, or the one a page's listening link was made for.

    The path's id is read raw, so that a request without either is a 401 whatever its path.
    """
    if credentials is None and access is not None:
        try:
            attempt_id = uuid.UUID(request.path_params["attempt_id"])
        except ValueError as error:
            raise Unauthenticated("The listening link is not valid.") from error
        return await listener(session, settings.secret_key, attempt_id, access, now)
    token = await bearer_token(request, settings, now, credentials)
    return await user_for_token(session, token)


@router.get(
    "/attempts/{attempt_id}/recording",
    response_class=StreamingResponse,
    responses={206: {"description": "The part the Range header asked for"}},
)
async def play(
    attempt_id: uuid.UUID,
    request: Request,
    session: Session,
    store: Store,
    listening: Annotated[User, Depends(listening_user)],
) -> Response:
    """The audio, for staff and the operator who made the call; Range answers 206.

    Pages play it in an audio element with the `access` link that the review queue and
    `/me/reviews` give, since an audio element cannot send a bearer token.
    """
    user = allowed(listening, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
    recording = await recording_for(session, attempt_id, user)
    size = recording.size_bytes
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except ValueError:
        answer = error_response(
            416, "range_not_satisfiable", f"The recording has {size} bytes; ask within them."
        )
        answer.headers["Content-Range"] = f"bytes */{size}"
        return answer
    start, end = wanted or (0, size - 1)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start + 1),
        "Cache-Control": "private, max-age=3600",
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    chunks = await store.open(recording.key, start, end)
    return StreamingResponse(
        chunks,
        status_code=206 if wanted is not None else 200,
        media_type=recording.content_type,
        headers=headers,
    )
