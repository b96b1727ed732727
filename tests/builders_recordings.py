"""Recordings for tests: real audio files, an S3-compatible server, attempts to record."""

import io
import math
import struct
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from dialer.base.recording_store import FileStore, RecordingStore, S3Store
from tests.builders import Actor
from tests.floor import Floor

KEYS = {"access_key": "testing", "secret_key": "testing"}


def wav(seconds: float, *, rate: int = 8000, tone: float = 440.0) -> bytes:
    """A mono 16-bit WAV file of a tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * tone * n / rate)))
        for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(frames)
    return out.getvalue()


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> "boto3.client":
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEYS["access_key"],
            aws_secret_access_key=KEYS["secret_key"],
        )

    def bucket(self) -> str:
        """A new, empty bucket."""
        name = f"rec-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for the whole run."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield S3Server(f"http://{host}:{port}")
    server.stop()


def stored_keys(store: RecordingStore, s3: S3Server | None) -> list[str]:
    """Every key the store holds, whichever back-end it is."""
    if isinstance(store, S3Store):
        assert s3 is not None
        prefix = f"{store.place.prefix}/" if store.place.prefix else ""
        return [k.removeprefix(prefix) for k in s3.keys(store.place.bucket)]
    assert isinstance(store, FileStore)
    return sorted(
        str(p.relative_to(store.root))
        for p in store.root.rglob("*")
        if p.is_file() and store.spool not in p.parents
    )


def spooled_files(store: RecordingStore) -> list[str]:
    """Uploads still waiting in the spool folder (none, once a request has ended)."""
    return sorted(p.name for p in store.spool.glob("*")) if store.spool.exists() else []


async def attempt(
    floor: Floor,
    operator: Actor,
    *,
    call_id: str | None = None,
    new_contact: bool = True,
    **outcome: Any,
) -> uuid.UUID:
    """A call of the operator's, with its SIP Call-ID, ended as the outcome says (no answer
    unless told); its attempt id.

    It calls a new contact, or with `new_contact=False` the next one in the queue.
    """
    if new_contact:
        await floor.add()
    lease = await floor.lease(operator)
    number = lease["contact"]["phone"]
    call_id = call_id or uuid.uuid4().hex
    for event in ("dialing", "answered", "hangup"):
        sent = await floor.client.post(
            "/api/v1/softphone/events",
            json={"event": event, "number": number, "call_id": call_id},
            headers=operator.headers,
        )
        assert sent.status_code == 202, sent.text
    body = outcome or {"disposition": "no_answer"}
    answer = await floor.outcome(operator, lease["lease_id"], **body)
    assert answer.status_code == 200, answer.text
    return uuid.UUID(answer.json()["attempt_id"])


async def upload(
    client: httpx.AsyncClient,
    attempt_id: uuid.UUID,
    operator: Actor,
    audio: bytes,
    content_type: str = "audio/wav",
    **headers: str,
) -> httpx.Response:
    return await client.put(
        f"/api/v1/attempts/{attempt_id}/recording",
        content=audio,
        headers={**operator.headers, "Content-Type": content_type, **headers},
    )
