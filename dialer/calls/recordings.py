"""Recordings of attempts: who may send one, keeping it once, who may hear it, retention."""

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import Forbidden, NotFound, RecordingExists, Unauthenticated
from dialer.base.models import Attempt, Campaign, Contact, Recording, Role, User
from dialer.base.recording_store import RecordingStore, forget
from dialer.calls.audio import Spooled
from dialer.calls.qc import sampled

RETENTION_BATCH = 500
# How long a listening link a page is given stays good: a review takes minutes.
LISTEN_FOR = timedelta(hours=2)


async def attempt_for_upload(
    session: AsyncSession, attempt_id: uuid.UUID, operator_id: uuid.UUID
) -> Attempt:
    """The attempt, if the operator made it: 404 when there is none, 403 when another did."""
    attempt = await session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("There is no such attempt.")
    if attempt.operator_id != operator_id:
        raise Forbidden("Only the operator who made the call may send its recording.")
    return attempt


async def attempt_for_call(
    session: AsyncSession,
    operator_id: uuid.UUID,
    call_id: str | None,
    phone: str | None,
    since: datetime | None,
) -> Attempt:
    """The operator's attempt with this SIP Call-ID, or else its latest call to the number."""
    query = select(Attempt).where(Attempt.operator_id == operator_id)
    if call_id:
        query = query.where(Attempt.call_id == call_id)
    elif phone:
        query = query.join(Contact, Contact.id == Attempt.contact_id).where(Contact.phone == phone)
        # The attempt is written when the outcome is, after the call it records.
        if since is not None:
            query = query.where(Attempt.created_at >= since)
    else:
        raise NotFound("Name the call: its call_id, or the number it dialed.")
    attempt = await session.scalar(query.order_by(Attempt.created_at.desc()).limit(1))
    if attempt is None:
        raise NotFound("None of your attempts matches this call.")
    return attempt


async def attach(
    session: AsyncSession,
    store: RecordingStore,
    attempt: Attempt,
    upload: Spooled,
    uploader_id: uuid.UUID,
    now: datetime,
) -> tuple[Recording, bool]:
    """Keep the upload as the attempt's recording; (the recording, whether it is new).

    The same audio again is the recording already kept; different audio for an
    attempt that has one is refused. The attempt's row is locked first, so that two
    uploads at once keep one recording (on SQLite every transaction is exclusive).
    """
    await session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    kept = await session.scalar(select(Recording).where(Recording.attempt_id == attempt.id))
    if kept is not None:
        if kept.sha256 == upload.sha256:
            return kept, False
        raise RecordingExists()
    key = f"{attempt.id}/{upload.sha256}.{upload.extension}"
    campaign = await session.get_one(Campaign, attempt.campaign_id)
    await store.put(key, upload.path, upload.content_type)
    row = Recording(
        attempt_id=attempt.id,
        key=key,
        sha256=upload.sha256,
        content_type=upload.content_type,
        size_bytes=upload.size,
        uploaded_by=uploader_id,
        created_at=now,
        sampled=sampled(attempt, campaign.qc_sample_percent),
    )
    session.add(row)
    await session.flush()
    return row, True


async def recording_for(session: AsyncSession, attempt_id: uuid.UUID, user: User) -> Recording:
    """The attempt's recording, for staff or for the operator who made the call."""
    found = (
        await session.execute(
            select(Attempt.operator_id, Recording)
            .outerjoin(Recording, Recording.attempt_id == Attempt.id)
            .where(Attempt.id == attempt_id)
        )
    ).first()
    if found is None:
        raise NotFound("There is no such attempt.")
    operator_id, recording = found
    if user.role not in (Role.SUPERVISOR, Role.ADMIN) and operator_id != user.id:
        raise Forbidden("An operator hears only its own calls.")
    if recording is None:
        raise NotFound("This attempt has no recording.")
    assert isinstance(recording, Recording)
    return recording


async def expire_recordings(session: AsyncSession, store: RecordingStore, now: datetime) -> int:
    """Delete the recordings older than their campaign keeps them; how many."""
    deleted = 0
    campaigns = await session.execute(select(Campaign.id, Campaign.recording_days))
    for campaign_id, days in campaigns.all():
        old = (
            select(Recording)
            .join(Attempt, Attempt.id == Recording.attempt_id)
            .where(
                Attempt.campaign_id == campaign_id, Attempt.created_at < now - timedelta(days=days)
            )
        )
        while rows := list(await session.scalars(old.limit(RETENTION_BATCH))):
            deleted += await forget(session, store, rows)
    return deleted


def _listen_signature(secret: str, attempt_id: uuid.UUID, user_id: uuid.UUID, until: int) -> str:
    message = f"listen:{attempt_id}:{user_id}:{until}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def listen_access(secret: str, attempt_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> str:
    """A short-lived secret that lets this user's browser play this attempt's recording.

    An audio element cannot send a bearer token, and a token in a URL would be a
    login; this names one recording, one user and an end, and nothing else.
    """
    until = int((now + LISTEN_FOR).timestamp())
    return f"{user_id}.{until}.{_listen_signature(secret, attempt_id, user_id, until)}"


async def listener(
    session: AsyncSession, secret: str, attempt_id: uuid.UUID, access: str, now: datetime
) -> User:
    """The active user a listening secret was made for; Unauthenticated if it is not good now."""
    try:
        if len(access) > 200:
            raise ValueError(access[:20])
        named, until, signature = access.split(".")
        user_id, deadline = uuid.UUID(named), int(until)
    except ValueError as error:
        raise Unauthenticated("The listening link is not valid.") from error
    expected = _listen_signature(secret, attempt_id, user_id, deadline)
    if not hmac.compare_digest(expected, signature) or now.timestamp() > deadline:
        raise Unauthenticated("The listening link is not valid or has expired.")
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthenticated("The listening link's user is no longer active.")
    return user


async def consent_evidence(
    session: AsyncSession, contact_id: uuid.UUID
) -> tuple[Contact, list[tuple[Attempt, User, Campaign, Recording | None]]]:
    """The contact, and every consent said on a call to its number, newest first.

    The number is the person: a consent given in one campaign is evidence for the
    number in all of them, so every contact with the same number is searched.
    """
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    rows = await session.execute(
        select(Attempt, User, Campaign, Recording)
        .join(Contact, Contact.id == Attempt.contact_id)
        .join(User, User.id == Attempt.operator_id)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .outerjoin(Recording, Recording.attempt_id == Attempt.id)
        .where(Contact.phone_hash == contact.phone_hash, Attempt.consent_given.is_not(None))
        .order_by(Attempt.created_at.desc(), Attempt.id)
    )
    return contact, [(a, u, c, r) for a, u, c, r in rows.all()]
