"""Recordings on both stores: upload once, play with Range, refuse bad input, retention, erasure."""

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import RecordingTooLarge
from dialer.base.models import Recording, Role
from dialer.base.recording_store import RecordingStore
from dialer.base.settings import SchedulerMode, Settings
from dialer.calls.audio import spool
from scheduler.jobs import EXPIRE_RECORDINGS
from scheduler.service import CascadeScheduler
from tests.builders import TEST_SECRET
from tests.builders_recordings import (
    KEYS,
    S3Server,
    attempt,
    s3_server,  # noqa: F401  (a fixture)
    spooled_files,
    stored_keys,
    upload,
    wav,
)
from tests.floor import Floor, make_floor, quick_actor

Maker = async_sessionmaker[AsyncSession]


@pytest.fixture(params=["files", "s3"])
def settings(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Settings:
    """The service on a folder store, and on a bucket of a local S3 server."""
    common = {
        "database_url": database_url,
        "scheduler": SchedulerMode.OFF,
        "secret_key": TEST_SECRET,
        "public_url": "http://cascade.test",
        "recordings_spool": str(tmp_path / "spool"),
    }
    if request.param == "files":
        return Settings(**common, recordings_url=str(tmp_path / "recordings"))
    server: S3Server = request.getfixturevalue("s3_server")
    return Settings(
        **common,
        recordings_url=f"s3://{server.bucket()}/calls",
        recordings_s3_endpoint=server.endpoint,
        recordings_s3_access_key=KEYS["access_key"],
        recordings_s3_secret_key=KEYS["secret_key"],
    )


@pytest.fixture
def store(app: FastAPI) -> RecordingStore:
    recording_store: RecordingStore = app.state.recording_store
    return recording_store


@pytest.fixture
def s3(request: pytest.FixtureRequest, settings: Settings) -> S3Server | None:
    if settings.recordings_url.startswith("s3://"):
        server: S3Server = request.getfixturevalue("s3_server")
        return server
    return None


@pytest.fixture
async def floor(app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker) -> Floor:
    return await make_floor(app, client, sessionmaker, operators=2)


async def recordings(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Recording)) or 0)


async def test_a_recording_is_kept_once_and_plays_whole_or_in_parts(
    floor: Floor, store: RecordingStore, s3: S3Server | None
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    audio = wav(2.0)
    first = await upload(floor.client, attempt_id, operator, audio)
    assert first.status_code == 201, first.text
    assert first.json()["size_bytes"] == len(audio)
    assert first.json()["content_type"] == "audio/wav"
    assert len(stored_keys(store, s3)) == 1

    again = await upload(floor.client, attempt_id, operator, audio)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(stored_keys(store, s3)) == 1

    url = f"/api/v1/attempts/{attempt_id}/recording"
    whole = await floor.client.get(url, headers=floor.supervisor.headers)
    assert whole.status_code == 200
    assert whole.content == audio
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes"

    part = await floor.client.get(url, headers={**operator.headers, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    assert part.content == audio[100:200]
    tail = await floor.client.get(url, headers={**operator.headers, "Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, audio[-10:])
    rest = await floor.client.get(url, headers={**operator.headers, "Range": "bytes=30000-"})
    assert (rest.status_code, rest.content) == (206, audio[30000:])

    past = await floor.client.get(
        url, headers={**operator.headers, "Range": f"bytes={len(audio)}-"}
    )
    assert past.status_code == 416
    assert past.json()["error"] == "range_not_satisfiable"
    assert past.headers["content-range"] == f"bytes */{len(audio)}"


async def test_other_audio_for_a_recorded_attempt_is_refused(
    floor: Floor, store: RecordingStore, s3: S3Server | None
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    assert (await upload(floor.client, attempt_id, operator, wav(1.0))).status_code == 201
    other = await upload(floor.client, attempt_id, operator, wav(1.0, tone=880.0))
    assert other.status_code == 409
    assert other.json()["error"] == "recording_exists"
    assert len(stored_keys(store, s3)) == 1
    played = await floor.client.get(
        f"/api/v1/attempts/{attempt_id}/recording", headers=operator.headers
    )
    assert played.content == wav(1.0)


def truncated_ogg() -> bytes:
    """An Ogg stream whose last page was cut off: a page that promises more than it has."""
    return b"OggS\x00\x02" + bytes(20) + b"\x01\x40" + bytes(10)


BAD_BODIES = [
    pytest.param(b"name,phone\nIvan,+74951234567\n", "audio/wav", 422, "not_audio", id="text"),
    pytest.param(wav(0.5), "text/plain", 422, "not_audio", id="not an audio type"),
    pytest.param(wav(0.5), "audio/ogg", 422, "not_audio", id="wav said to be ogg"),
    pytest.param(wav(1.0)[:5000], "audio/wav", 422, "truncated_audio", id="wav cut short"),
    pytest.param(truncated_ogg(), "audio/ogg", 422, "truncated_audio", id="ogg cut short"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), BAD_BODIES)
async def test_bad_audio_is_refused_and_nothing_is_stored(
    floor: Floor,
    store: RecordingStore,
    s3: S3Server | None,
    sessionmaker: Maker,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    answer = await upload(floor.client, attempt_id, operator, body, content_type)
    assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
    assert answer.json()["detail"]
    assert stored_keys(store, s3) == []
    assert spooled_files(store) == []
    assert await recordings(sessionmaker) == 0


async def test_a_body_shorter_than_announced_is_refused(
    floor: Floor, store: RecordingStore, s3: S3Server | None, sessionmaker: Maker
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    audio = wav(1.0)
    answer = await upload(
        floor.client, attempt_id, operator, audio, **{"Content-Length": str(len(audio) + 4000)}
    )
    assert (answer.status_code, answer.json()["error"]) == (422, "truncated_audio")
    assert stored_keys(store, s3) == []
    assert spooled_files(store) == []
    assert await recordings(sessionmaker) == 0


async def test_a_body_past_the_limit_is_refused_before_it_is_read(
    floor: Floor, store: RecordingStore, s3: S3Server | None, sessionmaker: Maker
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    answer = await upload(
        floor.client, attempt_id, operator, wav(0.1), **{"Content-Length": str(201 * 1024 * 1024)}
    )
    assert (answer.status_code, answer.json()["error"]) == (413, "too_large")
    assert stored_keys(store, s3) == []
    assert spooled_files(store) == []
    assert await recordings(sessionmaker) == 0


async def test_a_streamed_body_is_stopped_at_the_limit_and_removed(tmp_path: Path) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield wav(0.1)
        while True:
            sent += 1
            yield bytes(64 * 1024)

    with pytest.raises(RecordingTooLarge):
        await spool(endless(), tmp_path, None, limit=1024 * 1024)
    assert sent <= 17  # stopped at the limit, not read to the end
    assert list(tmp_path.iterdir()) == []


async def test_another_operators_attempt_takes_no_recording_and_plays_to_no_one_else(
    floor: Floor, store: RecordingStore, s3: S3Server | None, sessionmaker: Maker
) -> None:
    owner, another = floor.operators
    attempt_id = await attempt(floor, owner)
    refused = await upload(floor.client, attempt_id, another, wav(0.5))
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert stored_keys(store, s3) == []
    assert await recordings(sessionmaker) == 0
    assert (await upload(floor.client, attempt_id, owner, wav(0.5))).status_code == 201
    url = f"/api/v1/attempts/{attempt_id}/recording"
    assert (await floor.client.get(url, headers=another.headers)).status_code == 403
    missing = await floor.client.get(
        f"/api/v1/attempts/{uuid.uuid4()}/recording", headers=floor.supervisor.headers
    )
    assert missing.status_code == 404


async def test_a_softphone_uploads_through_its_hook_url_by_call_id(
    floor: Floor, store: RecordingStore, s3: S3Server | None
) -> None:
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator, call_id="a84b4c76e66710")
    token = (await floor.client.post("/api/v1/me/hook-token", headers=operator.headers)).json()
    url = f"/hooks/softphone/{token['hook_token']}/recording"
    audio = wav(1.0)
    sent = await floor.client.put(
        url,
        params={"call_id": "a84b4c76e66710"},
        content=audio,
        headers={"Content-Type": "audio/wav"},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["attempt_id"] == str(attempt_id)
    unknown = await floor.client.put(
        url,
        params={"call_id": "nothing-like-it"},
        content=audio,
        headers={"Content-Type": "audio/wav"},
    )
    assert unknown.status_code == 404
    forged = await floor.client.put(
        "/hooks/softphone/not-a-token/recording",
        params={"call_id": "a84b4c76e66710"},
        content=audio,
    )
    assert forged.status_code == 401
    assert len(stored_keys(store, s3)) == 1


async def test_recordings_older_than_the_campaign_keeps_them_are_deleted(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    settings: Settings,
    store: RecordingStore,
    s3: S3Server | None,
) -> None:
    floor = await make_floor(app, client, sessionmaker, recording_days=30)
    operator = floor.operators[0]
    attempt_id = await attempt(floor, operator)
    assert (await upload(client, attempt_id, operator, wav(0.5))).status_code == 201
    at = floor.clock.now + timedelta(days=29)
    scheduler = CascadeScheduler(
        app.state.engine, settings.database_url, clock=lambda: at, store=store
    )
    assert await scheduler.run(EXPIRE_RECORDINGS)
    assert len(stored_keys(store, s3)) == 1

    at = floor.clock.now + timedelta(days=30, minutes=1)
    assert await scheduler.run(EXPIRE_RECORDINGS)
    assert stored_keys(store, s3) == []
    assert await recordings(sessionmaker) == 0
    gone = await client.get(
        f"/api/v1/attempts/{attempt_id}/recording", headers=floor.supervisor.headers
    )
    assert gone.status_code == 404


async def test_erasing_a_contact_deletes_its_recordings_from_the_store(
    floor: Floor, store: RecordingStore, s3: S3Server | None, sessionmaker: Maker
) -> None:
    operator = floor.operators[0]
    erased_contact = await floor.add()
    erased_attempt = await attempt(floor, operator, new_contact=False)
    kept_attempt = await attempt(floor, operator)
    for attempt_id, tone in ((erased_attempt, 440.0), (kept_attempt, 660.0)):
        sent = await upload(floor.client, attempt_id, operator, wav(0.5, tone=tone))
        assert sent.status_code == 201
    assert len(stored_keys(store, s3)) == 2
    admin = await quick_actor(sessionmaker, Role.ADMIN, floor.clock.now)
    answer = await floor.client.delete(f"/api/v1/contacts/{erased_contact}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert stored_keys(store, s3) == [f"{kept_attempt}/{_sha(wav(0.5, tone=660.0))}.wav"]
    url = f"/api/v1/attempts/{erased_attempt}/recording"
    assert (await floor.client.get(url, headers=admin.headers)).status_code == 404


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
